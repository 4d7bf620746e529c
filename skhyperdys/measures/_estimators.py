"""scikit-learn transformers from recordings to the clinical measures."""

import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval
from tqdm.auto import tqdm

from .._flags import list_flagged
from .._threads import single_threaded
from .._validation import check_waveforms, read_waveform
from ._ddk import DDK_FEATURE_NAMES, MAX_IOI_CV, ddk_measures
from ._praat import parselmouth
from ._voice import VOICE_FEATURE_NAMES, voice_measures


class MeasurementWarning(UserWarning):
    """Some recordings could not be measured: their values are NaN.

    :class:`DDKMeasures` and :class:`VoiceMeasures` warn so once per call,
    naming each such recording (``X[i]``) and why.

    Parameters
    ----------
    *args
        The message, as for any warning.

    Examples
    --------
    >>> from skhyperdys.measures import MeasurementWarning
    >>> issubclass(MeasurementWarning, UserWarning)
    True
    """


class _Measures(TransformerMixin, BaseEstimator):
    """Shared ending of the measure transformers: stateless, one row per recording."""

    _names = ()

    def _measure(self, y):  # pragma: no cover - each subclass has its own
        raise NotImplementedError

    def _check_params(self):
        self._validate_params()
        if self.pitch_floor >= self.pitch_ceiling:
            raise ValueError(
                f"pitch_floor ({self.pitch_floor}) must be below pitch_ceiling "
                f"({self.pitch_ceiling})."
            )
        parselmouth()

    def fit(self, X, y=None):
        """Validate the parameters and X; learn nothing.

        Parameters
        ----------
        X : sequence of recordings
            1-D waveforms at ``sr``, ``(waveform, rate)`` pairs or audio file
            paths, or a 2-D array with one waveform per row.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The transformer.
        """
        self._check_params()
        check_waveforms(X)
        self.n_features_out_ = len(self._names)
        return self

    def transform(self, X):
        """The measures of each recording, NaN where one cannot be measured.

        Parameters
        ----------
        X : sequence of recordings
            As in :meth:`fit`; files and pairs at another rate are resampled
            to ``sr``.

        Returns
        -------
        measures : ndarray of shape (n_recordings, n_measures), float64
            One row per recording, columns as :meth:`get_feature_names_out`.

        Warns
        -----
        MeasurementWarning
            Once, naming each recording with NaN values and why.
        """
        self._check_params()
        items = check_waveforms(X)
        sr = self.sr

        def one(i):
            return self._measure(np.asarray(read_waveform(items[i], i, sr)))

        workers = _workers(self.n_jobs, len(items))
        with (
            single_threaded(),
            ThreadPoolExecutor(workers) as pool,
            tqdm(
                total=len(items),
                disable=not self.verbose,
                desc=type(self).__name__,
                unit="clip",
            ) as bar,
        ):
            results = []
            for result in pool.map(one, range(len(items))):
                results.append(result)
                bar.update()
        out = np.stack([values for values, _ in results])
        n_flagged, listed = list_flagged([reasons for _, reasons in results])
        if n_flagged:
            warnings.warn(
                f"{type(self).__name__}: {n_flagged} of {len(items)} recordings "
                f"could not be fully measured (NaN in their rows): {listed}.",
                MeasurementWarning,
                stacklevel=3,
            )
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the measures, in column order.

        Parameters
        ----------
        input_features : None
            Ignored (a recording has no named input features).

        Returns
        -------
        names : ndarray of str
            For :meth:`set_output` (``"pandas"``) and ColumnTransformer; the
            same before and after :meth:`fit` (nothing is learnt).
        """
        return np.asarray(self._names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True  # one waveform per row
        tags.input_tags.string = True  # audio file paths
        tags.target_tags.required = False
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        tags.input_tags.allow_nan = False
        return tags


def _workers(n_jobs, n_items):
    return max(1, min(effective_n_jobs(n_jobs), n_items))


_COMMON = {
    "sr": [Interval(Integral, 1000, None, closed="left")],
    "pitch_floor": [Interval(Real, 0, None, closed="neither")],
    "pitch_ceiling": [Interval(Real, 0, None, closed="neither")],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


class DDKMeasures(_Measures):
    """Rate and regularity of a syllable-repetition (DDK) task, per recording.

    For diadochokinetic takes (/pa/, /ta/, /ka/ or /pataka/ repeated as fast
    and as regularly as possible), the syllables are detected from the
    loudness contour of the speech band (:func:`syllable_onsets`), and each
    recording is described by the measures below; F0 comes from Praat's
    "To Pitch..." over the detected vowels. Stateless: ``fit`` learns
    nothing. Needs the ``measures`` extra (praat-parselmouth).

    ======================  ===================  ===========================
    column                  unit                 what
    ======================  ===================  ===========================
    ``n_syllables``         count                syllables detected
    ``ddk_rate``            syllables/s          (count - 1) / (last onset -
                                                 first onset)
    ``ioi_mean``            s                    mean inter-onset interval
    ``ioi_sd``              s                    its standard deviation
    ``ioi_cv``              ratio                ``ioi_sd / ioi_mean``: the
                                                 rhythm's irregularity
    ``vowel_duration``      s                    mean vowel (syllable
                                                 nucleus) duration
    ``gap_duration``        s                    mean time from a vowel's end
                                                 to the next onset
    ``rate_slope``          syllables/s per s    change of the instantaneous
                                                 rate over the take (< 0:
                                                 slowing, fatigue)
    ``intensity_slope``     dB/s                 change of the syllables'
                                                 peak level (< 0: decline)
    ``f0_mean``, ``f0_sd``  Hz                   F0 over the vowels
    ======================  ===================  ===========================

    Parameters
    ----------
    sr : int, default=8000
        Analysis rate: the rate of bare waveforms; files and
        ``(waveform, rate)`` pairs are resampled to it.
    pitch_floor, pitch_ceiling : float, default=75.0, 600.0
        F0 range (Hz) of Praat's pitch analysis.
    max_ioi_cv : float, default=0.5
        A take whose inter-onset intervals vary more than this (coefficient
        of variation) is not a repetition: its rhythm measures are NaN and
        a warning names it. Healthy takes vary by about 0.05-0.1.
    n_jobs : int or None, default=None
        Recordings measured side by side in threads (joblib's convention).
    verbose : int, default=0
        If > 0, show a progress bar.

    Attributes
    ----------
    n_features_out_ : int
        Number of measures (11).

    See Also
    --------
    syllable_onsets : The detected onsets of one recording.
    VoiceMeasures : Praat's voice measures of sustained vowels.

    Notes
    -----
    Where a recording cannot be measured its row holds NaN, never a
    plausible-looking number, and one :class:`MeasurementWarning` names it:
    fewer than two syllables (only ``n_syllables`` is given), exactly two
    (no spread or slopes), no voicing in the vowels (no F0), or no regular
    repetition (``max_ioi_cv``). Put a ``SimpleImputer`` after it in a
    pipeline if your estimator does not take NaN.

    Examples
    --------
    >>> from skhyperdys.datasets import make_syllable_repetitions
    >>> from skhyperdys.measures import DDKMeasures
    >>> ds = make_syllable_repetitions(2, random_state=0)
    >>> ddk = DDKMeasures().set_output(transform="pandas").fit_transform(ds.data)
    >>> ddk[["n_syllables", "ddk_rate"]].round(1)
       n_syllables  ddk_rate
    0         21.0       6.5
    1         14.0       6.6
    """

    _names = DDK_FEATURE_NAMES
    _parameter_constraints = {
        **_COMMON,
        "max_ioi_cv": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        sr=8000,
        pitch_floor=75.0,
        pitch_ceiling=600.0,
        max_ioi_cv=MAX_IOI_CV,
        n_jobs=None,
        verbose=0,
    ):
        self.sr = sr
        self.pitch_floor = pitch_floor
        self.pitch_ceiling = pitch_ceiling
        self.max_ioi_cv = max_ioi_cv
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _measure(self, y):
        return ddk_measures(
            y,
            self.sr,
            pitch_floor=self.pitch_floor,
            pitch_ceiling=self.pitch_ceiling,
            max_ioi_cv=self.max_ioi_cv,
        )


class VoiceMeasures(_Measures):
    """Praat's voice measures of a sustained vowel, per recording.

    F0 statistics, jitter, shimmer, harmonics-to-noise ratio, smoothed
    cepstral peak prominence and formant means, each the number Praat's own
    command gives (through praat-parselmouth, with the settings of Praat's
    dialogues; the pitch range is a parameter). Stateless: ``fit`` learns
    nothing. Needs the ``measures`` extra.

    =============================  ======  ===================================
    column                         unit    Praat command
    =============================  ======  ===================================
    ``f0_mean``, ``f0_sd``         Hz      Pitch: Get mean / standard deviation
    ``f0_min``, ``f0_max``         Hz      Pitch: Get minimum / maximum
    ``jitter_local``               ratio   PointProcess: Get jitter (local)
    ``jitter_local_absolute``      s       ... (local, absolute)
    ``jitter_rap``, ``_ppq5``      ratio   ... (rap), (ppq5)
    ``shimmer_local``              ratio   Sound & PointProcess: Get shimmer
    ``shimmer_local_db``           dB      ... (local_dB)
    ``shimmer_apq3/5/11``          ratio   ... (apq3), (apq5), (apq11)
    ``hnr``                        dB      Harmonicity (cc): Get mean
    ``cpps``                       dB      PowerCepstrogram: Get CPPS
    ``f1_mean`` ... ``f3_mean``    Hz      Formant (burg): Get mean
    =============================  ======  ===================================

    Jitter and shimmer are fractions as Praat returns them (0.01 is the
    1 % Praat's voice report prints).

    Parameters
    ----------
    sr : int, default=8000
        Analysis rate: the rate of bare waveforms; files and
        ``(waveform, rate)`` pairs are resampled to it.
    pitch_floor, pitch_ceiling : float, default=75.0, 600.0
        F0 range (Hz): Praat's defaults; 50-300 suits men, 100-500 women.
    max_formant : float, default=5500.0
        Formant ceiling (Hz) of "To Formant (burg)...": Praat's default
        (women); 5000 for men. It cannot exceed what ``sr`` holds.
    n_jobs : int or None, default=None
        Recordings measured side by side in threads.
    verbose : int, default=0
        If > 0, show a progress bar.

    Attributes
    ----------
    n_features_out_ : int
        Number of measures (18).

    See Also
    --------
    DDKMeasures : Rate and regularity of repetition tasks.

    Notes
    -----
    An unvoiced recording (fewer than 6 glottal pulses) or one shorter than
    three periods of ``pitch_floor`` gets NaN in its whole row, and one
    :class:`MeasurementWarning` names it, as does any measure Praat leaves
    undefined.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.measures import VoiceMeasures
    >>> t = np.arange(8000) / 8000
    >>> vowel = np.sign(np.sin(2 * np.pi * 120 * t)) * np.hanning(8000)
    >>> voice = VoiceMeasures().set_output(transform="pandas").fit_transform([vowel])
    >>> round(float(voice["f0_mean"].iloc[0]))
    120
    """

    _names = VOICE_FEATURE_NAMES
    _parameter_constraints = {
        **_COMMON,
        "max_formant": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        sr=8000,
        pitch_floor=75.0,
        pitch_ceiling=600.0,
        max_formant=5500.0,
        n_jobs=None,
        verbose=0,
    ):
        self.sr = sr
        self.pitch_floor = pitch_floor
        self.pitch_ceiling = pitch_ceiling
        self.max_formant = max_formant
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _measure(self, y):
        return voice_measures(
            y,
            self.sr,
            pitch_floor=self.pitch_floor,
            pitch_ceiling=self.pitch_ceiling,
            max_formant=self.max_formant,
        )
