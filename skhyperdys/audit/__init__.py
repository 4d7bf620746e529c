"""Checks of a study's validity: is it speech, or the recording set-up?

:func:`nonspeech_control` asks whether the labels can be predicted from the
parts of the recordings where nobody speaks; :class:`SpeechOnly` keeps the
speech of each recording and can equalise the noise floor between classes in
training; :func:`subject_permutation_pvalue` and
:func:`subject_bootstrap_interval` give the statistics of a set of
out-of-fold predictions with subjects, not recordings, as the unit.
"""

from ._control import (
    ChannelConfoundWarning,
    default_control_estimator,
    equalise_noise,
    nonspeech_control,
)
from ._detection import detect_speech, nonspeech_clip, speech_parts
from ._features import LogMelStatistics, log_mel_statistics
from ._speech import SpeechOnly
from ._stats import subject_bootstrap_interval, subject_permutation_pvalue

__all__ = [
    "ChannelConfoundWarning",
    "LogMelStatistics",
    "SpeechOnly",
    "default_control_estimator",
    "detect_speech",
    "equalise_noise",
    "log_mel_statistics",
    "nonspeech_clip",
    "nonspeech_control",
    "speech_parts",
    "subject_bootstrap_interval",
    "subject_permutation_pvalue",
]
