"""Results per subject: the patient, not the recording, is the clinical unit."""

import numpy as np
from sklearn import config_context, metrics
from sklearn.utils import column_or_1d

__all__ = ["aggregate_by_subject", "make_subject_scorer", "subject_score"]

METHODS = ("mean", "logodds")
METRICS = ("accuracy", "balanced_accuracy", "f1", "f1_macro", "roc_auc")


def aggregate_by_subject(proba, groups, *, method="mean"):
    """Combine the class probabilities of each subject's recordings.

    Parameters
    ----------
    proba : array-like of shape (n_recordings, n_classes) or (n_recordings,)
        Class probabilities per recording, e.g. from ``predict_proba``; a 1-D
        array is the probability of the positive class of a binary problem.
    groups : array-like of shape (n_recordings,)
        The subject of each recording.
    method : {"mean", "logodds"}, default="mean"
        ``"mean"``: the average probability. ``"logodds"``: the average
        log-probability, renormalised (for two classes: the average log-odds,
        turned back into a probability); a confident recording weighs more.

    Returns
    -------
    subjects : ndarray of shape (n_subjects,)
        The subject IDs, sorted.
    subject_proba : ndarray of shape (n_subjects, n_classes) or (n_subjects,)
        Their combined probabilities, in the shape of ``proba``.

    Raises
    ------
    ValueError
        If the lengths differ or ``method`` is unknown.

    Examples
    --------
    >>> from skhyperdys.metrics import aggregate_by_subject
    >>> subjects, p = aggregate_by_subject([0.9, 0.5, 0.2], ["PZ01", "PZ01", "CT02"])
    >>> subjects.tolist(), p.round(2).tolist()
    (['CT02', 'PZ01'], [0.2, 0.7])
    >>> aggregate_by_subject([0.9, 0.5], ["a", "a"], method="logodds")[1].round(2)
    array([0.75])
    """
    proba = np.asarray(proba, dtype=np.float64)
    groups = column_or_1d(groups)
    if len(proba) != len(groups):
        raise ValueError(
            f"proba holds {len(proba)} recordings but groups {len(groups)}."
        )
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    binary = proba.ndim == 1
    p = np.stack([1 - proba, proba], axis=1) if binary else proba
    subjects, index = np.unique(groups, return_inverse=True)
    counts = np.bincount(index, minlength=len(subjects))[:, None]
    if method == "mean":
        combined = np.zeros((len(subjects), p.shape[1]))
        np.add.at(combined, index, p)
        combined /= counts
    else:
        log_p = np.log(np.clip(p, 1e-12, None))
        mean_log = np.zeros((len(subjects), p.shape[1]))
        np.add.at(mean_log, index, log_p)
        mean_log /= counts
        combined = np.exp(mean_log - mean_log.max(axis=1, keepdims=True))
        combined /= combined.sum(axis=1, keepdims=True)
    return subjects, (combined[:, 1] if binary else combined)


def _subject_labels(y, groups, subjects):
    y = column_or_1d(y)
    labels = []
    for subject in subjects:
        values = np.unique(y[groups == subject])
        if len(values) != 1:
            raise ValueError(
                f"subject {subject!r} has recordings with different labels "
                f"{values.tolist()}; subject-level scores need one label per "
                "subject."
            )
        labels.append(values[0])
    return np.asarray(labels)


