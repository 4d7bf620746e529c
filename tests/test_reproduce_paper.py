"""examples/reproduce_paper.py end to end, on tiny settings, and its parts."""

import importlib.util
import json
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import SUBJECTS, make_voc_als_tree, write_voc_als_metadata, write_wav
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

SCRIPT = Path(__file__).parents[1] / "examples" / "reproduce_paper.py"
TINY = ["--epochs", "1", "--folds", "2", "--image-size", "64", "--batch-size", "8"]
TINY += ["--control-permutations", "19"]
KEYS = ["pa", "ta", "ka", "dense", "single", "mfcc", "egemaps"]
KEYS += ["gmu", "concat", "late", "gmu3", "speech-only", "nonspeech"]
KEYS += ["ge2e", "ge2e-dense", "ge2e-lr"]  # the encoder* rows need --encoder
ENCODER_KEYS = ["encoder", "encoder-dense", "encoder-lr"]
# The clinical measures; voice-lr needs a sustained vowel (VOC-ALS only).
MEASURE_KEYS = ["ddk-lr", "voice-lr", "ddk-context"]
ALL_KEYS = KEYS + ENCODER_KEYS + MEASURE_KEYS
VOC_KEYS = KEYS + MEASURE_KEYS
KEYS = KEYS + ["ddk-lr", "ddk-context"]  # the built-in data has no vowel
METHODS = len(VOC_KEYS)
METRICS = ("accuracy", "precision", "recall", "f1", "specificity")


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("reproduce_paper", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _check_table(table, csv, keys=KEYS):
    assert list(table["key"]) == keys
    assert table["method"].iloc[0].endswith("(proposed)")
    paired = ~table["key"].isin(["pa", "nonspeech"])  # itself; other test rows
    for metric in METRICS:
        assert table[f"{metric}_mean"].between(0, 100).all()
        assert table[f"{metric}_std"].ge(0).all()
        assert table.loc[paired, f"{metric}_p"].between(0, 1).all()
        assert table.loc[~paired, f"{metric}_p"].isna().all()
    assert table["p_chance"].between(0, 1).all()
    assert (table["accuracy_ci_low"] <= table["accuracy_ci_high"]).all()
    assert table[["accuracy_ci_low", "accuracy_ci_high"]].stack().between(0, 100).all()
    on_disk = pd.read_csv(csv)
    assert list(on_disk["method"]) == list(table["method"])
    assert {"accuracy_diff", "accuracy_p", "f1_p"} <= set(on_disk.columns)
    stem = csv.with_suffix("")
    assert stem.with_name(stem.name + ".png").stat().st_size > 1000
    confusion = pd.read_csv(stem.with_name(stem.name + "_confusion.csv"))
    assert set(confusion["method"]) == set(keys)


def test_built_in_data(script, tmp_path, capsys):
    csv = tmp_path / "table.csv"
    table = script.main([*TINY, "--n-recordings", "12", "--output", str(csv)])
    _check_table(table, csv)
    out = capsys.readouterr().out
    assert "built-in synthetic data (NOT VOC-ALS)" in out
    assert "Specificity" in out and "±" in out and "Δ acc." in out
    assert "reused 0 of 36 folds" in out
    assert out.count("skipped: needs --encoder") == 3
    assert out.count("skipped: needs the task(s) ['a']") == 1
    assert "non-speech control, repeat 0: balanced accuracy" in out
    assert "acc. 95 % CI (subjects)" in out and "p (chance)" in out


def test_the_nonspeech_row_flags_a_channel_confound(script, tmp_path, capsys):
    csv = tmp_path / "table.csv"
    table = script.main(
        [*TINY, "--n-recordings", "60", "--channel-confound", "--output", str(csv),
         "--variants", "nonspeech", "--control-permutations", "199"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "CHANNEL-CONFOUNDED" in out
    assert "p = 0.0050 (199 permutations, refitted)" in out and "FLAGGED" in out
    control = table.set_index("key").loc["nonspeech"]
    assert control["accuracy_mean"] > 90 and control["p_chance"] < 0.01


def test_voc_als_tree(script, tmp_path, capsys):
    root = make_voc_als_tree(
        tmp_path / "VOC-ALS", folders=("rhythmPA", "rhythmTA", "rhythmKA", "phonationA")
    )
    csv = tmp_path / "voc.csv"
    table = script.main(
        [*TINY, "--voc-als", str(root), "--weights", "none", "--output", str(csv)]
    )
    _check_table(table, csv, keys=VOC_KEYS)
    assert table["n"].tolist() == [6] * METHODS
    out = capsys.readouterr().out
    assert "VOC-ALS" in out and "ALS patients and controls" in out
    # two folds lost (as after an interruption): the same command redoes them
    folder = next((tmp_path / "voc_folds").iterdir())
    (folder / "late_r0_f0.json").unlink()
    (folder / "gmu3_r0_f1.json").unlink()
    argv = [*TINY, "--voc-als", str(root), "--weights", "none", "--output", str(csv)]
    again = script.main([*argv, "--overwrite"])
    out = capsys.readouterr().out
    # 18 stored rows x 2 folds, 2 of them lost; the control is not stored
    assert "reused 34 of 38 folds" in out and out.count("reused 1 of 2 folds") == 2
    pd.testing.assert_frame_equal(again, table)


def test_voc_als_patients_only(script, tmp_path, capsys):
    """--population als: the patients of the tree, no controls."""
    root = make_voc_als_tree(tmp_path / "VOC-ALS")
    # two more patients with normal speech: 3 dysarthric, 3 not
    more = [("PZ006", "ALS", 4), ("PZ007", "ALS", 4)]
    write_voc_als_metadata(root / "VOC-ALS.xlsx", SUBJECTS + more)
    for sid, _, _ in more:
        write_wav(root / "rhythmPA" / f"{sid}_rhythmPA.wav")
    csv = tmp_path / "als.csv"
    args = [*TINY, "--voc-als", str(root), "--weights", "none"]
    table = script.main(
        [*args, "--population", "als", "--variants", "pa", "--output", str(csv)]
    )
    assert table["n"].tolist() == [6]
    assert "ALS patients only" in capsys.readouterr().out
    stored = [json.loads(p.read_text()) for p in tmp_path.rglob("pa_*.json")]
    assert sorted(np.concatenate([r["y_true"] for r in stored])) == [0] * 3 + [1] * 3


def test_does_not_overwrite_results(script, tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("my results")
    with pytest.raises(SystemExit):
        script.main([*TINY, "--output", str(csv)])
    assert csv.read_text() == "my results"


def test_paper_settings_are_the_voc_als_defaults(script, tmp_path):
    args = script.parse_args(["--voc-als", str(tmp_path)])
    assert (args.epochs, args.folds, args.image_size, args.weights) == (
        30,
        5,
        224,
        "imagenet",
    )
    assert (args.batch_size, args.lr) == (32, 1e-4)  # ours: not in the paper
    assert args.variants == ALL_KEYS and args.repeats == 1
    assert args.population == "all"
    demo = script.parse_args([])
    assert demo.weights is None and demo.epochs < 30


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--variants", "pa,bogus"], "unknown row key"),
        (["--target", "als"], "--target als needs --voc-als"),
        (["--population", "als"], "--population als needs --voc-als"),
        (["--voc-als", ".", "--target", "als", "--population", "als"], "one class"),
        (["--repeats", "0"], "--repeats must be at least 1"),
        (["--folds", "1"], "--folds must be at least 2"),
    ],
)
def test_bad_options_stop_before_any_work(script, capsys, argv, match):
    with pytest.raises(SystemExit):
        script.parse_args(argv)
    assert match in capsys.readouterr().err


def test_variants_always_include_the_proposed_row(script):
    assert script.parse_args(["--variants", "late,dense"]).variants == [
        "pa",
        "dense",
        "late",
    ]
    assert script.needed_tasks(["pa", "dense"]) == ["pa"]
    assert script.needed_tasks(["pa", "gmu3"]) == ["pa", "ta", "ka"]


@pytest.mark.parametrize(
    "key, expected",
    [
        ("pa", dict(clf__head="hyper", clf__n_eval_contexts=32)),
        ("ta", dict(clf__head="hyper", images__features="logmel")),
        ("dense", dict(clf__head="dense")),
        ("single", dict(clf__head="hyper", clf__n_eval_contexts=1)),
        ("mfcc", dict(images__features="mfcc")),
        ("egemaps", dict(clf__context="data")),
        ("gmu", dict(clf__fusion="gmu")),
        ("concat", dict(clf__fusion="concat")),
        ("gmu3", dict(clf__fusion="gmu")),
        ("late", dict(estimator__clf__head="hyper")),
    ],
)
def test_each_row_builds_its_pipeline(script, key, expected):
    args = script.parse_args(["--epochs", "3", "--image-size", "96"])
    estimator = script.build(key, args, sr=8000, seed=7)
    params = estimator.get_params()
    for name, value in expected.items():
        assert params[name] == value, name
    prefix = "estimator__" if key == "late" else ""
    assert params[f"{prefix}clf__max_epochs"] == 3
    assert params[f"{prefix}clf__random_state"] == 7
    assert params[f"{prefix}clf__class_weight"] is None
    assert isinstance(estimator, script.LateFusion) == (key == "late")
    severity = script.parse_args(["--target", "severity"])
    clf = script.build(key, severity, sr=8000, seed=0).get_params()
    assert clf[f"{prefix}clf__class_weight"] == "balanced"  # ours, for severity


def test_rows_read_their_tasks(script):
    table = np.array([["p0", "t0", "k0"], ["p1", "t1", "k1"]], dtype=object)
    data = dict(table=table, tasks=["pa", "ta", "ka"])
    rows = {row.key: row for row in script.ROWS}
    assert script.row_input(data, rows["ka"]) == ["k0", "k1"]
    assert script.row_input(data, rows["mfcc"]) == ["p0", "p1"]
    assert script.row_input(data, rows["late"]).tolist() == [["p0", "t0"], ["p1", "t1"]]
    assert script.row_input(data, rows["gmu3"]).shape == (2, 3)


def test_help_reads_cleanly_with_defaults_and_our_settings_marked(script, capsys):
    with pytest.raises(SystemExit):
        script.parse_args(["--help"])
    text = capsys.readouterr().out
    assert "====" not in text  # not the gallery docstring's underline
    assert "(default: 1)" in text and "(default: dysarthria)" in text
    assert "(default: None)" not in text
    for key in ALL_KEYS:
        assert f"\n  {key} " in text or f"\n  {key}, " in text, key
    lines = text.splitlines()
    # what the paper does not give is labelled as ours
    for setting in ("batch size", "learning rate", "split", "contexts"):
        line = next(line for line in lines if line.strip().startswith(setting))
        assert "ours" in line, line
    assert "Nadeau & Bengio" in text


# --- statistics --------------------------------------------------------------------


def test_corrected_resampled_ttest_by_hand(script):
    """Three paired differences, test/train ratio 1/2, computed by hand.

    mean 0.1; s^2 = (0 + 0.01 + 0.01) / 2 = 0.01; corrected variance
    0.01 * (1/3 + 1/2) = 0.008333; t = 0.1 / 0.091287 = 1.095445; with 2
    degrees of freedom the two-sided p is 1 - t / sqrt(2 + t^2) = 0.387628.
    """
    mean, t, p = script.corrected_resampled_ttest([0.1, 0.0, 0.2], 0.5)
    assert mean == pytest.approx(0.1)
    assert t == pytest.approx(0.1 / np.sqrt(0.01 * (1 / 3 + 1 / 2)))
    assert t == pytest.approx(1.095445, abs=1e-6)
    assert p == pytest.approx(1 - t / np.sqrt(2 + t**2))
    assert p == pytest.approx(0.387628, abs=1e-6)
    # the plain paired t-test (no correction) is more confident
    assert stats.ttest_1samp([0.1, 0.0, 0.2], 0).pvalue < p - 0.1


def test_corrected_resampled_ttest_edge_cases(script):
    assert script.corrected_resampled_ttest([0.0, 0.0, 0.0], 0.25)[2] == 1.0
    mean, t, p = script.corrected_resampled_ttest([0.1, 0.1], 0.25)
    assert (mean, t, p) == (pytest.approx(0.1), np.inf, 0.0)
    with pytest.raises(ValueError, match="at least 2 folds"):
        script.corrected_resampled_ttest([0.1], 0.25)


def test_corrected_interval_by_hand(script):
    mean, low, high = script.corrected_interval([0.1, 0.0, 0.2], 0.5)
    half = stats.t.ppf(0.975, 2) * np.sqrt(0.01 * (1 / 3 + 1 / 2))
    assert (mean, low, high) == pytest.approx((0.1, 0.1 - half, 0.1 + half))


def _records(accuracies, n_train=8, n_test=2):
    return [
        dict(
            repeat=0, fold=k, n_train=n_train, n_test=n_test,
            y_true=[0, 1], y_pred=[0, 1 if a > 0.5 else 0],
            scores={m: a for m in METRICS},
        )
        for k, a in enumerate(accuracies)
    ]  # fmt: skip


def test_summary_pairs_each_fold_with_the_proposed_rows_fold(script):
    """A row better by 10 points on every fold is certainly better (p = 0),
    however much the folds differ from each other."""
    rows = [row for row in script.ROWS if row.key in ("pa", "dense", "mfcc")]
    results = {
        "pa": _records([0.5, 0.9, 0.7]),
        "dense": _records([0.6, 1.0, 0.8]),
        "mfcc": _records([0.9, 0.5, 0.7]),
    }
    table, confusion = script.summarise(rows, results, 2, multiclass=False)
    assert table["key"].tolist() == ["pa", "dense", "mfcc"]
    assert table["n"].tolist() == [10] * 3 and table["folds"].tolist() == [3] * 3
    dense, mfcc = table.iloc[1], table.iloc[2]
    assert dense["accuracy_diff"] == pytest.approx(10)
    assert dense["accuracy_p"] < 1e-10
    assert dense["accuracy_diff_low"] == pytest.approx(10)
    # same mean as the proposed row, paired differences -40, +40, 0
    _, t, p = script.corrected_resampled_ttest([0.4, -0.4, 0.0], 2 / 8)
    assert mfcc["accuracy_diff"] == pytest.approx(0, abs=1e-9)
    assert mfcc["accuracy_p"] == pytest.approx(p) and p == pytest.approx(1)
    mean, low, high = script.corrected_interval([0.5, 0.9, 0.7], 2 / 8)
    first = table.iloc[0]
    assert (first["accuracy_mean"], first["accuracy_low"], first["accuracy_high"]) == (
        pytest.approx((100 * mean, 100 * low, 100 * high))
    )
    assert first["accuracy_std"] == pytest.approx(100 * np.std([0.5, 0.9, 0.7]))
    assert np.isnan(first["accuracy_p"])
    # confusion matrices summed over the folds
    np.testing.assert_array_equal(confusion["pa"], [[3, 0], [1, 2]])
    assert table["p_chance"].isna().all()  # no subjects given


def test_summary_statistics_by_subject(script):
    from skhyperdys.audit import subject_bootstrap_interval, subject_permutation_pvalue

    rows = [row for row in script.ROWS if row.key == "pa"]
    # 20 subjects x 2 recordings, in two folds; subjects S2 and S7 misclassified
    groups = np.array([f"S{i // 2}" for i in range(40)])
    y_true = np.array([0] * 10 + [1] * 10 + [0] * 10 + [1] * 10)
    y_pred = np.where(np.isin(groups, ["S2", "S7"]), 1 - y_true, y_true)
    records = [
        dict(repeat=0, fold=k, n_train=20, n_test=20,
             test_index=list(range(20 * k, 20 * k + 20)),
             y_true=y_true[20 * k : 20 * k + 20].tolist(),
             y_pred=y_pred[20 * k : 20 * k + 20].tolist(),
             scores={m: 0.9 for m in METRICS})
        for k in (0, 1)
    ]  # fmt: skip
    table, _ = script.summarise(rows, {"pa": records}, 2, False, groups, seed=0)
    low, high = subject_bootstrap_interval(y_true, y_pred, groups, random_state=0)
    p = subject_permutation_pvalue(y_true, y_pred, groups, random_state=0)
    line = table.iloc[0]
    assert line["accuracy_ci_low"] == 100 * low
    assert line["accuracy_ci_high"] == 100 * high
    assert line["p_chance"] == p < 0.01


def test_fold_scores_binary_and_macro(script):
    binary = script.fold_scores([0, 0, 1, 1], [0, 1, 1, 1], multiclass=False)
    assert binary == pytest.approx(
        dict(accuracy=0.75, precision=2 / 3, recall=1.0, f1=0.8, specificity=0.5)
    )
    # classes 0, 1, 2: per class TN / (TN + FP): class 0: 3/3, class 1: 2/3,
    # class 2: 1/2 (rows: true 0 -> 0; true 1 -> 2; true 2 -> 2, 1)
    macro = script.fold_scores([0, 1, 2, 2], [0, 2, 2, 1], multiclass=True)
    assert macro["specificity"] == pytest.approx((1 + 2 / 3 + 1 / 2) / 3)
    assert macro["recall"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert macro["precision"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert macro["accuracy"] == pytest.approx(0.5)


def test_severity_codes_from_synthetic_severity(script):
    codes = script.severity_codes([0.0, 0.25, 0.49, 0.5, 0.74, 0.75, 1.0])
    assert codes.tolist() == [3, 2, 2, 1, 1, 0, 0]


# --- late fusion ---------------------------------------------------------------------


def _loudness(recordings):
    return np.array([[np.log(np.mean(np.square(y)) + 1e-12)] for y in recordings])


def test_late_fusion_averages_per_task_probabilities(script, recordings):
    rng = np.random.default_rng(0)
    n = len(recordings.data)
    table = np.empty((n, 2), dtype=object)
    table[:, 0] = recordings.data
    table[:, 1] = [y * rng.uniform(0.2, 1.0) for y in recordings.data]
    y = recordings.target
    model = make_pipeline(FunctionTransformer(_loudness), LogisticRegression())
    fused = script.LateFusion(model).fit(table, y)
    per_task = [
        make_pipeline(FunctionTransformer(_loudness), LogisticRegression())
        .fit(list(table[:, j]), y)
        .predict_proba(list(table[:, j]))
        for j in range(2)
    ]
    np.testing.assert_allclose(fused.predict_proba(table), np.mean(per_task, axis=0))
    assert set(fused.predict(table)) <= set(fused.classes_)
    # in cross_validate, split by subject
    cv = StratifiedGroupKFold(2, shuffle=True, random_state=0)
    scores = cross_validate(
        script.LateFusion(model), table, y, groups=recordings.groups, cv=cv
    )
    assert scores["test_score"].shape == (2,)
    with pytest.raises(ValueError, match="3 task columns"):
        fused.predict_proba(np.concatenate([table, table[:, :1]], axis=1))
    with pytest.raises(ValueError, match="needs a table"):
        fused.predict_proba(list(table[:, 0]))


# --- severity ---------------------------------------------------------------------


def test_severity_target_macro_metrics_and_confusion(script, tmp_path, capsys):
    csv = tmp_path / "severity.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # few members per level
        table = script.main(
            [*TINY, "--n-recordings", "24", "--target", "severity",
             "--variants", "pa", "--output", str(csv)]
        )  # fmt: skip
    out = capsys.readouterr().out
    assert "Precision (macro)" in out and "F1 (macro)" in out
    assert "Confusion matrices" in out and "true 4" in out and "pred 1" in out
    confusion = pd.read_csv(tmp_path / "severity_confusion.csv")
    assert len(confusion) == 16 and confusion["count"].sum() == 24
    assert set(confusion["true"].astype(str)) == {"1", "2", "3", "4"}
    stored = [
        json.loads(path.read_text())
        for path in (tmp_path / "severity_folds").rglob("pa_*.json")
    ]
    truth = np.concatenate([r["y_true"] for r in stored])
    # the table's F1 is the mean of the folds' macro F1
    f1 = [script.fold_scores(r["y_true"], r["y_pred"], True)["f1"] for r in stored]
    assert table["f1_mean"].iloc[0] == pytest.approx(100 * np.mean(f1), abs=0.01)
    assert len(set(truth)) > 2


# --- resumable runs -----------------------------------------------------------------


class Interrupted(Exception):
    pass


def test_interrupted_run_resumes_with_the_same_command(
    script, tmp_path, capsys, monkeypatch
):
    csv = tmp_path / "resumed.csv"
    argv = [*TINY, "--n-recordings", "12", "--variants", "dense"]
    argv += ["--output", str(csv)]
    real, calls = script.fit_predict, []

    def interrupted_after_three(*args):
        if len(calls) == 3:
            raise Interrupted
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(script, "fit_predict", interrupted_after_three)
    with pytest.raises(Interrupted):
        script.main(argv)
    out = capsys.readouterr().out
    assert "interrupted: the finished folds are stored" in out
    assert not csv.exists()
    stored = sorted(p.name for p in (tmp_path / "resumed_folds").rglob("*.json"))
    assert stored == ["dense_r0_f0.json", "pa_r0_f0.json", "pa_r0_f1.json"] + [
        "settings.json"
    ]

    monkeypatch.setattr(script, "fit_predict", real)
    resumed = script.main(argv)  # the same command
    out = capsys.readouterr().out
    assert "reused 2 of 2 folds" in out and "reused 1 of 2 folds" in out
    assert "reused 3 of 4 folds" in out

    # a fresh, uninterrupted run gives the same table
    fresh = script.main([*argv[:-1], str(tmp_path / "fresh.csv"), "--fresh"])
    assert "reused 0 of 4 folds" in capsys.readouterr().out
    pd.testing.assert_frame_equal(resumed, fresh)

    # the statistics are those of the stored folds
    assert resumed["folds"].tolist() == [2, 2]
    folder = next((tmp_path / "resumed_folds").iterdir())
    records = {
        (key, f): json.loads((folder / f"{key}_r0_f{f}.json").read_text())
        for key in ("pa", "dense")
        for f in (0, 1)
    }
    diff = [
        records["dense", f]["scores"]["accuracy"]
        - records["pa", f]["scores"]["accuracy"]
        for f in (0, 1)
    ]
    ratio = np.mean([records["pa", f]["n_test"] for f in (0, 1)]) / np.mean(
        [records["pa", f]["n_train"] for f in (0, 1)]
    )
    mean, _, p = script.corrected_resampled_ttest(diff, ratio)
    assert resumed["accuracy_diff"].iloc[1] == pytest.approx(100 * mean)
    assert resumed["accuracy_p"].iloc[1] == pytest.approx(p, nan_ok=True)

    # finished: the same command again reuses every fold (and needs --overwrite)
    with pytest.raises(SystemExit):
        script.main(argv)
    again = script.main([*argv, "--overwrite"])
    assert "reused 4 of 4 folds" in capsys.readouterr().out
    pd.testing.assert_frame_equal(again, resumed)


def test_repeats_shuffle_differently_and_cover_every_subject(script):
    args = script.parse_args(["--repeats", "3", "--folds", "3"])
    groups = np.repeat([f"s{i}" for i in range(12)], 2)
    data = dict(target=np.repeat([0, 1] * 6, 2), groups=groups)
    folds = script.splits(data, args)
    assert [(r, f) for r, f, _, _ in folds] == [
        (r, f) for r in range(3) for f in range(3)
    ]
    tests = {}
    for repeat, _, train, test in folds:
        assert not set(groups[train]) & set(groups[test])  # split by subject
        tests.setdefault(repeat, []).append(frozenset(groups[test]))
    for repeat in range(3):  # every subject tested once per repeat
        assert sorted(g for part in tests[repeat] for g in part) == sorted(set(groups))
    assert len({frozenset(parts) for parts in tests.values()}) == 3
    # repeat 0 is the single run's split
    single = script.splits(data, script.parse_args(["--folds", "3"]))
    for (_, _, _, a), (_, _, _, b) in zip(single, folds[:3], strict=True):
        np.testing.assert_array_equal(a, b)


def test_changed_settings_do_not_reuse_folds(script, tmp_path):
    data = dict(groups=np.array(["a", "b"]), target=np.array([0, 1]), tasks=["pa"])
    key = script.settings_key(script.parse_args([]), data)[0]
    assert key == script.settings_key(script.parse_args([]), data)[0]
    # more repeats keep the folds already run
    assert key == script.settings_key(script.parse_args(["--repeats", "3"]), data)[0]
    for argv in (
        ["--epochs", "2"],
        ["--folds", "3"],
        ["--image-size", "96"],
        ["--random-state", "1"],
        ["--lr", "0.01"],
        ["--batch-size", "8"],
        ["--target", "severity"],
    ):
        assert key != script.settings_key(script.parse_args(argv), data)[0], argv
    other = dict(data, target=np.array([1, 1]))
    assert key != script.settings_key(script.parse_args([]), other)[0]


def test_a_stored_fold_with_other_test_rows_is_not_reused(script, tmp_path):
    store = script.FoldStore(tmp_path)
    store.save(dict(row="pa", repeat=0, fold=1, test_index=[1, 2], scores={}))
    assert store.load("pa", 0, 1, np.array([1, 2]))["test_index"] == [1, 2]
    assert store.load("pa", 0, 1, np.array([1, 3])) is None
    assert store.load("pa", 0, 0, np.array([1, 2])) is None
    store.path("pa", 0, 0).write_text("{truncated")
    assert store.load("pa", 0, 0, np.array([1, 2])) is None
