import socket
import threading
import time
import urllib.error

import numpy as np
import pytest
import torch
import torchvision
from conftest import small_classifier
from torch import nn
from torchvision.models import AlexNet_Weights, alexnet

from skhyperdys import BackboneFeatures, backbones
from skhyperdys.backbones import (
    BACKBONES,
    load_state_dict_file,
    make_backbone,
    min_image_side,
    torchvision_backbones,
)

# Output width of each tested model once its ImageNet classifier is removed.
WIDTHS = {
    "alexnet": 4096,
    "vgg16": 4096,
    "resnet18": 512,
    "resnet50": 2048,
    "efficientnet_b0": 1280,
    "mobilenet_v3_large": 1280,
    "convnext_tiny": 768,
}


@pytest.mark.parametrize("name", BACKBONES)
def test_every_tested_backbone_loses_its_last_layer(name):
    trunk, n_features, last = make_backbone(name)
    assert n_features == WIDTHS[name] and last == {}
    with torch.no_grad():
        out = trunk.eval()(torch.zeros(1, 3, 64, 64))
    assert out.shape == (1, WIDTHS[name])
    # the ImageNet classifier (1000 outputs) is gone
    assert not any(
        isinstance(m, nn.Linear) and m.out_features == 1000 for m in trunk.modules()
    )


def test_unknown_and_unsupported_names():
    with pytest.raises(ValueError, match="not a torchvision classification model"):
        make_backbone("resnet19")
    with pytest.raises(ValueError, match="not a torchvision classification model"):
        make_backbone("googlenet")  # auxiliary outputs while training
    with pytest.raises(TypeError, match="backbone must be"):
        make_backbone(3)
    assert set(BACKBONES) <= set(torchvision_backbones())


