import numpy as np
import pytest

from skhyperdys.datasets import make_planted_cue, make_syllable_repetitions


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


# --- make_planted_cue ----------------------------------------------------------------


def _band_energy(x, sr, band, window):
    """Energy of ``x`` in ``band`` (Hz) during ``window`` (s), by FFT."""
    segment = x[int(window[0] * sr) : int(window[1] * sr)]
    spectrum = np.abs(np.fft.rfft(segment)) ** 2
    freqs = np.fft.rfftfreq(len(segment), 1 / sr)
    return spectrum[(freqs >= band[0]) & (freqs <= band[1])].sum()


def test_planted_cue_is_in_its_box_and_only_there():
    settings = dict(band=(1000.0, 1500.0), window=(0.2, 0.6), random_state=0)
    cue = make_planted_cue(20, **settings)
    assert cue.target.tolist() == [0, 1] * 10
    assert cue.band == (1000.0, 1500.0) and cue.window == (0.2, 0.6) and cue.sr == 8000
    assert all(1.5 * 8000 <= len(x) <= 2.5 * 8000 for x in cue.data)
    ratio = [  # in the box against the same band a second later
        _band_energy(x, 8000, cue.band, cue.window)
        / _band_energy(x, 8000, cue.band, (0.9, 1.2))
        for x in cue.data
    ]
    positives, negatives = np.array(ratio[1::2]), np.array(ratio[::2])
    assert positives.min() > 50 and negatives.max() < 3  # 26 dB above the noise
    again = make_planted_cue(20, **settings)
    assert all(np.array_equal(a, b) for a, b in zip(cue.data, again.data, strict=True))
    with pytest.raises(ValueError, match="band must be"):
        make_planted_cue(band=(3000.0, 5000.0))
    with pytest.raises(ValueError, match="window must be"):
        make_planted_cue(window=(0.5, 0.2))
