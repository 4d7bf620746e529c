"""The paper's variants: each fits and predicts inside cross_validate."""

import numpy as np
import pytest
import torch
from conftest import small_classifier, small_transformer
from sklearn.model_selection import StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline

from skhyperdys import (
    EgemapsFunctionals,
    ImagesAndContext,
    MultiTaskImages,
)
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.features import feature_image
from skhyperdys.modules import DenseHead, GatedMultimodalUnit, HypernetHead


@pytest.fixture(scope="module")
def pa_ta():
    kwargs = dict(n_recordings=24, duration=(1.0, 1.5), random_state=0)
    pa = make_syllable_repetitions(syllable="pa", **kwargs)
    ta = make_syllable_repetitions(syllable="ta", **kwargs)
    pairs = np.empty((24, 2), dtype=object)
    pairs[:, 0], pairs[:, 1] = pa.data, ta.data
    return pa, pairs


def _cv(pipe, X, pa):
    result = cross_validate(
        pipe,
        X,
        pa.target,
        groups=pa.groups,
        cv=StratifiedGroupKFold(2),
        error_score="raise",
        return_estimator=True,
    )
    assert len(result["test_score"]) == 2 and np.isfinite(result["test_score"]).all()
    return result["estimator"]


def test_dense_head(pa_ta):
    pa, _ = pa_ta
    pipe = Pipeline([("images", small_transformer()), ("clf", small_classifier())])
    pipe.set_params(clf__head="dense", clf__max_epochs=1)
    model = _cv(pipe, pa.data, pa)[0]["clf"].module_
    assert isinstance(model.head, DenseHead) and model.head.linear.in_features == 32


def test_mfcc_features(pa_ta):
    pa, _ = pa_ta
    pipe = Pipeline(
        [
            ("images", small_transformer(features="mfcc", n_mfcc=20)),
            ("clf", small_classifier(max_epochs=1)),
        ]
    )
    fitted = _cv(pipe, pa.data, pa)[0]
    # the model was trained on MFCC images: librosa's MFCCs of the log-Mel
    # bands, resized and scaled, not on the log-Mel images themselves
    clip = pa.data[0]
    images = fitted["images"].transform([clip])[0]
    expected = feature_image(
        clip, 8000, features="mfcc", n_mfcc=20, n_mels=32, image_size=(64, 64)
    )
    np.testing.assert_allclose(images, expected, atol=1e-4)
    logmel = feature_image(clip, 8000, n_mels=32, image_size=(64, 64))
    assert np.abs(images - logmel).max() > 0.5
    reference = small_transformer(features="mfcc", n_mfcc=20).transform(pa.data)
    proba = fitted.predict_proba(pa.data)
    np.testing.assert_array_equal(proba, fitted["clf"].predict_proba(reference))


def test_egemaps_context(pa_ta):
    pa, _ = pa_ta
    pipe = Pipeline(
        [
            ("features", ImagesAndContext(small_transformer())),
            ("clf", small_classifier(context="data", max_epochs=1)),
        ]
    )
    fitted = _cv(pipe, pa.data, pa)[0]
    model = fitted["clf"].module_
    assert isinstance(model.head, HypernetHead) and model.head.context_dim == 88
    # the context is standardised with the training fold's statistics
    head = model.head
    assert head.context_mean.shape == (88,) and (head.context_std > 0).all()
    proba = fitted.predict_proba(pa.data[:4])
    np.testing.assert_array_equal(proba, fitted.predict_proba(pa.data[:4]))


def test_egemaps_context_changes_the_prediction(pa_ta):
    pa, _ = pa_ta
    features = ImagesAndContext(small_transformer()).fit_transform(pa.data[:8])
    clf = small_classifier(context="data", max_epochs=1).fit(features, pa.target[:8])
    shuffled = dict(features, context=features["context"][::-1].copy())
    assert not np.array_equal(clf.predict_proba(features), clf.predict_proba(shuffled))


@pytest.mark.parametrize("fusion", ["gmu", "concat"])
def test_fusion(pa_ta, fusion):
    pa, pairs = pa_ta
    pipe = Pipeline(
        [
            ("images", MultiTaskImages(small_transformer())),
            ("clf", small_classifier(fusion=fusion, max_epochs=1)),
        ]
    )
    fitted = _cv(pipe, pairs, pa)[0]
    model = fitted["clf"].module_
    if fusion == "gmu":
        assert isinstance(model.fusion, GatedMultimodalUnit)
        assert model.head.linear.in_features == 32
    else:
        assert model.head.linear.in_features == 64
    with pytest.raises(ValueError, match="2 per sample"):
        fitted["clf"].predict(small_transformer().transform(pa.data[:2]))


