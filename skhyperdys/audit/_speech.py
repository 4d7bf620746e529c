"""The speech-only transformer: the speech of each recording, nothing around it."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import check_waveforms, read_waveform
from ._control import equalise_noise as _equalise
from ._detection import DETECTORS, detect_speech, speech_parts


class SpeechOnly(TransformerMixin, BaseEstimator):
    """Keep the speech of each recording: no silence around it, no long pauses.

    The first step of a pipeline that should learn from speech alone. A
    voice-activity detector marks the speech; every sample within ``pad``
    seconds of it is kept, the rest dropped (pauses longer than ``2 * pad``
    shrink to ``2 * pad``). A recording with no speech found is passed on
    whole, with a warning.

    This removes the recording set-up's sound *around* the speech, not
    under it: the noise floor, hum and band limit of a channel are still in
    the speech segments. On the built-in data with a channel confound a
    speech-only model still scores far above chance; ``equalise_noise=True``
    is the remedy this class offers for that.

    Parameters
    ----------
    sr : int, default=8000
        Sample rate of waveform inputs; files are resampled to it. The
        output is at this rate.
    detector : {"energy", "silero"}, default="energy"
        The voice-activity detector, see :func:`detect_speech`.
    pad : float, default=0.05
        Seconds kept on either side of speech.
    equalise_noise : bool, default=False
        In :meth:`fit_transform` (training data, with labels) only: add
        each class's noise to the other classes' recordings first, following
        arXiv 2409.01209 (:func:`equalise_noise`), so that a noise floor
        cannot tell the classes apart in training. :meth:`transform` (new
        data) never adds noise. Like imbalanced-learn's samplers, this makes
        ``fit_transform(X, y)`` differ from ``fit(X, y).transform(X)`` on
        purpose.
    margin : float, default=0.15
        Seconds between speech and the noise taken by ``equalise_noise``.
    random_state : int, RandomState instance or None, default=None
        Seeds ``equalise_noise``.

    See Also
    --------
    nonspeech_control : Can the labels be predicted without speech?

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.audit import SpeechOnly
    >>> rng = np.random.default_rng(0)
    >>> y = 1e-3 * rng.standard_normal(8000)
    >>> y[3000:5000] += np.sin(np.arange(2000) * 0.3)
    >>> [len(s) for s in SpeechOnly().fit_transform([y])]
    [2960]
    """

    _parameter_constraints = {
        "sr": [Interval(Integral, 1000, None, closed="left")],
        "detector": [StrOptions(set(DETECTORS))],
        "pad": [Interval(Real, 0, None, closed="left")],
        "equalise_noise": ["boolean"],
        "margin": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        sr=8000,
        detector="energy",
        pad=0.05,
        equalise_noise=False,
        margin=0.15,
        random_state=None,
    ):
        self.sr = sr
        self.detector = detector
        self.pad = pad
        self.equalise_noise = equalise_noise
        self.margin = margin
        self.random_state = random_state

    def fit(self, X, y=None):
        """Validate X; learn nothing.

        Parameters
        ----------
        X : sequence of 1-D array-like or audio file paths, or 2-D array
            Recordings, as for :class:`~skhyperdys.SpectrogramImages`.
        y : array-like or None
            Ignored.

        Returns
        -------
        self : SpeechOnly
        """
        self._validate_params()
        check_waveforms(X)
        return self

    def fit_transform(self, X, y=None):
        """The speech of each training recording, after equalising the noise if asked.

        Parameters
        ----------
        X : sequence of 1-D array-like or audio file paths, or 2-D array
            Recordings.
        y : array-like of shape (n_recordings,) or None
            Labels; required when ``equalise_noise=True``.

        Returns
        -------
        speech : list of ndarray, float32
            One waveform per recording, at ``sr``.

        Raises
        ------
        ValueError
            If ``equalise_noise=True`` and ``y`` is None.
        """
        self._validate_params()
        if not self.equalise_noise:
            return self.transform(X)
        if y is None:
            raise ValueError(
                "equalise_noise=True needs the labels: call fit_transform(X, y) "
                "(a Pipeline does)."
            )
        X = _equalise(
            X,
            y,
            sr=self.sr,
            detector=self.detector,
            margin=self.margin,
            random_state=self.random_state,
        )
        return self.transform(X)

    def transform(self, X):
        """The speech of each recording.

        Parameters
        ----------
        X : sequence of 1-D array-like or audio file paths, or 2-D array
            Recordings.

        Returns
        -------
        speech : list of ndarray, float32
            One waveform per recording, at ``sr``: its speech, or the whole
            recording where no speech was found (with a warning).
        """
        self._validate_params()
        items = check_waveforms(X)
        out, whole = [], []
        for i, item in enumerate(items):
            waveform = np.asarray(read_waveform(item, i, self.sr), dtype=np.float32)
            mask = detect_speech(waveform, self.sr, detector=self.detector)
            speech = speech_parts(waveform, self.sr, mask, pad=self.pad)
            if speech is None:
                whole.append(i)
                speech = waveform
            out.append(speech)
        if whole:
            shown = ", ".join(f"X[{i}]" for i in whole[:10])
            more = f" and {len(whole) - 10} more" if len(whole) > 10 else ""
            warnings.warn(
                f"no speech found in {shown}{more}; passed on whole.",
                UserWarning,
                stacklevel=2,
            )
        return out

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.string = True
        tags.requires_fit = False
        tags.target_tags.required = False
        return tags
