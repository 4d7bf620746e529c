"""Model files: skhyperdys.io.dump / load (safetensors weights, JSON settings)."""

import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from conftest import small_classifier, small_transformer
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from skorch.callbacks import Checkpoint, EarlyStopping, EpochScoring
from skorch.dataset import ValidSplit
from torch import nn

from skhyperdys import (
    BackboneFeatures,
    ImagesAndContext,
    MultiTaskImages,
    SpectrogramImages,
)
from skhyperdys.io import (
    FORMAT_VERSION,
    ModelVersionWarning,
    _sample_rate,
    dump,
    load,
    read_metadata,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETTINGS = "skhyperdys.model"
VERSION = "skhyperdys.format_version"


def _features(n=16, shape=(16,), seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape)).astype("float32")


@pytest.fixture(scope="module")
def models(recordings, tmp_path_factory):
    """Fitted models of each kind, their inputs, and their files."""
    folder = tmp_path_factory.mktemp("models")
    labels = np.array(["ALS", "HC"] * 8)

    X_plain = {"features": _features()}
    plain = small_classifier(
        class_weight="balanced",
        callbacks=[EarlyStopping(monitor="train_loss", patience=3)],
        train_split=ValidSplit(2, stratified=True),
        weights="imagenet",  # unused on features; must survive without download
    ).fit(X_plain, labels)

    X_context = {
        "features": _features(shape=(2, 16), seed=1),
        "context": _features(shape=(5,), seed=2),
    }
    context = small_classifier(
        context="data", class_weight={0: 2.0, 1: 1.0}, n_eval_contexts=4
    ).fit(X_context, [0, 1] * 8)

    audio = Pipeline(
        [("images", small_transformer()), ("clf", small_classifier(max_epochs=1))]
    ).fit(recordings.data, recordings.target)
    # A weights file used when fitting and gone since: loading must not read it.
    audio[-1].weights = str(folder / "gone" / "alexnet.pth")

    rows = list(zip(recordings.data[:12], recordings.data[12:24], strict=True))
    tasks = Pipeline(
        [
            ("images", MultiTaskImages(small_transformer())),
            (
                "backbone",
                BackboneFeatures(
                    weights=None, backbone="mobilenet_v3_small", random_state=0
                ),
            ),
            ("clf", small_classifier(fusion="concat", max_epochs=1)),
        ]
    ).fit(rows, recordings.target[:12])

    out = {}
    for name, model, X in [
        ("plain", plain, X_plain),
        ("context", context, X_context),
        ("audio", audio, recordings.data),
        ("tasks", tasks, rows),
    ]:
        path = folder / f"{name}.safetensors"
        dump(model, path)
        out[name] = (model, X, path)
    return out


def _edit(source, target, edit):
    """Copy a model file, changing its settings with ``edit(settings, header)``."""
    with safe_open(source, framework="pt") as handle:
        header = dict(handle.metadata())
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    settings = json.loads(header[SETTINGS])
    tensors = edit(settings, header) or tensors
    header[SETTINGS] = json.dumps(settings)
    save_file(tensors, target, metadata=header)
    return target


# --- round trips ---------------------------------------------------------------


def test_fresh_process_predicts_identically_and_unpickles_nothing(models, tmp_path):
    inputs = tmp_path / "inputs.pkl"
    with open(inputs, "wb") as file:  # the test's own data, not the models
        pickle.dump({name: X for name, (_, X, _) in models.items()}, file)
    paths = {name: str(path) for name, (_, _, path) in models.items()}
    script = textwrap.dedent(
        f"""
        import pickle, warnings
        import numpy as np, torch
        from skhyperdys.io import load
        with open({str(inputs)!r}, "rb") as file:
            inputs = pickle.load(file)

        def forbidden(*args, **kwargs):
            raise AssertionError("a model file must load without unpickling")

        pickle.load = pickle.loads = torch.load = forbidden
        warnings.simplefilter("error")  # same versions: no warning either
        probas = {{}}
        for name, path in {paths!r}.items():
            probas[name] = load(path).predict_proba(inputs[name])
        np.savez({str(tmp_path / "proba.npz")!r}, **probas)
        """
    )
    env = {**os.environ, "PYTHONPATH": REPO}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    probas = np.load(tmp_path / "proba.npz")
    for name, (model, X, _) in models.items():
        np.testing.assert_array_equal(probas[name], model.predict_proba(X), name)


def _public_fitted(estimator):
    return sorted(k for k in vars(estimator) if k.endswith("_") and k[0] != "_")


def _steps(model):
    return model.steps if isinstance(model, Pipeline) else [(None, model)]


