"""Batched feature extraction, matching librosa.

The same computation as :func:`skhyperdys.features.feature_image`, for many
clips at once: the frames of all clips go through one FFT, one Mel matrix
product and one logarithm.

On the CPU (:func:`feature_images`, ``device="cpu"``) everything after the
logarithm is linear along each axis, so it is folded into two sparse matrices
per clip: along time, the two deltas (librosa's ``delta``: scipy's
``savgol_filter(..., mode="interp")``, edges refitted) followed by the
antialiased bilinear resize; along frequency, the resize. Both are built once
per clip length (cached) from :func:`delta_operators` and torch's own
resampling weights, so the images equal ``torch.nn.functional.interpolate``
of librosa's feature stack to float32 rounding. On a GPU the stacks are
computed in torch (:func:`feature_stacks`) and resized with ``interpolate``.

Matches librosa to about 1e-6 of each matrix's scale in float32 (tested at
1e-4).
"""

from functools import lru_cache

import librosa
import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.sparse
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

from .features import (
    DEFAULTS,
    FEATURES,
    FLAT_SPREAD,
    IMAGENET_MEAN,
    IMAGENET_STD,
    SCALINGS,
    pad_for_deltas,
)

__all__ = [
    "delta_matrix",
    "delta_operators",
    "feature_images",
    "feature_stacks",
    "resize_matrix",
]


def delta_operators(width, order):
    """Savitzky-Golay filters of librosa's ``delta(width, order)``.

    ``librosa.feature.delta(S, width=width, order=order)`` is scipy's
    ``savgol_filter(S, width, order, deriv=order, mode="interp")``: a
    correlation with one kernel away from the edges, and a polynomial fit to
    the first and last ``width`` frames near them. These are those operators,
    for applying the filter to many clips at once in torch.

    Parameters
    ----------
    width : int
        Number of frames of the fit, as librosa's ``width`` (odd, at least 3).
    order : int
        Order of the derivative (1: delta, 2: delta-delta), also the degree
        of the fitted polynomial; less than ``width``.

    Returns
    -------
    interior : ndarray of shape (width,)
        Correlation kernel for frames with ``width // 2`` neighbours each side.
    left, right : ndarray of shape (width // 2, width)
        Rows give the first and last ``width // 2`` outputs from the first and
        last ``width`` frames (polynomial fit, as ``mode="interp"``).

    Raises
    ------
    ValueError
        If ``order >= width`` (raised by ``scipy.signal.savgol_coeffs``).

    Examples
    --------
    >>> import librosa
    >>> import numpy as np
    >>> from skhyperdys.batched import delta_operators
    >>> interior, left, right = delta_operators(width=5, order=1)
    >>> interior.round(3)
    array([-0.2, -0.1,  0. ,  0.1,  0.2])
    >>> left.shape, right.shape
    ((2, 5), (2, 5))

    Together they give librosa's delta of a row of frames:

    >>> S = np.arange(10.0) ** 2
    >>> delta = np.concatenate(
    ...     [left @ S[:5], np.correlate(S, interior, "valid"), right @ S[-5:]])
    >>> np.allclose(delta, librosa.feature.delta(S, width=5, order=1))
    True
    """
    from scipy.signal import savgol_coeffs  # here: scipy.signal is slow to import

    half = width // 2
    interior = savgol_coeffs(width, order, deriv=order, use="dot")
    left = np.stack(
        [
            savgol_coeffs(width, order, deriv=order, pos=k, use="dot")
            for k in range(half)
        ]
    )
    right = np.stack(
        [
            savgol_coeffs(width, order, deriv=order, pos=k, use="dot")
            for k in range(width - half, width)
        ]
    )
    return interior, left, right


def delta_matrix(n_frames, width, order):
    """librosa's ``delta`` along time, as a sparse matrix.

    Parameters
    ----------
    n_frames : int
        Number of frames, at least ``width``.
    width, order : int
        As in :func:`delta_operators`.

    Returns
    -------
    D : scipy.sparse.csr_matrix of shape (n_frames, n_frames), float64
        ``S @ D.T`` is ``librosa.feature.delta(S, width=width, order=order)``
        for any ``S`` with ``n_frames`` columns.

    Examples
    --------
    >>> import librosa
    >>> import numpy as np
    >>> from skhyperdys.batched import delta_matrix
    >>> S = np.random.default_rng(0).standard_normal((4, 30))
    >>> D = delta_matrix(30, width=9, order=2)
    >>> np.allclose(S @ D.T, librosa.feature.delta(S, width=9, order=2))
    True
    """
    D = _banded([_delta_band(n_frames, width, order)], n_frames)
    D.eliminate_zeros()
    return D


