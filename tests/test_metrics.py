import numpy as np
import pytest
import sklearn
from conftest import small_classifier, small_transformer
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline

from skhyperdys.metrics import aggregate_by_subject, make_subject_scorer, subject_score


def test_mean_and_logodds_aggregation():
    proba = np.array([[0.1, 0.9], [0.5, 0.5], [0.8, 0.2], [0.6, 0.4]])
    groups = ["b", "b", "a", "a"]
    subjects, mean = aggregate_by_subject(proba, groups)
    assert subjects.tolist() == ["a", "b"]
    np.testing.assert_allclose(mean, [[0.7, 0.3], [0.3, 0.7]])
    _, logodds = aggregate_by_subject(proba, groups, method="logodds")
    # two classes: the mean log-odds, back to a probability
    odds = np.mean(np.log([0.9 / 0.1, 0.5 / 0.5]))
    np.testing.assert_allclose(logodds[1, 1], 1 / (1 + np.exp(-odds)))
    np.testing.assert_allclose(logodds.sum(axis=1), 1)
    # 1-D binary input gives 1-D output with the same numbers
    _, flat = aggregate_by_subject(proba[:, 1], groups, method="logodds")
    np.testing.assert_allclose(flat, logodds[:, 1])


def test_subject_score_differs_from_the_recording_score():
    y = np.array(["ALS", "ALS", "ALS", "HC", "HC", "HC"])
    groups = np.array([1, 1, 1, 2, 2, 2])
    proba_als = np.array([0.9, 0.8, 0.4, 0.1, 0.6, 0.2])  # 2 recordings wrong
    proba = np.stack([proba_als, 1 - proba_als], axis=1)  # columns ALS, HC
    recording = accuracy_score(y, np.where(proba_als > 0.5, "ALS", "HC"))
    assert recording == pytest.approx(4 / 6)
    assert subject_score(y, proba, groups) == 1.0
    assert subject_score(y, proba, groups, metric="roc_auc") == 1.0
    # labels: the classifier's column order, here not sorted
    flipped = proba[:, ::-1]
    assert subject_score(y, flipped, groups, labels=["HC", "ALS"]) == 1.0
    assert subject_score(y, flipped, groups) == 0.0


def test_subject_score_errors():
    with pytest.raises(ValueError, match="different labels"):
        subject_score([0, 1], [0.2, 0.7], [5, 5])
    with pytest.raises(ValueError, match="need the subject"):
        subject_score([0, 1], [0.2, 0.7])
    with pytest.raises(ValueError, match="metric must be one of"):
        make_subject_scorer("precision")
    with pytest.raises(ValueError, match="holds 2 recordings but groups 3"):
        aggregate_by_subject([0.2, 0.3], [1, 2, 3])


def test_subject_scorer_in_cross_validate_with_routing(recordings):
    pipe = Pipeline(
        [("images", small_transformer()), ("clf", small_classifier(max_epochs=1))]
    )
    scoring = {
        "subject_acc": make_subject_scorer("accuracy"),
        "subject_auc": make_subject_scorer("roc_auc", method="logodds"),
    }
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            pipe,
            recordings.data,
            recordings.target,
            cv=StratifiedGroupKFold(2),
            scoring=scoring,
            params={"groups": recordings.groups},
            return_estimator=True,
            return_indices=True,
        )
    for est, test, acc, auc in zip(
        result["estimator"],
        result["indices"]["test"],
        result["test_subject_acc"],
        result["test_subject_auc"],
        strict=True,
    ):
        X = [recordings.data[i] for i in test]
        y, g = recordings.target[test], recordings.groups[test]
        proba = est.predict_proba(X)
        subjects, p = aggregate_by_subject(proba, g)
        truth = np.array([y[g == s][0] for s in subjects])
        assert acc == pytest.approx(accuracy_score(truth, p.argmax(axis=1)))
        _, q = aggregate_by_subject(proba, g, method="logodds")
        assert auc == pytest.approx(roc_auc_score(truth, q[:, 1]))
