import numpy as np
import pytest

from skhyperdys.datasets import make_syllable_repetitions


def test_shapes_and_metadata():
    ds = make_syllable_repetitions(20, recordings_per_subject=3, random_state=0)
    assert len(ds.data) == len(ds.target) == len(ds.groups) == len(ds.severity) == 20
    assert ds.sr == 8000 and ds.target_names == ["healthy", "dysarthric"]
    assert "NOT a stand-in" in ds.DESCR
    for y in ds.data:
        assert y.ndim == 1 and y.dtype == np.float32
        assert 3.0 * ds.sr <= len(y) <= 5.0 * ds.sr
        assert np.isfinite(y).all() and 0 < np.abs(y).max() < 1
    # 7 subjects: six with 3 recordings, the last with 2
    _, counts = np.unique(ds.groups, return_counts=True)
    assert sorted(counts) == [2, 3, 3, 3, 3, 3, 3]


def test_labels_and_severity_are_per_subject():
    ds = make_syllable_repetitions(60, random_state=1)
    for subject in np.unique(ds.groups):
        mask = ds.groups == subject
        assert len(set(ds.target[mask])) == 1 and len(set(ds.severity[mask])) == 1
        assert subject.startswith("DY" if ds.target[mask][0] else "HC")
    assert (ds.severity[ds.target == 0] == 0).all()
    assert (ds.severity[ds.target == 1] >= 0.25).all()
    assert ds.target.mean() == pytest.approx(0.5)


def test_seeded():
    a = make_syllable_repetitions(6, random_state=3)
    b = make_syllable_repetitions(6, random_state=3)
    c = make_syllable_repetitions(6, random_state=4)
    for ya, yb in zip(a.data, b.data, strict=True):
        np.testing.assert_array_equal(ya, yb)
    assert not all(
        len(ya) == len(yc) and np.array_equal(ya, yc)
        for ya, yc in zip(a.data, c.data, strict=True)
    )


def test_dysarthric_speakers_repeat_more_slowly():
    """The main cue: fewer syllables per second (energy-envelope peaks)."""
    ds = make_syllable_repetitions(60, duration=(4.0, 4.0), random_state=0)

    def rate(y):
        frame = ds.sr // 100
        env = np.sqrt(np.convolve(y**2, np.ones(frame) / frame, mode="same"))[::frame]
        above = env > 0.3 * env.max()
        return np.sum(above[1:] & ~above[:-1]) / 4.0

    rates = np.array([rate(y) for y in ds.data])
    assert rates[ds.target == 0].mean() > rates[ds.target == 1].mean() + 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_recordings=0), "n_recordings"),
        (dict(dysarthric_fraction=1.0), "dysarthric_fraction"),
        (dict(syllable="ba"), "syllable must be"),
        (dict(duration=(2.0, 1.0)), "duration"),
        (dict(sr=100), "sr must be"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_syllable_repetitions(**{"n_recordings": 6, **kwargs})
