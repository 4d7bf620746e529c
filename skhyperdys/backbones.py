"""Image backbones: torchvision classification models without their last layer.

:func:`make_backbone` turns a torchvision model name (``"alexnet"``, the
paper's, ``"resnet18"``, ``"efficientnet_b0"``, ...) or a user's own
``nn.Module`` into a *trunk*: the network up to its last linear layer, which
maps images ``(n, 3, H, W)`` to feature vectors ``(n, n_features)``. The
classifier puts a new ``Linear(n_features, embed_dim)`` (the embedding) where
the model's own last layer was.
"""

import copy
import os
import socket
import threading
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlparse

import torch
from torch import nn

__all__ = [
    "BACKBONES",
    "check_image_size",
    "load_state_dict_file",
    "make_backbone",
    "min_image_side",
    "torchvision_backbones",
]

#: torchvision models the library is tested with (any other torchvision
#: classification model name works too; see :func:`torchvision_backbones`).
BACKBONES = (
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "efficientnet_b0",
    "mobilenet_v3_large",
    "convnext_tiny",
)

# Models whose forward returns auxiliary outputs while training.
_UNSUPPORTED = ("googlenet", "inception_v3")

# Seconds to wait for a connection to torchvision's weight server (name
# resolution included) before calling the machine offline.
_CONNECT_TIMEOUT = 3
# Seconds a started download may stall before giving up.
_DOWNLOAD_TIMEOUT = 20


def _models():
    """torchvision's model zoo, imported on first use (it takes over a second)."""
    import torchvision.models

    return torchvision.models


def torchvision_backbones():
    """Names of the torchvision classification models :func:`make_backbone` takes.

    Returns
    -------
    names : list of str
        Sorted model names, e.g. ``"alexnet"``, ``"resnet18"``, ``"vit_b_16"``.

    Examples
    --------
    >>> from skhyperdys.backbones import torchvision_backbones
    >>> {"alexnet", "resnet18", "convnext_tiny"} <= set(torchvision_backbones())
    True
    """
    models = _models()
    names = models.list_models(module=models)
    return sorted(set(names) - set(_UNSUPPORTED))


@contextmanager
def _socket_timeout(seconds):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _cached_file(url):
    """Where ``torch.hub.load_state_dict_from_url`` keeps the file of ``url``."""
    name = os.path.basename(urlparse(url).path)
    return os.path.join(torch.hub.get_dir(), "checkpoints", name)


def _check_reachable(url, timeout=_CONNECT_TIMEOUT):
    """Raise OSError unless a connection to ``url``'s server opens in time.

    The server is the proxy urllib would use for ``url``, if any. Name
    resolution has no timeout of its own (it can hang for tens of seconds
    when no DNS server answers), so the attempt runs in a daemon thread that
    is abandoned after ``timeout`` seconds.
    """
    parts = urlparse(url)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        proxy = urlparse(proxy if "://" in proxy else f"http://{proxy}")
        host, port = proxy.hostname, proxy.port or 80
    outcome = {}

    def connect():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome["ok"] = True
        except OSError as err:
            outcome["error"] = err

    thread = threading.Thread(target=connect, daemon=True, name="weights-probe")
    thread.start()
    thread.join(timeout)
    if not outcome.get("ok"):
        raise outcome.get("error") or TimeoutError(
            f"no connection to {host}:{port} within {timeout} s"
        )


def _imagenet_state_dict(name):
    """torchvision's ImageNet weights for model ``name`` (cache or download).

    Without the file in the torch hub cache, a connection to the download
    server is tried first, for at most ``_CONNECT_TIMEOUT`` seconds: offline,
    the error comes at once rather than after a network timeout.
    """
    weights = _models().get_model_weights(name).DEFAULT
    try:
        if not os.path.exists(_cached_file(weights.url)):
            _check_reachable(weights.url)
        with _socket_timeout(_DOWNLOAD_TIMEOUT):
            return weights.get_state_dict(progress=False)
    except OSError as err:  # URLError, socket.timeout, name resolution, ...
        hub = os.path.join(torch.hub.get_dir(), "checkpoints")
        raise RuntimeError(
            f"weights='imagenet' needs torchvision's pretrained {name} "
            f"({weights}), which is neither in the torch hub cache ({hub}) nor "
            f"downloadable here ({type(err).__name__}: {err}). Either download "
            f"{weights.url} on a machine with network access and put it in "
            f"{hub} (or pass its path: weights='/path/to/{name}.pth'), or train "
            "from random initialisation with weights=None."
        ) from None


