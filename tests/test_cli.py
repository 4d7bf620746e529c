"""The command line: python -m skhyperdys predict MODEL FILE... --output CSV."""

import csv
import importlib.util
import io
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, small_classifier, small_transformer
from sklearn.pipeline import Pipeline

import skhyperdys.inspection
from skhyperdys.cli import main
from skhyperdys.inspection import predictive_uncertainty
from skhyperdys.io import dump

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = [
    "path",
    "predicted",
    "probability",
    "entropy",
    "mutual_information",
    "novelty",
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
    bad["short"] = folder / "short.wav"
    sf.write(bad["short"], recordings.data[0][:200], SR)
    bad["text"] = folder / "notes.wav"
    bad["text"].write_text("not audio")
    bad["missing"] = folder / "missing.wav"
    # Read fine, fails in the pipeline (NaN samples): the batch falls back per file.
    bad["nan"] = folder / "nan.wav"
    samples = recordings.data[1].astype("float32")
    samples[100] = np.nan
    sf.write(bad["nan"], samples, SR, subtype="FLOAT")
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
    good, bad = setup["good"], setup["bad"]
    files = [good[0], bad["short"], bad["text"], good[1], bad["missing"], bad["nan"]]
    files.append(good[2])
    output = tmp_path / "results.csv"
    done = _run("predict", setup["model"], *files, "--output", output)
    assert done.returncode == 1, done.stderr
    rows = _rows(output.read_text())
    assert list(rows[0]) == COLUMNS
    assert [row["path"] for row in rows] == files
    for name, path in bad.items():
        assert f"{path}:" in done.stderr, name
    by_path = {row["path"]: row for row in rows}
    assert "too short" in by_path[bad["short"]]["error"]
    assert "could not read" in by_path[bad["text"]]["error"]
    assert "no such audio file" in by_path[bad["missing"]]["error"]
    assert "NaN" in by_path[bad["nan"]]["error"]
    for path in bad.values():
        assert by_path[path]["predicted"] == by_path[path]["probability"] == ""

    pipe = setup["pipe"]
    expected = predictive_uncertainty(pipe, good)
    for i, path in enumerate(good):
        row = by_path[path]
        assert row["error"] == ""
        k = expected.proba[i].argmax()
        assert row["predicted"] == str(pipe.classes_[k])
        assert float(row["probability"]) == pytest.approx(
            expected.proba[i, k], abs=2e-6
        )
        for name in ("entropy", "mutual_information", "novelty"):
            assert float(row[name]) == pytest.approx(expected[name][i], abs=2e-6)
    assert "4 failed" in done.stderr


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
        patch.setitem(sys.modules, "pytorch_grad_cam", None)  # not installed
        assert main(args) == 2
        assert "needs the grad-cam library" in capsys.readouterr().err
    monkeypatch.delattr(skhyperdys.inspection, "saliency_maps", raising=False)
    assert main(args) == 2
    assert "saliency needs skhyperdys.inspection.saliency_maps" in (
        capsys.readouterr().err
    )
    assert not folder.exists()


@pytest.mark.skipif(
    not hasattr(skhyperdys.inspection, "saliency_maps")
    or importlib.util.find_spec("pytorch_grad_cam") is None,
    reason="needs skhyperdys.inspection.saliency_maps and grad-cam",
)
def test_saliency_writes_one_png_per_file(setup, tmp_path, capsys):
    folder = tmp_path / "maps"
    files = [*setup["good"][:2], setup["bad"]["missing"]]
    args = ["predict", setup["model"], *files, "--saliency", str(folder)]
    assert main(args) == 1
    rows = _rows(capsys.readouterr().out)
    assert sorted(os.listdir(folder)) == ["clip0.png", "clip1.png"]
    assert rows[0]["saliency"] == str(folder / "clip0.png")
    assert rows[2]["saliency"] == ""
    assert main(args) == 2  # the images exist now
    assert main([*args, "--overwrite"]) == 1
