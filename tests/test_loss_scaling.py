"""float16 loss scaling goes through skorch's own hooks, not a copy of its step."""

import inspect

import numpy as np
import pytest
import torch
from conftest import GradientNorms, small_classifier
from skorch import NeuralNet

from skhyperdys._runtime import runtime_of


def test_skorch_hooks_we_override_keep_their_signatures():
    """If skorch renames or reshapes these hooks, the mixin must follow."""
    expected = {
        "train_step_single": ["self", "batch", "fit_params"],
        "_step_optimizer": ["self", "step_fn"],
        "get_loss": ["self", "y_pred", "y_true", "X", "training"],
    }
    for name, params in expected.items():
        assert list(inspect.signature(getattr(NeuralNet, name)).parameters) == params
    # ... and skorch's train_step still calls them (the mixin relies on it).
    source = inspect.getsource(NeuralNet.train_step)
    assert "self.train_step_single(" in source
    assert "self._step_optimizer(" in source


def test_callbacks_see_true_gradients_in_float16(monkeypatch):
    """Gradient callbacks (clipping) see unscaled gradients, flagged training."""
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_fp16_supported", lambda: True)
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 8)
    X = rng.standard_normal((16, 3, 64, 64)).astype(np.float32)
    norms = {}
    for precision in ("float32", "float16"):
        record = GradientNorms()
        clf = small_classifier(
            max_epochs=1, precision=precision, callbacks=[("record", record)]
        ).fit(X, y)
        assert [training for training, _ in record.seen] == [True] * len(record.seen)
        norms[precision] = record.seen[0][1]
    assert runtime_of(clf).grad_scaler.get_scale() > 1  # the loss was scaled
    # The first step's gradients, from the same weights: equal up to float16
    # rounding, not 65536 times larger.
    assert norms["float16"] == pytest.approx(norms["float32"], rel=0.1)
    # The history records the true loss, not the scaled one.
    assert clf.history[-1, "train_loss"] < 10