def _delta_band(n_frames, width, order):
    """Band form of :func:`delta_matrix`: first column and weights of each row."""
    interior, left, right = _delta_operators(width, order)
    half = width // 2
    first = np.arange(n_frames) - half
    weights = np.tile(interior, (n_frames, 1))
    first[:half], weights[:half] = 0, left
    first[n_frames - half :], weights[n_frames - half :] = n_frames - width, right
    return first, weights


def _banded(bands, n_cols):
    """CSR matrix from the band form ``(first, weights)`` of consecutive rows.

    Row i of a band holds ``weights[i]`` at columns ``first[i]``,
    ``first[i] + 1``, ...; columns past the end only ever hold zeros.
    """
    firsts = [first[:, None] + np.arange(weights.shape[1]) for first, weights in bands]
    counts = np.concatenate([np.full(*w.shape) for _, w in bands])
    return scipy.sparse.csr_matrix(
        (np.concatenate([w.ravel() for _, w in bands]),
         np.minimum(np.concatenate([f.ravel() for f in firsts]), n_cols - 1),
         np.concatenate([[0], np.cumsum(counts)])),
        shape=(len(counts), n_cols),
    )  # fmt: skip


def _compose(outer, inner):
    """Band form of ``A @ B`` from the band forms of A and B."""
    first_a, weights_a = outer
    first_b, weights_b = inner
    n_rows, n_taps = weights_a.shape
    # Row i of A @ B: sum over taps k of weights_a[i, k] * row first_a[i] + k of B.
    taps = np.minimum(first_a[:, None] + np.arange(n_taps), len(first_b) - 1)
    base = first_b[taps[:, 0]]
    columns = np.arange(weights_b.shape[1])
    offsets = (first_b[taps] - base[:, None])[:, :, None] + columns
    width = offsets.max() + 1
    values = weights_a[:, :, None] * weights_b[taps]
    cells = (np.arange(n_rows)[:, None, None] * width + offsets).ravel()
    band = np.bincount(cells, weights=values.ravel(), minlength=n_rows * width)
    return base, band.reshape(n_rows, width)


@lru_cache(maxsize=16)
def _delta_operators(width, order):
    return delta_operators(width, order)


def resize_matrix(n_in, n_out):
    """torch's antialiased bilinear resampling along one axis, as a matrix.

    The weights of ``torch.nn.functional.interpolate(..., mode="bilinear",
    antialias=True, align_corners=False)``, which resamples each axis
    separately (PIL's algorithm): a triangle filter, widened by the scale
    when shrinking, normalised per output sample.

    Parameters
    ----------
    n_in, n_out : int
        Input and output lengths.

    Returns
    -------
    R : scipy.sparse.csr_matrix of shape (n_out, n_in), float64
        ``R @ x`` resamples ``x`` along its first axis.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> import torch.nn.functional as F
    >>> from skhyperdys.batched import resize_matrix
    >>> x = np.random.default_rng(0).standard_normal((20, 50))
    >>> by_torch = F.interpolate(torch.tensor(x)[None, None], size=(7, 90),
    ...                          mode="bilinear", antialias=True)[0, 0].numpy()
    >>> np.allclose(resize_matrix(20, 7) @ x @ resize_matrix(50, 90).T, by_torch)
    True
    """
    R = _banded([_resize_band(n_in, n_out)], n_in)
    R.eliminate_zeros()
    return R


def _resize_band(n_in, n_out):
    """Band form of :func:`resize_matrix`: first column and weights of each row."""
    scale = n_in / n_out
    support = max(scale, 1.0)
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    centre = scale * (np.arange(n_out) + 0.5)
    # Truncation towards zero, as torch's static_cast<int64_t>.
    first = np.maximum(np.trunc(centre - support + 0.5).astype(int), 0)
    last = np.minimum(np.trunc(centre + support + 0.5).astype(int), n_in)
    cols = first[:, None] + np.arange((last - first).max())
    weights = np.clip(1.0 - np.abs((cols - centre[:, None] + 0.5) * invscale), 0, None)
    weights[cols >= last[:, None]] = 0.0
    total = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, total, out=np.zeros_like(weights), where=total != 0)
    return first, weights


