"""The AlexNet backbone and its pretrained weights."""

import os
import socket
from contextlib import contextmanager

import torch
from torch import nn
from torchvision.models import AlexNet_Weights, alexnet

__all__ = ["alexnet_backbone", "load_alexnet_state_dict"]

# Seconds to wait for torchvision's weight server before giving up.
_DOWNLOAD_TIMEOUT = 20


@contextmanager
def _socket_timeout(seconds):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _imagenet_state_dict():
    """torchvision's ImageNet AlexNet weights, from its cache or downloaded."""
    try:
        with _socket_timeout(_DOWNLOAD_TIMEOUT):
            return AlexNet_Weights.IMAGENET1K_V1.get_state_dict(progress=False)
    except OSError as err:  # URLError, socket.timeout, name resolution, ...
        hub = os.path.join(torch.hub.get_dir(), "checkpoints")
        raise RuntimeError(
            "weights='imagenet' needs torchvision's pretrained AlexNet, which is "
            f"neither in the torch hub cache ({hub}) nor downloadable here "
            f"({type(err).__name__}: {err}). Either download "
            f"{AlexNet_Weights.IMAGENET1K_V1.url} on a machine with network "
            f"access and put it in {hub} (or pass its path: weights='/path/to/"
            "alexnet.pth'), or train from random initialisation with "
            "weights=None."
        ) from None


def load_alexnet_state_dict(weights):
    """Load AlexNet weights as a state_dict.

    Parameters
    ----------
    weights : "imagenet" or str or os.PathLike
        ``"imagenet"``: torchvision's ``AlexNet_Weights.IMAGENET1K_V1``, read
        from the torch hub cache or downloaded once. A path: a file saved with
        ``torch.save(model.state_dict(), path)`` from a torchvision AlexNet
        (any size of final layer).

    Returns
    -------
    state_dict : dict of str to Tensor
        Parameter names (torchvision's, e.g. ``"features.0.weight"``) and
        their values.

    Raises
    ------
    RuntimeError
        If ``"imagenet"`` weights are not cached and cannot be downloaded; the
        message says how to proceed offline.
    FileNotFoundError
        If the path does not exist.
    ValueError
        If the file is not a state_dict.
    TypeError
        If ``weights`` is neither ``"imagenet"`` nor a path.

    Examples
    --------
    >>> import torch, tempfile, os
    >>> from torchvision.models import alexnet
    >>> from skhyperdys.backbones import load_alexnet_state_dict
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "alexnet.pt")
    >>> torch.save(alexnet().state_dict(), path)
    >>> state = load_alexnet_state_dict(path)
    >>> tuple(state["features.0.weight"].shape)
    (64, 3, 11, 11)
    >>> folder.cleanup()
    """
    if isinstance(weights, str) and weights == "imagenet":
        return _imagenet_state_dict()
    path = os.fspath(weights)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"weights file not found: {path!r}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle, zip and torch errors all mean "bad file"
        raise ValueError(
            f"could not load {path!r} as a torch state_dict: {err}"
        ) from None
    if not isinstance(state, dict) or not all(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        raise ValueError(
            f"{path!r} does not hold a state_dict (a dict of tensors); save one "
            "with torch.save(model.state_dict(), path)."
        )
    return state


def alexnet_backbone(embed_dim=768, weights=None):
    """Build a torchvision AlexNet whose last layer outputs an embedding.

    The final ``Linear(4096, 1000)`` is replaced by a freshly initialised
    ``Linear(4096, embed_dim)``; every other layer is torchvision's, with
    ``weights`` loaded into it. If ``weights`` holds a final layer of shape
    ``(embed_dim, 4096)`` (e.g. a backbone saved from this library), it is
    loaded too.

    Parameters
    ----------
    embed_dim : int, default=768
        Size of the embedding.
    weights : None, "imagenet", str or os.PathLike, default=None
        ``None``: random initialisation. Otherwise see
        :func:`load_alexnet_state_dict`.

    Returns
    -------
    backbone : torch.nn.Module
        Maps images ``(n, 3, H, W)`` (H, W >= 63) to embeddings
        ``(n, embed_dim)``.

    Raises
    ------
    ValueError
        If the weights do not fit AlexNet, or the file is not a state_dict.
    FileNotFoundError
        If ``weights`` is a path that does not exist.
    RuntimeError
        If ``weights="imagenet"`` and torchvision's weights are neither cached
        nor downloadable.

    See Also
    --------
    load_alexnet_state_dict : How ``weights`` are read.

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.backbones import alexnet_backbone
    >>> net = alexnet_backbone(embed_dim=16).eval()
    >>> tuple(net(torch.zeros(2, 3, 64, 64)).shape)
    (2, 16)
    """
    net = alexnet(weights=None)
    last = nn.Linear(net.classifier[-1].in_features, embed_dim)
    if weights is not None:
        state = dict(load_alexnet_state_dict(weights))
        head = {
            k: state.pop(k)
            for k in ("classifier.6.weight", "classifier.6.bias")
            if k in state
        }
        missing, unexpected = net.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.startswith("classifier.6.")]
        if missing or unexpected:
            raise ValueError(
                "the weights do not fit torchvision's AlexNet: "
                f"missing {missing[:4]}, unexpected {unexpected[:4]}."
            )
        if head and tuple(head["classifier.6.weight"].shape) == tuple(
            last.weight.shape
        ):
            last.load_state_dict(
                {
                    "weight": head["classifier.6.weight"],
                    "bias": head["classifier.6.bias"],
                }
            )
    net.classifier[-1] = last
    return net
