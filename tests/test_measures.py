"""DDKMeasures and VoiceMeasures: accuracy, Praat's own numbers, failure modes."""

import glob
import os
import warnings

import numpy as np
import pandas as pd
import parselmouth
import pytest
from parselmouth.praat import call
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skhyperdys import HypernetClassifier
from skhyperdys.audio import load_audio
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.measures import (
    DDKMeasures,
    MeasurementWarning,
    VoiceMeasures,
    correlate_with_measures,
    group_differences,
    syllable_onsets,
)
from skhyperdys.measures._voice import VOICE_FEATURE_NAMES

REAL = os.path.join(os.path.dirname(__file__), "data", "real_speech")


@pytest.fixture(scope="module")
def takes():
    return make_syllable_repetitions(
        36, duration=(2.0, 3.0), return_onsets=True, random_state=3
    )


def _vowel(sr=16000, seconds=1.0, f0=140.0, jitter=0.0, seed=0):
    """A sustained vowel-like sound: a pulse train through three formants."""
    rng = np.random.default_rng(seed)
    n = int(sr * seconds)
    periods = 1 / f0 * (1 + jitter * rng.standard_normal(int(seconds * f0) + 2))
    pulses = np.zeros(n)
    pulses[(np.cumsum(periods) * sr).astype(int)[np.cumsum(periods) * sr < n]] = 1
    spectrum = np.fft.rfft(pulses)
    freqs = np.fft.rfftfreq(n, 1 / sr)
    for fc, bw in ((700, 80), (1200, 100), (2600, 150)):
        spectrum *= 1 + 8 / (1 + ((freqs - fc) / bw) ** 2)
    y = np.fft.irfft(spectrum, n)
    return 0.5 * y / np.abs(y).max() + 1e-4 * rng.standard_normal(n)


# --- syllable detection ------------------------------------------------------


def test_onsets_match_the_true_onsets(takes):
    # Half of these speakers are dysarthric (severe ones run syllables into
    # each other); benchmarks/validate_ddk.py measures the mixed corpus.
    counts, errors = [], []
    for y, true in zip(takes.data, takes.onsets, strict=True):
        found = syllable_onsets(y, takes.sr)
        counts.append(len(found) - len(true))
        errors += list(np.abs(true[:, None] - found[None]).min(axis=1))
    counts = np.asarray(counts)
    assert np.mean(counts == 0) >= 0.85, counts
    assert np.mean(np.abs(counts) <= 1) >= 0.97, counts
    assert np.median(errors) <= 0.020


@pytest.mark.parametrize("sr", [16000, 48000])
def test_onsets_at_other_sample_rates(sr):
    # Healthy speakers: the rate alone changes (validate_ddk.py: all of them).
    ds = make_syllable_repetitions(9, sr=sr, return_onsets=True, random_state=0)
    healthy = np.flatnonzero(ds.severity == 0)
    assert len(healthy) >= 3
    for i in healthy:
        y, true = ds.data[i], ds.onsets[i]
        found = syllable_onsets(y, sr)
        assert len(found) == len(true)
        assert np.median(np.abs(found - true)) <= 0.020


def test_onsets_return_details(takes):
    onsets, details = syllable_onsets(takes.data[0], takes.sr, return_details=True)
    np.testing.assert_array_equal(onsets, details.onsets)
    assert np.all(details.vowel_starts <= details.nuclei)
    assert np.all(details.nuclei <= details.vowel_ends)
    assert np.all(np.diff(onsets) > 0)


def test_onsets_reject_bad_input():
    with pytest.raises(ValueError, match="X\\[0\\] is empty"):
        syllable_onsets(np.zeros(0), 8000)
    with pytest.raises(ValueError, match="sr must be a positive integer"):
        syllable_onsets(np.zeros(100), 0)


def test_unvoiced_noises_are_no_syllables():
    """Frication, bursts and clicks are loud but not periodic: not a nucleus."""
    sr, rng = 8000, np.random.default_rng(0)
    t = np.arange(int(0.12 * sr)) / sr
    vowel = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8))
    vowel *= np.hanning(len(t))
    hiss = rng.standard_normal(int(0.06 * sr)) * np.hanning(int(0.06 * sr))
    quiet = 1e-3 * rng.standard_normal(int(0.08 * sr))
    pieces = [quiet]
    for _ in range(5):
        pieces += [vowel, quiet, hiss, quiet]
    y = 0.3 * np.concatenate(pieces)
    onsets = syllable_onsets(y, sr)
    assert len(onsets) == 5, onsets


