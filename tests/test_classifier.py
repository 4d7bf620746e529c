import urllib.error
import warnings

import numpy as np
import pytest
import torch
from conftest import SMALL_NET, GradientNorms, small_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import StratifiedKFold
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit
from torchvision.models import AlexNet_Weights, alexnet

from skhyperdys import HypernetClassifier
from skhyperdys.inspection import UnusualInputWarning


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).standard_normal((24, 3, 64, 64)).astype(np.float32)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["HC", "ALS"] * 12),
        np.array([True, False] * 12),
        np.array([3, 7] * 12),
        np.array(["mild", "severe", "none"] * 8),
    ],
    ids=["str", "bool", "int-gaps", "multiclass"],
)
def test_labels_of_any_kind(X, labels):
    clf = small_classifier(max_epochs=1).fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, np.unique(labels))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    pred = clf.predict(X)
    assert pred.dtype == labels.dtype and set(pred) <= set(labels)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, labels) == pytest.approx(np.mean(pred == labels))


def test_prediction_is_deterministic(X):
    clf = small_classifier().fit(X, [0, 1] * 12)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))


def test_same_random_state_same_predictions(X):
    y = [0, 1] * 12
    a = small_classifier(random_state=7).fit(X, y).predict_proba(X)
    b = small_classifier(random_state=7).fit(X, y).predict_proba(X)
    c = small_classifier(random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_fit_leaves_torch_global_rng_alone(X):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    small_classifier(max_epochs=1).fit(X, [0, 1] * 12)
    torch.testing.assert_close(torch.rand(3), expected)


def test_set_params_takes_effect_on_next_fit(X):
    y = [0, 1] * 12
    clf = small_classifier(max_epochs=1).fit(X, y)
    assert clf.module_.head.context_dim == 8
    clf.set_params(context_dim=5, hyper_hidden=7, embed_dim=12, lr=0.5, max_epochs=3)
    clf.fit(X, y)
    head = clf.module_.head
    assert (head.context_dim, head.linear.in_features) == (5, 12)
    assert head.linear.hyper[0].out_features == 7
    assert head.eval_contexts.shape == (32, 5)
    assert clf.optimizer_.param_groups[0]["lr"] == 0.5
    assert len(clf.history_) == 3
    clf.set_params(n_eval_contexts=4, freeze_backbone=True)
    clf.fit(X, y)
    assert clf.module_.head.eval_contexts.shape == (4, 5)
    assert not clf.module_.embedder.backbone.features[0].weight.requires_grad


def test_freeze_backbone_trains_only_the_head(X):
    clf = small_classifier(freeze_backbone=True, max_epochs=1)
    clf.fit(X, [0, 1] * 12)
    learnable = {name for name, _ in clf.get_all_learnable_params()}
    assert learnable and all(
        name.startswith(("head.", "embedder.embedding.")) for name in learnable
    )


def test_weights_from_file(X, tmp_path):
    reference = alexnet()
    path = tmp_path / "alexnet.pth"
    torch.save(reference.state_dict(), path)
    clf = small_classifier(weights=path, freeze_backbone=True, max_epochs=1)
    clf.fit(X, [0, 1] * 12)
    torch.testing.assert_close(
        clf.module_.embedder.backbone.features[0].weight, reference.features[0].weight
    )


def test_missing_weights_file_fails_before_training(X, tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        small_classifier(weights=tmp_path / "none.pth").fit(X, [0, 1] * 12)
    with pytest.raises(TypeError, match="'weights' parameter"):
        small_classifier(weights=3).fit(X, [0, 1] * 12)


def test_imagenet_weights_offline_message(X, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("name resolution failed")

    monkeypatch.setattr(type(AlexNet_Weights.IMAGENET1K_V1), "get_state_dict", offline)
    with pytest.raises(RuntimeError, match="weights=None"):
        HypernetClassifier(max_epochs=1).fit(X, [0, 1] * 12)


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        small_classifier().predict(np.zeros((1, 3, 64, 64), dtype=np.float32))


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.zeros(4), ValueError, r"shape \(n_samples, 3, H, W\)"),
        (np.zeros((4, 1, 64, 64)), ValueError, r"got shape \(4, 1, 64, 64\)"),
        (np.zeros((4, 3, 32, 64)), ValueError, "too small for the backbone alexnet"),
        (np.full((4, 3, 64, 64), np.nan), ValueError, "NaN or infinite"),
        (np.zeros((4, 3, 64, 64), dtype=bool), TypeError, "numeric"),
        (["a.wav", "b.wav"], TypeError, "put SpectrogramImages before it"),
    ],
)
def test_bad_images(bad, error, match):
    with pytest.raises(error, match=match):
        small_classifier().fit(bad, [0, 1, 0, 1][: len(bad)])


