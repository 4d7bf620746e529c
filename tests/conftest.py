"""Shared fixtures: small data and small models so the suite stays fast."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # plots in tests never need a screen

import numpy as np
import openpyxl
import pandas as pd
import pytest
import soundfile as sf
import torch
from skorch.callbacks import Callback

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


class GradientNorms(Callback):
    """Records what skorch hands ``on_grad_computed``: the flag and the norm.

    Callbacks run in order, the classifier's own (gradient clipping) first:
    the norm is that of the gradients the optimizer steps with.
    """

    def __init__(self):
        self.seen = []

    def on_grad_computed(self, net, named_parameters, batch=None, **kwargs):
        grads = [p.grad for _, p in named_parameters if p.grad is not None]
        norm = torch.sqrt(sum((g.float() ** 2).sum() for g in grads))
        self.seen.append((kwargs.get("training"), float(norm)))


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


# --- a VOC-ALS-shaped tree: real .xlsx with a title row, wav files ----------------

SUBJECTS = [  # ID, Category, ALSFRS-R speech subscore
    ("CT001", "HC", "-"),
    ("CT003", "HC", None),
    ("PZ001", "ALS", 4),
    ("PZ002", "ALS", 3),
    ("PZ004", "ALS", 1),
    ("PZ005", "ALS", 2),
]


def write_voc_als_metadata(path, rows):
    frame = pd.DataFrame(
        rows, columns=["ID", "Category", "ALSFRS-R_SpeechSubscore"]
    ).assign(**{"Age (years)": 60, "Sex": "F", "Meanf0_A": 120.5})
    frame.to_excel(path, index=False, startrow=1)
    book = openpyxl.load_workbook(path)
    book.active["A1"] = "VOC-ALS database: clinical and acoustic data"
    book.save(path)


def write_wav(path, seconds=0.5, seed=0):
    y = 0.1 * np.random.default_rng(seed).standard_normal(int(SR * seconds))
    sf.write(path, y, SR)


def make_voc_als_tree(root, folders=("rhythmPA", "rhythmTA", "phonationA")):
    root.mkdir()
    write_voc_als_metadata(root / "VOC-ALS.xlsx", SUBJECTS)
    for folder in folders:
        (root / folder).mkdir()
        for k, (sid, _, _) in enumerate(SUBJECTS):
            write_wav(root / folder / f"{sid}_{folder}.wav", seed=k)
    return root
