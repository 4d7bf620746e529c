"""Summary features of short clips, for the non-speech control."""

from numbers import Integral

import librosa
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval

from .._validation import check_waveforms, read_waveform


def log_mel_statistics(y, sr, n_mels=40):
    """Mean and standard deviation of each log-Mel band of a clip.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The clip.
    sr : int
        Its sample rate in Hz.
    n_mels : int, default=40
        Mel bands, up to ``sr / 2``.

    Returns
    -------
    stats : ndarray of shape (2 * n_mels,), float32
        Band means (natural log of power), then band standard deviations.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.audit import log_mel_statistics
    >>> y = 0.01 * np.random.default_rng(0).standard_normal(2000)
    >>> log_mel_statistics(y, 8000).shape
    (80,)
    """
    n_fft = 1 << int(np.ceil(np.log2(0.032 * sr)))  # about 32 ms
    y = np.asarray(y, dtype=np.float32)
    if len(y) < n_fft:
        y = np.pad(y, (0, n_fft - len(y)))
    power = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=n_fft // 4, n_mels=n_mels, center=False
    )
    logs = np.log(power + 1e-10)
    return np.concatenate([logs.mean(axis=1), logs.std(axis=1)]).astype(np.float32)


class LogMelStatistics(TransformerMixin, BaseEstimator):
    """The mean and spread of each log-Mel band of each recording.

    A fixed-length description of a clip's spectrum and how steady it is:
    what tells one recording channel (noise floor, hum, band limit) from
    another. The first step of :func:`default_control_estimator`.

    Parameters
    ----------
    sr : int, default=8000
        Sample rate of waveform inputs; files are resampled to it.
    n_mels : int, default=40
        Mel bands.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.audit import LogMelStatistics
    >>> X = 0.01 * np.random.default_rng(0).standard_normal((3, 2000))
    >>> LogMelStatistics().fit_transform(X).shape
    (3, 80)
    """

    _parameter_constraints = {
        "sr": [Interval(Integral, 1000, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, sr=8000, n_mels=40):
        self.sr = sr
        self.n_mels = n_mels

    def fit(self, X, y=None):
        """Validate X; learn nothing.

        Parameters
        ----------
        X : sequence of 1-D array-like or audio file paths, or 2-D array
            Recordings.
        y : None
            Ignored.

        Returns
        -------
        self : LogMelStatistics
        """
        self._validate_params()
        check_waveforms(X)
        return self

    def transform(self, X):
        """Describe each recording.

        Parameters
        ----------
        X : sequence of 1-D array-like or audio file paths, or 2-D array
            Recordings.

        Returns
        -------
        stats : ndarray of shape (n_recordings, 2 * n_mels), float32
        """
        self._validate_params()
        items = check_waveforms(X)
        sr = self.sr
        return np.stack(
            [
                log_mel_statistics(read_waveform(item, i, sr), sr, self.n_mels)
                for i, item in enumerate(items)
            ]
        )

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.requires_fit = False
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
