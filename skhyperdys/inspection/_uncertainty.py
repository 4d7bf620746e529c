"""Uncertainty of a fitted classifier's predictions."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from .._flags import novelty_reasons, warn_unusual


def _split(estimator):
    """The classifier and a function that turns raw X into its input."""
    if isinstance(estimator, Pipeline):
        head, clf = estimator[:-1], estimator[-1]

        def prepare(X):
            return head.transform(X) if len(head) else X

    else:
        clf = estimator

        def prepare(X):
            return X

    if not hasattr(clf, "predict_member_proba"):
        raise TypeError(
            "predictive_uncertainty needs a fitted HypernetClassifier or a "
            f"Pipeline ending in one; got {type(clf).__name__}."
        )
    check_is_fitted(clf, "novelty_reference_")
    return clf, prepare


def _entropy(p, axis=-1):
    return -(p * np.log(np.clip(p, 1e-12, None))).sum(axis=axis)


def predictive_uncertainty(estimator, X):
    """How sure a fitted classifier is of each prediction, and how unusual the input.

    The hypernetwork classifier predicts with an ensemble of generated
    classifiers (one per evaluation context, ``n_eval_contexts``), which gives
    the usual decomposition of predictive uncertainty (Depeweg et al., 2018):

    * ``entropy``: of the averaged prediction; high when the model leans to
      no class, whatever the reason.
    * ``expected_entropy``: the average entropy of the generated
      classifiers' own predictions (the part they all share).
    * ``mutual_information``: ``entropy - expected_entropy``, the
      disagreement between the generated classifiers. A noise-conditioned
      head often learns to ignore much of its noise, so this is small, and
      it does not rise for inputs unlike the training data (measured: see the
      user guide, "Trusting a prediction"). With ``head="dense"`` or a data
      context there is one classifier and it is 0.
    * ``novelty``: how unlike the training inputs an input is, the mean
      distance from its feature image (pooled to 8x8 per channel, or its
      backbone features) to the 5 nearest training inputs, relative to the
      training inputs' own spacing: about 1 for typical inputs, larger for
      unusual ones (noise, silence, a tone, a wrong sample rate). This is the
      measure that flags such inputs; the entropies do not. Inputs above
      the classifier's ``novelty_threshold_`` are listed in a warning.

    Parameters
    ----------
    estimator : HypernetClassifier or Pipeline
        A fitted classifier, or a fitted Pipeline ending in one (its earlier
        steps transform X).
    X : array-like
        Input for ``estimator.predict_proba``.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        Per-sample arrays of shape (n_samples,): ``entropy``,
        ``expected_entropy``, ``mutual_information`` (in nats) and
        ``novelty``; ``proba`` of shape (n_samples, n_classes), equal to
        ``estimator.predict_proba(X)``; and ``novelty_threshold``, the
        classifier's ``novelty_threshold_`` (a float).

    Warns
    -----
    UnusualInputWarning
        Once, listing the inputs above ``novelty_threshold`` (and, through a
        pipeline's :class:`~skhyperdys.SpectrogramImages`, the silent,
        near-silent and too short recordings).

    Raises
    ------
    TypeError
        If ``estimator`` is neither a HypernetClassifier nor a Pipeline
        ending in one.
    sklearn.exceptions.NotFittedError
        If it has not been fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys import HypernetClassifier
    >>> from skhyperdys.inspection import predictive_uncertainty
    >>> rng = np.random.default_rng(0)
    >>> X = {"features": rng.standard_normal((20, 16)).astype("float32")}
    >>> clf = HypernetClassifier(max_epochs=2, embed_dim=8, context_dim=4,
    ...                          hyper_hidden=8, random_state=0).fit(X, [0, 1] * 10)
    >>> result = predictive_uncertainty(clf, X)
    >>> sorted(result)  # doctest: +NORMALIZE_WHITESPACE
    ['entropy', 'expected_entropy', 'mutual_information', 'novelty',
     'novelty_threshold', 'proba']
    >>> far = {"features": X["features"] + 100}
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     novel = predictive_uncertainty(clf, far)
    >>> bool(novel.novelty.min() > result.novelty.max())
    True
    >>> str(caught[0].message)[:60]
    'HypernetClassifier: 20 of 20 inputs are unlike what the mode'

    """
    clf, prepare = _split(estimator)
    inputs = prepare(X)
    members = clf.predict_member_proba(inputs)
    proba = members.mean(axis=1)
    entropy = _entropy(proba)
    expected_entropy = _entropy(members).mean(axis=1)
    novelty = clf.novelty(inputs)
    threshold = clf._novelty_threshold()
    warn_unusual(novelty_reasons(novelty, threshold), type(clf).__name__)
    return Bunch(
        entropy=entropy,
        expected_entropy=expected_entropy,
        mutual_information=np.clip(entropy - expected_entropy, 0, None),
        novelty=novelty,
        novelty_threshold=threshold,
        proba=proba,
    )
