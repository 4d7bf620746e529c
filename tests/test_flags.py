"""skhyperdys._flags: the rule by which unusual inputs are flagged."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from skhyperdys._flags import (
    NoveltyReference,
    audio_reasons,
    loudest_frame_dbfs,
    novelty_reasons,
)

SR = 8000


def test_level_of_the_loudest_frame():
    t = np.arange(SR) / SR
    quiet = 0.001 * np.sin(2 * np.pi * 200 * t)  # RMS 0.001 / sqrt(2): -63 dBFS
    loud = quiet.copy()
    loud[4000:4160] *= 100  # one 20 ms frame 40 dB louder
    assert loudest_frame_dbfs(quiet, SR) == pytest.approx(-63.01, abs=0.01)
    assert loudest_frame_dbfs(loud, SR) == pytest.approx(-23.01, abs=0.01)
    # a clip shorter than a frame: its own level; a partial last frame counts
    assert loudest_frame_dbfs(np.full(50, 0.5), SR) == pytest.approx(-6.02, abs=0.01)
    tail = np.concatenate([np.zeros(160), np.full(10, 0.5)])
    assert loudest_frame_dbfs(tail, SR) == pytest.approx(-6.02, abs=0.01)


def test_silence_threshold_is_minus_60_dbfs():
    t = np.arange(SR) / SR
    tone = np.sqrt(2) * np.sin(2 * np.pi * 250 * t)  # RMS 1: 0 dBFS
    assert audio_reasons(tone * 10 ** (-59 / 20), SR) == []
    (reason,) = audio_reasons(tone * 10 ** (-61 / 20), SR)
    assert reason == "near-silent (loudest 20 ms at -61 dBFS, under -60 dBFS)"
    assert audio_reasons(tone[:1999], SR) == ["short (0.250 s, under 0.25 s)"]
    assert audio_reasons(tone[:2000], SR) == []


def test_novelty_of_a_large_reference_leaves_each_row_out_of_its_own():
    rng = np.random.default_rng(0)
    reference = rng.standard_normal((1100, 3))  # more rows than a block (1024)
    distance = cdist(reference, reference)
    np.fill_diagonal(distance, np.inf)
    own = np.sort(distance, axis=1)[:, :5].mean(axis=1)
    novelty = NoveltyReference(reference)
    np.testing.assert_allclose(novelty.own, own / np.median(own), rtol=1e-6)
    queries = rng.standard_normal((5, 3)) * 3
    expected = np.sort(cdist(queries, reference), axis=1)[:, :5].mean(axis=1)
    np.testing.assert_allclose(
        novelty.scores(queries), expected / np.median(own), rtol=1e-6
    )
    assert novelty.threshold() == pytest.approx(
        1.5 * np.quantile(own / np.median(own), 0.99)
    )


def test_novelty_reasons():
    assert novelty_reasons([3.0, 2.0, 2.5], 2.0) == [
        ["far from the training data (novelty 3.0, above 2.0)"],
        [],
        ["far from the training data (novelty 2.5, above 2.0)"],
    ]
