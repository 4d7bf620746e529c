"""Pure functions: chunks of long recordings and pooling over real frames.

An encoder turns a recording into one vector per frame (about 50 a second
for wav2vec 2.0); a recording's embedding is the mean (and standard
deviation) of its frames. Long recordings are encoded in chunks, and the
chunks' frames are pooled together, as if the recording were one piece:
each chunk contributes the sums :func:`frame_sums` returns, and
:func:`pool_sums` makes the statistics of their total.
"""

import math

import numpy as np

__all__ = ["POOLINGS", "chunk_bounds", "frame_sums", "pool_frames", "pool_sums"]

#: The ``pooling`` choices of :class:`~skhyperdys.encoders.SpeechEncoder`.
POOLINGS = ("mean", "mean_std")


def chunk_bounds(n_samples, max_samples):
    """Split ``n_samples`` into the fewest equal parts of at most ``max_samples``.

    Parameters
    ----------
    n_samples : int
        Length of the recording.
    max_samples : int
        Longest part allowed.

    Returns
    -------
    bounds : list of (int, int)
        ``(start, stop)`` of each part, in order, covering the recording;
        the parts differ in length by one sample at most.

    Examples
    --------
    >>> from skhyperdys.encoders._pooling import chunk_bounds
    >>> chunk_bounds(10, 4)
    [(0, 3), (3, 7), (7, 10)]
    >>> chunk_bounds(3, 4)
    [(0, 3)]
    """
    parts = max(1, math.ceil(n_samples / max_samples))
    edges = np.linspace(0, n_samples, parts + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def frame_sums(frames):
    """Sums over frames, for pooling across chunks: ``(count, sum, sum of squares)``.

    Parameters
    ----------
    frames : ndarray of shape (n_frames, ..., d)
        The frame vectors of one chunk (any leading layer axes after the
        first).

    Returns
    -------
    count : int
        ``n_frames``.
    total : ndarray of shape (..., d), float64
        The sum over frames.
    squares : ndarray of shape (..., d), float64
        The sum of squares over frames.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.encoders._pooling import frame_sums
    >>> frame_sums(np.array([[1.0], [3.0]]))
    (2, array([4.]), array([10.]))
    """
    frames = np.asarray(frames, dtype=np.float64)
    return len(frames), frames.sum(axis=0), np.square(frames).sum(axis=0)


def pool_sums(count, total, squares, pooling="mean"):
    """The mean (and standard deviation) of frames from their sums.

    Parameters
    ----------
    count : int
        Number of frames, at least 1.
    total, squares : ndarray of shape (..., d)
        Their sum and sum of squares (:func:`frame_sums`, added over chunks).
    pooling : {"mean", "mean_std"}, default="mean"
        ``"mean"``: the mean, ``(..., d)``. ``"mean_std"``: the mean and the
        (population) standard deviation side by side, ``(..., 2 * d)``.

    Returns
    -------
    pooled : ndarray of shape (..., d) or (..., 2 * d), float32
        The pooled vector(s).

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.encoders._pooling import pool_sums
    >>> pool_sums(2, np.array([4.0]), np.array([10.0]), "mean_std")
    array([2., 1.], dtype=float32)
    """
    mean = total / count
    if pooling == "mean":
        return mean.astype(np.float32)
    variance = np.maximum(squares / count - np.square(mean), 0.0)
    return np.concatenate([mean, np.sqrt(variance)], axis=-1).astype(np.float32)


def pool_frames(frames, pooling="mean"):
    """The mean (and standard deviation) of one recording's frame vectors.

    What :class:`~skhyperdys.encoders.SpeechEncoder` does to the real
    frames of each recording (padding excluded): the mean over frames, and
    with ``"mean_std"`` also the standard deviation (``ddof=0``),
    concatenated after it.

    Parameters
    ----------
    frames : array-like of shape (n_frames, ..., d)
        The frame vectors, frames first.
    pooling : {"mean", "mean_std"}, default="mean"
        What to compute.

    Returns
    -------
    pooled : ndarray of shape (..., d) or (..., 2 * d), float32
        The pooled vector(s).

    Raises
    ------
    ValueError
        If there are no frames, or ``pooling`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.encoders import pool_frames
    >>> frames = np.array([[0.0, 1.0], [2.0, 1.0]])
    >>> pool_frames(frames)
    array([1., 1.], dtype=float32)
    >>> pool_frames(frames, "mean_std")
    array([1., 1., 1., 0.], dtype=float32)
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
    frames = np.asarray(frames)
    if len(frames) == 0:
        raise ValueError("no frames to pool.")
    return pool_sums(*frame_sums(frames), pooling=pooling)