def load_state_dict_file(path):
    """Read a ``state_dict`` saved with ``torch.save``, without unpickling code.

    Parameters
    ----------
    path : str or os.PathLike
        A file saved with ``torch.save(model.state_dict(), path)``.

    Returns
    -------
    state_dict : dict of str to Tensor
        Parameter names (e.g. ``"features.0.weight"``) and their values.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ValueError
        If the file is not a state_dict.

    Examples
    --------
    >>> import torch, tempfile, os
    >>> from torchvision.models import alexnet
    >>> from skhyperdys.backbones import load_state_dict_file
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "alexnet.pt")
    >>> torch.save(alexnet().state_dict(), path)
    >>> tuple(load_state_dict_file(path)["features.0.weight"].shape)
    (64, 3, 11, 11)
    >>> folder.cleanup()
    """
    path = os.fspath(path)
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


def _last_linear(model):
    """Name and module of the last ``nn.Linear`` of ``model`` (its classifier)."""
    found = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            found = name, module
    return found


def _replace(model, name, new):
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)


def _out_features(module, image_size=(224, 224)):
    """Width of ``module``'s output for one image of ``image_size`` (its features)."""
    width = getattr(module, "out_features", None)
    if isinstance(width, int):
        return width
    shape = (1, 3, *image_size)
    was_training = module.training
    try:
        with torch.no_grad():
            out = module.eval()(torch.zeros(shape))
    except Exception as err:
        raise ValueError(
            "a backbone module must map images (n, 3, H, W) to features (n, d); "
            f"calling it on a {shape} image failed: {err}"
        ) from None
    finally:
        module.train(was_training)
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        raise ValueError(
            "a backbone module must map images (n, 3, H, W) to features (n, d); "
            f"for {shape} it returned {type(out).__name__} of shape "
            f"{tuple(getattr(out, 'shape', ()))}. Give it an out_features "
            "attribute or end it with a flattening layer."
        )
    return out.shape[1]


def _accepts(trunk, side):
    """Whether ``trunk`` maps one ``side`` x ``side`` image to a feature vector."""
    try:
        with torch.no_grad():
            out = trunk(torch.zeros(1, 3, side, side))
    except (RuntimeError, ValueError):  # e.g. "Output size is too small"
        return False
    return isinstance(out, torch.Tensor) and out.ndim == 2 and out.shape[1] > 0


def min_image_side(trunk, *, largest=1024):
    """The smallest square image a trunk accepts, found by dry forward passes.

    Each pass runs one black image through the trunk in evaluation mode,
    without gradients (milliseconds for small sides); the side is found by
    doubling from 1 and then bisecting, assuming a trunk that accepts a side
    accepts every larger one (true of convolution and pooling stacks).

    Parameters
    ----------
    trunk : torch.nn.Module
        Maps ``(n, 3, H, W)`` images to ``(n, d)`` features, as
        :func:`make_backbone` returns.
    largest : int, default=1024
        The largest side tried.

    Returns
    -------
    side : int or None
        The smallest side ``s`` for which an ``s x s`` image goes through;
        None if not even ``largest`` does.

    Examples
    --------
    >>> from skhyperdys.backbones import make_backbone, min_image_side
    >>> min_image_side(make_backbone("alexnet")[0])  # 11x11 stride-4 conv, 3 pools
    63
    >>> min_image_side(make_backbone("resnet18")[0])
    1
    """
    was_training = trunk.training
    trunk.eval()
    try:
        low, high = 0, 1  # low fails (or is 0); high is tried next
        while not _accepts(trunk, high):
            if high >= largest:
                return None
            low, high = high, min(2 * high, largest)
        while high - low > 1:  # low fails, high works
            middle = (low + high) // 2
            if _accepts(trunk, middle):
                high = middle
            else:
                low = middle
        return high
    finally:
        trunk.train(was_training)


