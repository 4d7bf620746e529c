"""Reduced precision and channels-last: correct numbers, clear fallbacks."""

import pickle

import numpy as np
import pytest
import torch
from conftest import small_classifier

from skhyperdys._precision import compute_dtype
from skhyperdys._runtime import runtime_of

BF16_CPU = torch.ops.mkldnn._is_mkldnn_bf16_supported()
needs_bf16 = pytest.mark.skipif(not BF16_CPU, reason="this CPU has no bfloat16 units")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 8)
    X = rng.standard_normal((16, 3, 64, 64)).astype(np.float32)
    X[:, :, :16, :16] += 2.0 * y[:, None, None, None]
    return X, y


@pytest.fixture(scope="module")
def float32_model(data):
    return small_classifier(max_epochs=2).fit(*data)


def test_float32_needs_no_cast():
    assert compute_dtype("float32", "cpu") is None


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_missing_hardware_falls_back_to_float32_with_a_message(
    monkeypatch, precision
):
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_fp16_supported", lambda: False)
    with pytest.warns(UserWarning, match="no fast path on this CPU.*float32"):
        assert compute_dtype(precision, "cpu") is None


def test_fallback_model_is_the_float32_model(monkeypatch, data, float32_model):
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    with pytest.warns(UserWarning, match="no fast path"):
        clf = small_classifier(max_epochs=2, precision="bfloat16").fit(*data)
    np.testing.assert_array_equal(
        clf.predict_proba(data[0]), float32_model.predict_proba(data[0])
    )


def test_unknown_precision_is_refused(data):
    with pytest.raises(ValueError, match="'precision' parameter"):
        small_classifier(precision="float64").fit(*data)


@needs_bf16
def test_bfloat16_training_and_prediction_agree_with_float32(data, float32_model):
    X, y = data
    clf = small_classifier(max_epochs=2, precision="bfloat16").fit(X, y)
    # Weights stay float32 (mixed precision), the history is real.
    assert all(p.dtype == torch.float32 for p in clf.module_.parameters())
    assert np.isfinite(clf.history[:, "train_loss"]).all()
    proba, reference = clf.predict_proba(X), float32_model.predict_proba(X)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, reference, atol=0.05)
    assert (proba.argmax(1) == reference.argmax(1)).mean() >= 0.9


@needs_bf16
def test_bfloat16_prediction_of_a_float32_model(data, float32_model):
    X, _ = data
    clf = pickle.loads(pickle.dumps(float32_model))
    reference = clf.predict_proba(X)
    clf.set_params(precision="bfloat16")
    proba = clf.predict_proba(X)
    assert not np.array_equal(proba, reference)  # really computed in bfloat16
    np.testing.assert_allclose(proba, reference, atol=0.02)
    np.testing.assert_array_equal(proba.argmax(1), reference.argmax(1))
    np.testing.assert_allclose(clf.predict_member_proba(X).mean(1), proba, atol=1e-5)
    # The fitted model itself is left in float32.
    assert all(p.dtype == torch.float32 for p in clf.module_.parameters())


@needs_bf16
def test_cast_copy_follows_the_weights(data, float32_model):
    X, y = data
    clf = pickle.loads(pickle.dumps(float32_model)).set_params(precision="bfloat16")
    before = clf.predict_proba(X)
    clf.partial_fit(X, y)  # changes the weights
    after = clf.predict_proba(X)
    assert not np.array_equal(before, after)
    fresh = pickle.loads(pickle.dumps(clf))  # no cache travels with a pickle
    assert "_runtime" not in fresh.__dict__
    np.testing.assert_array_equal(fresh.predict_proba(X), after)


def test_float16_trains_with_loss_scaling(monkeypatch, data):
    # This CPU has no float16 units; pretend it has, to run the code path.
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_fp16_supported", lambda: True)
    X, y = data
    clf = small_classifier(max_epochs=2, precision="float16").fit(X, y)
    scaler = runtime_of(clf).grad_scaler
    assert scaler.get_scale() > 1  # the loss was scaled
    # ... and the gradients unscaled again: the weights moved as far as in
    # float32 (same seed), not 65536 times less or more.
    initial = small_classifier(max_epochs=0).fit(X, y).module_.head.linear
    reference = small_classifier(max_epochs=2).fit(X, y).module_.head.linear
    for name, start in initial.state_dict().items():
        moved = clf.module_.head.linear.state_dict()[name] - start
        expected = reference.state_dict()[name] - start
        assert 0.5 < moved.norm() / expected.norm() < 2, name
    assert np.isfinite(clf.history[:, "train_loss"]).all()
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-3)


def test_channels_last_gives_the_same_model(data, float32_model):
    X, _ = data
    clf = small_classifier(max_epochs=2, channels_last=True).fit(*data)
    conv = clf.module_.embedder.backbone.features[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    np.testing.assert_allclose(
        clf.predict_proba(X), float32_model.predict_proba(X), atol=1e-4
    )


def test_channels_last_set_after_fitting_converts_the_weights(data, float32_model):
    X, _ = data
    clf = pickle.loads(pickle.dumps(float32_model))
    reference = clf.predict_proba(X)
    clf.set_params(channels_last=True)
    proba = clf.predict_proba(X)
    conv = clf.module_.embedder.backbone.features[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    np.testing.assert_allclose(proba, reference, atol=1e-5)