def test_severity_multiclass_with_balanced_weights():
    ds = make_syllable_repetitions(24, duration=(1.0, 1.5), random_state=0)
    mild_or_worse = np.median(ds.severity[ds.severity > 0])
    severity = np.digitize(ds.severity, [0.01, mild_or_worse])  # none, mild, severe
    assert np.bincount(severity).min() > 0
    pipe = Pipeline(
        [
            ("images", small_transformer()),
            ("clf", small_classifier(class_weight="balanced", max_epochs=1)),
        ]
    ).fit(ds.data, severity)
    clf = pipe["clf"]
    counts = np.bincount(severity)
    np.testing.assert_allclose(
        clf.criterion_.weight.numpy(), len(severity) / (3 * counts), rtol=1e-6
    )
    assert pipe.predict_proba(ds.data).shape == (24, 3)


def test_class_weight_dict(images, recordings):
    clf = small_classifier(class_weight={1: 3.0}, max_epochs=1)
    clf.fit(images, recordings.target)
    np.testing.assert_array_equal(clf.criterion_.weight.numpy(), [1.0, 3.0])
    with pytest.raises(ValueError, match="unknown classes"):
        small_classifier(class_weight={7: 2.0}).fit(images, recordings.target)


def test_data_context_needs_a_dict(images, recordings):
    with pytest.raises(ValueError, match="ImagesAndContext"):
        small_classifier(context="data").fit(images, recordings.target)
    with pytest.raises(ValueError, match="'images'"):
        small_classifier(context="data").fit({"pics": images}, recordings.target)
    bad = {"images": images, "context": np.ones((3, 88))}
    with pytest.raises(ValueError, match="context must have shape"):
        small_classifier(context="data").fit(bad, recordings.target)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(head="attention"), "'head' parameter"),
        (dict(context="text"), "'context' parameter"),
        (dict(fusion="sum"), "'fusion' parameter"),
        (dict(class_weight="auto"), "'class_weight' parameter"),
        (dict(backbone="resnet19"), "not a torchvision classification model"),
    ],
)
def test_bad_variant_parameters(images, recordings, params, match):
    with pytest.raises(ValueError, match=match):
        small_classifier(**params).fit(images, recordings.target)


def test_multitask_images_inputs(pa_ta):
    pa, pairs = pa_ta
    tr = MultiTaskImages(small_transformer())
    out = tr.fit_transform(pairs[:3])
    assert out.shape == (3, 2, 3, 64, 64)
    np.testing.assert_array_equal(
        out[:, 1], small_transformer().transform(pairs[:3, 1])
    )
    as_tuples = [tuple(row) for row in pairs[:3]]
    np.testing.assert_array_equal(tr.transform(as_tuples), out)
    with pytest.raises(ValueError, match="row 1 of X holds 1 recordings"):
        tr.transform([pairs[0], pairs[1][:1]])
    with pytest.raises(TypeError, match="table of recordings"):
        tr.transform(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"X\[0\] is empty"):
        tr.transform([(np.array([]), pairs[0, 1])])


def test_egemaps_functionals(pa_ta):
    pa, _ = pa_ta
    out = EgemapsFunctionals().fit_transform([pa.data[0], pa.data[1][:10]])
    assert out.shape == (2, 88) and out.dtype == np.float32
    assert np.isfinite(out).all()
    with pytest.raises(ValueError, match=r"X\[0\] contains 1 NaN"):
        EgemapsFunctionals().fit([np.array([np.nan, 0.0])])


def test_gmu_with_two_inputs_is_the_original_gmu():
    torch.manual_seed(0)
    gmu = GatedMultimodalUnit(2, 4)
    x = torch.randn(3, 2, 4)
    h1 = torch.tanh(gmu.projections[0](x[:, 0]))
    h2 = torch.tanh(gmu.projections[1](x[:, 1]))
    logits = gmu.gate(x.flatten(1)).view(3, 2, 4)
    z = torch.sigmoid(logits[:, 0] - logits[:, 1])
    torch.testing.assert_close(gmu(x), z * h1 + (1 - z) * h2)


def test_dense_head_ignores_the_data_context(images, recordings):
    features = {"images": images, "context": np.ones((len(images), 5))}
    clf = small_classifier(head="dense", context="data", max_epochs=1)
    clf.fit(features, recordings.target)
    assert isinstance(clf.module_.head, DenseHead)
    assert clf.predict(features).shape == (len(images),)
