"""Run-time caches stay out of pickles and model files, and do not go stale."""

import pickle

import numpy as np
from conftest import small_classifier

from skhyperdys import io
from skhyperdys._runtime import RUNTIME_KEY, runtime_of


def test_caches_are_dropped_from_pickles_and_rebuilt(tmp_path):
    rng = np.random.default_rng(0)
    X = {"features": rng.standard_normal((20, 16)).astype(np.float32)}
    clf = small_classifier().fit(X, [0, 1] * 10)
    clf.predict_proba(X)  # the dtype and novelty caches are made
    caches = runtime_of(clf)
    assert caches.dtype is not None and caches.novelty is not None
    assert caches.weights_version > 0  # bumped by every training step
    fresh = pickle.loads(pickle.dumps(clf))
    assert RUNTIME_KEY not in fresh.__dict__
    np.testing.assert_array_equal(fresh.predict_proba(X), clf.predict_proba(X))
    io.dump(clf, tmp_path / "model.skhd")
    assert b"RuntimeCaches" not in (tmp_path / "model.skhd").read_bytes()
    loaded = io.load(tmp_path / "model.skhd")
    assert runtime_of(loaded).novelty is None  # rebuilt on first use, not loaded
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert runtime_of(loaded).novelty is not None
