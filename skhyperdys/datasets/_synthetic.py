"""Synthetic syllable-repetition recordings of healthy and dysarthric-like speakers."""

import numpy as np
from sklearn.utils import Bunch, check_random_state

from .._validation import check_int

# Centre frequency (Hz) of each plosive's release burst.
_BURST_HZ = {"pa": 900.0, "ta": 3200.0, "ka": 1900.0}
# Formants (Hz) and bandwidths of the vowel /a/.
_FORMANTS = ((750.0, 90.0), (1250.0, 110.0), (2600.0, 160.0))

DESCR = """\
Synthetic syllable repetitions (/pa/, /ta/ or /ka/), built into skhyperdys
-------------------------------------------------------------------------

Each recording is a diadochokinetic task: a speaker repeats one syllable for a
few seconds. A syllable is a plosive release burst (band-limited noise)
followed by a vowel /a/ (a glottal pulse train shaped by three formants).

Healthy speakers repeat at 5.5-7 syllables/s with a steady rhythm, crisp
bursts and a clean voice. Dysarthric-like speakers have a severity s in
[0.25, 1] that scales their deviations: slower rate (down to ~60 %), irregular
rhythm (jittered syllable onsets), vocal tremor (4-7 Hz modulation of pitch
and loudness), breathiness (aspiration noise in the vowel), and imprecise
articulation (weak bursts, voicing leaking into the closures). Mild cases
overlap with healthy ones. Each subject has fixed voice and speaking traits,
shared by all their recordings, so record-wise splits leak subject identity
exactly as they do on real data: split by ``groups``.

This is the embedded default data of the quick start and the examples, for
trying the library without downloading anything. It is NOT a stand-in for
real recordings: results on it say nothing about clinical performance. Use
VOC-ALS or your own corpus for that.
"""


