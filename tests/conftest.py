"""Shared fixtures: small data and small models so the suite stays fast."""

import numpy as np
import pytest

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions

SR = 8000
# The smallest images AlexNet accepts comfortably, and a small head.
SMALL_IMAGES = dict(image_size=(64, 64), n_mels=32)
SMALL_NET = dict(
    weights=None,
    embed_dim=32,
    context_dim=8,
    hyper_hidden=16,
    max_epochs=2,
    batch_size=16,
    random_state=0,
)


def small_transformer(**params):
    return SpectrogramImages(**{**SMALL_IMAGES, **params})


def small_classifier(**params):
    return HypernetClassifier(**{**SMALL_NET, **params})


@pytest.fixture(scope="session")
def recordings():
    """30 short synthetic recordings of 10 subjects, half dysarthric."""
    return make_syllable_repetitions(30, duration=(1.0, 2.0), random_state=0)


@pytest.fixture(scope="session")
def images(recordings):
    return small_transformer().fit_transform(recordings.data)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
