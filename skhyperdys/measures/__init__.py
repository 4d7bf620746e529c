"""The measures a clinician reads: DDK rate and regularity, voice quality.

:class:`DDKMeasures` describes syllable-repetition takes (/pa/, /ta/, /ka/,
/pataka/): rate, regularity, durations, fatigue and F0. :class:`VoiceMeasures`
gives Praat's own F0, jitter, shimmer, HNR, CPPS and formant measures of
sustained vowels. Both are scikit-learn transformers that take recordings in
every form :class:`skhyperdys.SpectrogramImages` takes, and need the
``measures`` extra (``pip install 'skhyperdys[measures]'``: praat-parselmouth).
:func:`correlate_with_measures` asks whether a model's probabilities follow
a measure.
"""

from ._ddk import DDK_FEATURES
from ._estimators import DDKMeasures, MeasurementWarning, VoiceMeasures
from ._onsets import syllable_onsets
from ._relate import correlate_with_measures, group_differences
from ._voice import VOICE_FEATURES

__all__ = [
    "DDK_FEATURES",
    "DDKMeasures",
    "MeasurementWarning",
    "VOICE_FEATURES",
    "VoiceMeasures",
    "correlate_with_measures",
    "group_differences",
    "syllable_onsets",
]
