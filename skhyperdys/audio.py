"""Reading audio files."""

import os

import librosa
import numpy as np
import soundfile as sf

__all__ = ["AUDIO_EXTENSIONS", "check_audio_path", "load_audio"]

#: File name extensions taken for audio when a folder is given
#: (``python -m skhyperdys predict FOLDER``): the formats libsndfile reads.
AUDIO_EXTENSIONS = (
    ".aif",
    ".aifc",
    ".aiff",
    ".au",
    ".caf",
    ".flac",
    ".mp3",
    ".nist",
    ".oga",
    ".ogg",
    ".opus",
    ".rf64",
    ".snd",
    ".sph",
    ".w64",
    ".wav",
)


def check_audio_path(path):
    """Raise unless ``path`` names a file with some content.

    Parameters
    ----------
    path : str or os.PathLike
        The path of an audio file.

    Returns
    -------
    path : str
        The path, as a string.

    Raises
    ------
    FileNotFoundError
        If nothing exists at ``path``.
    ValueError
        If ``path`` is a directory, or an empty (0-byte) file.

    Examples
    --------
    >>> import tempfile
    >>> from skhyperdys.audio import check_audio_path
    >>> check_audio_path(tempfile.gettempdir())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: '...' is a directory, not an audio file; pass the files in it.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(
            f"{path!r} is a directory, not an audio file; pass the files in it."
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such audio file: {path!r}")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path!r} is empty (0 bytes), not an audio file.")
    return path


def load_audio(path, sr):
    """Read an audio file as a mono float32 waveform at ``sr`` Hz.

    Multi-channel files are mixed to mono by averaging the channels; files at
    another rate are resampled with ``librosa.resample`` (soxr, high quality).

    Parameters
    ----------
    path : str or os.PathLike
        Any file libsndfile reads (wav, flac, ogg, ...).
    sr : int
        Target sample rate in Hz.

    Returns
    -------
    y : ndarray of shape (n_samples,), float32
        The waveform.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is a directory or an empty file, or the file cannot be
        decoded as audio, or holds no samples.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> from skhyperdys.audio import load_audio
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, np.zeros((16000, 2)), 16000)
    >>> load_audio(path, sr=8000).shape
    (8000,)
    """
    path = check_audio_path(path)
    try:
        data, file_sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise ValueError(f"could not read {path!r} as audio: {err}") from None
    if data.shape[0] == 0:
        raise ValueError(f"audio file {path!r} holds no samples.")
    y = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if file_sr != sr:
        y = librosa.resample(y, orig_sr=file_sr, target_sr=sr)
    return np.ascontiguousarray(y, dtype=np.float32)
