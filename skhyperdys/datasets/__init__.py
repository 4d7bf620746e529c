"""Data: the built-in synthetic recordings and the VOC-ALS loader."""

from ._planted import make_planted_cue
from ._synthetic import make_syllable_repetitions
from ._voc_als import (
    POPULATIONS,
    TARGETS,
    TASKS,
    load_voc_als,
    read_voc_als_metadata,
)

__all__ = [
    "POPULATIONS",
    "TARGETS",
    "TASKS",
    "load_voc_als",
    "make_planted_cue",
    "make_syllable_repetitions",
    "read_voc_als_metadata",
]
