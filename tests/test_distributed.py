"""GridSearchCV and cross_validate over the pipeline on a Dask cluster."""

import joblib
import numpy as np
import pytest
from conftest import small_classifier, small_transformer
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline

# An optional test dependency: without it, these tests skip (and say so).
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def _pipeline():
    return Pipeline(
        [("images", small_transformer()), ("clf", small_classifier(max_epochs=1))]
    )


def test_grid_search_on_a_local_cluster(client, recordings):
    cv = StratifiedGroupKFold(n_splits=2)
    search = GridSearchCV(_pipeline(), {"clf__context_dim": [4, 8]}, cv=cv, n_jobs=-1)
    with joblib.parallel_config(backend="dask"):
        search.fit(recordings.data, recordings.target, groups=recordings.groups)
    assert len(search.cv_results_["params"]) == 2
    workers = client.run(lambda: __import__("os").getpid())
    assert len(workers) == 2

    # same numbers as a local run: the cluster changes where, not what
    local = GridSearchCV(_pipeline(), {"clf__context_dim": [4, 8]}, cv=cv)
    local.fit(recordings.data, recordings.target, groups=recordings.groups)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


def test_cross_validate_on_a_local_cluster(client, recordings):
    with joblib.parallel_config(backend="dask"):
        scores = cross_validate(
            _pipeline(),
            recordings.data,
            recordings.target,
            groups=recordings.groups,
            cv=StratifiedGroupKFold(n_splits=2),
            n_jobs=-1,
        )
    assert len(scores["test_score"]) == 2
