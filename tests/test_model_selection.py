import numpy as np
import pytest
import sklearn
from conftest import small_classifier, small_transformer
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback

from skhyperdys.model_selection import GroupValidSplit


class _RecordSplit(Callback):
    """Remember which samples skorch trained and validated on."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.seen = []

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kw):
        self.seen.append((dataset_train.indices, dataset_valid.indices))


def test_split_keeps_subjects_apart_and_stratifies():
    y = np.array(["HC", "ALS"] * 30)
    groups = np.repeat(np.arange(20), 3)
    y = np.where(groups % 2 == 0, "HC", "ALS")
    train, valid = GroupValidSplit(4, random_state=0)(np.zeros(60), y, groups)
    assert not set(groups[train.indices]) & set(groups[valid.indices])
    assert len(valid) == 15 and set(y[valid.indices]) == {"HC", "ALS"}
    again = GroupValidSplit(4, random_state=0)(np.zeros(60), y, groups)[1]
    np.testing.assert_array_equal(again.indices, valid.indices)


def test_split_errors():
    with pytest.raises(ValueError, match="groups=subject_ids"):
        GroupValidSplit()(np.zeros(4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="at least 5 subjects; groups holds 2"):
        GroupValidSplit()(np.zeros(4), [0, 1, 0, 1], [1, 1, 2, 2])


def test_exactly_n_splits_subjects_are_enough():
    groups = np.repeat(np.arange(4), 2)  # 4 subjects, 2 recordings each
    y = np.array([0, 1] * 4)
    train, valid = GroupValidSplit(4, random_state=0)(np.zeros(8), y, groups)
    assert len(set(groups[valid.indices])) == 1  # one subject in four held out
    assert len(set(groups[train.indices])) == 3


def test_fit_with_groups_validates_on_held_out_subjects(images, recordings):
    record = _RecordSplit()
    y = np.where(recordings.target == 1, "dysarthric", "healthy")  # string labels
    clf = small_classifier(
        train_split=GroupValidSplit(5, random_state=0), callbacks=[record]
    )
    clf.fit(images, y, groups=recordings.groups)
    train, valid = record.seen[0]
    groups = recordings.groups
    assert not set(groups[train]) & set(groups[valid])
    assert len(clf.history_[:, "valid_acc"]) == 2
    expected = np.mean(clf.predict(images[valid]) == y[valid])
    assert clf.history_[-1, "valid_acc"] == pytest.approx(expected)


def _pipeline(**params):
    clf = small_classifier(train_split=GroupValidSplit(3, random_state=0), **params)
    return Pipeline([("images", small_transformer()), ("clf", clf)])


def test_groups_reach_the_split_in_cross_validate_with_routing(recordings):
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            _pipeline(max_epochs=1),
            recordings.data,
            recordings.target,
            cv=StratifiedGroupKFold(2),
            params={"groups": recordings.groups},
            return_estimator=True,
        )
    for est in result["estimator"]:
        assert len(est["clf"].history_[:, "valid_loss"]) == 1


def test_groups_reach_the_split_in_grid_search_without_routing(recordings):
    search = GridSearchCV(
        _pipeline(max_epochs=1),
        {"clf__context_dim": [4, 8]},
        cv=StratifiedGroupKFold(2),
        error_score="raise",
    )
    search.fit(
        recordings.data,
        recordings.target,
        groups=recordings.groups,
        clf__groups=recordings.groups,
    )
    assert len(search.best_estimator_["clf"].history_[:, "valid_loss"]) == 1
