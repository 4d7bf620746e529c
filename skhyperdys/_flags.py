"""Inputs a model was not built for: the one rule the API and the CLI share.

Three kinds of input are flagged, by :class:`~skhyperdys.SpectrogramImages`
(the first two: it sees the audio), by
:class:`~skhyperdys.HypernetClassifier` (the third: it knows its training
data), and by ``python -m skhyperdys predict`` (all three, in its ``flag``
column):

* silent or near-silent recordings: the loudest 20 ms frame below
  :data:`SILENCE_DBFS` (-60 dB relative to a full-scale 1.0; digital
  silence is -inf);
* recordings shorter than ``min_duration`` seconds
  (:data:`MIN_DURATION`, 0.25 s, by default), which the images stretch to
  their full width;
* inputs whose novelty (:class:`NoveltyReference`) is above the classifier's
  ``novelty_threshold_``: :data:`NOVELTY_FACTOR` times the
  :data:`NOVELTY_QUANTILE` quantile of the training inputs' own novelty,
  each left out of its own neighbours.

The API warns (:class:`UnusualInputWarning`) once per call, listing the
items; it still answers.
"""

import warnings

import numpy as np

# Loudest 20 ms frame below this level (dB re a full-scale 1.0): near-silent.
SILENCE_DBFS = -60.0
# Frame length of the level measurement, in seconds.
FRAME_SECONDS = 0.02
# Recordings shorter than this (s) are flagged, unless set otherwise.
MIN_DURATION = 0.25
# The novelty threshold: NOVELTY_FACTOR x this quantile of the training
# inputs' own (leave-one-out) novelty. Measured on the built-in data (10
# subject-wise folds, 64x64 and 224x224 images): no held-out recording of
# an unseen speaker above it (their maximum 1.75 against thresholds of
# 2.06-2.49), while digital silence (3.4-6.2), a pure tone (7.5-12.4), clips
# of 0.05 and 0.25 s (5.9-9.3), a recording at twice the rate it is read at
# (3.3-5.3) and brown noise (4.4-6.4) were all above it.
NOVELTY_QUANTILE = 0.99
NOVELTY_FACTOR = 1.5
# Neighbours averaged in a novelty score.
N_NEIGHBORS = 5
# Items named in one warning at most.
_LISTED = 10


class UnusualInputWarning(UserWarning):
    """An input unlike what the model was built for: its answer may mean little.

    Raised for silent or near-silent recordings, recordings shorter than
    ``min_duration``, and inputs far from the training data (high novelty).
    The prediction is still made. Filter it like any warning, e.g.
    ``warnings.simplefilter("ignore", UnusualInputWarning)``.

    Parameters
    ----------
    *args
        The message, as for any warning.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skhyperdys import SpectrogramImages
    >>> from skhyperdys.inspection import UnusualInputWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     images = SpectrogramImages(image_size=(64, 64)).transform([np.zeros(8000)])
    >>> caught[0].category is UnusualInputWarning
    True
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    SpectrogramImages: 1 of 1 inputs are unlike what the model was built for,
    and their answers may mean little: X[0]: silent (loudest 20 ms at -inf dBFS).
    """


def loudest_frame_dbfs(y, sr):
    """Level of the loudest 20 ms frame of ``y``, in dB re a full-scale 1.0.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform.
    sr : int
        Its sample rate.

    Returns
    -------
    level : float
        ``20 log10`` of the highest root-mean-square amplitude over
        non-overlapping 20 ms frames (the whole clip if shorter); ``-inf``
        for digital silence.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys._flags import loudest_frame_dbfs
    >>> round(loudest_frame_dbfs(np.full(8000, 0.1), 8000), 1)
    -20.0
    >>> loudest_frame_dbfs(np.zeros(8000), 8000)
    -inf
    """
    y = np.asarray(y, dtype=np.float64)
    frame = max(1, int(FRAME_SECONDS * sr))
    if len(y) <= frame:
        power = float(np.mean(y**2))
    else:
        n = len(y) // frame * frame
        power = float(np.mean(y[:n].reshape(-1, frame) ** 2, axis=1).max())
        power = max(power, float(np.mean(y[n:] ** 2)) if n < len(y) else 0.0)
    with np.errstate(divide="ignore"):
        return float(10 * np.log10(power))


def audio_reasons(y, sr, min_duration=MIN_DURATION):
    """Why a recording is not what a model is built for (empty if it is).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform, at ``sr``.
    sr : int
        Its sample rate.
    min_duration : float or None, default=0.25
        Shorter recordings (in seconds) are flagged; None: no minimum.

    Returns
    -------
    reasons : list of str
        E.g. ``["silent (loudest 20 ms at -inf dBFS)"]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys._flags import audio_reasons
    >>> audio_reasons(np.zeros(400), 8000)
    ['silent (loudest 20 ms at -inf dBFS)', 'short (0.050 s, under 0.25 s)']
    >>> audio_reasons(0.1 * np.ones(8000), 8000)
    []
    """
    reasons = []
    level = loudest_frame_dbfs(y, sr)
    if level == -np.inf:
        reasons.append("silent (loudest 20 ms at -inf dBFS)")
    elif level < SILENCE_DBFS:
        reasons.append(
            f"near-silent (loudest 20 ms at {level:.0f} dBFS, under "
            f"{SILENCE_DBFS:.0f} dBFS)"
        )
    seconds = len(y) / sr
    if min_duration is not None and seconds < min_duration:
        reasons.append(f"short ({seconds:.3f} s, under {min_duration:g} s)")
    return reasons