def test_real_voices_count_syllables():
    """Real words: "three" has one syllable, "seven" two (FSDD, 3 speakers)."""
    for digit, expected in (("3", 1), ("7", 2)):
        paths = sorted(glob.glob(os.path.join(REAL, f"{digit}_*.wav")))
        counts = [len(syllable_onsets(load_audio(p, 8000), 8000)) for p in paths]
        assert np.mean(np.asarray(counts) == expected) >= 0.8, (digit, counts)


# --- DDKMeasures ---------------------------------------------------------------


def test_ddk_rate_and_regularity_follow_the_speakers(takes):
    ddk = DDKMeasures().set_output(transform="pandas").fit_transform(takes.data)
    assert list(ddk.columns)[:3] == ["n_syllables", "ddk_rate", "ioi_mean"]
    healthy, dys = ddk[takes.target == 0], ddk[takes.target == 1]
    # Healthy speakers repeat at 5.5-7 syllables/s, dysarthric ones slower
    # and less regularly.
    assert healthy["ddk_rate"].between(5.0, 7.5).all()
    assert dys["ddk_rate"].mean() < healthy["ddk_rate"].mean() - 1.0
    assert dys["ioi_cv"].mean() > 2 * healthy["ioi_cv"].mean()
    # The true rate of each take, from its true onsets.
    true = np.array([(len(t) - 1) / (t[-1] - t[0]) for t in takes.onsets])
    assert np.median(np.abs(ddk["ddk_rate"] - true) / true) < 0.02
    # F0 within the generator's range (95-230 Hz).
    assert ddk["f0_mean"].between(90, 240).all()
    assert (ddk["f0_sd"] >= 0).all()


def test_ddk_says_where_it_cannot_measure(takes):
    rng = np.random.default_rng(0)
    silence = np.zeros(8000)
    noise = 0.1 * rng.standard_normal(8000)
    vowel = _vowel(sr=8000)
    X = [takes.data[0], silence, noise, vowel]
    with pytest.warns(MeasurementWarning) as record:
        out = DDKMeasures().fit_transform(X)
    message = str(record[0].message)
    assert "X[1]: fewer than two syllables (0 found)" in message
    assert "X[0]" not in message
    assert np.isfinite(out[0]).all()
    for row in out[1:]:
        assert np.isnan(row[1:]).sum() >= 8  # rhythm measures not measured
    assert out[1, 0] == 0  # the count itself is a measurement


def test_ddk_irregular_take_is_no_repetition(takes):
    y = takes.data[0]
    # Cut the take into syllable-long pieces and put them at random times.
    onsets = syllable_onsets(y, takes.sr)
    rng = np.random.default_rng(0)
    bounds = zip(onsets[:-1], onsets[1:], strict=True)
    pieces = [y[int(a * 8000) : int(b * 8000)] for a, b in bounds]
    gaps = [np.zeros(int(rng.uniform(0.05, 1.0) * 8000)) for _ in pieces]
    pairs = zip(pieces, gaps, strict=True)
    shuffled = np.concatenate([np.concatenate(pair) for pair in pairs])
    with pytest.warns(MeasurementWarning, match="not a regular repetition"):
        row = DDKMeasures().fit_transform([shuffled])[0]
    assert np.isnan(row[1:9]).all()


def test_ddk_input_forms_and_resampling(takes, tmp_path):
    import soundfile as sf

    y = takes.data[0]
    path = tmp_path / "take.wav"
    sf.write(path, y, 8000)
    import librosa

    y16 = librosa.resample(y, orig_sr=8000, target_sr=16000)
    out = DDKMeasures().fit_transform([y, str(path), (y16, 16000)])
    np.testing.assert_allclose(out[0], out[1], rtol=1e-4, atol=1e-4)
    assert out[2, 0] == out[0, 0]
    np.testing.assert_allclose(out[2, 1], out[0, 1], rtol=0.02)


def test_stateless_transform_needs_no_fit(takes):
    unfitted = DDKMeasures().set_output(transform="pandas").transform(takes.data[:2])
    fitted = DDKMeasures().set_output(transform="pandas").fit_transform(takes.data[:2])
    pd.testing.assert_frame_equal(unfitted, fitted)


def test_ddk_threads_give_the_same_numbers(takes):
    one = DDKMeasures().fit_transform(takes.data[:8])
    two = DDKMeasures(n_jobs=2, verbose=1).fit_transform(takes.data[:8])
    np.testing.assert_array_equal(one, two)


def test_measures_reject_bad_parameters():
    with pytest.raises(ValueError, match="pitch_floor .* below pitch_ceiling"):
        DDKMeasures(pitch_floor=500, pitch_ceiling=100).fit([np.zeros(100)])
    with pytest.raises(ValueError, match="sr"):
        VoiceMeasures(sr=10).fit([np.zeros(100)])
    with pytest.raises(ValueError, match="X\\[1\\]"):
        DDKMeasures().fit_transform([np.zeros(100), np.array([np.nan])])