def check_image_size(trunk, image_size, name):
    """Raise ValueError unless ``trunk`` takes images of ``image_size`` (H, W).

    One dry forward pass of a black image of that size decides; only when it
    fails is the smallest accepted side searched (:func:`min_image_side`),
    for the message.

    Parameters
    ----------
    trunk : torch.nn.Module
        The backbone trunk.
    image_size : tuple of (int, int)
        ``(H, W)`` of the images.
    name : str
        How the message names the backbone.

    Returns
    -------
    None
        Nothing: the size fits when it returns.

    Raises
    ------
    ValueError
        If the trunk fails on such images; says the smallest square size it
        takes.

    Examples
    --------
    >>> from skhyperdys.backbones import check_image_size, make_backbone
    >>> check_image_size(make_backbone("alexnet")[0], (32, 64), "alexnet")
    Traceback (most recent call last):
        ...
    ValueError: images of 32x64 are too small for the backbone alexnet: it takes \
images of at least 63x63 (set SpectrogramImages(image_size=...)).
    """
    height, width = image_size
    was_training = trunk.training
    trunk.eval()
    try:
        with torch.no_grad():
            out = trunk(torch.zeros(1, 3, height, width))
        if isinstance(out, torch.Tensor) and out.ndim == 2 and out.shape[1] > 0:
            return
        error = f"it returned {type(out).__name__} of shape {tuple(out.shape)}"
    except (RuntimeError, ValueError) as err:
        error = str(err).strip().splitlines()[0]
    finally:
        trunk.train(was_training)
    side = min_image_side(trunk)
    if side is not None and side > min(height, width):
        raise ValueError(
            f"images of {height}x{width} are too small for the backbone {name}: it "
            f"takes images of at least {side}x{side} (set "
            "SpectrogramImages(image_size=...))."
        )
    raise ValueError(
        f"the backbone {name} cannot take images of {height}x{width}: {error}"
    )


