"""The VOC-ALS loader, on a VOC-ALS-shaped tree built here (real .xlsx, wav files)."""

import warnings

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
    assert list(ds.target_names) == ["no dysarthria", "dysarthria"]
    assert ds.sr == 8000 and "Scientific Data" in ds.DESCR
    assert list(ds.frame["ID"]) == ids
    assert ds.frame["Meanf0_A"].iloc[0] == 120.5


@pytest.mark.parametrize(
    "target, expected",
    # severity: the speech item (controls 4, PZ001-PZ005: 4 3 1 2) minus 1
    [("als", [0, 0, 1, 1, 1, 1]), ("severity", [3, 3, 3, 2, 0, 1])],
)
def test_targets(voc, target, expected):
    np.testing.assert_array_equal(load_voc_als(voc, target=target).target, expected)


@pytest.mark.parametrize(
    "target, names, expected",
    [
        (
            "dysarthria",
            ["no dysarthria", "dysarthria"],
            ["no dysarthria"] * 3 + ["dysarthria"] * 3,
        ),
        ("als", ["HC", "ALS"], ["HC", "HC", "ALS", "ALS", "ALS", "ALS"]),
        # the speech item of each subject; controls count as 4
        ("severity", ["1", "2", "3", "4"], ["4", "4", "4", "3", "1", "2"]),
    ],
)
def test_target_names_index_by_target(voc, target, names, expected):
    """The scikit-learn idiom ``target_names[target]`` names each row's label."""
    ds = load_voc_als(voc, target=target)
    assert isinstance(ds.target_names, np.ndarray)
    assert ds.target_names.tolist() == names
    assert ds.target.dtype.kind == "i"
    assert ds.target.min() >= 0 and ds.target.max() < len(ds.target_names)
    assert ds.target_names[ds.target].tolist() == expected


@pytest.mark.parametrize("task", ["ta", "TA", "rhythmTA"])
def test_task_names(voc, task):
    assert load_voc_als(voc, task=task).data[0].endswith("CT001_rhythmTA.wav")


