"""Input validation at the public boundary: clear errors that name the bad item."""

import numbers
import os

import librosa
import numpy as np
import scipy.sparse
import torch

from .audio import check_audio_path, load_audio


def _is_path(item):
    return isinstance(item, (str, os.PathLike))


def check_waveforms(X):
    """Validate a collection of recordings without reading any file.

    Parameters
    ----------
    X : sequence of recordings, 2-D numeric array, or one-column table
        The recordings: 1-D waveforms (taken to be at the transformer's
        ``sr``), ``(waveform, rate)`` pairs, or audio file paths; or a 2-D
        numeric array with one waveform per row; or a one-column DataFrame or
        ``(n, 1)`` object array of any of these (the form ColumnTransformer
        and BaggingClassifier hand over).

    Returns
    -------
    items : list
        One entry per recording: a validated 1-D floating-point ndarray, a
        ``(waveform, rate)`` tuple, or a path (str) to an existing file.

    Raises
    ------
    TypeError, ValueError, FileNotFoundError
        Naming the index of the first bad recording (a path that does not
        exist, is a directory or is an empty file; a waveform that is empty,
        not 1-D, not real or not finite).
    """
    if scipy.sparse.issparse(X):
        raise TypeError(
            "sparse input is not supported: X must be a sequence of dense 1-D "
            "waveforms or audio file paths."
        )
    if _is_path(X) or isinstance(X, (bytes, dict)):
        raise TypeError(
            "X must be a sequence of recordings (1-D waveforms or audio file "
            f"paths), got a single {type(X).__name__}; wrap one recording in a "
            "list: [x]."
        )
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):  # pandas
        X = X.to_numpy()
    elif hasattr(X, "__array__") and not isinstance(X, (np.ndarray, list, tuple)):
        X = np.asarray(X)
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype == object:
        if X.shape[1] == 1:
            X = X[:, 0]
        else:
            try:  # numbers in an object array: one waveform per row
                X = X.astype(np.float64)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"X is a table of shape {X.shape} holding non-numbers "
                    f"({err}); a table of recordings must have one column "
                    "(several tasks per subject: use MultiTaskImages)."
                ) from None
    if isinstance(X, np.ndarray):
        if X.ndim == 1 and X.dtype.kind in "biuf":
            raise ValueError(
                f"X is a 1-D numeric array of shape {X.shape}: that is one "
                "waveform, not a collection of them. Reshape your data: pass "
                "[y] for a single recording, or a 2-D array with one waveform "
                "per row."
            )
        if X.ndim not in (1, 2):
            raise ValueError(
                "X must be a sequence of 1-D waveforms or a 2-D array with one "
                f"waveform per row; got an array of shape {X.shape}."
            )
    elif not hasattr(X, "__len__") or not hasattr(X, "__getitem__"):
        raise TypeError(
            "X must be a sequence of recordings (list, tuple or array of 1-D "
            f"waveforms or audio file paths); got {type(X).__name__}."
        )
    if len(X) == 0:
        raise ValueError("X holds no recordings; at least one is required.")
    return [check_waveform(item, index) for index, item in enumerate(X)]


def _is_rate_pair(item):
    return (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[1], numbers.Integral)
        and not isinstance(item[1], bool)
        and np.ndim(item[0]) == 1
    )


