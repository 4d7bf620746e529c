"""API contract checks that sklearn's common checks skip or cannot run here."""

import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
from conftest import small_classifier, small_transformer
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline

import skhyperdys
from skhyperdys import HypernetClassifier, SpectrogramImages

ESTIMATORS = [SpectrogramImages, HypernetClassifier]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_init_does_no_work(Estimator):
    est = Estimator(random_state=3) if Estimator is HypernetClassifier else Estimator()
    params = est.get_params(deep=False)
    fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    if Estimator is HypernetClassifier:
        # skorch's bookkeeping flags, set in its __init__: nothing is built
        assert set(fitted) == {"history_", "initialized_", "virtual_params_"}
        assert not est.initialized_ and not hasattr(est, "module_")
    else:
        assert fitted == []
    assert set(params) <= set(vars(est))


@pytest.mark.parametrize("make", [small_transformer, small_classifier])
def test_clone_and_params_round_trip(make):
    # deep=False: skorch's deep params hold freshly made default callbacks
    est = make()
    params = est.get_params(deep=False)
    copy = clone(est)
    assert copy is not est
    assert copy.get_params(deep=False) == params
    other = make().set_params(**params)
    assert other.get_params(deep=False) == params


def test_classifier_params_include_the_method_names():
    params = HypernetClassifier().get_params()
    for name in (
        "context_dim",
        "hyper_hidden",
        "embed_dim",
        "weights",
        "freeze_backbone",
        "random_state",
        "max_epochs",
        "lr",
        "batch_size",
        "optimizer",
        "device",
        "callbacks",
        "verbose",
    ):
        assert name in params
    assert params["context_dim"] == 128 and params["max_epochs"] == 30
    assert params["hyper_hidden"] == 512 and params["embed_dim"] == 768
    assert not any(name.startswith("_") for name in params)


def test_pipeline_parameter_names():
    pipe = Pipeline([("images", SpectrogramImages()), ("clf", HypernetClassifier())])
    pipe.set_params(clf__context_dim=32, images__n_mels=64)
    assert pipe.get_params()["clf__context_dim"] == 32
    made = make_pipeline(SpectrogramImages(), HypernetClassifier())
    made.set_params(hypernetclassifier__context_dim=256)
    assert made.named_steps["hypernetclassifier"].context_dim == 256
    grid = GridSearchCV(pipe, {"clf__context_dim": [32, 64, 128, 256]})
    assert grid.get_params()["estimator__clf__context_dim"] == 32


def test_fit_does_not_change_classifier_params(images, recordings):
    clf = small_classifier(max_epochs=1)
    before = joblib.hash(clf.get_params(deep=False))
    clf.fit(images, recordings.target)
    assert joblib.hash(clf.get_params(deep=False)) == before


@pytest.fixture(scope="module")
def fitted_pipeline(recordings):
    pipe = make_pipeline(small_transformer(), small_classifier())
    return pipe.fit(recordings.data, recordings.target)


def test_pickled_pipeline_predicts_identically(fitted_pipeline, recordings):
    expected = fitted_pipeline.predict_proba(recordings.data)
    restored = pickle.loads(pickle.dumps(fitted_pipeline))
    np.testing.assert_array_equal(restored.predict_proba(recordings.data), expected)


def test_joblib_dump_load(fitted_pipeline, recordings, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(fitted_pipeline, path)
    restored = joblib.load(path)
    np.testing.assert_array_equal(
        restored.predict(recordings.data), fitted_pipeline.predict(recordings.data)
    )
    assert restored.score(recordings.data, recordings.target) == pytest.approx(
        fitted_pipeline.score(recordings.data, recordings.target)
    )


def test_clone_of_fitted_is_unfitted(fitted_pipeline):
    copy = clone(fitted_pipeline)
    assert not hasattr(copy[-1], "module_")
    assert not copy[-1].initialized_


def test_predictions_do_not_depend_on_order_or_batch(fitted_pipeline, recordings):
    X = recordings.data
    proba = fitted_pipeline.predict_proba(X)
    order = np.random.default_rng(0).permutation(len(X))
    shuffled = fitted_pipeline.predict_proba([X[i] for i in order])
    np.testing.assert_allclose(shuffled, proba[order], rtol=1e-5, atol=1e-7)
    subset = fitted_pipeline.predict_proba(X[:5])
    np.testing.assert_allclose(subset, proba[:5], rtol=1e-5, atol=1e-7)


def test_the_package_imports_its_estimators_on_first_use():
    code = (
        "import sys, skhyperdys; print('torch' in sys.modules); "
        "print(skhyperdys.HypernetClassifier.__module__, 'HypernetClassifier' in "
        "dir(skhyperdys), 'torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "skhyperdys.classifier", "True", "True"]
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        skhyperdys.Nothing  # noqa: B018
