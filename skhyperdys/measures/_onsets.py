"""The public view of the syllable detector: onsets of one recording."""

import numpy as np

from .._validation import check_waveform
from ._syllables import detect_syllables


def syllable_onsets(y, sr, *, return_details=False):
    """The syllable onsets of one repetition take, in seconds.

    The detector behind :class:`DDKMeasures`: syllables are peaks of the
    smoothed level of the speech band (150-4000 Hz) that stand 4 dB above
    the dips on both sides and 12 dB above the recording's noise floor, and
    are voiced (periodic at 60-500 Hz: bursts and frication are not); an
    onset is where the level, coming out of the dip before a peak, first
    climbs a quarter of the way up to it (the release burst).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        One waveform.
    sr : int
        Its sample rate in Hz.
    return_details : bool, default=False
        Also return the nuclei, vowel spans and levels.

    Returns
    -------
    onsets : ndarray of shape (n_syllables,)
        Onset times in seconds, in order.
    details : :class:`~sklearn.utils.Bunch`
        Only with ``return_details``: ``onsets``, ``nuclei``,
        ``vowel_starts``, ``vowel_ends`` (s), ``peak_db`` and ``floor_db``.

    Raises
    ------
    ValueError, TypeError
        If ``y`` is not a finite, non-empty 1-D waveform, or ``sr`` not a
        positive integer.

    Examples
    --------
    >>> from skhyperdys.datasets import make_syllable_repetitions
    >>> from skhyperdys.measures import syllable_onsets
    >>> ds = make_syllable_repetitions(1, return_onsets=True, random_state=0)
    >>> found = syllable_onsets(ds.data[0], ds.sr)
    >>> len(found) == len(ds.onsets[0])
    True
    """
    y = check_waveform(y, 0)
    if isinstance(y, tuple) or isinstance(y, str):
        raise TypeError("y must be one 1-D waveform (not a pair or a path).")
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr < 1:
        raise ValueError(f"sr must be a positive integer number of Hz, got {sr!r}.")
    details = detect_syllables(np.asarray(y), int(sr))
    return (details.onsets, details) if return_details else details.onsets