def _blocks(matrix, size=16):
    """Split a banded ``matrix`` (out, in) into dense blocks of ``size`` rows.

    Returns ``(first_row, end_row, first_column, end_column, block.T)`` for
    each group of rows, the block holding only the columns where the group is
    non-zero. :func:`_apply_blocks` multiplies by them: for a Mel filter bank
    or a resampling matrix, where each row is non-zero on a few neighbouring
    columns only, about half the time of the full matrix here, with the same
    result.
    """
    blocks = []
    for rows in np.array_split(np.arange(len(matrix)), max(1, len(matrix) // size)):
        columns = np.flatnonzero(matrix[rows].any(axis=0))
        lo, hi = (columns[0], columns[-1] + 1) if columns.size else (0, 0)
        block = np.ascontiguousarray(matrix[rows, lo:hi].T, dtype=np.float32)
        blocks.append((rows[0], rows[-1] + 1, lo, hi, block))
    return blocks


def _apply_blocks(X, blocks, n_out):
    """``X @ matrix.T`` from the :func:`_blocks` of ``matrix``."""
    out = np.zeros((len(X), n_out), dtype=np.float32)
    for first, end, lo, hi, block in blocks:
        if hi > lo:
            np.matmul(X[:, lo:hi], block, out=out[:, first:end])
    return out


@lru_cache(maxsize=16)
def _mel_blocks(sr, n_fft, n_mels, fmin, fmax):
    """librosa's Mel filter bank, as :func:`_blocks`."""
    return _blocks(
        librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    )


@lru_cache(maxsize=16)
def _frequency_blocks(n_bands, height):
    """Antialiased resize from ``n_bands`` to ``height`` rows, as :func:`_blocks`."""
    return _blocks(resize_matrix(n_bands, height).toarray())


@lru_cache(maxsize=16)
def _dct_matrix(n_mels, n_mfcc):
    dct = scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=0)[:n_mfcc]
    return dct.astype(np.float32)


def _spectral_cpu(clips, sr, features, n_mels, n_mfcc, n_fft, hop_length, fmin,
                  fmax, top_db, delta_width):  # fmt: skip
    """Every clip's log-Mel (or MFCC) frames, one below the other.

    Returns ``S`` of shape (total frames, n_bands) and each clip's number of
    frames: librosa's ``spectral_matrix`` of clip i, transposed, is
    ``S[start_i:start_i + lengths[i]]``.
    """
    window = librosa.filters.get_window("hann", n_fft, fftbins=True)
    window = window.astype(np.float32)
    padded = [
        np.pad(
            pad_for_deltas(np.asarray(y, np.float32), n_fft, hop_length, delta_width),
            n_fft // 2,  # center=True, pad_mode="constant"
        )
        for y in clips
    ]
    lengths = np.array([1 + (len(y) - n_fft) // hop_length for y in padded])
    frames = np.empty((lengths.sum(), n_fft), dtype=np.float32)
    start = 0
    for y, n in zip(padded, lengths, strict=True):
        view = sliding_window_view(y, n_fft)[::hop_length]
        np.multiply(view, window, out=frames[start : start + n])
        start += n
    spectrum = scipy.fft.rfft(frames, axis=1).view(np.float32)  # re, im, re, ...
    np.square(spectrum, out=spectrum)
    power = spectrum[:, 0::2] + spectrum[:, 1::2]
    S = _apply_blocks(power, _mel_blocks(sr, n_fft, n_mels, fmin, fmax), n_mels)
    np.maximum(S, 1e-10, out=S)  # librosa.power_to_db with ref=1, amin=1e-10
    np.log10(S, out=S)
    S *= 10.0
    if top_db is not None:
        starts = np.cumsum(lengths) - lengths
        floor = np.maximum.reduceat(S.max(axis=1), starts) - top_db
        np.maximum(S, np.repeat(floor, lengths)[:, None], out=S)
    if features == "mfcc":
        S = S @ _dct_matrix(n_mels, n_mfcc).T
    return S, lengths


@lru_cache(maxsize=256)
def _time_operator(n_frames, width, delta_width):
    """(3 * width, n_frames), float32: resize along time of S, delta, delta2.

    ``_time_operator(n, width, delta_width) @ S.T`` stacks the three
    channels of a clip's feature stack (``S`` of shape (bands, n)), each
    resized to ``width`` frames: the deltas and the resize, both linear along
    time, composed into one sparse matrix.
    """
    resize = _resize_band(n_frames, width)
    deltas = [_compose(resize, _delta_band(n_frames, delta_width, k)) for k in (1, 2)]
    return _banded([resize, *deltas], n_frames).astype(np.float32)


def _scale_into(out, images, scaling):
    """:func:`~skhyperdys.features.scale_image` of each image, written to ``out``.

    ``images`` may be any view (e.g. a transposed one); the scaled result
    is written in three passes, ``(x - shift) * factor + offset`` per channel,
    subtracting first as ``scale_image`` does so that no precision is lost
    to cancellation.
    """
    if scaling is None:
        out[...] = images
        return out
    if out.dtype != np.float32:  # e.g. float16: scale in float32, round once
        out[...] = _scale_into(np.empty(out.shape, np.float32), images, scaling)
        return out
    axes = (-2, -1)
    offset = np.float32(0.0)
    if scaling == "standard":
        shift = images.mean(axis=axes, keepdims=True)
        spread = np.sqrt(np.square(images - shift).mean(axis=axes, keepdims=True))
    elif scaling in ("minmax", "imagenet"):
        shift = images.min(axis=axes, keepdims=True)
        spread = images.max(axis=axes, keepdims=True) - shift
    else:
        raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}.")
    # A constant channel becomes zeros, as in scale_image.
    flat = spread <= FLAT_SPREAD
    factor = np.divide(1.0, spread, out=np.zeros_like(spread), where=~flat)
    if scaling == "imagenet":
        std = np.asarray(IMAGENET_STD, dtype=np.float32)[:, None, None]
        factor = factor / std
        offset = -np.asarray(IMAGENET_MEAN, dtype=np.float32)[:, None, None] / std
    np.subtract(images, shift, out=out)
    out *= factor
    out += offset
    return out


def _feature_images_cpu(
    clips,
    sr,
    *,
    image_size,
    scaling,
    out,
    features=DEFAULTS.features,
    n_mels=DEFAULTS.n_mels,
    n_mfcc=DEFAULTS.n_mfcc,
    n_fft=DEFAULTS.n_fft,
    hop_length=DEFAULTS.hop_length,
    fmin=DEFAULTS.fmin,
    fmax=DEFAULTS.fmax,
    top_db=DEFAULTS.top_db,
    delta_width=DEFAULTS.delta_width,
):
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, got {features!r}.")
    S, lengths = _spectral_cpu(clips, sr, features, n_mels, n_mfcc, n_fft,
                               hop_length, fmin, fmax, top_db, delta_width)  # fmt: skip
    height, width = image_size
    n_bands = S.shape[1]
    # Deltas and resize along time, clip by clip: (clips, 3, bands, width).
    along = np.empty((len(lengths), 3, n_bands, width), dtype=np.float32)
    start = 0
    for block, n in zip(along, lengths, strict=True):
        stack = _time_operator(int(n), width, delta_width) @ S[start : start + n]
        block[...] = stack.reshape(3, width, n_bands).transpose(0, 2, 1)
        start += n
    # Resize along frequency, all clips and channels at once, in place in
    # the output (or in a float32 array copied into a float16 or strided one).
    direct = out.dtype == np.float32 and out.flags.c_contiguous
    images = out if direct else np.empty(out.shape, np.float32)
    rows, target = along.reshape(-1, n_bands, width), images.reshape(-1, height, width)
    for first, end, lo, hi, block in _frequency_blocks(n_bands, height):
        if hi > lo:
            np.matmul(block.T, rows[:, lo:hi], out=target[:, first:end])
        else:
            target[:, first:end] = 0.0
    _scale_into(images, images, scaling)
    if images is not out:
        out[...] = images
    return out


def _deltas(S, lengths, width, order, device):
    """librosa.feature.delta of each clip's block of columns of S (bands, frames)."""
    interior, left, right = (
        torch.as_tensor(a, dtype=S.dtype, device=device)
        for a in delta_operators(width, order)
    )
    half = width // 2
    # Correlation with the interior kernel as `width` shifted multiply-adds:
    # much faster than conv1d for one channel of many rows.
    padded = F.pad(S, (half, half))
    n = S.shape[1]
    out = sum(interior[k] * padded[:, k : k + n] for k in range(width))
    start = 0
    for n in lengths:
        block = S[:, start : start + n]
        out[:, start : start + half] = block[:, :width] @ left.T
        out[:, start + n - half : start + n] = block[:, n - width :] @ right.T
        start += n
    return out


def feature_stacks(
    clips,
    sr,
    *,
    features=DEFAULTS.features,
    n_mels=DEFAULTS.n_mels,
    n_mfcc=DEFAULTS.n_mfcc,
    n_fft=DEFAULTS.n_fft,
    hop_length=DEFAULTS.hop_length,
    fmin=DEFAULTS.fmin,
    fmax=DEFAULTS.fmax,
    top_db=DEFAULTS.top_db,
    delta_width=DEFAULTS.delta_width,
    device="cpu",
):
    """:func:`~skhyperdys.features.feature_stack` of many clips at once.

    Parameters
    ----------
    clips : list of ndarray of shape (n_samples_i,)
        Waveforms, any lengths (short ones are zero-padded as in
        :func:`~skhyperdys.features.pad_for_deltas`).
    sr : int
        Sample rate in Hz.
    features : {"logmel", "mfcc"}, default="logmel"
        Log-Mel spectrogram in dB, or MFCCs computed from it; as in
        :func:`~skhyperdys.features.spectral_matrix`.
    n_mels : int, default=128
        Number of Mel bands.
    n_mfcc : int, default=40
        Number of cepstral coefficients (``features="mfcc"`` only).
    n_fft : int, default=512
        FFT window length in samples.
    hop_length : int, default=128
        Hop between frames in samples.
    fmin, fmax : float, default=0.0, None
        Frequency range of the Mel filter bank; ``fmax=None`` means ``sr / 2``.
    top_db : float or None, default=80.0
        Dynamic range kept below each clip's own peak, in dB; ``None`` keeps
        everything.
    delta_width : int, default=9
        Odd number of frames for the deltas, as in
        :func:`~skhyperdys.features.feature_stack`.
    device : str or torch.device, default="cpu"
        Where to compute.

    Returns
    -------
    stacks : list of torch.Tensor of shape (3, n_bands, n_frames_i), float32
        ``[S, delta(S), delta(S, order=2)]`` of each clip, in the order of
        ``clips``, on ``device``.

    Raises
    ------
    ValueError
        If ``features`` is not one of :data:`~skhyperdys.features.FEATURES`.

    See Also
    --------
    skhyperdys.features.feature_stack : The same for one clip, with librosa.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.batched import feature_stacks
    >>> rng = np.random.default_rng(0)
    >>> stacks = feature_stacks([rng.standard_normal(8000), rng.standard_normal(4000)],
    ...                         8000, n_mels=64)
    >>> [tuple(s.shape) for s in stacks]
    [(3, 64, 63), (3, 64, 32)]
    """
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, got {features!r}.")
    window = torch.hann_window(n_fft, periodic=True, device=device)
    frames, lengths = [], []
    for y in clips:
        y = pad_for_deltas(
            np.asarray(y, dtype=np.float32), n_fft, hop_length, delta_width
        )
        t = torch.as_tensor(y, device=device)
        t = F.pad(t, (n_fft // 2, n_fft // 2))  # center=True, pad_mode="constant"
        f = t.unfold(0, n_fft, hop_length)
        frames.append(f)
        lengths.append(f.shape[0])
    spectrum = torch.view_as_real(torch.fft.rfft(torch.cat(frames) * window))
    power = spectrum.pow(2).sum(-1)  # |X|^2, (frames, bins)
    mel_basis = librosa.filters.mel(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax
    )
    mel = torch.as_tensor(mel_basis, device=device) @ power.T  # (n_mels, frames)
    S = 10.0 * torch.log10(mel.clamp_min(1e-10))
    if top_db is not None:
        start = 0
        for n in lengths:
            block = S[:, start : start + n]
            block.clamp_(min=block.max() - top_db)
            start += n
    if features == "mfcc":
        dct = scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=0)[:n_mfcc]
        S = torch.as_tensor(dct, dtype=S.dtype, device=device) @ S
    d1 = _deltas(S, lengths, delta_width, 1, device)
    d2 = _deltas(S, lengths, delta_width, 2, device)
    stacked = torch.stack([S, d1, d2])
    return list(torch.split(stacked, lengths, dim=2))


def feature_images(
    clips,
    sr,
    *,
    image_size=DEFAULTS.image_size,
    scaling=DEFAULTS.scaling,
    device="cpu",
    out=None,
    **stack_params,
):
    """:func:`~skhyperdys.features.feature_image` of many clips at once.

    Parameters
    ----------
    clips : list of ndarray of shape (n_samples_i,)
        Waveforms.
    sr : int
        Sample rate in Hz.
    image_size : tuple of (int, int), default=(224, 224)
        Output ``(height, width)``.
    scaling : {"imagenet", "minmax", "standard"} or None, default="imagenet"
        See :func:`~skhyperdys.features.scale_image`.
    device : str or torch.device, default="cpu"
        Where to compute. On the CPU the work is done in numpy and scipy
        (see the module's description); elsewhere in torch.
    out : ndarray or torch.Tensor of shape (n_clips, 3, height, width), optional
        Where to write the images (float32, or float16: computed in float32,
        rounded once), e.g. a slice of a larger array or of a memory-mapped
        file; a new float32 array if None. A torch tensor on a non-CPU
        ``device`` is filled there, without a copy to the host.
    **stack_params
        Passed to :func:`feature_stacks`.

    Returns
    -------
    images : ndarray or torch.Tensor of shape (n_clips, 3, height, width)
        The images, in the order of ``clips``: ``out`` if given.

    Raises
    ------
    ValueError
        If ``scaling`` is not one of
        :data:`~skhyperdys.features.SCALINGS`, or ``features`` not one of
        :data:`~skhyperdys.features.FEATURES`.

    See Also
    --------
    skhyperdys.SpectrogramImages : The scikit-learn transformer using this.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.batched import feature_images
    >>> y = np.random.default_rng(0).standard_normal(8000)
    >>> feature_images([y, y[:100]], 8000, image_size=(64, 64)).shape
    (2, 3, 64, 64)
    """
    size = tuple(image_size)
    if out is None:
        out = np.empty((len(clips), 3, *size), dtype=np.float32)
    if torch.device(device).type == "cpu":
        return _feature_images_cpu(
            clips, sr, image_size=size, scaling=scaling, out=out, **stack_params
        )
    return _feature_images_torch(
        clips, sr, image_size=size, scaling=scaling, device=device, out=out,
        **stack_params,
    )  # fmt: skip


def _feature_images_torch(clips, sr, *, image_size, scaling, device, out, **params):
    """The GPU path of :func:`feature_images`: torch on ``device`` (any device)."""
    stacks = feature_stacks(clips, sr, device=device, **params)
    resized = torch.cat(
        [
            F.interpolate(
                s[None],
                size=image_size,
                mode="bilinear",
                align_corners=False,
                antialias=True,
            )
            for s in stacks
        ]
    )
    if isinstance(out, torch.Tensor):  # images stay on the device
        out.copy_(_scale_torch(resized.float(), scaling))
        return out
    return _scale_into(out, resized.cpu().numpy(), scaling)


def _scale_torch(images, scaling):
    """:func:`_scale_into`'s arithmetic in torch, where ``images`` are."""
    if scaling is None:
        return images
    axes = (-2, -1)
    offset = 0.0
    if scaling == "standard":
        shift = images.mean(dim=axes, keepdim=True)
        spread = (images - shift).square().mean(dim=axes, keepdim=True).sqrt()
    elif scaling in ("minmax", "imagenet"):
        shift = images.amin(dim=axes, keepdim=True)
        spread = images.amax(dim=axes, keepdim=True) - shift
    else:
        raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}.")
    # A constant channel becomes zeros, as in scale_image.
    flat = spread <= FLAT_SPREAD
    factor = torch.where(flat, torch.zeros_like(spread), 1.0 / spread)
    if scaling == "imagenet":
        std = torch.tensor(IMAGENET_STD, device=images.device)[:, None, None]
        mean = torch.tensor(IMAGENET_MEAN, device=images.device)[:, None, None]
        factor, offset = factor / std, -mean / std
    return (images - shift) * factor + offset
