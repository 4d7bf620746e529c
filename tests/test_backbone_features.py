"""BackboneFeatures: a frozen AlexNet as a cacheable pipeline step."""

import numpy as np
import pytest
from conftest import small_classifier, small_transformer
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from skhyperdys import BackboneFeatures


def test_features_shape_and_determinism(images):
    step = BackboneFeatures(weights=None, random_state=0).fit(images)
    out = step.transform(images)
    assert set(out) == {"features"} and out["features"].shape == (len(images), 4096)
    np.testing.assert_array_equal(out["features"], step.transform(images)["features"])
    other = BackboneFeatures(weights=None, random_state=0).fit(images)
    np.testing.assert_array_equal(other.transform(images)["features"], out["features"])


def test_multi_task_and_context_pass_through(images):
    pairs = np.stack([images[:4], images[4:8]], axis=1)
    step = BackboneFeatures(weights=None, random_state=0).fit(pairs)
    out = step.transform({"images": pairs, "context": np.ones((4, 5))})
    assert out["features"].shape == (4, 2, 4096)
    np.testing.assert_array_equal(out["context"], np.ones((4, 5)))


def test_head_only_classifier_on_features(images, recordings):
    features = BackboneFeatures(weights=None, random_state=0).fit_transform(images)
    clf = small_classifier(max_epochs=2).fit(features, recordings.target)
    assert clf.module_.embedder.backbone is None
    assert clf.module_.embedder.embedding.in_features == 4096
    assert clf.predict(features).shape == (len(images),)
    with pytest.raises(ValueError, match="fitted on 4096-wide backbone features"):
        clf.predict(images)
    with pytest.raises(ValueError, match="'images', 'features' or 'layers'"):
        clf.predict({"pixels": images})


def test_grid_search_reuses_cached_features(recordings, tmp_path):
    calls = []
    original = BackboneFeatures.transform

    def counting(self, X):
        calls.append(1)
        return original(self, X)

    BackboneFeatures.transform = counting
    try:
        pipe = Pipeline(
            [
                ("images", small_transformer()),
                ("backbone", BackboneFeatures(weights=None, random_state=0)),
                ("clf", small_classifier(max_epochs=1)),
            ],
            memory=str(tmp_path),
        )
        search = GridSearchCV(
            pipe,
            {"clf__context_dim": [4, 8, 16]},
            cv=StratifiedGroupKFold(n_splits=2),
            refit=False,
        )
        search.fit(recordings.data, recordings.target, groups=recordings.groups)
    finally:
        BackboneFeatures.transform = original
    # fit_transform is cached per fold: 2 folds x 1 training pass, plus one
    # scoring pass per candidate and fold (3 x 2); without the cache the
    # training passes would be 3 x 2 as well.
    assert len(search.cv_results_["params"]) == 3
    assert len(calls) == 2 + 6