def subject_score(
    y_true,
    proba,
    groups=None,
    *,
    metric="accuracy",
    method="mean",
    labels=None,
    pos_label=None,
):
    """Score predictions per subject instead of per recording.

    Each subject's recording probabilities are combined
    (:func:`aggregate_by_subject`), its predicted class is the most probable
    one, and ``metric`` compares subjects' labels with their predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_recordings,)
        Labels per recording (the same for all recordings of a subject).
    proba : array-like of shape (n_recordings, n_classes) or (n_recordings,)
        Class probabilities, columns in the order of ``labels``. A 1-D array
        (binary) is the probability of the positive class: ``pos_label`` if
        given, else ``labels[-1]``, as scikit-learn's scorers hand it over.
    groups : array-like of shape (n_recordings,)
        Subject of each recording (required; keyword default only so that a
        scorer missing it fails with a clear message).
    metric : {"accuracy", "balanced_accuracy", "f1", "f1_macro", "roc_auc"}, \
default="accuracy"
        ``"f1"`` and ``"roc_auc"`` are binary. ``"f1"`` is the F1 score of
        ``pos_label``.
    method : {"mean", "logodds"}, default="mean"
        How recordings are combined.
    labels : array-like or None, default=None
        The classes, in the order of ``proba``'s columns (the classifier's
        ``classes_``); None: the sorted labels of ``y_true``.
    pos_label : int, float, bool, str or None, default=None
        The positive class of ``metric="f1"`` (and of a 1-D ``proba``).
        ``None`` means 1, as in :func:`sklearn.metrics.f1_score`: labels
        that are not numbers (``"ALS"``/``"HC"``) then need it named, and
        ``metric="f1"`` raises without it rather than score a class picked
        by sort order.

    Returns
    -------
    score : float
        The metric over subjects.

    Raises
    ------
    ValueError
        If a subject has recordings with different labels, the lengths
        differ, ``metric``/``method`` is unknown, ``labels`` does not match
        ``proba``'s columns, or ``pos_label`` is not one of the labels
        (for ``metric="f1"`` or a 1-D ``proba``).

    Examples
    --------
    >>> from skhyperdys.metrics import subject_score
    >>> y = [1, 1, 0, 0]
    >>> proba = [0.9, 0.3, 0.4, 0.2]  # recording 2 of subject "a" is wrong
    >>> subject_score(y, proba, ["a", "a", "b", "b"])
    1.0

    Labels that are not numbers need the positive class named for F1:

    >>> y = ["ALS", "ALS", "HC", "HC"]
    >>> proba = [[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]]  # ALS, HC
    >>> subject_score(y, proba, ["a", "a", "b", "b"], metric="f1", pos_label="ALS")
    1.0
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}.")
    if groups is None:
        raise ValueError(
            "subject-level scores need the subject of each recording (groups); "
            "in cross_validate or GridSearchCV enable metadata routing "
            "(sklearn.set_config(enable_metadata_routing=True)) and pass "
            "params={'groups': groups}."
        )
    groups = column_or_1d(groups)
    labels = np.unique(column_or_1d(y_true)) if labels is None else np.asarray(labels)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim == 1:  # the positive class's probability
        if len(labels) != 2:
            raise ValueError(
                f"a 1-D proba is the positive class's probability of a binary "
                f"problem; there are {len(labels)} labels."
            )
        positive = labels[-1] if pos_label is None else pos_label
        column = _position(labels, positive, "pos_label")
        proba = np.stack([1 - proba, proba], axis=1)
        if column == 0:
            proba = proba[:, ::-1]
    if proba.shape[1] != len(labels):
        raise ValueError(
            f"proba has {proba.shape[1]} columns but there are {len(labels)} "
            "labels; pass labels= (the classifier's classes_)."
        )
    subjects, p = aggregate_by_subject(proba, groups, method=method)
    truth = _subject_labels(y_true, groups, subjects)
    predicted = labels[p.argmax(axis=1)]
    if metric == "accuracy":
        return float(metrics.accuracy_score(truth, predicted))
    if metric == "balanced_accuracy":
        return float(metrics.balanced_accuracy_score(truth, predicted))
    if metric == "f1_macro":
        return float(metrics.f1_score(truth, predicted, average="macro"))
    if len(labels) != 2:
        raise ValueError(
            f"metric={metric!r} is binary; there are {len(labels)} labels."
        )
    if metric == "f1":
        positive = 1 if pos_label is None else pos_label
        _position(labels, positive, "pos_label")
        return float(metrics.f1_score(truth, predicted, pos_label=positive))
    positive = labels[-1] if pos_label is None else pos_label
    column = _position(labels, positive, "pos_label")
    # AUC of the positive class's probability (the same for either class)
    return float(metrics.roc_auc_score(truth == positive, p[:, column]))


def _position(labels, label, name):
    """Index of ``label`` in ``labels``; scikit-learn's error if it is not there."""
    known = labels.tolist()
    if label not in known:
        raise ValueError(
            f"{name}={label!r} is not a valid label. It should be one of {known}; "
            "name the positive class with pos_label=..."
        )
    return known.index(label)


def make_subject_scorer(
    metric="accuracy", *, method="mean", labels=None, pos_label=None
):
    """A scorer for ``cross_validate`` and ``GridSearchCV`` that scores per subject.

    It asks for ``groups`` through scikit-learn's metadata routing; enable it
    and pass the groups as a parameter::

        import sklearn
        sklearn.set_config(enable_metadata_routing=True)
        cross_validate(pipe, X, y, cv=StratifiedGroupKFold(5),
                       scoring={"subject_acc": make_subject_scorer("accuracy")},
                       params={"groups": groups})

    Parameters
    ----------
    metric : str, default="accuracy"
        As in :func:`subject_score`.
    method : {"mean", "logodds"}, default="mean"
        How each subject's recordings are combined.
    labels : array-like or None, default=None
        The classifier's classes, in the order of its ``classes_``; None:
        the sorted labels of each fold (which must then hold every class, as
        stratified folds do, and match ``classes_``, as they do unless the
        classifier was given ``classes`` in another order).
    pos_label : int, float, bool, str or None, default=None
        The positive class of ``metric="f1"``, as in :func:`subject_score`;
        needed when the labels are not numbers.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, groups=...)``, built with
        :func:`sklearn.metrics.make_scorer` from the classifier's
        ``predict_proba``, with ``groups`` requested.

    Raises
    ------
    ValueError
        If ``metric`` or ``method`` is unknown. An unknown ``pos_label``
        raises when the scorer is called.

    Examples
    --------
    >>> from skhyperdys.metrics import make_subject_scorer
    >>> scorer = make_subject_scorer("balanced_accuracy", method="logodds")
    >>> sorted(scorer.get_metadata_routing().score.requests)
    ['groups']
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}.")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    scorer = metrics.make_scorer(
        subject_score,
        response_method="predict_proba",
        metric=metric,
        method=method,
        labels=labels,
        pos_label=pos_label,
    )
    with config_context(enable_metadata_routing=True):
        return scorer.set_score_request(groups=True)