@pytest.mark.parametrize("name", ["plain", "context", "audio", "tasks"])
def test_settings_and_fitted_state_round_trip(models, name):
    from skhyperdys.io import _encode_params, _fitted_attributes

    model, X, path = models[name]
    loaded = load(path)
    assert type(loaded) is type(model)
    for (step_name, step), (loaded_name, loaded_step) in zip(
        _steps(model), _steps(loaded), strict=True
    ):
        assert loaded_name == step_name and type(loaded_step) is type(step)
        assert _encode_params(loaded_step, "") == _encode_params(step, "")
        assert _public_fitted(loaded_step) == _public_fitted(step)
        for attr in _fitted_attributes(step):
            value = getattr(step, attr)
            if not isinstance(value, (np.ndarray, torch.nn.Module)):
                assert getattr(loaded_step, attr) == value, attr
        if isinstance(step, BackboneFeatures):
            assert loaded_step.n_features_ == step.n_features_
            for key, value in step.backbone_.state_dict().items():
                assert torch.equal(loaded_step.backbone_.state_dict()[key], value)
            assert not loaded_step.backbone_.training
    clf, loaded_clf = _steps(model)[-1][1], _steps(loaded)[-1][1]
    assert loaded_clf.weights == clf.weights  # put back, never read
    assert loaded_clf.input_spec_ == clf.input_spec_
    assert loaded_clf.seed_ == clf.seed_
    np.testing.assert_array_equal(loaded_clf.classes_, clf.classes_)
    assert loaded_clf.classes_.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(loaded_clf.novelty_reference_, clf.novelty_reference_)
    for attr in ("class_weight_", "context_mean_", "context_std_"):
        if getattr(clf, attr, None) is None:
            assert getattr(loaded_clf, attr, None) is None
        else:
            np.testing.assert_array_equal(getattr(loaded_clf, attr), getattr(clf, attr))
    for key, value in clf.module_.state_dict().items():
        assert torch.equal(loaded_clf.module_.state_dict()[key], value), key
    assert len(loaded_clf.history_) == 0 and not loaded_clf.optimizer_.state
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_load_on_another_device_and_cuda_model_without_cuda(models, tmp_path):
    model, X, path = models["audio"]
    device = torch.device("cpu")
    loaded = load(path, device=device)
    assert loaded[-1].device is device and loaded[0].device is device
    tasks = load(models["tasks"][2], device=device)
    assert tasks[0].images.device is device and tasks[1].device is device
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))

    def on_cuda(settings, header):
        for _, step in settings["model"]["steps"]:
            step["params"]["device"] = "cuda"

    cuda = _edit(path, tmp_path / "cuda.safetensors", on_cuda)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="device='cpu'"):
            load(cuda)
    loaded = load(cuda, device="cpu")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_read_metadata(models):
    info = read_metadata(models["audio"][2])
    assert info["format_version"] == FORMAT_VERSION
    assert set(info["versions"]) == {
        "skhyperdys",
        "torch",
        "torchvision",
        "skorch",
        "scikit-learn",
        "numpy",
        "python",
    }
    assert info["versions"]["torch"] == torch.__version__
    assert info["sample_rate"] == 8000
    assert info["classes"] == models["audio"][0].classes_.tolist()
    assert info["steps"] == [
        ("images", "skhyperdys.SpectrogramImages"),
        ("clf", "skhyperdys.HypernetClassifier"),
    ]
    assert read_metadata(models["plain"][2])["classes"] == ["ALS", "HC"]
    # the rate of a step inside a multi-task (or context) step is found too
    assert read_metadata(models["tasks"][2])["sample_rate"] == 8000
    assert read_metadata(models["context"][2])["sample_rate"] is None  # no audio


@pytest.mark.parametrize(
    "step, rate",
    [
        (MultiTaskImages(SpectrogramImages(sr=16000)), 16000),
        (MultiTaskImages(), 8000),  # a default SpectrogramImages reads at 8 kHz
        (ImagesAndContext(SpectrogramImages(sr=44100)), 44100),
        (ImagesAndContext(), 8000),
    ],
)
def test_sample_rate_of_steps_that_hold_the_image_step(step, rate):
    pipe = Pipeline([("features", step), ("clf", small_classifier())])
    assert _sample_rate(pipe) == rate


# --- what is (not) in the file -------------------------------------------------


def test_file_is_about_the_size_of_the_weights(models):
    model, _, path = models["audio"]
    clf = model[-1]
    weights = sum(
        v.numel() * v.element_size() for v in clf.module_.state_dict().values()
    )
    arrays = clf.novelty_reference_.nbytes
    size = os.path.getsize(path)
    assert weights <= size <= weights + arrays + 64 * 1024
    with safe_open(path, framework="pt") as handle:
        header = handle.metadata()
        assert not any("optim" in key for key in handle.keys())
    fitted = json.loads(header[SETTINGS])["model"]["steps"][-1][1]["fitted"]
    assert not {"optimizer_", "history_", "callbacks_"} & set(fitted)
    assert "exp_avg" not in header[SETTINGS]