def test_own_module_is_copied_and_its_width_inferred():
    mine = nn.Sequential(nn.Conv2d(3, 5, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    trunk, n_features, _ = make_backbone(mine)
    assert n_features == 5 and trunk is not mine
    with_width = nn.Sequential(nn.Flatten(), nn.LazyLinear(7))
    with_width.out_features = 7
    assert make_backbone(with_width)[1] == 7
    with pytest.raises(ValueError, match=r"map images \(n, 3, H, W\) to features"):
        make_backbone(nn.Conv2d(3, 4, 3))  # 4-D output
    with pytest.raises(ValueError, match="needs a torchvision model name"):
        make_backbone(mine, weights="imagenet")


def test_loads_imagenet_layout_state_dict_from_file(tmp_path):
    reference = alexnet()
    path = tmp_path / "alexnet.pth"
    torch.save(reference.state_dict(), path)
    trunk, _, last = make_backbone("alexnet", weights=path)
    torch.testing.assert_close(trunk.features[0].weight, reference.features[0].weight)
    torch.testing.assert_close(
        trunk.classifier[4].weight, reference.classifier[4].weight
    )
    torch.testing.assert_close(last["weight"], reference.classifier[6].weight)


def test_resnet_weights_from_file(tmp_path):
    reference = torchvision.models.resnet18()
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    trunk, _, last = make_backbone("resnet18", weights=path)
    torch.testing.assert_close(
        trunk.layer4[1].conv2.weight, reference.layer4[1].conv2.weight
    )
    assert last["weight"].shape == (1000, 512)


def test_classifier_restores_its_own_embedding_layer_from_a_file(tmp_path):
    X = np.random.default_rng(0).standard_normal((8, 3, 64, 64)).astype(np.float32)
    clf = small_classifier(max_epochs=1).fit(X, [0, 1] * 4)
    backbone = clf.module_.embedder.backbone.state_dict()
    # an AlexNet state_dict whose last layer is this model's embedding layer
    layer = clf.module_.embedder.embedding.state_dict()
    backbone.update({f"classifier.6.{k}": v for k, v in layer.items()})
    path = tmp_path / "backbone.pt"
    torch.save(backbone, path)
    net = small_classifier(weights=path, classes=[0, 1])
    net.initialize()
    torch.testing.assert_close(
        net.module_.embedder.embedding.weight, clf.module_.embedder.embedding.weight
    )


def test_bad_weight_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        load_state_dict_file(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_text("junk")
    with pytest.raises(ValueError, match="could not load"):
        load_state_dict_file(junk)
    other = tmp_path / "other.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), other)
    with pytest.raises(ValueError, match="do not fit torchvision's alexnet"):
        make_backbone("alexnet", weights=other)
    with pytest.raises(ValueError, match="do not fit torchvision's resnet18"):
        make_backbone("resnet18", weights=_saved(alexnet(), tmp_path / "a.pt"))
    not_a_dict = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], not_a_dict)
    with pytest.raises(ValueError, match="does not hold a state_dict"):
        load_state_dict_file(not_a_dict)


def _saved(model, path):
    torch.save(model.state_dict(), path)
    return path


@pytest.mark.parametrize(
    "name, url",
    [
        ("alexnet", AlexNet_Weights.IMAGENET1K_V1.url),
        ("resnet18", torchvision.models.ResNet18_Weights.DEFAULT.url),
    ],
)
def test_imagenet_without_network_says_how_to_proceed(monkeypatch, name, url):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    weights = torchvision.models.get_model_weights(name).DEFAULT
    monkeypatch.setattr(type(weights), "get_state_dict", offline)
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        make_backbone(name, weights="imagenet")
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "weights=None" in message and url in message
    assert f"weights='/path/to/{name}.pth'" in message


def test_imagenet_weights_are_loaded(monkeypatch):
    reference = torchvision.models.resnet18()
    # online: the download server answers (this machine has no network)
    monkeypatch.setattr(backbones, "_check_reachable", lambda url: None)
    monkeypatch.setattr(
        type(torchvision.models.ResNet18_Weights.DEFAULT),
        "get_state_dict",
        lambda self, **kwargs: reference.state_dict(),
    )
    trunk, _, last = make_backbone("resnet18", weights="imagenet")
    torch.testing.assert_close(trunk.conv1.weight, reference.conv1.weight)
    torch.testing.assert_close(last["bias"], reference.fc.bias)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_large"])
def test_classifier_and_backbone_features_take_any_backbone(name):
    X = np.random.default_rng(0).standard_normal((8, 3, 64, 64)).astype(np.float32)
    y = [0, 1] * 4
    clf = small_classifier(backbone=name, max_epochs=1).fit(X, y)
    assert clf.module_.embedder.embedding.in_features == WIDTHS[name]
    features = BackboneFeatures(backbone=name, weights=None, random_state=0)
    out = features.fit_transform(X)["features"]
    assert out.shape == (8, WIDTHS[name])
    head = small_classifier(max_epochs=1).fit({"features": out}, y)
    assert head.module_.embedder.backbone is None
    assert head.predict({"features": out}).shape == (8,)


def test_classifier_takes_a_module_of_its_own():
    X = np.random.default_rng(0).standard_normal((8, 3, 64, 64)).astype(np.float32)
    mine = nn.Sequential(
        nn.Conv2d(3, 6, 5, stride=4), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    )
    clf = small_classifier(backbone=mine, max_epochs=1).fit(X, [0, 1] * 4)
    trunk = clf.module_.embedder.backbone
    assert trunk is not mine and isinstance(trunk[0], nn.Conv2d)
    assert clf.module_.embedder.embedding.in_features == 6
    # the user's module is left as it was (sklearn: fit never changes params)
    assert clf.backbone is mine
    before = mine[0].weight.detach().clone()
    clf.partial_fit(X, [0, 1] * 4)
    torch.testing.assert_close(mine[0].weight, before)


# --- the smallest image comes from the backbone, not from AlexNet --------------------


def test_smallest_image_is_the_backbones_own():
    rng = np.random.default_rng(0)
    small = rng.standard_normal((4, 3, 32, 32)).astype(np.float32)
    y = [0, 1] * 2
    # a module made for 32 x 32 images: a fixed-size linear layer at the end
    mine = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Flatten())
    clf = small_classifier(backbone=mine, max_epochs=1).fit(small, y)
    assert clf.module_.embedder.embedding.in_features == 4 * 32 * 32
    assert clf.predict(small).shape == (4,)
    assert small_classifier(backbone="resnet18", max_epochs=1).fit(small, y)
    features = BackboneFeatures(backbone="resnet18", weights=None).fit(small)
    assert features.transform(small)["features"].shape == (4, 512)
    # AlexNet's own limit, found by dry forward passes, named in the message
    with pytest.raises(
        ValueError, match="backbone alexnet: it takes images of at least 63x63"
    ):
        small_classifier().fit(small, y)
    with pytest.raises(ValueError, match="at least 63x63"):
        BackboneFeatures(weights=None).fit(small)
    # a module of one's own that needs 15 x 15 at least (a 4x4 and a 3x3
    # valid convolution around two 2x2 max-pools: 15 -> 12 -> 6 -> 3 -> 1)
    pooled = nn.Sequential(
        nn.Conv2d(3, 4, 4),
        nn.MaxPool2d(2),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3),
        nn.Flatten(),
    )
    assert min_image_side(pooled) == 15
    tiny = rng.standard_normal((4, 3, 12, 40)).astype(np.float32)
    with pytest.raises(
        ValueError,
        match="12x40 are too small for the backbone "
        "Sequential: it takes images of at least 15x15",
    ):
        small_classifier(backbone=pooled, max_epochs=1).fit(tiny, y)
    assert min_image_side(make_backbone("convnext_tiny")[0]) == 32


