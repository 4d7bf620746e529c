"""Statistics of out-of-fold predictions with the subject as the unit."""

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.utils import check_random_state

from ._control import _check_labels, permute_by_subject


def _check(y_true, y_pred, groups):
    y_true, groups = _check_labels(y_true, groups, len(y_true))
    y_pred = np.asarray(y_pred)
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_pred has shape {y_pred.shape}; y_true has {y_true.shape}."
        )
    return y_true, y_pred, groups


def subject_permutation_pvalue(
    y_true,
    y_pred,
    groups,
    *,
    score_func=accuracy_score,
    n_permutations=9999,
    random_state=None,
):
    """p-value of a score of fixed predictions against chance, permuting subjects.

    The true labels are shuffled between subjects (every recording keeps its
    subject's label) and the predictions scored against them again. The
    p-value is ``(1 + #{permuted >= observed}) / (1 + n_permutations)``.

    Nothing is refitted, so it costs milliseconds, and it tests whether
    out-of-fold predictions agree with the labels more than chance would,
    with subjects (not recordings, which are not independent) as the unit.
    Under the null the out-of-fold predictions of subject-wise folds tend to
    disagree with the labels a little (each fold's training set lacks the
    test subjects' class balance), which makes the test conservative.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Labels and out-of-fold predictions; a recording may appear once per
        repeat of the cross-validation.
    groups : array-like of shape (n,)
        Subject ids.
    score_func : callable, default=accuracy_score
        ``score_func(y_true, y_pred)``, higher is better.
    n_permutations : int, default=9999
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    pvalue : float

    Examples
    --------
    >>> from skhyperdys.audit import subject_permutation_pvalue
    >>> y = [0, 0, 0, 0, 1, 1, 1, 1] * 3
    >>> groups = [f"S{i % 8}" for i in range(24)]
    >>> subject_permutation_pvalue(y, y, groups, random_state=0) < 0.05
    True
    """
    y_true, y_pred, groups = _check(y_true, y_pred, groups)
    rng = check_random_state(random_state)
    observed = score_func(y_true, y_pred)
    if score_func is accuracy_score:  # the same numbers, all permutations at once
        subjects, first, inverse = np.unique(
            groups, return_index=True, return_inverse=True
        )
        order = np.argsort(rng.random_sample((n_permutations, len(subjects))), axis=1)
        permuted = (y_true[first][order][:, inverse] == y_pred).mean(axis=1)
    else:
        permuted = np.array(
            [
                score_func(permute_by_subject(y_true, groups, rng), y_pred)
                for _ in range(n_permutations)
            ]
        )
    return float((1 + np.sum(permuted >= observed)) / (1 + n_permutations))


def subject_bootstrap_interval(
    y_true,
    y_pred,
    groups,
    *,
    score_func=accuracy_score,
    confidence=0.95,
    n_resamples=2000,
    random_state=None,
):
    """Bootstrap confidence interval of a score, resampling subjects.

    Subjects are drawn with replacement, each bringing all its recordings
    (and repeats); the interval is the percentile interval of the score
    over ``n_resamples`` such draws.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Labels and out-of-fold predictions.
    groups : array-like of shape (n,)
        Subject ids.
    score_func : callable, default=accuracy_score
    confidence : float, default=0.95
    n_resamples : int, default=2000
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    low, high : float

    Examples
    --------
    >>> from skhyperdys.audit import subject_bootstrap_interval
    >>> y_true = [0, 0, 1, 1] * 5
    >>> y_pred = [0, 1, 1, 1] * 5
    >>> groups = [f"S{i}" for i in range(20)]
    >>> low, high = subject_bootstrap_interval(y_true, y_pred, groups, random_state=0)
    >>> bool(low < 0.75 < high)
    True
    """
    y_true, y_pred, groups = _check(y_true, y_pred, groups)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    rng = check_random_state(random_state)
    subjects, inverse = np.unique(groups, return_inverse=True)
    drawn = rng.randint(len(subjects), size=(n_resamples, len(subjects)))
    if score_func is accuracy_score:  # per-subject counts: all resamples at once
        right = np.bincount(inverse, weights=y_true == y_pred, minlength=len(subjects))
        total = np.bincount(inverse, minlength=len(subjects))
        scores = right[drawn].sum(axis=1) / total[drawn].sum(axis=1)
    else:
        rows = [np.flatnonzero(inverse == s) for s in range(len(subjects))]
        scores = np.empty(n_resamples)
        for b in range(n_resamples):
            index = np.concatenate([rows[s] for s in drawn[b]])
            scores[b] = score_func(y_true[index], y_pred[index])
    alpha = (1 - confidence) / 2
    low, high = np.quantile(scores, [alpha, 1 - alpha])
    return float(low), float(high)