def make_backbone(backbone="alexnet", weights=None, *, image_size=None):
    """Build an image trunk: a classification network without its last layer.

    Parameters
    ----------
    backbone : str or torch.nn.Module, default="alexnet"
        A torchvision classification model name (``"alexnet"``, the paper's;
        ``"resnet18"``, ``"resnet50"``, ``"efficientnet_b0"``,
        ``"mobilenet_v3_large"``, ``"convnext_tiny"``, ``"vgg16"``, or any
        other of :func:`torchvision_backbones`), whose last ``nn.Linear``
        (the ImageNet classifier) is replaced by ``nn.Identity``. Or a
        module of your own mapping images ``(n, 3, H, W)`` to features
        ``(n, d)``; it is copied, never changed, and used whole (its
        ``out_features`` attribute, or a trial forward pass at 224x224, gives
        ``d``).
    weights : None, "imagenet", str or os.PathLike, default=None
        ``None``: random initialisation (a module of your own: as it is).
        ``"imagenet"``: torchvision's ImageNet weights for that model (its
        ``DEFAULT`` weights, read from the torch hub cache or downloaded
        once). A path: a saved ``state_dict`` of the same architecture; the
        last layer in it may have any number of outputs (it is returned, not
        loaded).
    image_size : tuple of (int, int) or None, default=None
        ``(H, W)`` of the images the trunk will take: checked with one dry
        forward pass (:func:`check_image_size`), and used for the trial pass
        that measures a module of your own. None: not checked, and 224 x 224
        for the trial pass.

    Returns
    -------
    trunk : torch.nn.Module
        Maps ``(n, 3, H, W)`` images to ``(n, n_features)``.
    n_features : int
        The trunk's output width (4096 for AlexNet, 512 for ResNet-18).
    last_layer : dict of str to Tensor
        The ``weight`` and ``bias`` of the replaced last layer from the
        weights file (empty without a file or for a module of your own): a
        model saved by this library keeps its embedding layer there.

    Raises
    ------
    ValueError
        If the name is not a torchvision classification model, the weights
        do not fit it, a module of your own does not map images to feature
        vectors, or the trunk cannot take images of ``image_size``.
    TypeError
        If ``backbone`` is neither a name nor a module, or ``weights`` is
        neither None, ``"imagenet"`` nor a path.
    FileNotFoundError
        If ``weights`` is a path that does not exist.
    RuntimeError
        If ``weights="imagenet"`` and torchvision's weights are neither cached
        nor downloadable; the message says how to proceed offline.

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.backbones import make_backbone
    >>> trunk, n_features, _ = make_backbone("resnet18")
    >>> n_features, tuple(trunk.eval()(torch.zeros(2, 3, 64, 64)).shape)
    (512, (2, 512))

    A module of your own works as it is:

    >>> from torch import nn
    >>> mine = nn.Sequential(nn.Conv2d(3, 8, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    >>> make_backbone(mine)[1]
    8
    """
    if not (weights is None or isinstance(weights, (str, os.PathLike))):
        raise TypeError(
            "weights must be 'imagenet', None or a path to a saved state_dict; "
            f"got {type(weights).__name__}."
        )
    if isinstance(backbone, nn.Module):
        trunk = copy.deepcopy(backbone)
        if isinstance(weights, str) and weights == "imagenet":
            raise ValueError(
                "weights='imagenet' needs a torchvision model name as backbone; "
                "load your own module's weights before passing it, or pass a "
                "state_dict file as weights."
            )
        if weights is not None:
            _load_into(trunk, load_state_dict_file(weights), "your backbone module")
        if image_size is None:
            return trunk, _out_features(trunk), {}
        check_image_size(trunk, image_size, type(backbone).__name__)
        return trunk, _out_features(trunk, tuple(image_size)), {}
    if not isinstance(backbone, str):
        raise TypeError(
            "backbone must be a torchvision model name such as 'alexnet' or "
            f"'resnet18', or a torch.nn.Module; got {type(backbone).__name__}."
        )
    names = torchvision_backbones()
    if backbone not in names:
        raise ValueError(
            f"backbone={backbone!r} is not a torchvision classification model; "
            f"use one of {list(BACKBONES)} (or another of "
            "skhyperdys.backbones.torchvision_backbones()), or pass a module."
        )
    model = _models().get_model(backbone, weights=None)
    last_name, last = _last_linear(model)
    last_layer = {}
    if weights is not None:
        if isinstance(weights, str) and weights == "imagenet":
            state = dict(_imagenet_state_dict(backbone))
        else:
            state = dict(load_state_dict_file(weights))
        for key in ("weight", "bias"):
            value = state.pop(f"{last_name}.{key}", None)
            if value is not None:
                last_layer[key] = value
        model_state = {
            k: v for k, v in model.state_dict().items() if not k.startswith(last_name)
        }
        _load_into(model, state, f"torchvision's {backbone}", expected=model_state)
    _replace(model, last_name, nn.Identity())
    if image_size is not None:
        check_image_size(model, image_size, backbone)
    return model, last.in_features, last_layer


def _load_into(model, state, what, expected=None):
    """Load ``state`` into ``model``; a clear error if names or shapes differ."""
    expected = model.state_dict() if expected is None else expected
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        k for k in expected if k in state and state[k].shape != expected[k].shape
    ]
    if missing or unexpected or wrong:
        raise ValueError(
            f"the weights do not fit {what}: missing {missing[:4]}, unexpected "
            f"{unexpected[:4]}, wrong shape {wrong[:4]}."
        )
    model.load_state_dict(state, strict=False)
