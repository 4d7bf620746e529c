"""Uncertainty of a fitted classifier's predictions."""

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from .._inputs import parse_input, summarise

# Neighbours averaged in the novelty score.
N_NEIGHBORS = 5


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


def novelty_scores(reference, summaries, n_neighbors=N_NEIGHBORS):
    """Mean distance to the nearest reference rows, in units of their own spacing.

    Parameters
    ----------
    reference : ndarray of shape (n_reference, d)
        Summaries of the training inputs.
    summaries : ndarray of shape (n, d)
        Summaries of the inputs to score.
    n_neighbors : int, default=5
        Neighbours averaged.

    Returns
    -------
    novelty : ndarray of shape (n,)
        The mean distance of each input to its ``n_neighbors`` nearest
        reference rows, divided by the median of the same quantity for the
        reference rows themselves (each left out of its own neighbours): about
        1 for inputs like the training data, larger for unlike ones.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.inspection._uncertainty import novelty_scores
    >>> reference = np.random.default_rng(0).standard_normal((50, 2))
    >>> scores = novelty_scores(reference, np.array([[0.0, 0.0], [10.0, 10.0]]))
    >>> bool(scores[1] > 5 * scores[0])
    True
    """
    k = max(1, min(n_neighbors, len(reference) - 1))
    index = NearestNeighbors(n_neighbors=k + 1).fit(reference)
    own, _ = index.kneighbors(reference)
    scale = float(np.median(own[:, 1:].mean(axis=1)))
    distance, _ = index.kneighbors(summaries, n_neighbors=k)
    return distance.mean(axis=1) / (scale if scale > 0 else 1.0)


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
      measure that flags such inputs; the entropies do not.

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
        ``novelty``; and ``proba`` of shape (n_samples, n_classes), equal to
        ``estimator.predict_proba(X)``.

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
    >>> sorted(result)
    ['entropy', 'expected_entropy', 'mutual_information', 'novelty', 'proba']
    >>> far = {"features": X["features"] + 100}
    >>> bool(predictive_uncertainty(clf, far).novelty.min() > result.novelty.max())
    True
    """
    clf, prepare = _split(estimator)
    inputs = prepare(X)
    members = clf.predict_member_proba(inputs)
    proba = members.mean(axis=1)
    entropy = _entropy(proba)
    expected_entropy = _entropy(members).mean(axis=1)
    _, parsed = parse_input(inputs, needs_context=False)
    novelty = novelty_scores(clf.novelty_reference_, summarise(parsed))
    return Bunch(
        entropy=entropy,
        expected_entropy=expected_entropy,
        mutual_information=np.clip(entropy - expected_entropy, 0, None),
        novelty=novelty,
        proba=proba,
    )
