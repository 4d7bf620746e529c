"""The command line: python -m skhyperdys predict MODEL FILE... --output CSV."""

import csv
import io
import os
import subprocess
import sys

import matplotlib.figure
import numpy as np
import pytest
import soundfile as sf
from conftest import SR, small_classifier, small_transformer
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch

import skhyperdys.inspection
from skhyperdys.cli import main
from skhyperdys.inspection import (
    UnusualInputWarning,
    predictive_uncertainty,
    saliency_maps,
)
from skhyperdys.io import dump

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = [
    "path",
    "predicted",
    "probability",
    "entropy",
    "mutual_information",
    "novelty",
    "flag",
    "error",
]


@pytest.fixture(scope="module")
def setup(recordings, tmp_path_factory):
    """A saved audio pipeline, good and bad audio files, and a bare classifier."""
    folder = tmp_path_factory.mktemp("cli")
    pipe = Pipeline(
        [("images", small_transformer()), ("clf", small_classifier(max_epochs=1))]
    ).fit(recordings.data, recordings.target)
    model = folder / "model.safetensors"
    dump(pipe, model)
    good = []
    for i in range(3):
        path = folder / f"clip{i}.wav"
        sf.write(path, recordings.data[i], SR)
        good.append(str(path))
    bad = {}
    bad["text"] = folder / "notes.wav"
    bad["text"].write_text("not audio")
    bad["empty"] = folder / "empty.wav"
    bad["empty"].write_bytes(b"")
    bad["missing"] = folder / "missing.wav"
    # Read fine, fails in the pipeline (NaN samples): the batch falls back per file.
    bad["nan"] = folder / "nan.wav"
    samples = recordings.data[1].astype("float32")
    samples[100] = np.nan
    sf.write(bad["nan"], samples, SR, subtype="FLOAT")
    # Labelled, but flagged: a short clip, a silent one
    odd = {"short": folder / "short.wav", "silent": folder / "silent.wav"}
    sf.write(odd["short"], recordings.data[0][:200], SR)
    sf.write(odd["silent"], np.zeros(2 * SR), SR)
    bare = folder / "bare.safetensors"
    clf = small_classifier(max_epochs=1).fit(
        {"features": np.ones((4, 8), dtype="float32")}, [0, 1, 0, 1]
    )
    dump(clf, bare)
    return dict(
        pipe=pipe,
        model=str(model),
        good=good,
        bad={k: str(v) for k, v in bad.items()},
        odd={k: str(v) for k, v in odd.items()},
        bare=str(bare),
    )


