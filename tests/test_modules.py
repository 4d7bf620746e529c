import numpy as np
import pytest
import torch

from skhyperdys.modules import HyperLinear, HypernetModule


def test_hyperlinear_generates_weights_from_context():
    layer = HyperLinear(10, 3, context_dim=4, hidden=8)
    x, c = torch.randn(5, 10), torch.randn(5, 4)
    weight, bias = layer.generate(c)
    assert weight.shape == (5, 3, 10) and bias.shape == (5, 3)
    expected = torch.stack([weight[i] @ x[i] + bias[i] for i in range(5)])
    torch.testing.assert_close(layer(x, c), expected)


def test_generated_weights_start_at_linear_scale():
    torch.manual_seed(0)
    layer = HyperLinear(768, 2, context_dim=128, hidden=512)
    weight, bias = layer.generate(torch.randn(256, 128))
    # nn.Linear's default init has variance 1 / (3 * in_features)
    assert weight.var().item() == pytest.approx(1 / (3 * 768), rel=0.2)
    assert bias.std().item() < 0.1  # generated biases start small too


def test_ensemble_is_log_of_mean_probability():
    layer = HyperLinear(6, 3, context_dim=4, hidden=8)
    x, contexts = torch.randn(2, 6), torch.randn(7, 4)
    out = layer.forward_ensemble(x, contexts)
    probs = torch.stack(
        [torch.softmax(layer(x, c.expand(2, -1)), dim=-1) for c in contexts]
    ).mean(0)
    torch.testing.assert_close(torch.softmax(out, -1), probs)


def _model(**kw):
    return HypernetModule(
        n_classes=3, embed_dim=16, context_dim=4, hyper_hidden=8, **kw
    )


def test_eval_is_deterministic_training_is_noisy():
    torch.manual_seed(0)
    model = _model()
    x = torch.randn(2, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(x))
        assert model(x).shape == (2, 3)
    model.train()
    model.backbone.eval()  # take dropout out; only the context noise is left
    with torch.no_grad():
        assert not torch.allclose(
            model.head(model.embed(x), torch.randn(2, 4)),
            model.head(model.embed(x), torch.randn(2, 4)),
        )


def test_eval_contexts_are_seeded():
    a, b, c = _model(seed=1), _model(seed=1), _model(seed=2)
    torch.testing.assert_close(a.eval_contexts, b.eval_contexts)
    assert not torch.equal(a.eval_contexts, c.eval_contexts)
    assert a.eval_contexts.shape == (32, 4)


def test_freeze_backbone_keeps_pretrained_layers_fixed_and_in_eval():
    model = _model(freeze_backbone=True)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {
        "embedding.weight",
        "embedding.bias",
        "head.hyper.0.weight",
        "head.hyper.0.bias",
        "head.hyper.2.weight",
        "head.hyper.2.bias",
    }
    model.train()
    assert not model.backbone.features.training
    assert not model.backbone.classifier[0].training  # dropout off
    assert model.head.training


def test_state_dict_round_trip(tmp_path):
    model = _model(seed=3).eval()
    path = tmp_path / "m.pt"
    torch.save(model.state_dict(), path)
    other = _model(seed=4).eval()
    other.load_state_dict(torch.load(path, weights_only=True))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), other(x).numpy())
