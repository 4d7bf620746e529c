"""The torch parts: each defining behaviour of the method at forward() level."""

import numpy as np
import pytest
import torch
from torch import nn

from skhyperdys.backbones import make_backbone
from skhyperdys.modules import (
    ConcatFusion,
    DenseHead,
    Embedder,
    GatedMultimodalUnit,
    HyperLinear,
    HypernetHead,
    HypernetModule,
)


def test_weight_and_bias_are_the_documented_slices_of_h():
    # W = H(c)[:out*in].view(out, in), b = H(c)[out*in:]
    layer = HyperLinear(10, 3, context_dim=4, hidden=8)
    x, c = torch.randn(5, 10), torch.randn(5, 4)
    params = layer.hyper(c)  # (5, 3 * 10 + 3)
    weight = params[:, :30].reshape(5, 3, 10)
    bias = params[:, 30:]
    expected = torch.einsum("ni,noi->no", x, weight) + bias
    torch.testing.assert_close(layer(x, c), expected)
    generated_weight, generated_bias = layer.generate(c)
    torch.testing.assert_close(generated_weight, weight)
    torch.testing.assert_close(generated_bias, bias)


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


def test_training_draws_a_fresh_context_per_sample():
    torch.manual_seed(0)
    head = HypernetHead(6, 3, context_dim=4, hidden=8).train()
    same = torch.randn(1, 6).expand(8, -1)  # eight identical embeddings
    logits = head(same)
    # one context per sample: identical inputs get different classifiers
    assert len({tuple(row.tolist()) for row in logits}) == 8
    # and a new one at every step
    assert not torch.equal(head(same), logits)


def test_evaluation_uses_every_eval_context():
    head = HypernetHead(6, 3, context_dim=4, hidden=8, n_eval_contexts=5).eval()
    x = torch.randn(4, 6)
    members = [
        torch.softmax(head.linear(x, c.expand(4, -1)), dim=-1)
        for c in head.eval_contexts
    ]
    expected = torch.stack(members).mean(0)
    with torch.no_grad():
        torch.testing.assert_close(torch.softmax(head(x), -1), expected)
        member_proba = head.member_log_proba(x).exp()
    assert member_proba.shape == (4, 5, 3)
    torch.testing.assert_close(member_proba, torch.stack(members, dim=1))
    # and it is deterministic
    torch.testing.assert_close(head(x), head(x))


def test_eval_contexts_are_seeded():
    a, b, c = (HypernetHead(6, 2, context_dim=4, seed=s) for s in (1, 1, 2))
    torch.testing.assert_close(a.eval_contexts, b.eval_contexts)
    assert not torch.equal(a.eval_contexts, c.eval_contexts)
    assert a.eval_contexts.shape == (32, 4)


def test_data_contexts_are_standardised_with_the_stored_statistics():
    mean, std = torch.tensor([1.0, -2.0, 3.0]), torch.tensor([2.0, 0.5, 4.0])
    head = HypernetHead(
        6,
        2,
        context_dim=3,
        hidden=8,
        context="data",
        context_mean=mean,
        context_std=std,
    )
    x, raw = torch.randn(5, 6), torch.randn(5, 3) * 3 + 1
    expected = head.linear(x, (raw - mean) / std)
    for mode in (True, False):  # the same in training and evaluation
        head.train(mode)
        torch.testing.assert_close(head(x, raw), expected)
    with pytest.raises(ValueError, match="needs a context"):
        head(x)


def test_dense_head_ignores_the_context():
    head = DenseHead(6, 3)
    x = torch.randn(2, 6)
    torch.testing.assert_close(head(x), head(x, torch.randn(2, 9)))
    torch.testing.assert_close(head(x), head.linear(x))


def test_fusions_share_one_signature():
    x = torch.randn(5, 2, 8)
    for fusion in (GatedMultimodalUnit(2, 8), ConcatFusion(2, 8)):
        assert fusion(x).shape == (5, fusion.out_features)
    torch.testing.assert_close(ConcatFusion(2, 8)(x), torch.cat([x[:, 0], x[:, 1]], 1))


def test_gmu_gates_weigh_the_projected_inputs():
    torch.manual_seed(0)
    x = torch.randn(5, 3, 8)
    gmu = GatedMultimodalUnit(3, 8)
    projected = torch.stack(
        [torch.tanh(proj(x[:, t])) for t, proj in enumerate(gmu.projections)], 1
    )
    with torch.no_grad():
        gmu.gate.weight.zero_()
        gmu.gate.bias.zero_()  # equal gates: the mean of the three
        torch.testing.assert_close(gmu(x), projected.mean(dim=1))
        gmu.gate.bias.view(3, 8)[1] = 30.0  # the gate opens on task 1 alone
        torch.testing.assert_close(gmu(x), projected[:, 1])
        # a gate per dimension: task 0 for the first half, task 2 for the rest
        gmu.gate.bias.zero_()
        gmu.gate.bias.view(3, 8)[0, :4] = 30.0
        gmu.gate.bias.view(3, 8)[2, 4:] = 30.0
        expected = torch.cat([projected[:, 0, :4], projected[:, 2, 4:]], dim=1)
        torch.testing.assert_close(gmu(x), expected)


def _model(**head_params):
    trunk, n_features, _ = make_backbone("alexnet")
    return HypernetModule(
        Embedder(trunk, n_features, embed_dim=16, freeze_backbone=True),
        HypernetHead(16, 3, context_dim=4, hidden=8, **head_params),
    )


def test_forward_is_the_composition_of_the_parts():
    model = _model().eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        features = model.embedder.backbone(x)
        expected = model.head(model.embedder.embedding(features))
        torch.testing.assert_close(model(images=x), expected)
        torch.testing.assert_close(model(features=features), expected)


def test_several_tasks_need_a_fusion():
    embedder = Embedder(None, n_features=6, embed_dim=4)
    features = torch.randn(3, 2, 6)
    fused = HypernetModule(embedder, DenseHead(8, 2), fusion=ConcatFusion(2, 4))
    assert fused(features=features).shape == (3, 2)
    with pytest.raises(ValueError, match="no fusion module"):
        HypernetModule(embedder, DenseHead(4, 2))(features=features)


def test_a_head_of_ones_own_plugs_in():
    class Cosine(nn.Module):
        def __init__(self, in_features, n_classes):
            super().__init__()
            self.prototypes = nn.Parameter(torch.randn(n_classes, in_features))

        def forward(self, embedding, context=None):
            return (
                nn.functional.normalize(embedding, dim=1)
                @ nn.functional.normalize(self.prototypes, dim=1).T
            )

    model = HypernetModule(Embedder(None, 6, 4), Cosine(4, 3))
    assert model(features=torch.randn(5, 6)).shape == (5, 3)


def test_frozen_backbone_stays_fixed_and_in_eval():
    model = _model()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {
        "embedder.embedding.weight",
        "embedder.embedding.bias",
        "head.linear.hyper.0.weight",
        "head.linear.hyper.0.bias",
        "head.linear.hyper.2.weight",
        "head.linear.hyper.2.bias",
    }
    model.train()
    assert not model.embedder.backbone.features.training
    assert not model.embedder.backbone.classifier[0].training  # dropout off
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
