"""Batched feature extraction in plain torch, matching librosa.

The same computation as :func:`skhyperdys.features.feature_stack`, for many
clips at once: the frames of all clips go through one FFT, one Mel matrix
product and one logarithm; deltas are one convolution over all clips, with
each clip's first and last frames refitted as scipy's ``savgol_filter(...,
mode="interp")`` (librosa's ``delta``) does. Only the small per-clip steps
(peak for ``top_db``, edge frames, resizing) loop over clips.

Matches librosa to about 1e-6 of each matrix's scale in float32 (tested at
1e-4). Runs on the CPU or a GPU (``device``).
"""

import librosa
import numpy as np
import scipy.fft
import torch
import torch.nn.functional as F
from scipy.signal import savgol_coeffs

from .features import DEFAULTS, FEATURES, pad_for_deltas, scale_image

__all__ = ["delta_operators", "feature_images", "feature_stacks"]


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
        Where to compute.
    **stack_params
        Passed to :func:`feature_stacks`.

    Returns
    -------
    images : ndarray of shape (n_clips, 3, height, width), float32
        The images, in the order of ``clips``.

    Raises
    ------
    ValueError
        If ``scaling`` is not one of
        :data:`~skhyperdys.features.SCALINGS`.

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
    stacks = feature_stacks(clips, sr, device=device, **stack_params)
    size = tuple(image_size)
    resized = (
        torch.cat(
            [
                F.interpolate(
                    s[None],
                    size=size,
                    mode="bilinear",
                    align_corners=False,
                    antialias=True,
                )
                for s in stacks
            ]
        )
        .cpu()
        .numpy()
    )
    return np.stack([scale_image(image, scaling) for image in resized])
