"""Data: the built-in synthetic recordings (and, later, dataset loaders)."""

from ._synthetic import make_syllable_repetitions

__all__ = ["make_syllable_repetitions"]
