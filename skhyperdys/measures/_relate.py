"""Measures per subject: against a model's probabilities, and between groups."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.stats
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params


def _measure_table(measures, n):
    """The measures as a DataFrame of ``n`` rows (names kept or made)."""
    if isinstance(measures, dict):
        measures = pd.DataFrame(measures)
    if isinstance(measures, pd.DataFrame):
        table = measures.reset_index(drop=True)
    else:
        values = np.asarray(measures, dtype=float)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise ValueError(
                f"measures must be a table (n_recordings, n_measures), got shape "
                f"{values.shape}."
            )
        table = pd.DataFrame(values, columns=[f"x{j}" for j in range(values.shape[1])])
    if len(table) != n:
        raise ValueError(
            f"measures has {len(table)} rows but there are {n} recordings; give "
            "one row per recording, in the same order."
        )
    try:
        return table.astype(float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"measures must be numeric ({err}).") from None


def subject_means(values, groups):
    """Average the rows of a table over each subject's recordings (NaN skipped).

    Parameters
    ----------
    values : DataFrame of shape (n_recordings, k)
        One row per recording.
    groups : array-like of shape (n_recordings,)
        Subject ids.

    Returns
    -------
    means : DataFrame of shape (n_subjects, k)
        Indexed by subject, in order of first appearance.
    """
    groups = np.asarray(groups)
    if len(groups) != len(values):
        raise ValueError(
            f"groups has {len(groups)} entries but there are {len(values)} "
            "recordings; give each recording's subject."
        )
    return values.groupby(pd.Index(groups, name="subject"), sort=False).mean()


@validate_params(
    {
        "y_proba": ["array-like"],
        "measures": ["array-like"],
        "groups": ["array-like"],
        "n_bootstraps": [Interval(Integral, 1, None, closed="left")],
        "confidence_level": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def correlate_with_measures(
    y_proba,
    measures,
    groups,
    *,
    n_bootstraps=1000,
    confidence_level=0.95,
    random_state=None,
):
    """Spearman's rho between a model's per-subject probability and each measure.

    "Does the network just measure DDK rate?": the probabilities and the
    measures are averaged over each subject's recordings, then ranked
    against each other across subjects. The interval comes from resampling
    subjects with replacement (percentile bootstrap); subjects where a
    measure is NaN are left out of that measure's row.

    Parameters
    ----------
    y_proba : array-like of shape (n_recordings,) or (n_recordings, 2)
        The model's probability of the positive class for each recording
        (e.g. from ``cross_val_predict(..., method="predict_proba")``); of
        two columns, the second is used.
    measures : DataFrame or array-like of shape (n_recordings, n_measures)
        The measures of the same recordings (e.g. from :class:`DDKMeasures`
        with ``set_output(transform="pandas")``).
    groups : array-like of shape (n_recordings,)
        The subject of each recording.
    n_bootstraps : int, default=1000
        Bootstrap resamples of the subjects.
    confidence_level : float, default=0.95
        Coverage of the interval.
    random_state : int, RandomState instance or None, default=None
        Seed of the resampling.

    Returns
    -------
    table : DataFrame
        One row per measure: ``rho``, ``ci_low``, ``ci_high``, ``p_value``
        (Spearman's test, no multiplicity correction) and ``n_subjects``.
        A measure with fewer than 3 subjects, or constant, gets NaN.

    Raises
    ------
    ValueError
        If the lengths disagree, or ``y_proba`` has more than two columns.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.measures import correlate_with_measures
    >>> rng = np.random.default_rng(0)
    >>> rate = rng.normal(6, 1, 40)
    >>> proba = 1 / (1 + np.exp(rate - 6))  # the model reads the rate
    >>> table = correlate_with_measures(
    ...     proba, {"ddk_rate": rate}, np.arange(40), random_state=0
    ... )
    >>> float(table.loc["ddk_rate", "rho"])
    -1.0
    """
    proba = np.asarray(y_proba, dtype=float)
    if proba.ndim == 2:
        if proba.shape[1] != 2:
            raise ValueError(
                f"y_proba has {proba.shape[1]} columns; give the positive class's "
                "probability (1-D) or the two columns of a binary model."
            )
        proba = proba[:, 1]
    if proba.ndim != 1:
        raise ValueError(f"y_proba must be 1-D, got shape {proba.shape}.")
    table = _measure_table(measures, len(proba))
    means = subject_means(table.assign(_proba=proba), groups)
    rng = check_random_state(random_state)
    alpha = (1 - confidence_level) / 2
    rows = {}
    for name in table.columns:
        pair = means[["_proba", name]].dropna().to_numpy()
        rows[name] = _rho_row(pair, n_bootstraps, alpha, rng)
    return pd.DataFrame.from_dict(
        rows,
        orient="index",
        columns=["rho", "ci_low", "ci_high", "p_value", "n_subjects"],
    )


def _rho_row(pair, n_bootstraps, alpha, rng):
    n = len(pair)
    if n < 3 or np.ptp(pair[:, 0]) == 0 or np.ptp(pair[:, 1]) == 0:
        return [np.nan, np.nan, np.nan, np.nan, n]
    rho, p = scipy.stats.spearmanr(pair[:, 0], pair[:, 1])
    draws = rng.randint(0, n, size=(n_bootstraps, n))
    boot = np.array([_spearman(pair[d]) for d in draws])
    low, high = np.nanquantile(boot, [alpha, 1 - alpha])
    return [float(rho), float(low), float(high), float(p), n]


def _spearman(pair):
    if np.ptp(pair[:, 0]) == 0 or np.ptp(pair[:, 1]) == 0:
        return np.nan
    return scipy.stats.spearmanr(pair[:, 0], pair[:, 1])[0]


def group_differences(
    measures, y, groups, *, n_bootstraps=1000, confidence_level=0.95, random_state=None
):
    """Subject means of each measure by group, with bootstrap intervals and Hedges' g.

    Parameters
    ----------
    measures : DataFrame or array-like of shape (n_recordings, n_measures)
        The measures.
    y : array-like of shape (n_recordings,)
        Binary labels (the second class in sorted order is the "positive" one).
    groups : array-like of shape (n_recordings,)
        Subject ids; each subject has one label.
    n_bootstraps : int, default=1000
        Bootstrap resamples of the subjects within each group.
    confidence_level : float, default=0.95
        Coverage of the intervals.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    table : DataFrame
        One row per measure and group: ``mean``, ``ci_low``, ``ci_high``,
        ``n_subjects``; and per measure ``hedges_g`` (positive: the second
        group higher).
    subject_values : DataFrame
        The subject means, with a ``label`` column.

    Raises
    ------
    ValueError
        If ``y`` does not hold two classes, a subject has recordings with
        different labels, or the lengths disagree.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.measures import group_differences
    >>> y = np.repeat([0, 1], 4)
    >>> rate = np.array([6.5, 6.8, 6.2, 6.6, 4.9, 5.3, 4.4, 5.0])
    >>> table, _ = group_differences({"ddk_rate": rate}, y, np.arange(8))
    >>> table[["group", "mean", "n_subjects"]]
       group   mean  n_subjects
    0      0  6.525           4
    1      1  4.900           4
    >>> bool(table["hedges_g"].iloc[0] < -2)
    True
    """
    y = np.asarray(y)
    table = _measure_table(measures, len(y))
    means = subject_means(table.assign(_label=pd.factorize(y, sort=True)[0]), groups)
    if (means["_label"] % 1 != 0).any():
        raise ValueError("a subject has recordings with different labels.")
    classes = np.unique(y)
    if len(classes) != 2:
        raise ValueError(f"y must hold two classes, got {len(classes)}.")
    rng = check_random_state(random_state)
    alpha = (1 - confidence_level) / 2
    rows = []
    for name in table.columns:
        samples = [
            means.loc[means["_label"] == k, name].dropna().to_numpy() for k in (0, 1)
        ]
        g = _hedges_g(*samples)
        for k, values in enumerate(samples):
            if len(values):
                boot = rng.choice(values, size=(n_bootstraps, len(values))).mean(axis=1)
                low, high = np.quantile(boot, [alpha, 1 - alpha])
                mean = values.mean()
            else:
                mean = low = high = np.nan
            rows.append([name, classes[k], mean, low, high, len(values), g])
    out = pd.DataFrame(
        rows,
        columns=[
            "measure",
            "group",
            "mean",
            "ci_low",
            "ci_high",
            "n_subjects",
            "hedges_g",
        ],
    )
    subject_values = means.rename(columns={"_label": "label"})
    subject_values["label"] = classes[subject_values["label"].astype(int)]
    return out, subject_values


def _hedges_g(a, b):
    """Hedges' g of b minus a (pooled SD, small-sample corrected)."""
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return np.nan
    pooled = np.sqrt(
        ((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2)
    )
    if pooled == 0:
        return np.nan
    correction = 1 - 3 / (4 * (na + nb) - 9)
    return float((b.mean() - a.mean()) / pooled * correction)
