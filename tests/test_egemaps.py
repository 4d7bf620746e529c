"""eGeMAPS functionals: openSMILE's own numbers, at the clip's own sample rate."""

import warnings

import numpy as np
import pytest
import soundfile as sf

from skhyperdys import EgemapsFunctionals
from skhyperdys.audio import load_audio
from skhyperdys.features import (
    EGEMAPS_MIN_SECONDS,
    egemaps_functionals,
    make_egemaps_extractor,
)

opensmile = pytest.importorskip("opensmile")

RATES = [8000, 16000]


@pytest.fixture(scope="module")
def smile():
    """openSMILE's eGeMAPSv02 functionals, built here, not by the library."""
    return opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02,
        feature_level=opensmile.FeatureLevel.Functionals,
    )


def reference(smile, y, sr):
    """openSMILE's values for ``y`` at ``sr``, as a row of 88 (NaN kept)."""
    return smile.process_signal(y, sr).to_numpy()[0]


def voiced(sr, seconds=2.0, f0=140.0, seed=0):
    """A harmonic tone with 5 Hz vibrato, a slow swell and a little noise."""
    t = np.arange(int(round(sr * seconds))) / sr
    phase = 2 * np.pi * np.cumsum(f0 + 0.06 * f0 * np.sin(2 * np.pi * 5 * t)) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 11))
    y *= 0.7 + 0.3 * np.sin(np.pi * t / seconds)
    y = 0.3 * y / np.abs(y).max()
    y += 0.005 * np.random.default_rng(seed).standard_normal(len(t))
    return y.astype(np.float32)


def padded(y, sr, seconds=0.5):
    """``y`` zero-padded at the end to ``seconds`` (the documented minimum)."""
    return np.pad(y, (0, int(np.ceil(seconds * sr)) - len(y)))


def test_extractor_is_egemaps_functionals(smile):
    names = make_egemaps_extractor().feature_names
    assert len(names) == 88 and names == smile.feature_names


@pytest.mark.parametrize("sr", RATES)
def test_functionals_equal_opensmile(smile, sr):
    y = voiced(sr)
    expected = reference(smile, y, sr)
    assert np.isfinite(expected).all()  # a clip every functional is defined on
    for values in (egemaps_functionals(y, sr), egemaps_functionals(y, sr, smile)):
        assert values.shape == (88,) and values.dtype == np.float32
        # same numbers, same column order
        np.testing.assert_allclose(values, expected, rtol=1e-6, atol=0)
    # the rate matters: at the other rate openSMILE gives other numbers
    other = reference(smile, y, 24000 - sr)
    assert not np.allclose(values, other, rtol=1e-3)


@pytest.mark.parametrize("sr", RATES)
def test_transformer_equals_opensmile(smile, sr):
    clips = [voiced(sr, f0=140.0, seed=1), voiced(sr, f0=220.0, seed=2)]
    expected = np.stack([reference(smile, y, sr) for y in clips])
    assert not np.allclose(expected[0], expected[1])  # rows can be told apart
    features = EgemapsFunctionals(sr=sr).fit_transform(clips)
    assert features.shape == (2, 88) and features.dtype == np.float32
    np.testing.assert_allclose(features, expected, rtol=1e-6, atol=0)
    # a 2-D array: one recording per row
    np.testing.assert_allclose(
        EgemapsFunctionals(sr=sr).transform(np.stack(clips)), expected, rtol=1e-6
    )


@pytest.mark.parametrize("file_sr, sr", [(16000, 16000), (16000, 8000)])
def test_transformer_reads_files_at_its_rate(smile, tmp_path, file_sr, sr):
    path = tmp_path / "voiced.wav"
    sf.write(path, voiced(file_sr), file_sr)
    y = load_audio(path, sr)  # resampled when the rates differ
    assert len(y) == 2 * sr
    features = EgemapsFunctionals(sr=sr).transform([str(path)])
    np.testing.assert_allclose(features[0], reference(smile, y, sr), rtol=1e-6)


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("seconds", [0.03, 0.3])
def test_short_clip_is_zero_padded_to_half_a_second(smile, sr, seconds):
    assert EGEMAPS_MIN_SECONDS == 0.5
    y = voiced(sr, seconds)
    values = egemaps_functionals(y, sr)
    assert values.shape == (88,) and np.isfinite(values).all()
    assert np.count_nonzero(values) > 20  # real values, not NaN turned into 0
    # exactly openSMILE's numbers for the clip zero-padded at its end to 0.5 s
    expected = reference(smile, padded(y, sr), sr)
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=0)
    np.testing.assert_allclose(
        EgemapsFunctionals(sr=sr).transform([y])[0], expected, rtol=1e-6, atol=0
    )
    # ... which are not those of the clip as it is (all NaN when very short), so
    # this test tells padding from no padding
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Segment too short"
        unpadded = reference(smile, y, sr)
    assert not np.allclose(values, np.nan_to_num(unpadded), rtol=1e-3)


def test_parallel_rows_stay_in_the_order_of_x(smile):
    # 36 clips of different pitch: three chunks of 16, run by two workers
    clips = [voiced(8000, seconds=0.6, f0=100.0 + 5 * i, seed=i) for i in range(36)]
    expected = np.stack([reference(smile, y, 8000) for y in clips])
    features = EgemapsFunctionals(n_jobs=2).transform(clips)
    np.testing.assert_allclose(features, np.nan_to_num(expected), rtol=1e-6, atol=0)
