"""Input forms scikit-learn's tools hand over, and sample-rate safety."""

import warnings

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from conftest import SR, small_classifier, small_transformer
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import BaggingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import (
    GroupKFold,
    HalvingGridSearchCV,
    RandomizedSearchCV,
    cross_val_predict,
    learning_curve,
    permutation_test_score,
    validation_curve,
)
from sklearn.pipeline import Pipeline


def _pipe(**clf):
    return Pipeline(
        [
            ("images", small_transformer()),
            ("clf", small_classifier(**{"max_epochs": 1, **clf})),
        ]
    )


def _clip(seconds=1.0, sr=SR, seed=0):
    t = np.arange(int(sr * seconds)) / sr
    noise = 0.01 * np.random.default_rng(seed).standard_normal(len(t))
    return (0.3 * np.sin(2 * np.pi * 600 * t) + noise).astype(np.float32)


def test_rate_pairs_are_resampled_like_files(tmp_path):
    high = _clip(sr=16000)
    path = tmp_path / "clip.wav"
    sf.write(path, high, 16000, subtype="FLOAT")
    images = small_transformer()
    from_pair = images.transform([(high, 16000)])
    from_file = images.transform([str(path)])
    resampled = librosa.resample(high, orig_sr=16000, target_sr=SR)
    np.testing.assert_allclose(from_pair, from_file, atol=1e-5)
    np.testing.assert_allclose(from_pair, images.transform([resampled]), atol=1e-5)
    # the bare array is read as 8 kHz: a different image
    assert not np.allclose(images.transform([high]), from_pair, atol=1e-2)
    # a pair at the transformer's own rate is the bare waveform
    low = _clip()
    np.testing.assert_array_equal(
        images.transform([(low, SR)]), images.transform([low])
    )
    with pytest.raises(ValueError, match=r"X\[0\] is a \(waveform, rate\) pair"):
        images.transform([(low, 0)])


def test_transforming_at_another_rate_than_fit_warns():
    images = small_transformer().fit([_clip()])
    assert images.sr_ == SR
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images.transform([_clip()])
    images.set_params(sr=16000)
    with pytest.warns(UserWarning, match="fitted at sr=8000 Hz and now .*16000"):
        images.transform([_clip()])


def test_one_column_tables_of_recordings(tmp_path):
    clips = [_clip(seed=i) for i in range(3)]
    expected = small_transformer().transform(clips)
    column = np.empty((3, 1), dtype=object)
    column[:, 0] = clips
    np.testing.assert_array_equal(small_transformer().transform(column), expected)
    frame = pd.DataFrame({"audio": clips})
    np.testing.assert_array_equal(small_transformer().transform(frame), expected)
    paths = []
    for i, clip in enumerate(clips):
        paths.append(str(tmp_path / f"{i}.wav"))
        sf.write(paths[-1], clip, SR, subtype="FLOAT")
    by_path = small_transformer().transform(pd.DataFrame({"path": paths}))
    np.testing.assert_allclose(by_path, expected, atol=1e-6)
    with pytest.raises(TypeError, match="must have one column"):
        small_transformer().transform(pd.DataFrame({"a": paths, "b": paths}))


@pytest.fixture(scope="module")
def data(recordings):
    n = 24
    return recordings.data[:n], recordings.target[:n], recordings.groups[:n]


def test_nine_sklearn_tools_on_the_pipeline(data):
    X, y, groups = data
    cv = GroupKFold(2)
    pred = cross_val_predict(_pipe(), X, y, groups=groups, cv=cv)
    assert pred.shape == (len(y),) and set(pred) <= {0, 1}
    sizes, train, test = learning_curve(
        _pipe(), X, y, groups=groups, cv=cv, train_sizes=[0.6, 1.0]
    )
    assert test.shape == (2, 2)
    train, test = validation_curve(
        _pipe(),
        X,
        y,
        param_name="clf__context_dim",
        param_range=[4, 8],
        groups=groups,
        cv=cv,
    )
    assert test.shape == (2, 2)
    score, permuted, p = permutation_test_score(
        _pipe(), X, y, groups=groups, cv=cv, n_permutations=2, random_state=0
    )
    assert len(permuted) == 2 and 0 < p <= 1
    search = RandomizedSearchCV(
        _pipe(), {"clf__context_dim": [4, 8]}, n_iter=2, cv=cv, random_state=0
    ).fit(X, y, groups=groups)
    assert search.best_params_["clf__context_dim"] in (4, 8)
    halving = HalvingGridSearchCV(
        _pipe(),
        {"clf__context_dim": [4, 8]},
        cv=cv,
        min_resources=12,
        random_state=0,
    ).fit(X, y, groups=groups)
    assert halving.best_params_["clf__context_dim"] in (4, 8)
    calibrated = CalibratedClassifierCV(_pipe(), cv=2).fit(X, y)
    proba = calibrated.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    frozen = CalibratedClassifierCV(FrozenEstimator(_pipe().fit(X, y))).fit(X, y)
    assert frozen.predict_proba(X).shape == (len(y), 2)
    bagging = BaggingClassifier(
        _pipe(), n_estimators=2, max_samples=0.8, random_state=0
    )
    column = np.empty((len(X), 1), dtype=object)
    column[:, 0] = list(X)
    bagging.fit(column, y)
    assert bagging.predict_proba(column).shape == (len(y), 2)
