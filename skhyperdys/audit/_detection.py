"""Where the speech is: voice-activity detection and the parts of a recording around it.

Pure functions on one waveform. A recording is cut into 10 ms frames
(``sr // 100`` samples; frame ``i`` is centred on sample ``i * hop``) and a
detector marks the frames that hold speech; the rest of this module cuts
recordings by that mask.
"""

import warnings

import numpy as np

DETECTORS = ("energy", "silero")
FRAME_RATE = 100  # frames per second: 10 ms hops
# The energy detector's noise floor: this percentile of a recording's frame
# levels (a recording must be at least this share non-speech for it to hold).
FLOOR_PERCENTILE = 10.0


def frame_hop(sr):
    """Samples per 10 ms frame at ``sr`` Hz."""
    return max(int(sr) // FRAME_RATE, 1)


def frame_levels(y, sr):
    """Level of each 10 ms frame in dB (mean power over 20 ms around it).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform.
    sr : int
        Its sample rate in Hz.

    Returns
    -------
    levels : ndarray of shape (n_samples // hop + 1,)
        ``10 log10`` of the mean squared sample of the 20 ms around each
        frame's centre (-120 dB for digital silence).
    """
    hop = frame_hop(sr)
    y = np.asarray(y, dtype=np.float64)
    n_frames = len(y) // hop + 1
    padded = np.pad(y, (hop, 2 * hop))
    energy = np.concatenate([[0.0], np.cumsum(padded**2)])
    starts = np.arange(n_frames) * hop
    power = (energy[starts + 2 * hop] - energy[starts]) / (2 * hop)
    return 10 * np.log10(np.maximum(power, 1e-12))


def detect_speech(y, sr, *, detector="energy", threshold_db=12.0):
    """Mark the 10 ms frames of a recording that hold speech.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform.
    sr : int
        Its sample rate in Hz.
    detector : {"energy", "silero"}, default="energy"
        ``"energy"``: a frame is speech when its level is more than
        ``threshold_db`` above the recording's noise floor (the 10th
        percentile of its frame levels). It adapts to each recording's
        floor, so a louder channel does not read as more speech.
        ``"silero"``: the Silero VAD network (``pip install silero-vad``; its
        weights ship in the wheel, nothing is downloaded), at 8 or 16 kHz
        (other rates are resampled to 16 kHz), a frame being speech when
        the network's probability is at least 0.5.
    threshold_db : float, default=12.0
        The energy detector's margin above the floor.

    Returns
    -------
    mask : ndarray of shape (n_samples // (sr // 100) + 1,), bool
        True for the frames that hold speech.

    Raises
    ------
    ValueError
        If ``detector`` is not one of the above.
    ImportError
        If ``detector="silero"`` and silero-vad is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.audit import detect_speech
    >>> rng = np.random.default_rng(0)
    >>> y = 1e-3 * rng.standard_normal(8000)
    >>> y[3000:5000] += np.sin(np.arange(2000) * 0.3)
    >>> mask = detect_speech(y, 8000)
    >>> mask.shape, np.flatnonzero(mask)[[0, -1]]
    ((101,), array([37, 63]))
    """
    if detector == "energy":
        levels = frame_levels(y, sr)
        return levels > np.percentile(levels, FLOOR_PERCENTILE) + threshold_db
    if detector == "silero":
        return _silero_mask(y, sr)
    raise ValueError(f"detector must be one of {DETECTORS}, got {detector!r}.")


_SILERO = {}


def _silero_mask(y, sr):
    try:
        import silero_vad
    except ImportError:
        raise ImportError(
            "detector='silero' needs the silero-vad package: pip install "
            "silero-vad (its weights ship in the wheel; nothing is downloaded)."
        ) from None
    import librosa
    import torch

    if "model" not in _SILERO:
        with warnings.catch_warnings():  # torch.jit.load's deprecation notice
            warnings.simplefilter("ignore", FutureWarning)
            _SILERO["model"] = silero_vad.load_silero_vad()
    model = _SILERO["model"]
    rate = sr if sr in (8000, 16000) else 16000
    x = np.asarray(y, dtype=np.float32)
    if rate != sr:
        x = librosa.resample(x, orig_sr=sr, target_sr=rate)
    chunk = 256 if rate == 8000 else 512  # the network's window: 32 ms
    x = np.pad(x, (0, -len(x) % chunk))
    with torch.inference_mode():
        model.reset_states()
        prob = model.audio_forward(torch.from_numpy(x), rate)[0].numpy()
    # Each 32 ms window's probability, spread over the 10 ms frames it covers.
    hop = frame_hop(sr)
    centres = np.arange(len(y) // hop + 1) * hop / sr  # seconds
    window = (centres * rate // chunk).astype(int)
    return prob[np.minimum(window, len(prob) - 1)] >= 0.5


def far_from_speech(mask, margin):
    """Frames more than ``margin`` seconds from every speech frame."""
    k = int(round(margin * FRAME_RATE))
    near = np.convolve(mask.astype(np.int64), np.ones(2 * k + 1, np.int64), "same")
    return near == 0


def _runs(flags):
    """(starts, ends) of the runs of True in a boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return edges[::2], edges[1::2]


def nonspeech_clip(y, sr, mask, *, margin=0.15, duration=0.25):
    """One fixed-length clip of a recording's non-speech, far from any speech.

    The clip is cut from the middle of the longest stretch of frames that
    lie more than ``margin`` seconds from every speech frame, so that no
    speech, breath or reverberation tail is in it; its length is fixed, so
    that the length of the pauses carries no label.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform.
    sr : int
        Its sample rate in Hz.
    mask : ndarray of bool
        Speech frames, from :func:`detect_speech`.
    margin : float, default=0.15
        Seconds between the clip and the nearest speech frame.
    duration : float, default=0.25
        Length of the clip in seconds.

    Returns
    -------
    clip : ndarray of shape (round(duration * sr),) or None
        None when no stretch is long enough.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.audit import detect_speech, nonspeech_clip
    >>> rng = np.random.default_rng(0)
    >>> y = 1e-3 * rng.standard_normal(16000)   # 2 s of noise ...
    >>> y[12000:14000] += np.sin(np.arange(2000) * 0.3)   # ... speech at 1.5 s
    >>> clip = nonspeech_clip(y, 8000, detect_speech(y, 8000))
    >>> clip.shape, bool(np.abs(clip).max() < 0.01)
    ((2000,), True)
    """
    hop = frame_hop(sr)
    length = int(round(duration * sr))
    starts, ends = _runs(far_from_speech(mask, margin))
    # A run of frames [a, b) covers samples [a * hop - hop / 2, b * hop - hop / 2).
    first = np.maximum(starts * hop - hop // 2, 0)
    last = np.minimum(ends * hop - hop // 2, len(y))
    room = last - first
    if not len(room) or room.max() < length:
        return None
    best = int(np.argmax(room))
    start = first[best] + (room[best] - length) // 2
    return np.asarray(y[start : start + length], dtype=np.float32)


def speech_parts(y, sr, mask, *, pad=0.05):
    """The speech of a recording, without leading and trailing silence or long pauses.

    Keeps every sample within ``pad`` seconds of a speech frame: pauses
    shorter than ``2 * pad`` stay whole, longer ones shrink to ``2 * pad``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform.
    sr : int
        Its sample rate in Hz.
    mask : ndarray of bool
        Speech frames, from :func:`detect_speech`.
    pad : float, default=0.05
        Seconds kept on either side of speech.

    Returns
    -------
    speech : ndarray of shape (n_kept,) or None
        None when no frame is speech.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.audit import detect_speech, speech_parts
    >>> rng = np.random.default_rng(0)
    >>> y = 1e-3 * rng.standard_normal(8000)
    >>> y[3000:5000] += np.sin(np.arange(2000) * 0.3)
    >>> len(speech_parts(y, 8000, detect_speech(y, 8000)))   # 0.25 s + 2 x 0.05 s
    2960
    """
    if not mask.any():
        return None
    keep = _samples(~far_from_speech(mask, pad), sr, len(y))
    return np.asarray(y, dtype=np.float32)[keep]


def nonspeech_parts(y, sr, mask, *, margin=0.15):
    """Every sample more than ``margin`` seconds from speech, concatenated (or None)."""
    far = _samples(far_from_speech(mask, margin), sr, len(y))
    return np.asarray(y, dtype=np.float32)[far] if far.any() else None


def _samples(frames, sr, n_samples):
    """A per-frame boolean mask as a per-sample one of ``n_samples``."""
    hop = frame_hop(sr)
    samples = np.repeat(frames, hop)
    # Frame i covers [i * hop - hop / 2, i * hop + hop / 2): shift by half a hop.
    return np.concatenate([samples[hop // 2 :], np.zeros(n_samples, bool)])[:n_samples]