def check_waveform(item, index):
    """Validate one recording; return a float ndarray, a pair or an existing path."""
    if _is_rate_pair(item):
        waveform, rate = item
        if rate < 1:
            raise ValueError(
                f"X[{index}] is a (waveform, rate) pair with rate={rate}; the "
                "sample rate must be a positive number of Hz."
            )
        return check_waveform(waveform, index), int(rate)
    if _is_path(item):
        try:
            return check_audio_path(item)
        except (FileNotFoundError, ValueError) as err:
            raise type(err)(f"X[{index}]: {err}") from None
    if item is None:
        raise TypeError(
            f"X[{index}] is None; expected a 1-D waveform or an audio file path."
        )
    if isinstance(item, torch.Tensor):
        item = item.detach().cpu().numpy()
    try:
        y = np.asarray(item)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"X[{index}] cannot be read as a numeric waveform ({err})."
        ) from None
    if y.dtype.kind == "O":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"X[{index}] holds non-numeric values ({err}); expected a 1-D "
                "array of real numbers or an audio file path."
            ) from None
    if y.dtype.kind == "c":
        raise ValueError(
            f"X[{index}] is complex: Complex data not supported; waveforms "
            "must be real."
        )
    if y.dtype.kind not in "iuf":
        raise TypeError(
            f"X[{index}] has dtype {y.dtype}; expected a 1-D array of real "
            "numbers (float or int) or an audio file path."
        )
    if y.ndim != 1:
        hint = (
            " Mix multi-channel audio to mono first (e.g. y.mean(axis=0))."
            if y.ndim == 2
            else ""
        )
        raise ValueError(
            f"X[{index}] has shape {y.shape}; expected a 1-D waveform.{hint}"
        )
    if y.size == 0:
        raise ValueError(f"X[{index}] is empty; a recording needs at least 1 sample.")
    if y.dtype.kind != "f":
        y = y.astype(np.float32)
    if not np.isfinite(y).all():
        n_bad = int(np.size(y) - np.isfinite(y).sum())
        raise ValueError(
            f"X[{index}] contains {n_bad} NaN or infinite sample(s); "
            "waveforms must be finite."
        )
    return y


def read_waveform(item, index, sr):
    """The waveform of a validated item at ``sr`` Hz.

    Files are read and resampled; ``(waveform, rate)`` pairs are resampled;
    bare waveforms are taken to be at ``sr`` already.
    """
    if isinstance(item, str):
        try:
            return load_audio(item, sr)
        except (FileNotFoundError, ValueError) as err:
            raise type(err)(f"X[{index}]: {err}") from None
    if isinstance(item, tuple):
        waveform, rate = item
        if rate == sr:
            return waveform
        resampled = librosa.resample(
            np.asarray(waveform, dtype=np.float32), orig_sr=rate, target_sr=sr
        )
        if resampled.size == 0:
            raise ValueError(
                f"X[{index}] holds {len(waveform)} sample(s) at {rate} Hz, none "
                f"left at {sr} Hz."
            )
        return resampled
    return item


def check_images(X, *, check_finite=True):
    """Validate feature images for the classifier; return a float32 array.

    float16 images stay float16 (they are cast batch by batch in the model,
    so a large float16 data set is never copied to float32 as a whole).

    Accepts ``(n, 3, H, W)`` (one image per sample) and ``(n, T, 3, H, W)``
    (one image per task, for fusion models).

    The smallest image a model takes depends on its backbone; the
    classifier checks that when it builds the model
    (:func:`skhyperdys.backbones.check_image_size`).

    ``check_finite=False`` leaves out the pass over every value that looks
    for NaN and infinity: for a caller that makes one pass of its own and
    calls :func:`check_finite_images` on what it finds (``fit`` does, with
    the novelty summaries).

    Raises
    ------
    TypeError, ValueError
        If X is not a finite numeric array of one of those shapes.
    """
    if scipy.sparse.issparse(X):
        raise TypeError("sparse input is not supported: X must be dense images.")
    if isinstance(X, torch.Tensor):
        return _check_image_tensor(X, check_finite)
    if isinstance(X, (list, tuple)) and X and _is_path(X[0]) or _is_path(X):
        raise TypeError(
            "HypernetClassifier takes feature images of shape (n, 3, H, W), "
            "not audio; put SpectrogramImages before it in a Pipeline."
        )
    try:
        X = np.asarray(X)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"X must be an array of shape (n_samples, 3, H, W); {err}"
        ) from None
    if X.dtype.kind not in "iuf":
        raise TypeError(
            f"X must be a numeric array of shape (n_samples, 3, H, W); got dtype "
            f"{X.dtype}."
        )
    _check_image_shape(X.shape)
    X = np.asarray(X, dtype=np.float16 if X.dtype == np.float16 else np.float32)
    if check_finite:
        check_finite_images(X)
    return X


def _check_image_tensor(X, check_finite):
    """:func:`check_images` for a torch tensor, kept on its device as it is.

    ``SpectrogramImages(output="torch", device="cuda")`` hands its images to
    the classifier this way: no copy to the host and back.
    """
    X = X.detach()
    if X.is_complex() or not (X.is_floating_point() or X.dtype in _INT_DTYPES):
        raise TypeError(
            f"X must be a numeric tensor of shape (n_samples, 3, H, W); got dtype "
            f"{X.dtype}."
        )
    _check_image_shape(tuple(X.shape))
    if X.dtype not in (torch.float16, torch.float32):
        X = X.float()
    if check_finite:
        check_finite_images(X)
    return X