def _mean_neighbour_distance(reference, queries, k, leave_one_out=False):
    """Mean Euclidean distance of each query to its ``k`` nearest reference rows.

    Brute force in blocks of queries (a few milliseconds for 1,000 reference
    rows; a tree index gains nothing at these widths).
    """
    reference = np.asarray(reference, dtype=np.float64)
    squared = (reference**2).sum(axis=1)
    means = []
    for start in range(0, len(queries), 1024):
        block = np.asarray(queries[start : start + 1024], dtype=np.float64)
        d2 = (block**2).sum(axis=1)[:, None] + squared[None] - 2 * block @ reference.T
        if leave_one_out:  # the queries are the reference rows: skip each itself
            rows = np.arange(len(block))
            d2[rows, start + rows] = np.inf
        nearest = np.partition(d2, k - 1, axis=1)[:, :k]
        means.append(np.sqrt(np.clip(nearest, 0, None)).mean(axis=1))
    return np.concatenate(means) if means else np.zeros(0)


class NoveltyReference:
    """Training summaries and their own spacing, for novelty scores.

    The novelty of an input is the mean distance from its summary to the 5
    nearest reference rows, divided by the median of the same quantity for
    the reference rows themselves (each left out of its own neighbours):
    about 1 for inputs like the training data, larger for unlike ones.

    Made once per reference (the spacing costs a pass over all pairs of
    rows, about 60 ms for 1,000 of them); each score after that costs one
    distance per reference row.

    Parameters
    ----------
    reference : ndarray of shape (n_reference, d)
        Summaries of the training inputs.
    n_neighbors : int, default=5
        Neighbours averaged.

    Attributes
    ----------
    own : ndarray of shape (n_reference,)
        The novelty of each reference row, left out of its own neighbours.
    """

    def __init__(self, reference, n_neighbors=N_NEIGHBORS):
        self.reference = np.asarray(reference)
        self.k = max(1, min(n_neighbors, len(reference) - 1))
        own = _mean_neighbour_distance(reference, reference, self.k, True)
        scale = float(np.median(own))
        self.scale = scale if scale > 0 else 1.0
        self.own = own / self.scale

    def scores(self, summaries):
        """Novelty of each row of ``summaries`` (n, d): ndarray of shape (n,)."""
        distance = _mean_neighbour_distance(self.reference, summaries, self.k)
        return distance / self.scale

    def threshold(self):
        """The novelty above which an input is flagged (inf below 2 rows).

        ``NOVELTY_FACTOR`` (1.5) times the ``NOVELTY_QUANTILE`` (0.99)
        quantile of ``own``.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys._flags import NoveltyReference
        >>> reference = np.random.default_rng(0).standard_normal((200, 4))
        >>> novelty = NoveltyReference(reference)
        >>> round(novelty.threshold(), 2), float(np.median(novelty.own))
        (3.68, 1.0)
        >>> bool(novelty.scores(np.full((1, 4), 10.0))[0] > novelty.threshold())
        True
        """
        if len(self.reference) < 2:
            return float("inf")
        return float(NOVELTY_FACTOR * np.quantile(self.own, NOVELTY_QUANTILE))


def novelty_reasons(novelty, threshold):
    """Per input, ``[reason]`` if its novelty is above ``threshold``, else ``[]``.

    Examples
    --------
    >>> from skhyperdys._flags import novelty_reasons
    >>> novelty_reasons([15.2, 1.1], 2.3)
    [['far from the training data (novelty 15.2, above 2.3)'], []]
    """
    return [
        [f"far from the training data (novelty {value:.1f}, above {threshold:.1f})"]
        if value > threshold
        else []
        for value in novelty
    ]


def list_flagged(reasons):
    """How many items have reasons, and the first ``_LISTED`` of them as text.

    Parameters
    ----------
    reasons : list of list of str
        Per item (in the order of X), its reasons; empty lists for fine items.

    Returns
    -------
    n_flagged : int
        Items with at least one reason.
    listed : str
        ``"X[i]: reason, reason; ..."``, ending ``"; and N more"`` past
        ``_LISTED`` items.
    """
    flagged = [(i, r) for i, r in enumerate(reasons) if r]
    listed = "; ".join(f"X[{i}]: {', '.join(r)}" for i, r in flagged[:_LISTED])
    more = f"; and {len(flagged) - _LISTED} more" if len(flagged) > _LISTED else ""
    return len(flagged), listed + more


def warn_unusual(reasons, what, *, stacklevel=3):
    """One :class:`UnusualInputWarning` listing the flagged items, if any.

    Parameters
    ----------
    reasons : list of list of str
        Per item (in the order of X), its reasons; empty lists for fine items.
    what : str
        Who speaks, e.g. ``"SpectrogramImages"``.
    stacklevel : int, default=3
        As for :func:`warnings.warn`.
    """
    n_flagged, listed = list_flagged(reasons)
    if not n_flagged:
        return
    warnings.warn(
        f"{what}: {n_flagged} of {len(reasons)} inputs are unlike what the "
        f"model was built for, and their answers may mean little: {listed}.",
        UnusualInputWarning,
        stacklevel=stacklevel,
    )