def test_bad_targets(X):
    with pytest.raises(ValueError, match="24 samples but y holds 3"):
        small_classifier().fit(X, [0, 1, 0])
    with pytest.raises(ValueError, match="one class only"):
        small_classifier().fit(X, [1] * 24)
    with pytest.raises(ValueError, match="Unknown label type"):
        small_classifier().fit(X, np.linspace(0, 1, 24))


@pytest.mark.parametrize("name", ["context_dim", "hyper_hidden", "embed_dim"])
def test_bad_sizes(X, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter .* must be an int"):
        small_classifier(**{name: 0}).fit(X, [0, 1] * 12)


def test_validation_split_scores_string_labels(X):
    y = np.array(["HC", "ALS"] * 12)
    clf = small_classifier(train_split=ValidSplit(4, stratified=True), max_epochs=2)
    clf.fit(X, y)
    accs = clf.history_[:, "valid_acc"]
    assert len(accs) == 2
    # skorch's split: the first fold of a 4-fold stratified split
    _, valid = next(StratifiedKFold(4).split(X, y))
    assert accs[-1] == pytest.approx(np.mean(clf.predict(X[valid]) == y[valid]))


def test_partial_fit_continues_training(X):
    y = np.array(["a", "b"] * 12)
    clf = small_classifier(max_epochs=1).fit(X, y)
    clf.partial_fit(X, y)
    assert len(clf.history_) == 2
    np.testing.assert_array_equal(clf.classes_, ["a", "b"])


def test_silent_by_default(X, capsys):
    small_classifier(max_epochs=1).fit(X, [0, 1] * 12)
    assert capsys.readouterr().out == ""


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda(X):
    clf = small_classifier(device="cuda").fit(X, [0, 1] * 12)
    assert next(clf.module_.parameters()).is_cuda
    assert clf.predict(X).shape == (24,)


def test_frozen_backbone_runs_once_per_fit(X):
    calls = []
    clf = small_classifier(freeze_backbone=True, max_epochs=3, batch_size=8)
    clf.initialize_module = _counting(clf.initialize_module, calls)
    clf.fit(X, [0, 1] * 12)
    # 24 images in batches of 8: 3 backbone passes for 3 epochs, not 9, and
    # 3 more as the fitted model predicts its training images once (the
    # end-of-fit majority-class check)
    assert calls == [[6]]


def _counting(initialize_module, calls):
    def wrapped():
        net = initialize_module()
        counter = [0]
        net.module_.embedder.backbone.register_forward_hook(
            lambda *args: counter.__setitem__(0, counter[0] + 1)
        )
        calls.append(counter)
        return net

    return wrapped


class _Uncached(HypernetClassifier):
    """Runs the frozen backbone in every epoch instead of once per fit."""

    def get_dataset(self, X, y=None):
        frozen = self.freeze_backbone
        self.freeze_backbone = False
        try:
            return super().get_dataset(X, y)
        finally:
            self.freeze_backbone = frozen


def test_frozen_backbone_caching_trains_as_without_it(X):
    # SGD: Adam's normalised steps would magnify the last-bit differences that
    # batching the backbone differently (cached in order vs in shuffled
    # batches) can cause.
    y = [0, 1] * 12
    params = dict(freeze_backbone=True, max_epochs=2, optimizer=torch.optim.SGD)
    cached = small_classifier(**params).fit(X, y)
    uncached = _Uncached(**{**SMALL_NET, **params}).fit(X, y)
    np.testing.assert_allclose(
        cached.predict_proba(X), uncached.predict_proba(X), rtol=1e-4, atol=1e-6
    )


def test_float16_images_predict_and_train_like_float32(X):
    from skhyperdys._validation import check_images

    y = np.array([0, 1] * 12)
    half = X.astype(np.float16)
    # float16 images are cast batch by batch, never copied whole to float32
    assert check_images(half).dtype == np.float16
    clf = small_classifier(random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(half), clf.predict_proba(X), atol=1e-4)
    clf16 = small_classifier(random_state=0).fit(half, y)
    np.testing.assert_allclose(clf16.predict_proba(X), clf.predict_proba(X), atol=1e-2)
    frozen = small_classifier(random_state=0, freeze_backbone=True)
    np.testing.assert_allclose(
        frozen.fit(half, y).predict_proba(half),
        small_classifier(random_state=0, freeze_backbone=True)
        .fit(X, y)
        .predict_proba(X),
        atol=1e-2,
    )


def test_float16_backbone_features_are_accepted():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((8, 16)).astype(np.float16)
    clf = small_classifier(random_state=0).fit({"features": features}, [0, 1] * 4)
    full = {"features": features.astype(np.float32)}
    np.testing.assert_allclose(
        clf.predict_proba({"features": features}), clf.predict_proba(full)
    )


# --- the method, pinned through the public API --------------------------------


def _separable(n=40, seed=0):
    """Backbone features whose first value carries the class; labels not sorted."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n, 16)).astype(np.float32)
    y = np.where(features[:, 0] > 0, "zebra", "aardvark")
    features[:, 0] *= 4
    return {"features": features}, y


def test_learns_and_predicts_the_labels_it_was_given():
    X, y = _separable()
    clf = small_classifier(max_epochs=30, lr=1e-2).fit(X, y)
    assert clf.score(X, y) >= 0.9
    X_new, y_new = _separable(seed=1)
    assert clf.score(X_new, y_new) >= 0.85
    assert clf.history_[-1, "train_acc"] >= 0.85


def test_labels_are_encoded_by_position_in_classes():
    clf = small_classifier(classes=["zebra", "aardvark"])
    np.testing.assert_array_equal(
        clf.encode_labels(["aardvark", "zebra", "zebra"]), [1, 0, 0]
    )
    with pytest.raises(ValueError, match="not in classes"):
        clf.encode_labels(["zebra", "okapi"])
    # with classes given, predict_proba's columns follow their order
    X, y = _separable()
    clf.set_params(max_epochs=30, lr=1e-2).fit(X, y)
    assert clf.classes_.tolist() == ["zebra", "aardvark"]
    positive = X["features"][:, 0] > 0  # the zebras
    proba = clf.predict_proba(X)
    assert (proba[positive, 0] > 0.5).mean() >= 0.9
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])


def test_every_eval_context_counts_at_prediction():
    X, y = _separable()
    full = small_classifier(n_eval_contexts=32).fit(X, y)
    fewer = small_classifier(n_eval_contexts=31).fit(X, y)
    proba = full.predict_proba(X)
    assert not np.allclose(proba, fewer.predict_proba(X), rtol=0, atol=1e-7)
    with torch.no_grad():
        embedding = full.module_.embed(features=torch.as_tensor(X["features"]))
        members = full.module_.head.member_log_proba(embedding).exp().numpy()
    assert members.shape == (len(y), 32, 2)
    assert members.std(axis=1).max() > 1e-3  # the generated classifiers differ
    np.testing.assert_allclose(proba, members.mean(axis=1), rtol=1e-5)


def test_data_contexts_use_the_training_statistics():
    rng = np.random.default_rng(0)
    X, y = _separable(24)
    context = rng.normal(5.0, 3.0, size=(24, 6)).astype(np.float32)
    clf = small_classifier(context="data").fit({**X, "context": context}, y)
    head = clf.module_.head
    np.testing.assert_allclose(head.context_mean.numpy(), context.mean(0), rtol=1e-6)
    np.testing.assert_allclose(head.context_std.numpy(), context.std(0), rtol=1e-5)
    assert clf.input_spec_.context_width == 6
    # new data is standardised with the training fold's statistics, not its own
    test_context = context[:4] + 100.0
    with torch.no_grad():
        embedding = clf.module_.embed(features=torch.as_tensor(X["features"][:4]))
        standard = (
            torch.as_tensor(test_context) - head.context_mean
        ) / head.context_std
        expected = torch.softmax(head.linear(embedding, standard), -1).numpy()
    got = clf.predict_proba({"features": X["features"][:4], "context": test_context})
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_initialize_with_classes_restores_saved_weights(X, tmp_path):
    y = np.array(["HC", "ALS"] * 12)
    clf = small_classifier(max_epochs=1).fit(X, y)
    clf.save_params(f_params=tmp_path / "model.pt")
    restored = small_classifier(classes=["ALS", "HC"])
    restored.initialize()
    restored.load_params(f_params=tmp_path / "model.pt")
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    with pytest.raises(AttributeError, match="pass classes="):
        small_classifier().initialize()


@pytest.mark.parametrize(
    "later, message",
    [
        (lambda X: X[:, :, :, :63], "fitted on 64x64 images; X holds 64x63 images"),
        (
            lambda X: np.stack([X, X], axis=1),
            "fitted on 64x64 images; X holds 64x64 images, 2 per sample",
        ),
        (
            lambda X: {"features": X.reshape(len(X), -1)},
            "fitted on 64x64 images; X holds 12288-wide backbone features",
        ),
    ],
    ids=["image size", "tasks", "kind"],
)
def test_later_input_is_checked_against_what_fit_saw(X, later, message):
    clf = small_classifier(max_epochs=1).fit(X, [0, 1] * 12)
    assert clf.input_spec_.image_size == (64, 64)
    with pytest.raises(ValueError, match=message):
        clf.predict(later(X))
    with pytest.raises(ValueError, match=message):
        clf.partial_fit(later(X), [0, 1] * 12)


def test_features_width_and_context_width_are_checked():
    X, y = _separable(8)
    clf = small_classifier(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="16-wide backbone features; X holds 9-wide"):
        clf.predict({"features": X["features"][:, :9]})
    context = np.ones((8, 3), dtype=np.float32)
    data = small_classifier(context="data", max_epochs=1)
    data.fit({**X, "context": context}, y)
    with pytest.raises(ValueError, match="with 3 context features; X holds .* with 2"):
        data.predict({**X, "context": context[:, :2]})


def test_trains_and_predicts_on_a_memory_mapped_corpus(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npy"
    np.save(path, rng.standard_normal((20, 3, 64, 64)).astype(np.float16))
    X = np.load(path, mmap_mode="c")
    y = [0, 1] * 10
    on_disk = small_classifier(max_epochs=1).fit(X, y)
    in_memory = small_classifier(max_epochs=1).fit(np.asarray(X), y)
    np.testing.assert_array_equal(on_disk.predict_proba(X), in_memory.predict_proba(X))


def test_non_finite_images_are_found_in_any_block():
    X = np.zeros((150, 3, 64, 64), dtype=np.float32)
    X[130, 1, 5, 5] = np.nan
    with pytest.raises(ValueError, match=r"samples \[130\]"):
        small_classifier().fit(X, [0, 1] * 75)


def test_novelty_reference_is_a_seeded_sample_of_the_training_inputs():
    from skhyperdys._inputs import summarise

    rng = np.random.default_rng(0)
    X = {"features": rng.standard_normal((1200, 6)).astype(np.float32)}
    clf = small_classifier(max_epochs=1).fit(X, [0, 1] * 600)
    reference = clf.novelty_reference_
    assert reference.shape == (1000, 6)
    rows = [np.flatnonzero((X["features"] == r).all(axis=1))[0] for r in reference]
    assert rows == sorted(rows)  # a subset, in the training order
    np.testing.assert_array_equal(summarise(X, rows), reference)


def test_novelty_reference_of_many_images_is_a_sample_of_them(monkeypatch, X):
    from skhyperdys import classifier
    from skhyperdys._inputs import summarise

    monkeypatch.setattr(classifier, "_MAX_REFERENCE", 5)
    clf = small_classifier(max_epochs=1).fit(X, [0, 1] * 12)
    everything = summarise({"images": X})
    rows = [
        np.flatnonzero(np.isclose(everything, r, atol=1e-6).all(axis=1))[0]
        for r in clf.novelty_reference_
    ]
    assert len(rows) == 5 and rows == sorted(set(rows))


def test_random_state_reaches_the_evaluation_contexts(X):
    def contexts(seed):
        clf = small_classifier(random_state=seed, max_epochs=0).fit(X, [0, 1] * 12)
        return clf.module_.head.eval_contexts

    np.testing.assert_array_equal(contexts(7), contexts(7))
    assert not torch.equal(contexts(7), contexts(8))


def test_inputs_far_from_the_training_data_are_flagged(X):
    y = [0, 1] * 12
    clf = small_classifier(max_epochs=1).fit(X, y)
    # the threshold: 1.5x the 99th percentile of the training inputs' own
    # novelty (mean distance to their 5 nearest others, pooled 8x8 images,
    # over the median of the same), computed here without the library
    pooled = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(X), 8)
    pooled = pooled.reshape(len(X), -1).numpy().astype(np.float64)
    distances = np.linalg.norm(pooled[:, None] - pooled[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    own = np.sort(distances, axis=1)[:, :5].mean(axis=1)
    expected = 1.5 * np.quantile(own / np.median(own), 0.99)
    assert clf.novelty_threshold_ == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(
        clf.novelty(X[:3] + 5.0),
        np.sort(np.linalg.norm(pooled[:3, None] + 5.0 - pooled[None], axis=-1))[
            :, :5
        ].mean(axis=1)
        / np.median(own),
        rtol=1e-5,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusualInputWarning)
        clf.predict(X)  # the training inputs themselves: none flagged
    far = X.copy()
    far[[1, 4]] += 10.0
    with pytest.warns(UnusualInputWarning) as caught:
        assert clf.predict(far).shape == (24,)  # answered all the same
    (warning,) = caught  # once per call, predict_proba's included
    message = str(warning.message)
    assert message.startswith("HypernetClassifier: 2 of 24 inputs")
    assert "X[1]: far from the training data (novelty" in message
    assert "X[4]: far" in message and "X[0]" not in message
    assert f"above {clf.novelty_threshold_:.1f})" in message


# --- the data path and where the model is built (issue 21) ----------------------------


def test_batches_are_gathered_whole_and_train_as_per_sample(X):
    """Same seed, same results with skorch's per-sample dataset, bit for bit."""
    import functools

    import skorch.dataset

    from skhyperdys._data import BatchDataset

    y = [0, 1] * 12
    ours = small_classifier(max_epochs=2, batch_size=5, random_state=3).fit(X, y)
    per_sample = small_classifier(
        max_epochs=2,
        batch_size=5,
        random_state=3,
        dataset=functools.partial(skorch.dataset.Dataset),
    ).fit(X, y)
    assert isinstance(ours.get_dataset(X), BatchDataset)
    assert not isinstance(per_sample.get_dataset(X), BatchDataset)
    np.testing.assert_array_equal(ours.predict_proba(X), per_sample.predict_proba(X))
    assert [h["train_loss"] for h in ours.history_] == [
        h["train_loss"] for h in per_sample.history_
    ]


def test_a_batch_is_one_gather(X, monkeypatch):
    from skhyperdys import _data

    calls = []
    real = _data._gather
    def gather(values, index):
        calls.append(len(index))
        return real(values, index)

    monkeypatch.setattr(_data, "_gather", gather)
    small_classifier(max_epochs=1, batch_size=8, train_split=None).fit(X, [0, 1] * 12)
    # 3 training batches x (images, labels), then the end-of-fit check's
    # prediction of the same 24 images: 3 batches x images
    assert calls == [8, 8, 8, 8, 8, 8] + [8, 8, 8]


def test_inputs_live_on_the_gpu_only_when_they_fit():
    from skhyperdys._data import fits_on_device, to_device_if_it_fits

    assert fits_on_device(4 * 2**30, 10 * 2**30)
    assert not fits_on_device(6 * 2**30, 10 * 2**30)
    X = {"images": np.zeros((2, 3, 8, 8), np.float32)}
    assert to_device_if_it_fits(X, "cpu") is X  # the CPU reads the arrays as they are


def test_the_model_is_built_on_its_device(monkeypatch):
    from skhyperdys import classifier

    seen = []
    real = classifier.make_backbone

    def spy(*args, **kwargs):
        seen.append(torch.empty(0).device.type)  # the default device while building
        return real(*args, **kwargs)

    monkeypatch.setattr(classifier, "make_backbone", spy)
    # "meta" stands in for a GPU: tensors with a device but no memory
    clf = HypernetClassifier(weights=None, device="meta", classes=[0, 1]).initialize()
    assert seen == ["meta"]
    assert {p.device.type for p in clf.module_.parameters()} == {"meta"}
    # the evaluation contexts do not depend on where the model is built
    cpu = HypernetClassifier(weights=None, classes=[0, 1], random_state=0).initialize()
    meta = HypernetClassifier(
        weights=None, classes=[0, 1], random_state=0, device="meta"
    ).initialize()
    assert meta.module_.head.eval_contexts.shape == cpu.module_.head.eval_contexts.shape


def test_a_tensor_is_taken_as_it_is_and_gives_the_same_answers(X):
    from skhyperdys._validation import check_images

    y = [0, 1] * 12
    tensor = torch.from_numpy(X)
    checked = check_images(tensor)  # no copy to numpy and back: the same memory
    assert isinstance(checked, torch.Tensor)
    assert checked.data_ptr() == tensor.data_ptr()
    from_tensor = small_classifier(max_epochs=2, random_state=5).fit(tensor, y)
    from_array = small_classifier(max_epochs=2, random_state=5).fit(X, y)
    np.testing.assert_array_equal(
        from_tensor.predict_proba(tensor), from_array.predict_proba(X)
    )
    np.testing.assert_array_equal(from_tensor.novelty(tensor), from_array.novelty(X))
    bad = tensor.clone()
    bad[3, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"samples \[3\]"):
        small_classifier().fit(bad, y)
    # (a 3-D tensor is a stack of layers now; two channels are no image)
    with pytest.raises(ValueError, match=r"shape \(24, 2, 64, 64\)"):
        small_classifier().fit(tensor[:, :2], y)


def test_batches_for_a_gpu_come_from_pinned_memory(X):
    from skhyperdys._data import BatchDataset

    on_host = BatchDataset({"images": X}, np.zeros(len(X), dtype=np.int64))
    gpu = small_classifier(device="cuda")
    assert gpu.get_iterator(on_host, training=True).pin_memory
    assert gpu.get_iterator(torch.utils.data.Subset(on_host, [0, 1])).pin_memory
    assert not small_classifier().get_iterator(on_host).pin_memory  # the CPU's own


def _feature_data(separation, n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.standard_normal((n, 16)).astype(np.float32)
    X[:, 0] += separation * (2 * y - 1)
    return {"features": X}, y


def test_fit_warns_when_it_ends_no_better_than_the_majority_class():
    """A fit that learnt nothing says so; one that learnt stays silent."""
    X, y = _feature_data(separation=0.0)
    stuck = HypernetClassifier(**{**SMALL_NET, "lr": 1e-9})
    message = "no better than always predicting"
    with pytest.warns(ConvergenceWarning, match=message) as record:
        stuck.fit(X, y)
    assert len(record) == 1  # once, though skorch's fit runs partial_fit
    assert record[0].filename == __file__  # points at the caller of fit
    with pytest.warns(ConvergenceWarning, match="after 3 epochs"):
        stuck.set_params(max_epochs=1).partial_fit(X, y)

    X, y = _feature_data(separation=3.0)
    learnt = HypernetClassifier(**{**SMALL_NET, "lr": 1e-2, "max_epochs": 10})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        learnt.fit(X, y)
    assert learnt.history_[-1, "train_acc"] > 0.9


class _ThrownOff(Callback):
    """A last step that wrecks the weights: the model then predicts one class."""

    def on_train_end(self, net, **kwargs):
        with torch.no_grad():
            for param in net.module_.embedder.parameters():
                param.zero_()


def test_fit_warns_when_its_final_model_predicts_one_class():
    """Judged on the fitted model, not on the training pass's running accuracy."""
    X, y = _feature_data(separation=3.0)
    clf = HypernetClassifier(
        **{**SMALL_NET, "lr": 1e-2, "max_epochs": 10, "callbacks": [_ThrownOff()]}
    )
    with pytest.warns(ConvergenceWarning, match="200 of its training samples"):
        clf.fit(X, y)
    assert clf.history_[-1, "train_acc"] > 0.9  # what the training pass saw
    assert len(np.unique(clf.predict(X))) == 1


def test_gradients_are_clipped_to_max_grad_norm_before_each_step():
    """The default clipping keeps one large gradient from wrecking a fit."""
    X, y = _feature_data(separation=3.0)
    assert HypernetClassifier().max_grad_norm == 1.0
    clipped = GradientNorms()
    small_classifier(max_grad_norm=1e-3, callbacks=[clipped]).fit(X, y)
    assert max(norm for _, norm in clipped.seen) <= 1e-3 * (1 + 1e-4)
    free = GradientNorms()
    small_classifier(max_grad_norm=None, callbacks=[free]).fit(X, y)
    assert max(norm for _, norm in free.seen) > 1e-2
    with pytest.raises(ValueError, match="max_grad_norm"):
        small_classifier(max_grad_norm=0).fit(X, y)


def test_every_prediction_method_goes_through_infer():
    """skorch's override point sees every batch, member probabilities included."""
    X, y = _feature_data(separation=3.0, n=40)
    seen = []

    class Counting(HypernetClassifier):
        def infer(self, x, **fit_params):
            seen.append(len(next(iter(x.values()))))
            return super().infer(x, **fit_params)

    clf = Counting(**{**SMALL_NET, "batch_size": 16, "n_eval_contexts": 3}).fit(X, y)
    seen.clear()
    proba = clf.predict_proba(X)
    assert seen == [16, 16, 8]
    members = clf.predict_member_proba(X)
    assert seen == [16, 16, 8] * 2
    assert members.shape == (40, 3, 2)
    np.testing.assert_allclose(members.mean(axis=1), proba, atol=1e-6)