def _run(*args):
    env = {**os.environ, "PYTHONPATH": REPO}
    return subprocess.run(
        [sys.executable, "-m", "skhyperdys", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
    )


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_predict_labels_good_files_and_reports_bad_ones(setup, tmp_path):
    good, bad, odd = setup["good"], setup["bad"], setup["odd"]
    files = [good[0], odd["short"], bad["text"], good[1], bad["missing"], bad["nan"]]
    files += [bad["empty"], odd["silent"], good[2]]
    output = tmp_path / "results.csv"
    done = _run("predict", setup["model"], *files, "--output", output)
    assert done.returncode == 1, done.stderr
    rows = _rows(output.read_text())
    assert list(rows[0]) == COLUMNS
    assert [row["path"] for row in rows] == files
    for name, path in bad.items():
        assert f"{path}:" in done.stderr, name
    by_path = {row["path"]: row for row in rows}
    assert "could not read" in by_path[bad["text"]]["error"]
    assert "no such audio file" in by_path[bad["missing"]]["error"]
    assert "NaN" in by_path[bad["nan"]]["error"]
    assert "is empty (0 bytes)" in by_path[bad["empty"]]["error"]
    for path in bad.values():
        row = by_path[path]
        assert row["predicted"] == row["probability"] == row["flag"] == ""
    # unusual recordings are labelled, and flagged by the API's rule
    short, silent = by_path[odd["short"]], by_path[odd["silent"]]
    assert short["predicted"] and silent["predicted"]
    assert "short (0.025 s, under 0.25 s)" in short["flag"]
    assert "silent (loudest 20 ms at -inf dBFS)" in silent["flag"]
    assert "far from the training data" in silent["flag"]
    assert f"{odd['silent']}: flagged: silent" in done.stderr
    assert "2 flagged (see the 'flag' column); 4 failed" in done.stderr

    pipe = setup["pipe"]
    expected = predictive_uncertainty(pipe, good)
    for i, path in enumerate(good):
        row = by_path[path]
        assert row["error"] == row["flag"] == ""
        k = expected.proba[i].argmax()
        assert row["predicted"] == str(pipe.classes_[k])
        assert float(row["probability"]) == pytest.approx(
            expected.proba[i, k], abs=2e-6
        )
        for name in ("entropy", "mutual_information", "novelty"):
            assert float(row[name]) == pytest.approx(expected[name][i], abs=2e-6)


def test_flags_follow_the_apis_rule(setup, capsys):
    """The CLI's flag column and the API's warnings name the same recordings."""
    files = [setup["good"][0], setup["odd"]["short"], setup["odd"]["silent"]]
    files.append(setup["good"][1])
    assert main(["predict", setup["model"], *files]) == 0
    flags = [row["flag"] for row in _rows(capsys.readouterr().out)]
    assert [bool(flag) for flag in flags] == [False, True, True, False]
    waveforms = [sf.read(path)[0] for path in files]
    with pytest.warns(UnusualInputWarning) as caught:
        setup["pipe"].predict(waveforms)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2  # one from the images, one from the classifier
    listed = " ".join(messages)
    assert [f"X[{i}]:" in listed for i in range(4)] == [bool(f) for f in flags]
    for flag in flags:  # every reason the CLI gives, the API gives too
        assert all(reason in listed for reason in flag.split("; ") if reason)
    # --min-duration moves the duration rule: 0.025 s is long enough here
    assert main(["predict", setup["model"], files[1], "--min-duration", "0.02"]) == 0
    (row,) = _rows(capsys.readouterr().out)
    assert "short" not in row["flag"]


def test_folders_stand_for_their_audio_files(setup, tmp_path, capsys):
    top = tmp_path / "recordings"
    (top / "sub").mkdir(parents=True)
    (top / "empty").mkdir()
    names = ["e.wav", "b.wav", "d.wav", "a.WAV", "c.wav"]  # made in this order
    for i, name in enumerate(names):
        (top / name).write_bytes(open(setup["good"][i % 3], "rb").read())
    (top / "sub" / "c.flac").write_bytes(b"")  # picked up with --recursive only
    (top / "notes.txt").write_text("not audio")  # not an audio file name
    (top / ".hidden.wav").write_text("not audio either")  # hidden: left out
    assert main(["predict", setup["model"], str(top)]) == 0
    rows = _rows(capsys.readouterr().out)
    assert [row["path"] for row in rows] == [str(top / n) for n in sorted(names)]
    assert all(row["predicted"] for row in rows)
    assert main(["predict", setup["model"], str(top), "--recursive"]) == 1
    rows = _rows(capsys.readouterr().out)
    assert [os.path.relpath(row["path"], top) for row in rows] == [
        *sorted(names),
        os.path.join("sub", "c.flac"),
    ]
    assert "is empty (0 bytes)" in rows[-1]["error"]
    assert main(["predict", setup["model"], str(top / "empty")]) == 1
    (row,) = _rows(capsys.readouterr().out)
    assert row["error"].startswith("a folder with no audio files in it")


def test_all_good_files_exit_zero_and_csv_to_stdout(setup, capsys):
    status = main(["predict", setup["model"], *setup["good"], "--batch-size", "2"])
    out, err = capsys.readouterr()
    assert status == 0, err
    rows = _rows(out)
    assert [row["path"] for row in rows] == setup["good"]
    assert all(row["error"] == "" and row["predicted"] for row in rows)


def test_existing_output_is_kept_unless_overwrite(setup, tmp_path, capsys):
    output = tmp_path / "results.csv"
    output.write_text("my own table\n")
    args = ["predict", setup["model"], setup["good"][0], "--output", str(output)]
    assert main(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert output.read_text() == "my own table\n"
    assert main([*args, "--overwrite"]) == 0
    assert _rows(output.read_text())[0]["path"] == setup["good"][0]
    assert sorted(os.listdir(tmp_path)) == ["results.csv"]


def test_unusable_models_exit_two(setup, tmp_path, capsys):
    clip = setup["good"][0]
    assert main(["predict", str(tmp_path / "none.safetensors"), clip]) == 2
    assert "no such model file" in capsys.readouterr().err
    assert main(["predict", setup["bare"], clip]) == 2
    assert "not a Pipeline from audio" in capsys.readouterr().err
    assert main(["predict", clip, clip]) == 2  # an audio file is no model
    assert "not a safetensors file" in capsys.readouterr().err


_LOADED = """
import runpy, sys
sys.argv = ["skhyperdys", *sys.argv[1:]]
try:
    runpy.run_module("skhyperdys", run_name="__main__", alter_sys=True)
except SystemExit as done:
    print("exit", done.code)
print(sorted({"torch", "sklearn", "librosa"} & set(sys.modules)))
"""


@pytest.mark.parametrize("args", [["--help"], ["predict"], ["predict", "--help"]])
def test_help_and_usage_errors_come_before_the_heavy_imports(args):
    env = {**os.environ, "PYTHONPATH": REPO}
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *args], capture_output=True, text=True, env=env
    )
    code = "2" if args == ["predict"] else "0"
    assert done.stdout.splitlines()[-2:] == [f"exit {code}", "[]"], done.stderr


