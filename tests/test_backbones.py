import time
import urllib.error

import pytest
import torch
from torchvision.models import AlexNet_Weights, alexnet

from skhyperdys.backbones import alexnet_backbone, load_alexnet_state_dict


def test_random_backbone_outputs_embedding():
    net = alexnet_backbone(embed_dim=24).eval()
    assert net(torch.zeros(2, 3, 63, 63)).shape == (2, 24)


def test_loads_imagenet_layout_state_dict_from_file(tmp_path):
    reference = alexnet()
    path = tmp_path / "alexnet.pth"
    torch.save(reference.state_dict(), path)
    net = alexnet_backbone(embed_dim=768, weights=path)
    torch.testing.assert_close(net.features[0].weight, reference.features[0].weight)
    torch.testing.assert_close(net.classifier[4].weight, reference.classifier[4].weight)
    assert net.classifier[6].weight.shape == (768, 4096)


def test_loads_own_embedding_layer_when_shapes_match(tmp_path):
    saved = alexnet_backbone(embed_dim=32)
    path = tmp_path / "backbone.pt"
    torch.save(saved.state_dict(), path)
    net = alexnet_backbone(embed_dim=32, weights=str(path))
    torch.testing.assert_close(net.classifier[6].weight, saved.classifier[6].weight)


def test_bad_weight_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        load_alexnet_state_dict(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_text("junk")
    with pytest.raises(ValueError, match="could not load"):
        load_alexnet_state_dict(junk)
    other = tmp_path / "other.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), other)
    with pytest.raises(ValueError, match="do not fit torchvision's AlexNet"):
        alexnet_backbone(weights=other)
    not_a_dict = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], not_a_dict)
    with pytest.raises(ValueError, match="does not hold a state_dict"):
        load_alexnet_state_dict(not_a_dict)


def test_imagenet_without_network_says_how_to_proceed(monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(
        AlexNet_Weights.IMAGENET1K_V1.__class__, "get_state_dict", offline
    )
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        alexnet_backbone(weights="imagenet")
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "weights=None" in message
    assert AlexNet_Weights.IMAGENET1K_V1.url in message
    assert "weights='/path/to/alexnet.pth'" in message
