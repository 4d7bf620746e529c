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

    kind: str  # "images" or "features"
    n_tasks: int = 1
    n_features: int | None = None  # width of backbone features
    image_size: tuple | None = None  # (H, W) of images
    context_width: int | None = None  # number of context features, or no context

    def describe(self):
        """Plain words, e.g. '64x64 images, 2 tasks, with 88 context features'."""
        if self.kind == "images":
            size = "" if self.image_size is None else "{}x{} ".format(*self.image_size)
            text = f"{size}images"
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
        fields = ("kind", "n_tasks", "n_features", "image_size", "context_width")
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
    ``{"images": ...}`` or ``{"features": ...}``, plus ``"context"`` when the
    head uses data contexts (``needs_context``).
    """
    if isinstance(X, CheckedInputs):
        check_finite = False
    if isinstance(X, dict):
        kinds = {"images", "features"} & set(X)
        unknown = set(X) - {"images", "features", "context"}
        if len(kinds) != 1 or unknown:
            raise ValueError(
                "a dict X must hold 'images' or 'features' (and 'context'); "
                f"got keys {sorted(X)}."
            )
        kind = kinds.pop()
        values = (
            check_images(X[kind], check_finite=check_finite)
            if kind == "images"
            else check_features(X[kind])
        )
        context = X.get("context")
    else:
        kind, context = "images", None
        values = check_images(X, check_finite=check_finite)
    n_tasks = values.shape[1] if values.ndim in (3, 5) else 1
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
        n_features=values.shape[-1] if kind == "features" else None,
        image_size=tuple(values.shape[-2:]) if kind == "images" else None,
        context_width=context_width,
    )
    return spec, inputs


# Side of the pooled grid a feature image is summarised on for novelty scores.
SUMMARY_GRID = 8


def summarise(inputs, rows=None):
    """One short vector per sample, for distances between inputs.

    Images are average-pooled to an 8x8 grid per channel (and task);
    backbone features are used as they are. Measured on the built-in data
    (``skhyperdys.inspection``), distances between these summaries tell
    recordings from noise, silence and tones far better than distances
    between the model's embeddings.

    ``rows`` (sorted indices) summarises those samples only. Images are read
    a block at a time, so a memory-mapped corpus is never loaded whole.
    """
    import torch

    if "images" not in inputs:
        features = inputs["features"]
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