def make_syllable_repetitions(
    n_recordings=150,
    *,
    recordings_per_subject=3,
    dysarthric_fraction=0.5,
    syllable="pa",
    duration=(3.0, 5.0),
    sr=8000,
    channel_confound=False,
    return_onsets=False,
    random_state=None,
):
    """Generate synthetic /pa/-/ta/-/ka/ repetitions of healthy and dysarthric voices.

    The built-in data of the quick start and the examples: it lets you try
    the library without downloading anything. It is not a stand-in for real
    data, and results on it say nothing about clinical performance; see
    ``DESCR`` for how the recordings are made. Pure numpy and seeded: the
    same ``random_state`` gives the same recordings. About 10 ms per
    recording.

    Parameters
    ----------
    n_recordings : int, default=150
        Number of recordings. Subjects get ``recordings_per_subject`` each
        (the last subject fewer if it does not divide).
    recordings_per_subject : int, default=3
        Recordings per subject.
    dysarthric_fraction : float, default=0.5
        Fraction of subjects who are dysarthric (label 1), in (0, 1).
    syllable : {"pa", "ta", "ka"}, default="pa"
        The repeated syllable; sets the spectrum of the release bursts.
    duration : tuple of (float, float), default=(3.0, 5.0)
        Range of recording lengths in seconds, drawn uniformly.
    sr : int, default=8000
        Sample rate in Hz (VOC-ALS's rate).
    channel_confound : bool or float in [0, 1], default=False
        Record the two groups on different channels, the confound this
        field is known for (Schu et al., 2022). ``False`` or 0: every
        subject records on a channel drawn from the same distribution, and
        the speech carries the label. Above 0: the **speech is independent
        of the label** (every subject speaks like a healthy one, severity
        0), and dysarthric subjects (label 1) record on another channel:
        a noise floor ``12 * channel_confound`` dB louder, mains hum
        (50 Hz and its harmonics, at ``-48 + 20 log10(channel_confound)``
        dB re the speech peak), and a band limit that falls from
        ``sr / 2`` (at 0) to 3 kHz (at 1). Any score
        above chance on such data comes from the recording set-up alone;
        see :func:`skhyperdys.audit.nonspeech_control`. ``True`` is 1.
    return_onsets : bool, default=False
        Also return the true syllable onsets of each recording (the start of
        each release burst), the ground truth for
        :class:`skhyperdys.measures.DDKMeasures`.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : list of ndarray of shape (n_samples_i,), float32
            The waveforms, of varying lengths, peak amplitude below 1.
        target : ndarray of shape (n_recordings,), int
            0 = healthy, 1 = dysarthric.
        groups : ndarray of shape (n_recordings,), str
            Subject ids (``"HC###"`` or ``"DY###"``); use them to split.
        severity : ndarray of shape (n_recordings,), float
            The subject's severity in [0, 1] (0 for healthy subjects).
        onsets : list of ndarray of shape (n_syllables_i,), float
            Only with ``return_onsets=True``: the onset of each syllable, in
            seconds from the start of the recording.
        sr : int
            Sample rate in Hz.
        target_names : list of str
            ``["healthy", "dysarthric"]``.
        DESCR : str
            Description of the data.

    Raises
    ------
    ValueError
        If ``n_recordings`` or ``recordings_per_subject`` is not a positive
        integer, ``sr`` is not an integer >= 1000, ``dysarthric_fraction`` is
        not in (0, 1), ``syllable`` is unknown, ``duration`` is not
        ``(low, high)`` with ``0 < low <= high``, or ``channel_confound`` is
        not in [0, 1].

    See Also
    --------
    skhyperdys.datasets.load_voc_als : Real recordings of ALS patients and
        controls.

    Examples
    --------
    >>> from skhyperdys.datasets import make_syllable_repetitions
    >>> ds = make_syllable_repetitions(12, random_state=0)
    >>> len(ds.data), ds.sr
    (12, 8000)
    >>> ds.target
    array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    >>> ds.groups[:4].tolist()
    ['HC001', 'HC001', 'HC001', 'HC002']
    """
    check_int(n_recordings, "n_recordings")
    check_int(recordings_per_subject, "recordings_per_subject")
    check_int(sr, "sr", minimum=1000)
    if not 0 < dysarthric_fraction < 1:
        raise ValueError(
            f"dysarthric_fraction must be in (0, 1), got {dysarthric_fraction!r}."
        )
    if syllable not in _BURST_HZ:
        raise ValueError(
            f"syllable must be one of {tuple(_BURST_HZ)}, got {syllable!r}."
        )
    low, high = duration
    if not 0 < low <= high:
        raise ValueError(
            f"duration must be (low, high) with 0 < low <= high, got {duration!r}."
        )
    confound = _check_confound(channel_confound)
    rng = check_random_state(random_state)

    n_subjects = -(-n_recordings // recordings_per_subject)
    n_dys = int(round(dysarthric_fraction * n_subjects))
    n_dys = min(max(n_dys, 1), n_subjects - 1) if n_subjects > 1 else n_dys
    is_dys = np.zeros(n_subjects, dtype=bool)
    is_dys[rng.permutation(n_subjects)[:n_dys]] = True

    data, target, groups, severity, onsets = [], [], [], [], []
    counters = {False: 0, True: 0}
    for subject in range(n_subjects):
        dys = bool(is_dys[subject])
        counters[dys] += 1
        sid = f"{'DY' if dys else 'HC'}{counters[dys]:03d}"
        traits = _speaker_traits(rng, dys and not confound)
        channel = _channel_traits(rng, confound if dys else 0.0, sr)
        n_here = min(recordings_per_subject, n_recordings - len(data))
        for _ in range(n_here):
            seconds = rng.uniform(low, high)
            speech, starts = _recording(rng, traits, syllable, seconds, sr)
            data.append(_through_channel(rng, speech, channel, sr))
            onsets.append(starts)
            target.append(int(dys))
            groups.append(sid)
            severity.append(traits["severity"])
    bunch = Bunch(
        data=data,
        target=np.asarray(target),
        groups=np.asarray(groups),
        severity=np.asarray(severity),
        sr=sr,
        target_names=["healthy", "dysarthric"],
        DESCR=DESCR,
    )
    if return_onsets:
        bunch.onsets = onsets
    return bunch


def _check_confound(value):
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if not isinstance(value, (int, float, np.integer, np.floating)) or not (
        0 <= value <= 1
    ):
        raise ValueError(
            f"channel_confound must be a bool or a number in [0, 1], got {value!r}."
        )
    return float(value)


def _speaker_traits(rng, dysarthric):
    """Voice and speaking traits of one subject, fixed across recordings."""
    s = rng.uniform(0.25, 1.0) if dysarthric else 0.0
    return dict(
        severity=s,
        f0=rng.uniform(95, 230),
        rate=rng.uniform(5.5, 7.0) * (1 - 0.4 * s),
        jitter=0.04 + 0.22 * s,  # relative std of inter-onset intervals
        tremor_hz=rng.uniform(4.0, 7.0),
        tremor_depth=0.003 + 0.04 * s,  # relative f0 modulation
        breath=0.02 + 0.35 * s,  # aspiration noise relative to voicing
        burst_gain=1.0 - 0.75 * s,
        leak=0.02 + 0.3 * s,  # voicing level kept during closures
        vowel_frac=rng.uniform(0.45, 0.6) + 0.15 * s,
        formant_shift=rng.uniform(0.9, 1.12),
    )


def _recording(rng, t, syllable, seconds, sr):
    n = int(seconds * sr)
    time = np.arange(n) / sr

    # Syllable onsets: a jittered rhythm, with the room's noise alone for
    # 10-25 % of the recording before the first and after the last syllable
    # (as when a speaker starts and stops the phone's recorder).
    period = 1.0 / t["rate"]
    n_max = int(seconds / period) + 2
    intervals = period * np.clip(1 + t["jitter"] * rng.standard_normal(n_max), 0.4, 2.5)
    lead, tail = rng.uniform(0.1, 0.25, size=2) * seconds
    onsets = lead + np.concatenate([[0.0], np.cumsum(intervals)])
    vowel_len = t["vowel_frac"] * period
    onsets = onsets[onsets < max(seconds - tail - vowel_len, lead + 1e-3)]

    # Vowel envelope: raised-cosine gates after each burst; closures keep
    # some voicing ("leak") in dysarthric speech.
    voiced = np.zeros(n)
    burst_env = np.zeros(n)
    ramp = int(0.012 * sr)
    for onset in onsets:
        b0 = int(onset * sr)
        b_len = int(rng.uniform(0.008, 0.018) * sr)
        burst_env[b0 : b0 + b_len] = np.hanning(2 * b_len)[b_len:][: n - b0]
        v0 = b0 + b_len
        v_len = int(vowel_len * rng.uniform(0.85, 1.15) * sr)
        gate = np.ones(v_len)
        r = min(ramp, v_len // 2)
        if r:
            gate[:r] = np.hanning(2 * r)[:r]
            gate[-r:] = np.hanning(2 * r)[r:]
        end = min(v0 + v_len, n)
        voiced[v0:end] = np.maximum(voiced[v0:end], gate[: end - v0])
    if len(onsets):
        span = slice(int(onsets[0] * sr), min(int((onsets[-1] + vowel_len) * sr), n))
        voiced[span] = np.maximum(voiced[span], t["leak"])

    # Glottal source with tremor, as a sum of formant-weighted harmonics.
    tremor = np.sin(2 * np.pi * t["tremor_hz"] * time + rng.uniform(0, 2 * np.pi))
    f0 = t["f0"] * (1 + t["tremor_depth"] * tremor) * (1 + 0.01 * rng.standard_normal())
    cycles = np.cumsum(f0) / sr
    pulses = np.zeros(n)
    pulses[np.flatnonzero(np.diff(np.floor(cycles), prepend=0.0))] = 1.0
    n_fft = _fast_len(n)
    spectrum = np.fft.rfft(pulses, n_fft)
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    envelope = np.full(len(freqs), 0.02)
    for fc, bw in _FORMANTS:
        fc = fc * t["formant_shift"]
        envelope += 1.0 / (1.0 + ((freqs - fc) / bw) ** 2)
    envelope /= np.sqrt(1.0 + freqs / t["f0"])  # glottal spectral tilt
    voice = np.fft.irfft(spectrum * envelope, n_fft)[:n]
    voice /= np.abs(voice).max() + 1e-12

    # Aspiration noise for breathiness, shaped like the vowel.
    breath = _bandpass_noise(rng, n, sr, 1500.0, 1200.0)
    vowel = (voice + t["breath"] * breath) * voiced
    vowel *= 1 + 3 * t["tremor_depth"] * tremor  # loudness tremor

    burst = _bandpass_noise(rng, n, sr, _BURST_HZ[syllable], 600.0) * burst_env
    y = 0.6 * vowel + 0.8 * t["burst_gain"] * burst
    starts = np.asarray([int(onset * sr) for onset in onsets]) / sr
    return y / (np.abs(y).max() + 1e-12), starts


def _channel_traits(rng, confound, sr):
    """A subject's recording set-up: their room and phone, fixed across recordings.

    ``confound`` in [0, 1] moves it towards another set-up: louder noise,
    mains hum and a band limit that falls from the Nyquist frequency to 3 kHz.
    """
    nyquist = sr / 2
    return dict(
        noise_db=rng.uniform(-54.0, -44.0) + 12.0 * confound,  # re speech peak
        colour=rng.uniform(0.7, 1.3),  # noise power falls as 1 / f**colour
        rt60=rng.uniform(0.15, 0.35),  # the room's reverberation time, s
        hum=0.004 * confound,  # 50 Hz mains hum amplitude
        band_limit=nyquist - (nyquist - 3000.0) * confound if confound else None,
    )


def _through_channel(rng, speech, c, sr):
    """Speech as the phone records it: room reverberation, noise, hum, band."""
    n = len(speech)
    n_fft = _fast_len(n + int(c["rt60"] * sr))
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    # Reverberation: the direct sound plus an exponentially decaying tail
    # (60 dB down after rt60 seconds), 12 dB below it.
    tail_t = np.arange(int(c["rt60"] * sr)) / sr
    impulse = rng.standard_normal(len(tail_t)) * 10 ** (-3 * tail_t / c["rt60"])
    impulse *= 0.25 / (np.sqrt(np.sum(impulse**2)) + 1e-12)
    impulse[0] = 1.0
    y = np.fft.irfft(np.fft.rfft(speech, n_fft) * np.fft.rfft(impulse, n_fft), n_fft)
    y = y[:n] / (np.abs(y[:n]).max() + 1e-12)

    # Room noise: coloured (power ~ 1 / f**colour above 50 Hz), throughout.
    spectrum = np.fft.rfft(rng.standard_normal(n_fft), n_fft)
    spectrum /= np.maximum(freqs, 50.0) ** (c["colour"] / 2)
    noise = np.fft.irfft(spectrum, n_fft)[:n]
    noise *= 10 ** (c["noise_db"] / 20) / (noise.std() + 1e-12)
    y = y + noise
    if c["hum"]:
        time = np.arange(n) / sr
        phase = rng.uniform(0, 2 * np.pi)
        y += c["hum"] * sum(
            np.sin(2 * np.pi * 50.0 * k * time + k * phase) / k for k in (1, 2, 3)
        )
    if c["band_limit"] is not None:
        spectrum = np.fft.rfft(y, n_fft)
        spectrum[np.fft.rfftfreq(n_fft, 1 / sr) > c["band_limit"]] = 0.0
        y = np.fft.irfft(spectrum, n_fft)[:n]
    y *= rng.uniform(0.3, 0.9) / (np.abs(y).max() + 1e-12)
    return y.astype(np.float32)


def _bandpass_noise(rng, n, sr, centre, width):
    """White noise filtered to a Gaussian band, unit peak."""
    n_fft = _fast_len(n)
    spectrum = np.fft.rfft(rng.standard_normal(n), n_fft)
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    spectrum *= np.exp(-0.5 * ((freqs - centre) / width) ** 2)
    noise = np.fft.irfft(spectrum, n_fft)[:n]
    return noise / (np.abs(noise).max() + 1e-12)


def _fast_len(n):
    """The power of two at or above ``n``: a fast FFT length."""
    return 1 << (int(n) - 1).bit_length()