def test_load_audio(voc):
    ds = load_voc_als(voc, task="a", load_audio=True)
    assert len(ds.data) == len(SUBJECTS)
    assert all(isinstance(y, np.ndarray) and y.shape == (SR // 2,) for y in ds.data)


def test_multi_task_wide_and_long(voc):
    wide = load_voc_als(voc, task=["pa", "ta"])
    assert wide.data.shape == (6, 2) and wide.tasks == ["rhythmPA", "rhythmTA"]
    assert wide.data[3, 1].endswith("PZ002_rhythmTA.wav")
    long = load_voc_als(voc, task=["pa", "ta"], layout="long")
    assert len(long.data) == 12 and list(long.tasks[:2]) == ["rhythmPA", "rhythmTA"]
    assert long.data[1].endswith("CT001_rhythmTA.wav")
    np.testing.assert_array_equal(long.target[::2], long.target[1::2])
    np.testing.assert_array_equal(long.groups[::2], long.groups[1::2])


def test_long_layout_is_sorted_by_subject_then_task_order(voc):
    """Each subject's rows together, subjects by ID, tasks in the order asked."""
    (voc / "rhythmTA" / "PZ002_rhythmTA.wav").unlink()
    with pytest.warns(UserWarning, match=r"rhythmTA: subjects without a recording"):
        long = load_voc_als(voc, task=["ta", "a", "pa"], layout="long")
    expected = [
        (sid, folder)
        for sid, _, _ in SUBJECTS
        for folder in ("rhythmTA", "phonationA", "rhythmPA")
        if (sid, folder) != ("PZ002", "rhythmTA")
    ]
    assert list(zip(long.groups, long.tasks, strict=True)) == expected
    assert long.data == [str(voc / f / f"{sid}_{f}.wav") for sid, f in expected]
    assert list(long.frame["ID"]) == [sid for sid, _ in expected]


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
    with pytest.warns(UserWarning, match="ALSFRS-R_SpeechSubscore.*PZ007") as record:
        ds = load_voc_als(voc, target="dysarthria")
    assert "PZ007" not in ds.groups
    # PZ007 is in the spreadsheet: its recording must not be called metadata-less
    assert len(record) == 1 and "without metadata" not in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is left out for target="als"
        assert "PZ007" in load_voc_als(voc, target="als").groups


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


# --- labels follow subject IDs when a subject in the middle is left out -----------

# Not in ID order, classes interleaved, so that labels taken by position (in the
# sheet or in ID order) differ from the right ones once CT002 (or, for the
# speech-score targets, PZ002) drops out.
SHEET = [  # ID, Category, ALSFRS-R speech subscore
    ("PZ003", "ALS", 2),
    ("CT001", "HC", "-"),
    ("PZ001", "ALS", 4),
    ("CT002", "HC", None),
    ("PZ002", "ALS", 1),
    ("PZ005", "ALS", 3),
    ("CT003", "HC", "-"),
    ("PZ004", "ALS", 4),
]


def expected_label(row, target):
    """The label of one spreadsheet row, derived here from the loader's docs."""
    _, category, speech = row
    item = speech if category == "ALS" else 4  # controls speak normally
    return {
        "dysarthria": int(item < 4),
        "als": int(category == "ALS"),
        "severity": item - 1,  # codes 0..3 for the items 1..4
    }[target]


def check_rows_follow_ids(ds, root, target, sheet):
    own = {row[0]: row for row in sheet}
    assert len(ds.groups) == len(ds.target) == len(ds.frame)
    for k, sid in enumerate(ds.groups):
        assert ds.target[k] == expected_label(own[sid], target), sid
        assert ds.frame["ID"].iloc[k] == sid
    # the rows' recordings are the subjects' own
    if isinstance(ds.data, np.ndarray):  # wide: one column per task
        for (k, c), path in np.ndenumerate(ds.data):
            assert path == str(root / ds.tasks[c] / f"{ds.groups[k]}_{ds.tasks[c]}.wav")
    else:
        tasks = ds.tasks if len(ds.tasks) == len(ds.data) else ds.tasks * len(ds.data)
        for path, sid, folder in zip(ds.data, ds.groups, tasks, strict=True):
            assert path == str(root / folder / f"{sid}_{folder}.wav")


@pytest.fixture
def sheet_tree(tmp_path):
    root = tmp_path / "VOC-ALS"
    root.mkdir()
    write_voc_als_metadata(root / "VOC-ALS.xlsx", SHEET)
    for folder in ("rhythmPA", "rhythmTA"):
        (root / folder).mkdir()
        for k, (sid, _, _) in enumerate(SHEET):
            write_wav(root / folder / f"{sid}_{folder}.wav", seconds=0.1, seed=k)
    return root


LAYOUTS = [
    ("pa", "wide"),  # one task
    (["pa", "ta"], "wide"),
    (["pa", "ta"], "long"),
]


@pytest.mark.parametrize("task, layout", LAYOUTS)
@pytest.mark.parametrize("target", ["dysarthria", "als", "severity"])
def test_labels_follow_ids_when_a_middle_recording_is_missing(
    sheet_tree, target, task, layout
):
    (sheet_tree / "rhythmPA" / "CT002_rhythmPA.wav").unlink()
    with pytest.warns(UserWarning, match=r"without a recording: \['CT002'\]"):
        ds = load_voc_als(sheet_tree, task=task, target=target, layout=layout)
    ids = sorted(row[0] for row in SHEET)
    if layout == "long":  # CT002 keeps its /ta/ row
        rows = [(i, f) for i in ids for f in ("rhythmPA", "rhythmTA")]
        rows.remove(("CT002", "rhythmPA"))
        assert list(zip(ds.groups, ds.tasks, strict=True)) == rows
    else:
        assert list(ds.groups) == [i for i in ids if i != "CT002"]
    check_rows_follow_ids(ds, sheet_tree, target, SHEET)


@pytest.mark.parametrize("task, layout", LAYOUTS)
@pytest.mark.parametrize("target", ["dysarthria", "severity"])
def test_labels_follow_ids_when_a_middle_score_is_unusable(
    sheet_tree, target, task, layout
):
    sheet = [(s, c, "n/a") if s == "PZ002" else (s, c, v) for s, c, v in SHEET]
    write_voc_als_metadata(sheet_tree / "VOC-ALS.xlsx", sheet)
    with pytest.warns(UserWarning, match=r"SpeechSubscore.*: PZ002$"):
        ds = load_voc_als(sheet_tree, task=task, target=target, layout=layout)
    assert "PZ002" not in ds.groups
    assert len(set(ds.groups)) == len(SHEET) - 1
    check_rows_follow_ids(ds, sheet_tree, target, sheet)


# --- who is in the study: everyone, or the ALS patients alone ----------------------


@pytest.mark.parametrize("target", ["dysarthria", "severity"])
def test_population_als_keeps_the_patients_alone(voc, target):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the controls' recordings are not "unknown"
        ds = load_voc_als(voc, target=target, population="als")
    assert list(ds.groups) == ["PZ001", "PZ002", "PZ004", "PZ005"]
    assert set(ds.frame["Category"]) == {"ALS"}
    everyone = load_voc_als(voc, target=target)
    assert list(everyone.groups) == [s[0] for s in SUBJECTS]
    # each patient keeps the label it has in the whole data set
    same = dict(zip(everyone.groups, everyone.target, strict=True))
    assert ds.target.tolist() == [same[sid] for sid in ds.groups]
    if target == "dysarthria":
        np.testing.assert_array_equal(ds.target, [0, 1, 1, 1])


def test_population_als_in_both_layouts(voc):
    wide = load_voc_als(voc, task=["pa", "ta"], population="als")
    assert wide.data.shape == (4, 2)
    long = load_voc_als(voc, task=["pa", "ta"], layout="long", population="als")
    assert len(long.data) == 8 and not any(g.startswith("CT") for g in long.groups)


def test_population_als_with_target_als_is_one_class(voc):
    with pytest.raises(ValueError, match="single class"):
        load_voc_als(voc, target="als", population="als")
    with pytest.raises(ValueError, match=r"population must be one of \('all', 'als'\)"):
        load_voc_als(voc, population="patients")


# --- the warning says what happened: left out, or kept with other rows --------------


def test_long_layout_warning_says_the_subject_keeps_its_other_rows(voc):
    (voc / "rhythmTA" / "PZ002_rhythmTA.wav").unlink()
    with pytest.warns(UserWarning) as record:
        long = load_voc_als(voc, task=["pa", "ta"], layout="long")
    (message,) = [str(w.message) for w in record]
    assert "left out" not in message
    assert "keep the rows of their other tasks" in message
    assert "rhythmTA: subjects without a recording: ['PZ002']" in message
    assert list(long.groups).count("PZ002") == 1
    # the wide layout does leave PZ002 out, and says so
    with pytest.warns(UserWarning, match=r"left out of the dataset: rhythmTA"):
        wide = load_voc_als(voc, task=["pa", "ta"])
    assert "PZ002" not in wide.groups


def test_long_layout_subject_without_any_task_is_left_out(voc):
    for folder in ("rhythmPA", "rhythmTA"):
        (voc / folder / f"PZ004_{folder}.wav").unlink()
    (voc / "rhythmTA" / "PZ002_rhythmTA.wav").unlink()
    with pytest.warns(UserWarning) as record:
        long = load_voc_als(voc, task=["pa", "ta"], layout="long")
    (message,) = [str(w.message) for w in record]
    left_out, kept = message.split("absent recordings")
    assert "left out of the dataset" in left_out and "PZ004" in left_out
    assert "PZ002" in kept and "PZ004" not in kept
    assert "PZ004" not in long.groups and "PZ002" in long.groups
    with pytest.raises(ValueError, match=r"found: .*PZ004.*PZ002"):
        load_voc_als(voc, task=["pa", "ta"], layout="long", on_missing="raise")


def test_file_names_are_matched_whatever_their_case(voc):
    folder = voc / "rhythmPA"
    (folder / "PZ002_rhythmPA.wav").rename(folder / "pz002_RHYTHMPA.WAV")
    (folder / "CT001_rhythmPA.wav").rename(folder / "Ct001_rhythmpa.wav")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left out
        ds = load_voc_als(voc)
    assert list(ds.groups) == [s[0] for s in SUBJECTS]
    assert ds.data[3] == str(folder / "pz002_RHYTHMPA.WAV")
    assert ds.data[0] == str(folder / "Ct001_rhythmpa.wav")
    write_wav(folder / "PZ002_rhythmPA.wav")  # a second file for PZ002
    with pytest.raises(ValueError, match="two recordings of PZ002"):
        load_voc_als(voc)