# --- offline: the error comes at once, not after a network timeout --------------------

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")


@pytest.fixture
def empty_hub(monkeypatch, tmp_path):
    """No cached weights, no proxy."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_imagenet_on_a_hanging_network_fails_quickly(monkeypatch, empty_hub):
    """A connection that never answers (a silent DNS server, a dropped SYN)."""
    release, attempts = threading.Event(), []

    def hang(address, *args, **kwargs):
        attempts.append(address)
        release.wait(60)  # far beyond the connect timeout
        raise OSError("released")

    def download(*args, **kwargs):
        raise AssertionError("no download may start when the server is unreachable")

    monkeypatch.setattr(socket, "create_connection", hang)
    monkeypatch.setattr(AlexNet_Weights, "get_state_dict", download)
    start = time.perf_counter()
    try:
        with pytest.raises(RuntimeError) as info:
            make_backbone("alexnet", weights="imagenet")
        elapsed = time.perf_counter() - start
    finally:
        release.set()
    assert attempts == [("download.pytorch.org", 443)]
    assert elapsed < backbones._CONNECT_TIMEOUT + 1.5
    assert backbones._CONNECT_TIMEOUT <= 3
    message = str(info.value)
    assert AlexNet_Weights.IMAGENET1K_V1.url in message and "weights=None" in message
    assert "TimeoutError" in message and "weights='/path/to/alexnet.pth'" in message


def test_cached_imagenet_weights_need_no_network(monkeypatch, empty_hub):
    reference = alexnet()
    cached = empty_hub / "checkpoints" / "alexnet-owt-7be5be79.pth"
    cached.parent.mkdir()
    torch.save(reference.state_dict(), cached)

    def no_network(*args, **kwargs):
        raise AssertionError("the cache needs no connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    trunk, _, _ = make_backbone("alexnet", weights="imagenet")
    torch.testing.assert_close(trunk.features[0].weight, reference.features[0].weight)


def test_weights_server_is_reached_through_the_proxy(monkeypatch, empty_hub):
    attempts = []

    def refuse(address, *args, **kwargs):
        attempts.append(address)
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("no_proxy", "")
    with pytest.raises(RuntimeError, match="ConnectionRefusedError"):
        make_backbone("alexnet", weights="imagenet")
    assert attempts == [("proxy.example", 3128)]
