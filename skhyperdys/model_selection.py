"""Internal validation splits that keep each subject on one side."""

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold
from torch.utils.data import Subset

__all__ = ["GroupValidSplit"]


class GroupValidSplit:
    """A skorch ``train_split`` that never puts one subject on both sides.

    Holds out about ``1 / n_splits`` of the subjects for validation (the
    first fold of :class:`~sklearn.model_selection.StratifiedGroupKFold`:
    class proportions kept as far as whole subjects allow), for a validation
    loss and accuracy per epoch and early stopping without leaking subjects.
    Pass the subject IDs to ``fit``::

        clf = HypernetClassifier(train_split=GroupValidSplit(5),
                                 callbacks=[EarlyStopping(load_best=True)])
        clf.fit(X, y, groups=subject_ids)

    Inside ``cross_validate`` or ``GridSearchCV`` the groups reach it through
    scikit-learn's metadata routing (``sklearn.set_config(
    enable_metadata_routing=True)`` and ``params={"groups": groups}``: the
    classifier asks for them), or, without routing, as
    ``params={"clf__groups": groups}`` for a pipeline step named ``clf``.
    Labels of any type work (strings too).

    Parameters
    ----------
    n_splits : int, default=5
        One subject in ``n_splits`` (roughly) is held out.
    random_state : int or None, default=None
        Shuffles the subjects before splitting; an int makes it repeatable.

    Attributes
    ----------
    cv : StratifiedGroupKFold
        The splitter; skorch routes ``groups`` to it.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.model_selection import GroupValidSplit
    >>> y = np.array(["HC", "ALS"] * 10)
    >>> groups = np.repeat(np.arange(10), 2) * 2 + (y == "ALS")  # 2 clips each
    >>> train, valid = GroupValidSplit(5, random_state=0)(np.zeros(20), y, groups)
    >>> set(groups[train.indices]) & set(groups[valid.indices])
    set()
    """

    def __init__(self, n_splits=5, random_state=None):
        self.n_splits = n_splits
        self.random_state = random_state
        self.cv = StratifiedGroupKFold(
            n_splits=n_splits, shuffle=random_state is not None,
            random_state=random_state,
        )

    def __call__(self, dataset, y=None, groups=None):
        """Split ``dataset`` into training and validation subsets.

        Parameters
        ----------
        dataset : torch Dataset or array-like
            The training data (skorch passes its Dataset).
        y : array-like of shape (n_samples,)
            Class labels, for stratification.
        groups : array-like of shape (n_samples,)
            Subject ID of each sample.

        Returns
        -------
        train, valid : torch.utils.data.Subset
            The two parts; no subject is in both.

        Raises
        ------
        ValueError
            If ``groups`` or ``y`` is missing, their lengths differ from the
            data's, or there are fewer subjects than ``n_splits``.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys.model_selection import GroupValidSplit
        >>> split = GroupValidSplit(2)
        >>> train, valid = split(np.zeros(4), [0, 1, 0, 1], groups=[0, 1, 2, 3])
        >>> len(train), len(valid)
        (2, 2)
        """
        if groups is None:
            raise ValueError(
                "GroupValidSplit needs the subject of every sample: call "
                "fit(X, y, groups=subject_ids) (inside cross_validate or "
                "GridSearchCV, route groups to the classifier's fit)."
            )
        if y is None:
            raise ValueError("GroupValidSplit stratifies by y: pass y to fit.")
        y, groups = np.asarray(y), np.asarray(groups)
        n = len(dataset)
        if len(y) != n or len(groups) != n:
            raise ValueError(
                f"GroupValidSplit got {n} samples, {len(y)} labels and "
                f"{len(groups)} groups; they must match."
            )
        n_subjects = len(np.unique(groups))
        if n_subjects < self.n_splits:
            raise ValueError(
                f"GroupValidSplit({self.n_splits}) needs at least "
                f"{self.n_splits} subjects; groups holds {n_subjects}."
            )
        train, valid = next(self.cv.split(np.zeros(n), y, groups))
        return Subset(dataset, train), Subset(dataset, valid)

    def __repr__(self):
        return (
            f"GroupValidSplit(n_splits={self.n_splits}, "
            f"random_state={self.random_state})"
        )
