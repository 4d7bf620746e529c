"""Praat, through praat-parselmouth (the optional ``measures`` extra)."""


def parselmouth():
    """The ``parselmouth`` module, or an ImportError that says how to get it."""
    try:
        import parselmouth as module
    except ImportError:  # pragma: no cover - the extra is installed in the tests
        raise ImportError(
            "the clinical measures run Praat through praat-parselmouth, which is "
            "not installed: pip install 'skhyperdys[measures]'."
        ) from None
    return module


def praat_sound(y, sr):
    """A Praat Sound of a float waveform at ``sr`` Hz."""
    import numpy as np

    return parselmouth().Sound(np.asarray(y, dtype=np.float64), float(sr))


def call(*args):
    """``parselmouth.praat.call``: one Praat command."""
    return parselmouth().praat.call(*args)