def test_settings_are_readable_json(models):
    with safe_open(models["audio"][2], framework="pt") as handle:
        header = handle.metadata()
    assert header[VERSION] == FORMAT_VERSION
    settings = json.loads(header[SETTINGS])
    images, clf = (step for _, step in settings["model"]["steps"])
    assert images["params"]["image_size"] == {"__tuple__": [64, 64]}
    assert clf["params"]["optimizer"] == {"__ref__": "torch.optim.Adam"}
    assert clf["fitted"]["input_spec_"]["__input_spec__"]["kind"] == "images"


# --- refusals ------------------------------------------------------------------


class MyHead(nn.Module):
    def __init__(self, in_features, n_classes):
        super().__init__()
        self.linear = nn.Linear(in_features, n_classes)

    def forward(self, embedding, context=None):
        return self.linear(embedding)


def _my_score(net, X, y):
    return 0.0


@pytest.mark.parametrize(
    "params, named",
    [
        (dict(head=MyHead), "'head'"),
        (dict(backbone=nn.Sequential(nn.Flatten())), "'backbone'"),
        (dict(random_state=np.random.RandomState(0)), "'random_state'"),
        (dict(callbacks=[EpochScoring(_my_score)]), "'scoring'"),
        # set after fit: while fitting, a Checkpoint writes files
        (dict(after_fit=dict(callbacks=[Checkpoint()])), "touches no file"),
    ],
)
def test_code_in_settings_is_refused(params, named, tmp_path):
    X = {"features": _features(8)}
    params = dict(params)
    after_fit = params.pop("after_fit", {})
    clf = small_classifier(max_epochs=1, **params).fit(X, [0, 1] * 4)
    for name, value in after_fit.items():
        setattr(clf, name, value)
    path = tmp_path / "model.safetensors"
    with pytest.raises(TypeError, match=named) as err:
        dump(clf, path)
    assert "JSON" in str(err.value) or "Checkpoint" in str(err.value)
    assert os.listdir(tmp_path) == []


def test_only_skhyperdys_steps_and_fitted_models(models, tmp_path):
    clf = models["plain"][0]
    with pytest.raises(TypeError, match="FunctionTransformer"):
        dump(Pipeline([("id", FunctionTransformer()), ("clf", clf)]), tmp_path / "a")
    with pytest.raises(TypeError, match="LogisticRegression"):
        from sklearn.linear_model import LogisticRegression

        dump(LogisticRegression(), tmp_path / "b")
    with pytest.raises(NotFittedError):
        dump(small_classifier(), tmp_path / "c")
    assert os.listdir(tmp_path) == []


def test_existing_file_is_kept_unless_overwrite(models, tmp_path):
    model, X, _ = models["plain"]
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"my own file")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        dump(model, path)
    assert path.read_bytes() == b"my own file"
    # A dump that fails leaves the old file whole, and no temporary file.
    bad = small_classifier(max_epochs=1, head=MyHead).fit(
        {"features": _features(8)}, [0, 1] * 4
    )
    with pytest.raises(TypeError):
        dump(bad, path, overwrite=True)
    assert path.read_bytes() == b"my own file"
    assert os.listdir(tmp_path) == ["model.safetensors"]
    dump(model, path, overwrite=True)
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_newer_format_is_refused_naming_both_versions(models, tmp_path):
    def newer(settings, header):
        header[VERSION] = "2.0"
        settings["format_version"] = "2.0"

    path = _edit(models["plain"][2], tmp_path / "new.safetensors", newer)
    with pytest.raises(ValueError, match=r"format 2\.0.*reads format 1\.0"):
        load(path)
    with pytest.raises(ValueError, match="upgrade skhyperdys"):
        read_metadata(path)


def test_other_library_versions_warn(models, tmp_path):
    def older(settings, header):
        settings["versions"]["torch"] = "1.0.0"

    path = _edit(models["plain"][2], tmp_path / "old.safetensors", older)
    with pytest.warns(ModelVersionWarning, match=r"torch 1\.0\.0 \(here "):
        loaded = load(path)
    model, X, _ = models["plain"]
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(models["plain"][2])


def test_files_that_are_not_model_files(models, tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.safetensors")
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps(models["plain"][0]))
    with pytest.raises(ValueError, match="not a safetensors file"):
        load(pickled)
    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, plain)
    with pytest.raises(ValueError, match="not a model saved by skhyperdys"):
        load(plain)