def test_help_reads_cleanly(capsys):
    done = _run("--help")  # the real entry point, once
    assert done.returncode == 0 and "predict" in done.stdout
    with pytest.raises(SystemExit) as exit_:
        main(["predict", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for text in ("MODEL", "FILE", "--output", "--overwrite", "--saliency", "novelty"):
        assert text in out
    assert max(len(line) for line in out.splitlines()) <= 88
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2 and "COMMAND" in capsys.readouterr().err


def test_saliency_says_what_it_needs(setup, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "maps"
    args = ["predict", setup["model"], setup["good"][0], "--saliency", str(folder)]
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "matplotlib", None)  # not installed
        assert main(args) == 2
        assert "--saliency needs matplotlib" in capsys.readouterr().err
    monkeypatch.delattr(skhyperdys.inspection, "saliency_maps", raising=False)
    assert main(args) == 2
    assert "saliency needs skhyperdys.inspection.saliency_maps" in (
        capsys.readouterr().err
    )
    assert not folder.exists()


def test_saliency_writes_one_png_per_file(setup, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "maps"
    # two files of one name in different folders get an image each
    other = tmp_path / "other"
    other.mkdir()
    twin = other / "clip0.wav"
    twin.write_bytes(open(setup["good"][2], "rb").read())
    files = [*setup["good"][:2], setup["bad"]["missing"], str(twin)]
    args = ["predict", setup["model"], *files, "--saliency", str(folder)]
    titles = {}
    save = matplotlib.figure.Figure.savefig

    def remember_title(figure, path, **kwargs):
        titles[os.path.basename(path)] = figure.axes[0].get_title()
        return save(figure, path, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", remember_title)
    assert main(args) == 1
    rows = _rows(capsys.readouterr().out)
    assert sorted(os.listdir(folder)) == ["clip0-2.png", "clip0.png", "clip1.png"]
    assert [row["saliency"] for row in rows] == [
        str(folder / "clip0.png"),
        str(folder / "clip1.png"),
        "",
        str(folder / "clip0-2.png"),
    ]
    assert titles["clip0-2.png"].startswith("clip0.wav: Saliency for class")
    assert open(folder / "clip0.png", "rb").read() != open(
        folder / "clip0-2.png", "rb"
    ).read()
    assert main(args) == 2  # the images exist now
    assert main([*args, "--overwrite"]) == 1
    # a map that shows nothing says so in its title
    monkeypatch.setattr(
        skhyperdys.inspection,
        "saliency_maps",
        lambda *a, **k: [
            Bunch(**{**m, "map": np.zeros_like(m.map)})
            for m in saliency_maps(*a, **k)
        ],
    )
    assert main([*args, "--overwrite"]) == 1
    assert titles["clip1.png"].endswith(": constant map, shows nothing")


def test_version_and_versions():
    import skhyperdys

    done = _run("--version")
    assert done.returncode == 0 and done.stdout.strip() == (
        f"skhyperdys {skhyperdys.__version__}"
    )
    done = _run("versions")
    assert done.returncode == 0
    for name in ("skhyperdys:", "torch:", "scikit-learn:", "librosa:", "oneDNN:"):
        assert name in done.stdout


def test_info_prints_the_card_and_versions(setup, tmp_path):
    path = tmp_path / "carded.safetensors"
    dump(
        setup["pipe"],
        path,
        card={"intended_use": "a test", "evaluation": {"accuracy": 0.5}},
    )
    done = _run("info", path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "intended use: a test" in out and "accuracy: 0.5" in out
    assert f"sample rate: {SR} Hz" in out
    assert "training samples:" in out and "step clf (HypernetClassifier)" in out
    assert "versions (written with / here):" in out and "torch:" in out
    bare = _run("info", setup["model"])
    assert "(none given" in bare.stdout
    as_json = _run("info", path, "--json")
    assert '"intended_use": "a test"' in as_json.stdout
    missing = _run("info", tmp_path / "nope.safetensors")
    assert missing.returncode == 2 and "cannot read the model" in missing.stderr
