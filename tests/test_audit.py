"""The non-speech control, the speech-only transformer and subject-level statistics."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, permutation_test_score
from sklearn.pipeline import make_pipeline

from skhyperdys.audit import (
    ChannelConfoundWarning,
    LogMelStatistics,
    SpeechOnly,
    default_control_estimator,
    detect_speech,
    equalise_noise,
    nonspeech_clip,
    nonspeech_control,
    speech_parts,
    subject_bootstrap_interval,
    subject_permutation_pvalue,
)
from skhyperdys.audit._control import permute_by_subject
from skhyperdys.datasets import make_syllable_repetitions

SR = 8000


def _tone_in_noise(start=1.0, stop=2.0, seconds=3.0, noise=1e-3, seed=0):
    """Noise with a loud tone (the 'speech') from ``start`` to ``stop`` seconds."""
    rng = np.random.default_rng(seed)
    y = noise * rng.standard_normal(int(seconds * SR))
    a, b = int(start * SR), int(stop * SR)
    y[a:b] += 0.5 * np.sin(2 * np.pi * 440 * np.arange(b - a) / SR)
    return y.astype(np.float32)


# --- detection and cutting ----------------------------------------------------


def test_energy_detector_marks_the_loud_part_only():
    mask = detect_speech(_tone_in_noise(), SR)
    speech = np.flatnonzero(mask)
    assert mask.shape == (3 * 100 + 1,)
    assert speech[0] in (99, 100) and speech[-1] in (200, 201)
    assert len(speech) == speech[-1] - speech[0] + 1  # one run


def test_energy_detector_follows_the_floor_of_each_recording():
    quiet, loud = _tone_in_noise(noise=1e-4), _tone_in_noise(noise=1e-2)
    assert np.array_equal(detect_speech(quiet, SR)[::10], detect_speech(loud, SR)[::10])


def test_silero_detector_hears_no_speech_in_noise_and_says_what_it_needs(monkeypatch):
    pytest.importorskip("silero_vad")
    for sr in (8000, 16000, 22050):
        noise = 1e-3 * np.random.default_rng(0).standard_normal(2 * sr)
        mask = detect_speech(noise, sr, detector="silero")
        assert mask.shape == (201,) and not mask.any()
    monkeypatch.setitem(__import__("sys").modules, "silero_vad", None)
    with pytest.raises(ImportError, match="pip install silero-vad"):
        detect_speech(noise, 8000, detector="silero")


def test_unknown_detector_is_refused():
    with pytest.raises(ValueError, match="detector must be one of"):
        detect_speech(_tone_in_noise(), SR, detector="webrtc")


def test_nonspeech_clip_is_far_from_speech_and_of_fixed_length():
    y = _tone_in_noise(start=0.5, stop=2.6)  # longest non-speech: the first 0.5 s
    mask = detect_speech(y, SR)
    clip = nonspeech_clip(y, SR, mask, margin=0.15, duration=0.25)
    assert clip.shape == (2000,) and clip.dtype == np.float32
    (start,) = np.flatnonzero(y == clip[0])
    assert start + len(clip) <= (0.5 - 0.15) * SR  # ends 0.15 s before speech
    assert np.abs(clip).max() < 0.01  # noise, no tone
    assert nonspeech_clip(y, SR, mask, margin=0.15, duration=0.6) is None


def test_speech_parts_drop_the_silence_around_speech():
    y = _tone_in_noise(start=1.0, stop=2.0)
    speech = speech_parts(y, SR, detect_speech(y, SR), pad=0.05)
    assert abs(len(speech) - 1.1 * SR) <= 0.02 * SR  # 1 s of tone, 2 x 0.05 s
    assert speech_parts(y, SR, np.zeros(301, bool)) is None


# --- the built-in data, confounded on purpose ---------------------------------


def test_channel_confound_puts_hum_and_a_band_limit_on_one_group_only():
    ds = make_syllable_repetitions(12, channel_confound=True, random_state=0)
    assert not ds.severity.any()  # the speech carries no label
    for y, label in zip(ds.data, ds.target, strict=True):
        power = np.abs(np.fft.rfft(y)) ** 2
        freqs = np.fft.rfftfreq(len(y), 1 / ds.sr)
        high = power[freqs > 3100].sum() / power.sum()
        hum = power[np.abs(freqs - 50) < 1].sum() / power[np.abs(freqs - 70) < 1].sum()
        if label:
            assert high < 1e-6 and hum > 4
        else:
            assert high > 1e-3 and hum < 3


def test_recordings_start_and_end_in_room_noise_not_silence():
    ds = make_syllable_repetitions(6, random_state=0)
    for y in ds.data:
        lead = y[: int(0.1 * ds.sr)]
        level = 20 * np.log10(lead.std() / np.abs(y).max())
        assert -70 < level < -30  # noise well below the speech, never 0


@pytest.mark.parametrize("value", [-0.1, 1.5, "yes", None])
def test_channel_confound_out_of_range_is_refused(value):
    with pytest.raises(ValueError, match="channel_confound"):
        make_syllable_repetitions(6, channel_confound=value)


# --- the control ----------------------------------------------------------------


@pytest.fixture(scope="module")
def corpora():
    """60 speakers x 3 recordings: the speech differs, or only the channel."""
    return {
        confound: make_syllable_repetitions(
            180, channel_confound=confound, random_state=0
        )
        for confound in (False, True)
    }


def test_control_flags_a_channel_confound(corpora):
    ds = corpora[True]
    with pytest.warns(ChannelConfoundWarning, match="non-speech alone"):
        result = nonspeech_control(
            ds.data, ds.target, groups=ds.groups, n_permutations=199, random_state=0
        )
    assert result.score > 0.9
    assert result.pvalue < 0.01
    assert abs(result.chance - 0.5) < 0.05
    assert len(result.used) + len(result.left_out) == 180
    assert result.clips.shape == (len(result.used), 2000)
    assert result.n_subjects == 60


def test_control_does_not_flag_speech_differences(corpora, recwarn):
    ds = corpora[False]
    result = nonspeech_control(
        ds.data, ds.target, groups=ds.groups, n_permutations=199, random_state=0
    )
    assert result.pvalue >= 0.05
    assert result.score < 0.6
    assert not [w for w in recwarn if w.category is ChannelConfoundWarning]


def test_control_is_reproducible(corpora):
    ds = corpora[False]
    runs = [
        nonspeech_control(
            ds.data, ds.target, groups=ds.groups, n_permutations=5, random_state=3
        )
        for _ in range(2)
    ]
    assert runs[0].score == runs[1].score
    np.testing.assert_array_equal(
        runs[0].permutation_scores, runs[1].permutation_scores
    )


def test_control_matches_sklearn_with_one_recording_per_subject():
    # Then a subject-wise permutation is sklearn's permutation of samples.
    ds = make_syllable_repetitions(40, recordings_per_subject=1, random_state=1)
    groups = np.array([f"S{i:03d}" for i in range(40)])  # sorted = sample order
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    ours = nonspeech_control(
        ds.data, ds.target, groups=groups, cv=cv, n_permutations=20, random_state=1
    )
    assert len(ours.left_out) == 0
    score, permutation_scores, pvalue = permutation_test_score(
        default_control_estimator(),
        ours.clips,
        ds.target,
        cv=cv,
        scoring="balanced_accuracy",
        n_permutations=20,
        random_state=1,
    )
    assert ours.score == pytest.approx(score)
    np.testing.assert_allclose(ours.permutation_scores, permutation_scores)
    assert ours.pvalue == pytest.approx(pvalue)


def test_permutations_keep_each_subjects_recordings_together():
    y = np.array([0, 0, 0, 1, 1, 1, 0, 0, 1, 1])
    groups = np.array(["a", "a", "a", "b", "b", "b", "c", "c", "d", "d"])
    rng = np.random.RandomState(0)
    seen = set()
    for _ in range(50):
        shuffled = permute_by_subject(y, groups, rng)
        for g in np.unique(groups):
            assert len(set(shuffled[groups == g])) == 1
        assert np.bincount(shuffled).tolist() in ([5, 5], [4, 6], [6, 4])
        seen.add(tuple(shuffled))
    assert len(seen) > 1


def test_control_leaves_out_recordings_without_enough_nonspeech(corpora):
    ds = corpora[False]
    X = list(ds.data)
    X[4] = X[4][: int(0.2 * ds.sr)]  # shorter than a clip
    result = nonspeech_control(
        X, ds.target, groups=ds.groups, n_permutations=0, random_state=0
    )
    assert 4 in result.left_out and 4 not in result.used
    assert np.isnan(result.pvalue) and np.isnan(result.chance)


def test_control_passes_clips_to_any_pipeline(corpora):
    ds = corpora[True]
    seen = []

    class Spy(LogMelStatistics):
        def transform(self, X):
            seen.append(np.shape(X))
            return super().transform(X)

    estimator = make_pipeline(Spy(), LogisticRegression(max_iter=500))
    result = nonspeech_control(
        ds.data,
        ds.target,
        groups=ds.groups,
        estimator=estimator,
        n_permutations=3,
        random_state=0,
    )
    assert seen == [(len(result.used), 2000)]  # a stateless first step: once
    assert result.score > 0.9


def test_control_errors_name_the_problem(corpora):
    ds = corpora[False]
    with pytest.raises(ValueError, match="groups"):
        nonspeech_control(ds.data, ds.target, groups=None)
    y = ds.target.copy()
    y[1] = 1 - y[1]
    with pytest.raises(ValueError, match=f"subject '{ds.groups[1]}' has recordings"):
        nonspeech_control(ds.data, y, groups=ds.groups)
    with pytest.raises(ValueError, match="one class"):
        nonspeech_control(ds.data, np.zeros(180), groups=ds.groups)
    with pytest.raises(ValueError, match="need at least one per fold"):
        nonspeech_control(ds.data, ds.target, groups=ds.groups, duration=2.5)
    with pytest.raises(ValueError, match="must be a classifier"):
        nonspeech_control(
            ds.data, ds.target, groups=ds.groups, estimator=LogMelStatistics()
        )
    with pytest.raises(ValueError, match="n_permutations"):
        nonspeech_control(ds.data, ds.target, groups=ds.groups, n_permutations=-1)


# --- equalising the noise, speech only -----------------------------------------


def test_equalised_noise_removes_the_flag(corpora):
    ds = corpora[True]
    equalised = equalise_noise(ds.data, ds.target, random_state=0)
    result = nonspeech_control(
        equalised, ds.target, groups=ds.groups, n_permutations=99, random_state=0
    )
    assert result.pvalue >= 0.05


def test_equalise_noise_adds_the_other_groups_noise():
    quiet = _tone_in_noise(noise=1e-4, seed=1)
    loud = _tone_in_noise(noise=1e-2, seed=2)
    out = equalise_noise([quiet, loud], [0, 1], random_state=0)
    lead = slice(0, int(0.5 * SR))
    assert out[0][lead].std() == pytest.approx(1e-2, rel=0.2)  # got the loud noise
    assert out[1][lead].std() == pytest.approx(1e-2, rel=0.2)  # barely changed
    chatter = np.sin(np.arange(SR) * 0.3) * (np.arange(SR) // 400 % 2)  # no pause
    with pytest.raises(ValueError, match="no recording labelled 1"):
        equalise_noise([quiet, chatter], [0, 1])


def test_speech_only_keeps_speech():
    y = _tone_in_noise(start=1.0, stop=2.0)
    (out,) = SpeechOnly().fit_transform([y])
    assert out.dtype == np.float32
    assert abs(len(out) - 1.1 * SR) <= 0.02 * SR
    with pytest.warns(UserWarning, match=r"no speech found in X\[0\]"):
        (whole,) = SpeechOnly().transform([np.zeros(SR)])
    assert len(whole) == SR


def test_speech_only_equalises_training_data_only():
    quiet = _tone_in_noise(noise=1e-4, seed=1)
    loud = _tone_in_noise(noise=1e-2, seed=2)
    step = SpeechOnly(equalise_noise=True, random_state=0)
    trained = step.fit_transform([quiet, loud], [0, 1])
    new = step.transform([quiet, loud])
    assert not np.allclose(trained[0][:100], new[0][:100])  # noise added in fit
    np.testing.assert_array_equal(new[0], SpeechOnly().transform([quiet])[0])
    with pytest.raises(ValueError, match="needs the labels"):
        step.fit_transform([quiet, loud])


# --- subject-level statistics ---------------------------------------------------


def test_permutation_pvalue_is_small_for_perfect_and_large_for_random():
    y = np.repeat([0, 1], 30)
    groups = np.arange(60) // 2
    assert subject_permutation_pvalue(y, y, groups, random_state=0) < 0.001
    flipped = np.random.default_rng(0).integers(0, 2, 60)
    assert subject_permutation_pvalue(y, flipped, groups, random_state=0) > 0.05


def test_bootstrap_interval_counts_subjects_not_recordings():
    # 6 subjects x 20 recordings; two subjects wholly misclassified.
    y = np.repeat([0, 1], 60)
    subjects = np.arange(120) // 20
    y_pred = np.where(np.isin(subjects, [2, 4]), 1 - y, y)
    as_subjects = subject_bootstrap_interval(y, y_pred, subjects, random_state=0)
    as_if_independent = subject_bootstrap_interval(
        y, y_pred, np.arange(120), random_state=0
    )
    for low, high in (as_subjects, as_if_independent):
        assert low < 4 / 6 < high
    width = as_subjects[1] - as_subjects[0]
    assert width > 2 * (as_if_independent[1] - as_if_independent[0])


def test_fast_accuracy_paths_equal_the_generic_ones():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 1, 0], 15)
    groups = np.repeat(np.arange(20), 3)
    y_pred = np.where(rng.random(60) < 0.7, y, 1 - y)

    def accuracy(a, b):  # not accuracy_score itself: takes the generic path
        return np.mean(np.asarray(a) == np.asarray(b))

    for func in (subject_permutation_pvalue, subject_bootstrap_interval):
        fast = func(y, y_pred, groups, random_state=0)
        generic = func(y, y_pred, groups, score_func=accuracy, random_state=0)
        assert np.allclose(fast, generic, atol=0.05), func.__name__


def test_control_says_when_it_tested_few_subjects():
    ds = make_syllable_repetitions(60, random_state=0)
    kwargs = dict(groups=ds.groups, cv=2, n_permutations=5, random_state=0)
    with pytest.warns(UserWarning, match="tested 13 of 20 subjects") as record:
        result = nonspeech_control(ds.data, ds.target, duration=0.8, **kwargs)
    message = str(record[0].message)
    assert "0: 7 of 10, 1: 6 of 10" in message and "detector='silero'" in message
    assert result.n_subjects == 13
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # all subjects tested: silent
        nonspeech_control(ds.data, ds.target, duration=0.25, **kwargs)
