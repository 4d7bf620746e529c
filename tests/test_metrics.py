import numpy as np
import pytest
import sklearn
from conftest import small_classifier, small_transformer
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
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


# --- scikit-learn's rules: pos_label, label order ----------------------------------

WORDS_Y = np.array(["dysarthria"] * 4 + ["healthy"] * 4)
WORDS_GROUPS = np.repeat(["a", "b", "c", "d"], 2)
# columns dysarthria, healthy: subjects a, b (dysarthria) predicted healthy,
# c, d (healthy) predicted healthy
WORDS_PROBA = np.array([[0.2, 0.8]] * 8)


def test_f1_with_words_needs_pos_label_as_in_scikit_learn():
    with pytest.raises(ValueError, match="pos_label=1 is not a valid label"):
        f1_score(WORDS_Y, WORDS_Y)  # scikit-learn refuses this input too
    with pytest.raises(ValueError, match="pos_label=1 is not a valid label"):
        subject_score(WORDS_Y, WORDS_PROBA, WORDS_GROUPS, metric="f1")
    # every subject predicted healthy: F1 of dysarthria is 0, of healthy 2/3
    assert subject_score(
        WORDS_Y, WORDS_PROBA, WORDS_GROUPS, metric="f1", pos_label="dysarthria"
    ) == pytest.approx(0.0)
    assert subject_score(
        WORDS_Y, WORDS_PROBA, WORDS_GROUPS, metric="f1", pos_label="healthy"
    ) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="pos_label='ALS' is not a valid label"):
        subject_score(WORDS_Y, WORDS_PROBA, WORDS_GROUPS, metric="f1", pos_label="ALS")
    # numbers: pos_label defaults to 1, as in f1_score
    y = (WORDS_Y == "dysarthria").astype(int)
    assert subject_score(
        y, WORDS_PROBA[:, ::-1], WORDS_GROUPS, metric="f1"
    ) == pytest.approx(0.0)


def test_one_dimensional_proba_is_the_positive_class():
    y = np.array([0, 0, 1, 1])
    groups = ["a", "a", "b", "b"]
    p1 = np.array([0.1, 0.2, 0.9, 0.7])  # probability of class 1: all right
    assert subject_score(y, p1, groups) == 1.0
    # the same numbers as the probability of class 0: all wrong
    assert subject_score(y, p1, groups, pos_label=0) == 0.0
    assert subject_score(y, p1, groups, metric="roc_auc", pos_label=0) == 0.0


class FixedClassifier(ClassifierMixin, BaseEstimator):
    """Returns stored probabilities; classes in the order given (not sorted)."""

    def __init__(self, classes, proba):
        self.classes = classes
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.asarray(self.classes)
        return self

    def predict_proba(self, X):
        return np.asarray(self.proba)[np.asarray(X)[:, 0].astype(int)]


def test_subject_scorer_follows_its_labels_and_pos_label():
    # classes_ in the order ["healthy", "dysarthria"], not sorted
    y = np.array(["dysarthria"] * 4 + ["healthy"] * 4)
    groups = np.repeat(["a", "b", "c", "d"], 2)
    proba = np.array([[0.1, 0.9]] * 4 + [[0.3, 0.7], [0.8, 0.2]] * 2)
    X = np.arange(8)[:, None]
    clf = FixedClassifier(["healthy", "dysarthria"], proba).fit(X, y)
    # a, b right (dysarthria); c, d mean (0.55, 0.45): healthy, right
    with sklearn.config_context(enable_metadata_routing=True):
        ordered = make_subject_scorer("accuracy", labels=clf.classes_)
        assert ordered(clf, X, y, groups=groups) == 1.0
        # the fold's sorted labels are not the classifier's column order
        assert make_subject_scorer("accuracy")(clf, X, y, groups=groups) == 0.0
        f1 = make_subject_scorer("f1", labels=clf.classes_, pos_label="dysarthria")
        assert f1(clf, X, y, groups=groups) == 1.0
        with pytest.raises(ValueError, match="pos_label=1 is not a valid label"):
            make_subject_scorer("f1", labels=clf.classes_)(clf, X, y, groups=groups)
        multi = FixedClassifier(
            ["c", "a", "b"], [[0.6, 0.3, 0.1], [0.2, 0.1, 0.7]]
        ).fit(X, y)
        X3, y3 = np.array([[0], [1]]), np.array(["c", "b"])
        scorer = make_subject_scorer("accuracy", labels=multi.classes_)
        assert scorer(multi, X3, y3, groups=["s", "t"]) == 1.0
