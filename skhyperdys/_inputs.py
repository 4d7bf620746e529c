"""What the classifier's input holds, recorded once at fit and checked after."""

from dataclasses import dataclass

import numpy as np

from ._validation import check_context, check_features, check_images


@dataclass(frozen=True)
class InputSpec:
    """Description of a classifier's input.

    ``None`` in a field means "not known" (a model initialised without data)
    and matches anything.
    """

    kind: str  # "images", "features" or "layers"
    n_tasks: int = 1
    n_features: int | None = None  # width of feature vectors (and of each layer)
    image_size: tuple | None = None  # (H, W) of images
    context_width: int | None = None  # number of context features, or no context
    n_layers: int | None = None  # layers in a stack (kind "layers")

    def describe(self):
        """Plain words, e.g. '64x64 images, 2 tasks, with 88 context features'."""
        if self.kind == "images":
            size = "" if self.image_size is None else "{}x{} ".format(*self.image_size)
            text = f"{size}images"
        elif self.kind == "layers":
            width = "" if self.n_features is None else f" of {self.n_features}-wide"
            count = "" if self.n_layers is None else f"{self.n_layers}-layer "
            text = f"a {count}stack{width} features"
        else:
            width = "" if self.n_features is None else f"{self.n_features}-wide "
            text = f"{width}backbone features"
        if self.n_tasks > 1:
            text += f", {self.n_tasks} per sample (tasks)"
        if self.context_width is not None:
            text += f", with {self.context_width} context features"
        return text

    def check(self, other):
        """Raise ValueError unless ``other`` (from later input) matches."""
        fields = (
            "kind",
            "n_tasks",
            "n_features",
            "image_size",
            "context_width",
            "n_layers",
        )
        for name in fields:
            mine, theirs = getattr(self, name), getattr(other, name)
            if name != "context_width" and None in (mine, theirs):
                continue
            if mine != theirs:
                raise ValueError(
                    f"the model was fitted on {self.describe()}; X holds "
                    f"{other.describe()}."
                )


class CheckedInputs(dict):
    """Inputs that :func:`parse_input` and ``fit`` have checked whole.

    ``fit`` hands them on to skorch, whose ``get_dataset`` parses them
    again: the values need no second pass for NaN and infinity.
    """


def parse_input(X, *, needs_context, check_finite=True):
    """Validate classifier input; return ``(spec, inputs)``.

    ``inputs`` is the dict skorch hands to the module as keyword arguments:
    ``{"images": ...}``, ``{"features": ...}`` or ``{"layers": ...}``, plus
    ``"context"`` when the head uses data contexts (``needs_context``).

    A bare array is read by its number of dimensions: 4 or 5, images
    ``(n, [n_tasks,] 3, H, W)``; 2, feature vectors ``(n, d)`` (a speech
    encoder's embeddings, measures, any table of numbers); 3, a stack of
    layers ``(n, n_layers, d)`` (a speech encoder with ``layer="all"``).
    """
    if isinstance(X, CheckedInputs):
        check_finite = False
    if isinstance(X, dict):
        kinds = {"images", "features", "layers"} & set(X)
        unknown = set(X) - {"images", "features", "layers", "context"}
        if len(kinds) != 1 or unknown:
            raise ValueError(
                "a dict X must hold one of 'images', 'features' or 'layers' (and "
                f"'context'); got keys {sorted(X)}."
            )
        kind = kinds.pop()
        context = X.get("context")
        X = X[kind]
    else:
        kind, context = _kind_of(X), None
    if kind == "images":
        values = check_images(X, check_finite=check_finite)
    elif kind == "layers":
        values = check_features(X, layers=True)
    else:
        values = check_features(X)
    several_tasks = values.ndim == 5 or (kind == "features" and values.ndim == 3)
    n_tasks = values.shape[1] if several_tasks else 1
    inputs = {kind: values}
    context_width = None
    if needs_context:
        if context is None:
            raise ValueError(
                "context='data' needs X = {'images': ..., 'context': ...}; "
                "make it with ImagesAndContext in the pipeline."
            )
        inputs["context"] = check_context(context, len(values))
        context_width = inputs["context"].shape[1]
    spec = InputSpec(
        kind=kind,
        n_tasks=n_tasks,
        n_features=values.shape[-1] if kind != "images" else None,
        image_size=tuple(values.shape[-2:]) if kind == "images" else None,
        context_width=context_width,
        n_layers=values.shape[1] if kind == "layers" else None,
    )
    return spec, inputs


def _kind_of(X):
    """What a bare array holds, by its number of dimensions (see parse_input)."""
    ndim = getattr(X, "ndim", None)
    if ndim is None and not isinstance(X, (list, tuple)):
        return "images"  # check_images names what it got
    if ndim is None:
        try:
            ndim = np.ndim(X)
        except ValueError:  # ragged: let check_images say so
            return "images"
    return {2: "features", 3: "layers"}.get(ndim, "images")


# Side of the pooled grid a feature image is summarised on for novelty scores.
SUMMARY_GRID = 8


def summarise(inputs, rows=None):
    """One short vector per sample, for distances between inputs.

    Images are average-pooled to an 8x8 grid per channel (and task);
    feature vectors are used as they are, a stack of layers flattened.
    Measured on the built-in data (``skhyperdys.inspection``), distances
    between these summaries tell recordings from noise, silence and tones
    far better than distances between the model's embeddings.

    ``rows`` (sorted indices) summarises those samples only. Images are read
    a block at a time, so a memory-mapped corpus is never loaded whole.
    """
    import torch

    if "images" not in inputs:
        features = inputs.get("features", inputs.get("layers"))
        features = features if rows is None else features[rows]
        return features.reshape(len(features), -1).astype("float32")
    images = inputs["images"]
    starts = range(0, len(images) if rows is None else len(rows), 64)
    pooled = []
    for start in starts:
        if rows is None:  # a slice: a view, no copy of a float32 array
            block = images[start : start + 64]
        else:
            block = images[rows[start : start + 64]]
        if isinstance(block, torch.Tensor):  # pooled where it is (e.g. a GPU)
            block = block.float()
        else:
            block = torch.from_numpy(np.asarray(block, dtype=np.float32))
        flat = block.reshape(-1, *block.shape[-3:])
        grid = torch.nn.functional.adaptive_avg_pool2d(flat, SUMMARY_GRID)
        pooled.append(grid.reshape(len(block), -1).cpu().numpy())
    return np.concatenate(pooled)
