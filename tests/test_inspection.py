import numpy as np
import pytest
from conftest import SR, small_classifier, small_transformer
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.inspection import predictive_uncertainty


def _unlike(n_each=4, seconds=2.0, seed=1):
    """White noise, near-silence and pure tones: nothing like speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(SR * seconds)) / SR
    noise = [0.1 * rng.standard_normal(len(t)) for _ in range(n_each)]
    silence = [1e-5 * rng.standard_normal(len(t)) for _ in range(n_each)]
    tones = [0.3 * np.sin(2 * np.pi * f * t) for f in (220, 440, 1000, 2500)]
    return noise + silence + tones[:n_each]


@pytest.fixture(scope="module")
def fitted():
    data = make_syllable_repetitions(48, duration=(1.5, 2.5), random_state=0)
    train, held = slice(0, 36), slice(36, 48)
    pipe = Pipeline(
        [("images", small_transformer()), ("clf", small_classifier(max_epochs=2))]
    )
    pipe.fit(data.data[train], data.target[train])
    return pipe, data.data[held]


def test_measures_and_their_relations(fitted):
    pipe, held = fitted
    result = predictive_uncertainty(pipe, held)
    assert sorted(result) == [
        "entropy",
        "expected_entropy",
        "mutual_information",
        "novelty",
        "novelty_threshold",
        "proba",
    ]
    assert result.novelty_threshold == pipe["clf"].novelty_threshold_
    np.testing.assert_allclose(result.proba, pipe.predict_proba(held), rtol=1e-5)
    p = result.proba
    np.testing.assert_allclose(result.entropy, -(p * np.log(p)).sum(1), rtol=1e-5)
    members = pipe["clf"].predict_member_proba(pipe["images"].transform(held))
    expected = -(members * np.log(members)).sum(2).mean(1)
    np.testing.assert_allclose(result.expected_entropy, expected, rtol=1e-5)
    np.testing.assert_allclose(
        result.mutual_information,
        result.entropy - result.expected_entropy,
        atol=1e-6,
    )
    assert (result.mutual_information > 0).all()  # the 32 classifiers differ


def test_novelty_flags_inputs_unlike_the_training_data(fitted):
    pipe, held = fitted
    unlike = _unlike()
    a = predictive_uncertainty(pipe, held)
    b = predictive_uncertainty(pipe, unlike)
    is_unlike = np.r_[np.zeros(len(held)), np.ones(len(unlike))]
    auc = roc_auc_score(is_unlike, np.r_[a.novelty, b.novelty])
    assert auc >= 0.9
    assert np.median(a.novelty) < 2  # held-out recordings: near 1


def test_dense_head_has_no_disagreement(fitted):
    pipe, held = fitted
    dense = Pipeline(
        [
            ("images", small_transformer()),
            ("clf", small_classifier(head="dense", max_epochs=1)),
        ]
    ).fit(held, [0, 1] * 6)
    result = predictive_uncertainty(dense, held)
    np.testing.assert_allclose(result.mutual_information, 0, atol=1e-6)
    members = dense["clf"].predict_member_proba(dense["images"].transform(held))
    assert members.shape == (len(held), 1, 2)


def test_bad_estimators(fitted):
    pipe, held = fitted
    with pytest.raises(TypeError, match="HypernetClassifier or a Pipeline"):
        predictive_uncertainty(StandardScaler(), held)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        predictive_uncertainty(small_classifier(), held)