@pytest.mark.parametrize(
    "where, value",
    [
        ("criterion", {"__ref__": "this.s"}),  # importing 'this' prints a poem
        ("criterion", {"__ref__": "builtins.exec"}),
        ("train_split", {"__object__": "torch.nn.Linear", "params": {}}),
        ("callbacks", [{"__object__": "skorch.callbacks.Checkpoint", "params": {}}]),
        ("backbone", {"__estimator__": "sklearn.svm.SVC", "params": {}}),
    ],
)
def test_file_naming_other_code_is_refused(models, tmp_path, where, value):
    def inject(settings, header):
        settings["model"]["params"][where] = value

    path = _edit(models["plain"][2], tmp_path / "evil.safetensors", inject)
    imported = set(sys.modules)
    with pytest.raises(ValueError, match="may not"):
        load(path)
    assert "this" not in set(sys.modules) - imported


def test_damaged_weights_are_reported(models, tmp_path):
    def drop_one(settings, header):
        with safe_open(models["plain"][2], framework="pt") as handle:
            keys = [k for k in handle.keys() if "module_" in k]
            return {k: handle.get_tensor(k) for k in handle.keys() if k != keys[0]}

    path = _edit(models["plain"][2], tmp_path / "damaged.safetensors", drop_one)
    with pytest.raises(ValueError, match="do not fit"):
        load(path)


# --- model cards and versions -------------------------------------------------------


CARD = {
    "name": "pa-demo",
    "intended_use": "research on synthetic data; not for diagnosis",
    "training_data": {"corpus": "built-in", "subjects": 8},
    "evaluation": {"protocol": "5-fold subject-wise CV", "accuracy": 0.84},
    "limitations": ["synthetic speech", "one task"],
    "citation": "Ilias & Askounis (2025)",
}


def test_model_card_is_stored_with_what_the_library_knows(models, tmp_path):
    model, X, _ = models["audio"]
    path = tmp_path / "card.safetensors"
    dump(model, path, card=CARD)
    card = read_metadata(path)["card"]
    for field, value in CARD.items():
        assert card[field] == value
    facts = card["model"]
    assert facts["classes"] == model.classes_.tolist()
    assert facts["sample_rate"] == model["images"].sr
    assert facts["training_samples"] == model[-1].n_samples_fit_ == len(X)
    assert facts["settings"]["clf"]["class"] == "HypernetClassifier"
    assert facts["settings"]["clf"]["max_epochs"] == model[-1].max_epochs
    assert facts["settings"]["images"]["image_size"] == list(model["images"].image_size)
    loaded = load(path)
    assert loaded[-1].n_samples_fit_ == len(X)
    # without a card, the library's facts alone
    assert set(read_metadata(models["audio"][2])["card"]) == {"model"}


@pytest.mark.parametrize(
    "card, error, match",
    [
        ({"intended use": "x"}, ValueError, "unknown field.*intended use"),
        ({"evaluation": {"auc": object()}}, TypeError, "text, numbers"),
        ("research only", TypeError, "card must be a dict"),
    ],
)
def test_bad_cards_are_refused_before_writing(models, tmp_path, card, error, match):
    path = tmp_path / "bad.safetensors"
    with pytest.raises(error, match=match):
        dump(models["plain"][0], path, card=card)
    assert not path.exists()


def test_a_file_from_a_newer_minor_version_warns_to_upgrade(models, tmp_path):
    import skhyperdys

    major, minor = (int(p) for p in skhyperdys.__version__.split(".")[:2])

    def newer(settings, header):
        settings["versions"]["skhyperdys"] = f"{major}.{minor + 1}.0"

    path = _edit(models["plain"][2], tmp_path / "newer.safetensors", newer)
    with pytest.warns(ModelVersionWarning, match=r"newer version.*Upgrade"):
        load(path)

    def patch(settings, header):  # a newer patch release is not newer minor
        settings["versions"]["skhyperdys"] = f"{major}.{minor}.99"

    path = _edit(models["plain"][2], tmp_path / "patch.safetensors", patch)
    with pytest.warns(ModelVersionWarning) as caught:
        load(path)
    assert "newer version" not in str(caught[0].message)


def test_a_write_that_fails_part_way_leaves_the_old_file_loadable(
    models, tmp_path, monkeypatch
):
    """A kill or a full disk mid-write: the old model file still loads as before."""
    import safetensors.torch

    model, X, _ = models["plain"]
    path = tmp_path / "model.safetensors"
    dump(model, path)
    before = load(path).predict_proba(X)
    real_save = safetensors.torch.save_file

    def half_then_fail(tensors, filename, metadata=None):
        real_save(tensors, filename, metadata=metadata)
        with open(filename, "r+b") as f:  # the write stops half-way
            f.truncate(os.path.getsize(filename) // 2)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        dump(model, path, overwrite=True)
    monkeypatch.undo()
    np.testing.assert_array_equal(load(path).predict_proba(X), before)
    assert os.listdir(tmp_path) == ["model.safetensors"]  # no temporary file left