def test_measures_compose_with_sklearn(takes):
    cv = StratifiedGroupKFold(3)
    pipe = make_pipeline(
        DDKMeasures(), SimpleImputer(), StandardScaler(), LogisticRegression()
    )
    scores = cross_validate(pipe, takes.data, takes.target, groups=takes.groups, cv=cv)
    assert scores["test_score"].mean() > 0.8
    search = GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=cv)
    search.fit(takes.data, takes.target, groups=takes.groups)
    assert search.best_score_ > 0.8
    table = pd.DataFrame({"audio": list(takes.data[:4])})
    both = ColumnTransformer(
        [("ddk", DDKMeasures(), ["audio"]), ("voice", VoiceMeasures(), ["audio"])]
    ).set_output(transform="pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        out = both.fit_transform(table)
    assert "ddk__ddk_rate" in out.columns and "voice__jitter_local" in out.columns


def test_measures_as_the_context_of_the_image_pipeline(takes):
    """A context that learns (an imputer after the measures) is fitted once."""
    from conftest import small_classifier, small_transformer

    from skhyperdys import ImagesAndContext

    context = make_pipeline(DDKMeasures(), SimpleImputer(strategy="median"))
    pipe = Pipeline(
        [
            ("features", ImagesAndContext(small_transformer(), context)),
            ("clf", small_classifier(context="data", context_dim=11)),
        ]
    )
    pipe.fit(takes.data[:24], takes.target[:24])
    fitted = pipe.named_steps["features"].context_
    assert fitted.named_steps["simpleimputer"].statistics_.shape == (11,)
    assert pipe.predict_proba(takes.data[24:]).shape == (12, 2)


def test_measures_as_the_hypernetwork_context(takes):
    ddk = np.nan_to_num(DDKMeasures().fit_transform(takes.data)).astype(np.float32)
    features = np.random.default_rng(0).standard_normal((len(ddk), 16))
    X = {"features": features.astype(np.float32), "context": ddk}
    clf = HypernetClassifier(
        context="data", context_dim=ddk.shape[1], embed_dim=8, hyper_hidden=8,
        max_epochs=30, lr=1e-2, batch_size=12, random_state=0,
    )  # fmt: skip
    clf.fit(X, takes.target)
    # The features are noise: all it knows comes from the measures.
    assert clf.score(X, takes.target) > 0.75


# --- VoiceMeasures: Praat's own numbers --------------------------------------


def _praat(y, sr, floor=75.0, ceiling=600.0):
    """Praat's commands with their dialogue defaults, called directly."""
    sound = parselmouth.Sound(y, sr)
    pitch = call(sound, "To Pitch", 0.0, floor, ceiling)
    pp = call(sound, "To PointProcess (periodic, cc)", floor, ceiling)
    harm = call(sound, "To Harmonicity (cc)", 0.01, floor, 0.1, 1.0)
    cep = call(sound, "To PowerCepstrogram", 60.0, 0.002, 5000.0, 50.0)
    formant = call(sound, "To Formant (burg)", 0.0, 5.0, 5500.0, 0.025, 50.0)
    j = (0, 0, 0.0001, 0.02, 1.3)
    return [
        call(pitch, "Get mean", 0, 0, "Hertz"),
        call(pitch, "Get standard deviation", 0, 0, "Hertz"),
        call(pitch, "Get minimum", 0, 0, "Hertz", "Parabolic"),
        call(pitch, "Get maximum", 0, 0, "Hertz", "Parabolic"),
        call(pp, "Get jitter (local)", *j),
        call(pp, "Get jitter (local, absolute)", *j),
        call(pp, "Get jitter (rap)", *j),
        call(pp, "Get jitter (ppq5)", *j),
        call([sound, pp], "Get shimmer (local)", *j, 1.6),
        call([sound, pp], "Get shimmer (local_dB)", *j, 1.6),
        call([sound, pp], "Get shimmer (apq3)", *j, 1.6),
        call([sound, pp], "Get shimmer (apq5)", *j, 1.6),
        call([sound, pp], "Get shimmer (apq11)", *j, 1.6),
        call(harm, "Get mean", 0, 0),
        call(cep, "Get CPPS", "yes", 0.02, 0.0005, 60, 330, 0.05, "Parabolic",
             0.001, 0, "Straight", "Robust"),
        call(formant, "Get mean", 1, 0, 0, "hertz"),
        call(formant, "Get mean", 2, 0, 0, "hertz"),
        call(formant, "Get mean", 3, 0, 0, "hertz"),
    ]  # fmt: skip


def test_voice_measures_are_praats_own():
    y = _vowel(jitter=0.01)
    ours = VoiceMeasures(sr=16000).fit_transform([y])[0]
    np.testing.assert_array_equal(ours, _praat(y, 16000))


def test_voice_measures_on_real_voices_are_praats_own():
    paths = sorted(glob.glob(os.path.join(REAL, "3_*.wav")))[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        ours = VoiceMeasures().fit_transform(paths)
    for path, row in zip(paths, ours, strict=True):
        np.testing.assert_array_equal(row, _praat(load_audio(path, 8000), 8000))
        assert 70 < row[0] < 250  # adult men's F0


def test_voice_measures_follow_jitter():
    table = VoiceMeasures(sr=16000).set_output(transform="pandas")
    out = table.fit_transform([_vowel(jitter=0.0), _vowel(jitter=0.02)])
    assert list(out.columns) == list(VOICE_FEATURE_NAMES)
    assert out["jitter_local"][1] > 3 * out["jitter_local"][0]
    assert out["f0_mean"].between(135, 145).all()
    assert out["hnr"][0] > out["hnr"][1]


def test_voice_measures_unvoiced_and_short_are_nan_and_named():
    noise = 0.1 * np.random.default_rng(0).standard_normal(16000)
    X = [_vowel(), noise, _vowel()[:300]]
    with pytest.warns(MeasurementWarning) as record:
        out = VoiceMeasures(sr=16000).fit_transform(X)
    message = str(record[0].message)
    assert "X[1]: unvoiced" in message and "X[2]: too short" in message
    assert "X[0]" not in message
    assert np.isfinite(out[0]).all()
    assert np.isnan(out[1:]).all()


def test_voice_pitch_range_is_used():
    y = _vowel(f0=140.0)
    low = VoiceMeasures(sr=16000, pitch_floor=60, pitch_ceiling=200).fit_transform([y])
    np.testing.assert_array_equal(low[0], _praat(y, 16000, 60, 200))


# --- measures and the model side by side ---------------------------------------


def test_correlation_with_a_measure_and_its_interval():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(30), 2)
    rate = np.repeat(rng.normal(6, 1, 30), 2) + 0.05 * rng.standard_normal(60)
    other = rng.standard_normal(60)
    proba = 1 / (1 + np.exp(2 * (rate - 6)))
    table = correlate_with_measures(
        np.column_stack([1 - proba, proba]),
        pd.DataFrame({"ddk_rate": rate, "noise": other}),
        groups,
        n_bootstraps=200,
        random_state=0,
    )
    assert table.loc["ddk_rate", "rho"] < -0.95
    assert table.loc["ddk_rate", "ci_high"] < -0.9
    assert table.loc["noise", "ci_low"] < 0 < table.loc["noise", "ci_high"]
    assert (table["n_subjects"] == 30).all()
    again = correlate_with_measures(
        proba, {"ddk_rate": rate, "noise": other}, groups, n_bootstraps=200,
        random_state=0,
    )  # fmt: skip
    pd.testing.assert_frame_equal(table, again)
    with pytest.raises(ValueError, match="one row per recording"):
        correlate_with_measures(proba, {"x": rate[:10]}, groups)


def test_group_differences_effect_size():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 40)
    groups = np.repeat(np.arange(40), 2)
    rate = np.repeat(rng.normal(6.5, 0.5, 40), 2) - 1.0 * y
    table, subjects = group_differences({"ddk_rate": rate}, y, groups, random_state=0)
    assert len(subjects) == 40
    g = table["hedges_g"].iloc[0]
    assert -3.5 < g < -1.0
    row = table[table["group"] == 0].iloc[0]
    assert row["ci_low"] < row["mean"] < row["ci_high"]


def test_plot_measures_by_group():
    from skhyperdys.plotting import plot_measures_by_group

    y = np.repeat([0, 1], 10)
    axes = plot_measures_by_group(
        {"a": np.arange(20.0), "b": np.ones(20)}, y, np.arange(20),
        target_names=["healthy", "ALS"], n_bootstraps=50,
    )  # fmt: skip
    assert len(axes) == 2
    assert axes[0].get_title().startswith("a\ng = ")
    assert axes[1].get_title() == "b\ng n/a"  # constant: no effect size


def test_the_warning_lists_ten_recordings_and_counts_the_rest():
    with pytest.warns(MeasurementWarning) as record:
        DDKMeasures().fit_transform([np.zeros(4000)] * 12)
    message = str(record[0].message)
    assert message.startswith("DDKMeasures: 12 of 12 recordings")
    assert "X[9]: fewer than two syllables" in message and "X[10]" not in message
    assert message.endswith("; and 2 more.")
