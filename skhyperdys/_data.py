"""The training data as skorch sees it: whole batches, gathered at once.

skorch's default dataset returns one sample per ``__getitem__`` and the data
loader stacks them, a Python call and a copy per sample. :class:`BatchDataset`
implements ``__getitems__`` (torch's batched fetch): a batch is one gather
from the arrays, ``collate_batches`` passes it on as it is. On a CUDA device,
inputs that fit in a share of its free memory are copied there once per fit
(:func:`to_device_if_it_fits`), and batches are gathered on the device.
"""

import numpy as np
import torch
from torch.utils.data import default_collate

# Share of a GPU's free memory the training inputs may take to live there.
DEVICE_SHARE = 0.5


class _Batch(tuple):
    """A batch gathered whole: ``(X, y)``, which the collate step leaves as it is."""


class BatchDataset(torch.utils.data.Dataset):
    """Inputs (a dict of arrays or tensors) and labels, read a batch at a time.

    Parameters
    ----------
    X : dict of ndarray or torch.Tensor
        Each of the same length.
    y : ndarray or None
        Label codes; None at prediction (skorch's placeholder zeros then).
    """

    def __init__(self, X, y=None):
        self.X = X
        self.y = y
        self.n = len(next(iter(X.values())))

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        X, y = self.__getitems__([i])
        return {k: v[0] for k, v in X.items()}, y[0]

    def __getitems__(self, indices):
        index = np.asarray(indices, dtype=np.int64)
        X = {k: _gather(v, index) for k, v in self.X.items()}
        if self.y is None:
            y = torch.zeros(len(index), 1)  # skorch's placeholder, batched
        else:
            y = _gather(self.y, index)
        return _Batch((X, y))


def _gather(values, index):
    if isinstance(values, torch.Tensor):
        return values[torch.from_numpy(index).to(values.device)]
    return torch.from_numpy(np.ascontiguousarray(values[index]))


def collate_batches(batch):
    """A :class:`BatchDataset` batch as it is; anything else collated by torch."""
    return tuple(batch) if isinstance(batch, _Batch) else default_collate(batch)


def fits_on_device(n_bytes, free_bytes, share=DEVICE_SHARE):
    """Whether ``n_bytes`` of inputs may live in ``share`` of ``free_bytes``."""
    return n_bytes <= share * free_bytes


def to_device_if_it_fits(X, device):
    """The inputs as tensors on a CUDA ``device`` if they fit; else unchanged."""
    device = torch.device(device) if device is not None else None
    if device is None or device.type != "cuda" or not torch.cuda.is_available():
        return X
    n_bytes = sum(_nbytes(v) for v in X.values() if not _on(v, device))
    free, _ = torch.cuda.mem_get_info(device)
    if not fits_on_device(n_bytes, free):
        return X
    return {k: torch.as_tensor(np.asarray(v) if not isinstance(v, torch.Tensor)
                               else v).to(device) for k, v in X.items()}  # fmt: skip


def _nbytes(values):
    if isinstance(values, torch.Tensor):
        return values.numel() * values.element_size()
    return np.asarray(values).nbytes


def _on(values, device):
    return isinstance(values, torch.Tensor) and values.device == device