def _check_image_shape(shape):
    """ValueError unless ``shape`` is (n, 3, H, W) or (n, T, 3, H, W), n, H, W >= 1."""
    ndim = len(shape)
    if ndim not in (4, 5) or shape[-3] != 3 or ndim == 5 and shape[1] < 1:
        raise ValueError(
            "X must be feature images of shape (n_samples, 3, H, W), as "
            "SpectrogramImages produces (or (n_samples, n_tasks, 3, H, W) from "
            "MultiTaskImages), feature vectors (n_samples, n_features) or a "
            f"stack of layers (n_samples, n_layers, n_features); got shape {shape}."
        )
    if shape[0] == 0:
        raise ValueError("X holds no samples; at least one is required.")
    if min(shape[-2:]) < 1:
        raise ValueError(f"X holds empty images of shape {shape}.")


_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def check_finite_images(X, rows=None):
    """Raise ValueError naming the samples (of ``rows``, or all) with NaN or inf.

    In blocks of samples: a memory-mapped corpus larger than memory is
    checked without a full-size boolean array.
    """
    rows = np.arange(len(X)) if rows is None else np.asarray(rows)
    for start in range(0, len(rows), _CHECK_BLOCK):
        index = rows[start : start + _CHECK_BLOCK]
        block = X[index[0] : index[-1] + 1][index - index[0]]
        if isinstance(block, torch.Tensor):
            finite = torch.isfinite(block).reshape(len(block), -1).all(dim=1)
            finite = finite.cpu().numpy()
        else:
            finite = np.isfinite(block).reshape(len(block), -1).all(axis=1)
        if not finite.all():
            bad = index[~finite]
            raise ValueError(
                f"X contains NaN or infinite values (samples {bad[:5].tolist()}...)."
            )


# Samples checked at once by check_images (64 images of 3x224x224: 38 MB).
_CHECK_BLOCK = 64


def check_int(value, name, minimum=1):
    """Raise unless ``value`` is an integer (not bool) >= ``minimum``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_choice(value, name, choices):
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")
    return value


def check_context(context, n_samples):
    """Validate per-sample context features; return a float32 array."""
    try:
        context = np.asarray(context, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise TypeError(f"context must be a numeric array: {err}") from None
    if context.ndim != 2 or len(context) != n_samples:
        raise ValueError(
            f"context must have shape (n_samples={n_samples}, n_features); got "
            f"{context.shape}."
        )
    if not np.isfinite(context).all():
        raise ValueError("context contains NaN or infinite values.")
    return context


def check_features(X, *, layers=False):
    """Validate feature vectors: (n, d) or (n, n_tasks, d); ``layers``: (n, L, d).

    Feature vectors are precomputed backbone features, a speech encoder's
    embeddings or any measures; a stack of layers is one vector per encoder
    layer (``SpeechEncoder(layer="all")``).
    """
    if scipy.sparse.issparse(X):
        raise TypeError("sparse input is not supported: X must be a dense array.")
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    try:
        X = np.asarray(X)
    except (TypeError, ValueError) as err:
        raise TypeError(f"features must be a numeric array; {err}") from None
    if X.dtype.kind not in "iuf":
        raise TypeError(f"features must be numeric; got dtype {X.dtype}.")
    if layers and X.ndim != 3:
        raise ValueError(
            "a stack of layers must have shape (n_samples, n_layers, n_features); "
            f"got {X.shape}."
        )
    if X.ndim not in (2, 3):
        raise ValueError(
            "features must have shape (n_samples, n_features) or (n_samples, "
            f"n_tasks, n_features); got {X.shape}."
        )
    if X.shape[-1] == 0 or X.shape[1] == 0:
        raise ValueError(f"X holds empty feature vectors of shape {X.shape}.")
    if X.shape[0] == 0:
        raise ValueError("X holds no samples; at least one is required.")
    X = np.asarray(X, dtype=np.float32)
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinite values.")
    return X
