"""The VOC-ALS loader, on a VOC-ALS-shaped tree built here (real .xlsx, wav files)."""

import numpy as np
import pandas as pd
import pytest
from conftest import SR, SUBJECTS, make_voc_als_tree, write_voc_als_metadata, write_wav

from skhyperdys.datasets import load_voc_als


@pytest.fixture
def voc(tmp_path):
    return make_voc_als_tree(tmp_path / "VOC-ALS")


def test_default_is_pa_dysarthria_with_paths(voc):
    ds = load_voc_als(voc)
    ids = [s[0] for s in SUBJECTS]
    assert list(ds.groups) == ids  # sorted by ID
    assert ds.data == [str(voc / "rhythmPA" / f"{i}_rhythmPA.wav") for i in ids]
    # speech < 4 is dysarthria; controls and PZ001 (4) are not
    np.testing.assert_array_equal(ds.target, [0, 0, 0, 1, 1, 1])
    assert ds.target_names == ["no dysarthria", "dysarthria"]
    assert ds.sr == 8000 and "Scientific Data" in ds.DESCR
    assert list(ds.frame["ID"]) == ids
    assert ds.frame["Meanf0_A"].iloc[0] == 120.5


@pytest.mark.parametrize(
    "target, expected",
    [("als", [0, 0, 1, 1, 1, 1]), ("severity", [4, 4, 4, 3, 1, 2])],
)
def test_targets(voc, target, expected):
    np.testing.assert_array_equal(load_voc_als(voc, target=target).target, expected)


@pytest.mark.parametrize("task", ["ta", "TA", "rhythmTA"])
def test_task_names(voc, task):
    assert load_voc_als(voc, task=task).data[0].endswith("CT001_rhythmTA.wav")


def test_load_audio(voc):
    ds = load_voc_als(voc, task="a", load_audio=True)
    assert all(isinstance(y, np.ndarray) and y.shape == (SR // 2,) for y in ds.data)


def test_multi_task_wide_and_long(voc):
    wide = load_voc_als(voc, task=["pa", "ta"])
    assert wide.data.shape == (6, 2) and wide.tasks == ["rhythmPA", "rhythmTA"]
    assert wide.data[3, 1].endswith("PZ002_rhythmTA.wav")
    long = load_voc_als(voc, task=["pa", "ta"], layout="long")
    assert len(long.data) == 12 and list(long.tasks[:1]) == ["rhythmPA"]
    assert long.data[6].endswith("CT001_rhythmTA.wav")
    np.testing.assert_array_equal(long.target[:6], long.target[6:])
    np.testing.assert_array_equal(long.groups[:6], long.groups[6:])


def test_missing_recording_warns_and_drops_subject(voc):
    (voc / "rhythmPA" / "PZ002_rhythmPA.wav").unlink()
    with pytest.warns(
        UserWarning, match=r"rhythmPA: subjects without a recording: \['PZ002'\]"
    ):
        ds = load_voc_als(voc)
    assert "PZ002" not in ds.groups and len(ds.data) == 5
    # labels still belong to their own subjects
    np.testing.assert_array_equal(ds.target, [0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="PZ002"):
        load_voc_als(voc, on_missing="raise")
    # the /ta/ recording of PZ002 is kept in the long layout, dropped in wide
    with pytest.warns(UserWarning):
        assert load_voc_als(voc, task=["pa", "ta"]).data.shape == (5, 2)
    with pytest.warns(UserWarning):
        assert len(load_voc_als(voc, task=["pa", "ta"], layout="long").data) == 11


def test_recording_without_metadata_warns(voc):
    write_wav(voc / "rhythmPA" / "PZ999_rhythmPA.wav")
    (voc / "rhythmPA" / "notes.txt").write_text("ignored: not a recording")
    with pytest.warns(UserWarning, match=r"without metadata: \['PZ999_rhythmPA.wav'\]"):
        ds = load_voc_als(voc)
    assert "PZ999" not in ds.groups


def test_unreadable_file_warns(voc):
    (voc / "rhythmPA" / "PZ004_rhythmPA.wav").write_bytes(b"RIFF garbage")
    with pytest.warns(
        UserWarning, match=r"unreadable audio files: \['PZ004_rhythmPA.wav'\]"
    ):
        ds = load_voc_als(voc)
    assert "PZ004" not in ds.groups


def test_patient_without_speech_score(voc):
    rows = SUBJECTS + [("PZ007", "ALS", "-")]
    write_voc_als_metadata(voc / "VOC-ALS.xlsx", rows)
    write_wav(voc / "rhythmPA" / "PZ007_rhythmPA.wav")
    with pytest.warns(UserWarning, match="ALSFRS-R_SpeechSubscore.*PZ007"):
        ds = load_voc_als(voc, target="dysarthria")
    assert "PZ007" not in ds.groups
    assert "PZ007" in load_voc_als(voc, target="als").groups  # no warning needed


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(task="pu"), ValueError, "unknown task 'pu'"),
        (dict(task=["pa", "rhythmPA"]), ValueError, "given twice"),
        (dict(task="ka"), FileNotFoundError, "rhythmKA"),
        (dict(target="updrs"), ValueError, "target must be"),
        (dict(layout="tall"), ValueError, "layout"),
        (dict(metadata="other.xlsx"), FileNotFoundError, "other.xlsx"),
    ],
)
def test_bad_arguments(voc, kwargs, error, match):
    with pytest.raises(error, match=match):
        load_voc_als(voc, **kwargs)


def test_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="VOC-ALS folder not found"):
        load_voc_als(tmp_path / "nowhere")


def test_header_not_on_second_row(voc):
    pd.DataFrame({"ID": ["CT001"], "Category": ["HC"]}).to_excel(
        voc / "VOC-ALS.xlsx", index=False
    )
    with pytest.raises(ValueError, match="second row"):
        load_voc_als(voc)


def test_duplicate_ids(voc):
    write_voc_als_metadata(voc / "VOC-ALS.xlsx", SUBJECTS + [("PZ001", "ALS", 4)])
    with pytest.raises(ValueError, match=r"more than once: \['PZ001'\]"):
        load_voc_als(voc)
