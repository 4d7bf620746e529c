"""Calibrated and conformal outputs with kept libraries (sklearn, MAPIE)."""

import numpy as np
import pytest
from conftest import small_classifier, small_transformer
from sklearn.calibration import CalibratedClassifierCV, CalibrationDisplay
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import Pipeline

from skhyperdys.datasets import make_syllable_repetitions

mapie = pytest.importorskip("mapie")


@pytest.fixture(scope="module")
def parts():
    data = make_syllable_repetitions(60, duration=(1.0, 1.5), random_state=0)
    X, y, groups = np.asarray(data.data, dtype=object), data.target, data.groups
    rest, test = next(
        GroupShuffleSplit(1, test_size=0.3, random_state=0).split(X, y, groups)
    )
    fit, cal = next(
        GroupShuffleSplit(1, test_size=0.4, random_state=0).split(
            X[rest], y[rest], groups[rest]
        )
    )
    fit, cal = rest[fit], rest[cal]
    pipe = Pipeline(
        [("images", small_transformer()), ("clf", small_classifier(max_epochs=2))]
    ).fit(list(X[fit]), y[fit])
    return pipe, (list(X[cal]), y[cal]), (list(X[test]), y[test])


def test_conformal_sets_from_the_fitted_pipeline(parts):
    from mapie.classification import SplitConformalClassifier

    pipe, (X_cal, y_cal), (X_test, y_test) = parts
    conformal = SplitConformalClassifier(
        FrozenEstimator(pipe), confidence_level=0.9, prefit=True
    ).conformalize(X_cal, y_cal)
    y_pred, sets = conformal.predict_set(X_test)
    np.testing.assert_array_equal(y_pred, pipe.predict(X_test))
    assert sets.shape == (len(X_test), 2, 1)
    # LAC sets: every label whose probability clears one threshold
    proba = pipe.predict_proba(X_test)
    included = proba[sets[:, :, 0]]
    excluded = proba[~sets[:, :, 0]]
    if len(included) and len(excluded):
        assert included.min() >= excluded.max() - 1e-6
    # on the calibration recordings themselves the coverage is at least 90 %
    _, cal_sets = conformal.predict_set(X_cal)
    covered = cal_sets[np.arange(len(y_cal)), y_cal, 0]
    assert covered.mean() >= 0.9


def test_calibrated_pipeline_and_reliability_diagram(parts):
    pipe, (X_cal, y_cal), (X_test, y_test) = parts
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipe), method="sigmoid")
    calibrated.fit(X_cal, y_cal)
    proba = calibrated.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    # sigmoid calibration is monotone in the pipeline's own probability
    raw = pipe.predict_proba(X_test)[:, 1]
    order = np.argsort(raw)
    assert np.all(np.diff(proba[order, 1]) >= -1e-9) or np.all(
        np.diff(proba[order, 1]) <= 1e-9
    )
    import matplotlib

    matplotlib.use("Agg")
    display = CalibrationDisplay.from_estimator(calibrated, X_test, y_test, n_bins=3)
    assert len(display.prob_true) >= 1
