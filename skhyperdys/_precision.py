"""Reduced precision and memory layout: what the hardware can do."""

import warnings

import torch

#: The ``precision`` choices of :class:`skhyperdys.HypernetClassifier`.
PRECISIONS = ("float32", "bfloat16", "float16")


def compute_dtype(precision, device):
    """The torch dtype to compute in, or None for float32.

    Falls back to float32, with a warning that says why, where the hardware
    has no fast path for the precision asked for: bfloat16 on a CPU without
    AVX512-BF16 or AMX, or a GPU older than Ampere; float16 on a CPU without
    AVX512-FP16 or AMX-FP16 (torch would emulate either, slower than
    float32).

    Parameters
    ----------
    precision : {"float32", "bfloat16", "float16"}
        Asked for.
    device : str or torch.device
        Where the model runs.

    Returns
    -------
    dtype : torch.dtype or None
        ``torch.bfloat16`` or ``torch.float16``; None for float32.

    Examples
    --------
    >>> from skhyperdys._precision import compute_dtype
    >>> compute_dtype("float32", "cpu") is None
    True
    """
    if precision == "float32":
        return None
    dtype = getattr(torch, precision)
    kind = torch.device(device).type
    if kind == "cuda":
        supported = dtype == torch.float16 or torch.cuda.is_bf16_supported()
        hardware = "this GPU (bfloat16 needs compute capability 8.0 or later)"
    elif kind == "cpu":
        check = (
            torch.ops.mkldnn._is_mkldnn_bf16_supported
            if dtype == torch.bfloat16
            else torch.ops.mkldnn._is_mkldnn_fp16_supported
        )
        supported = check()
        hardware = (
            "this CPU (bfloat16 needs AVX512-BF16 or AMX, float16 AVX512-FP16 or "
            "AMX-FP16)"
        )
    else:
        supported, hardware = True, None
    if not supported:
        warnings.warn(
            f"precision={precision!r} has no fast path on {hardware}: torch "
            "would emulate it, slower than float32. Computing in float32.",
            UserWarning,
            stacklevel=3,
        )
        return None
    return dtype
