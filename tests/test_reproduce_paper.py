"""examples/reproduce_paper.py end to end, on tiny settings."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_voc_als_tree

SCRIPT = Path(__file__).parents[1] / "examples" / "reproduce_paper.py"
TINY = ["--epochs", "1", "--folds", "2", "--image-size", "64", "--batch-size", "8"]
METHODS = 6


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("reproduce_paper", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_table(table, csv):
    assert len(table) == METHODS
    assert table["method"].iloc[0].endswith("(proposed)")
    for metric in ("accuracy", "precision", "recall", "f1", "specificity"):
        assert table[f"{metric}_mean"].between(0, 100).all()
        assert table[f"{metric}_std"].ge(0).all()
    on_disk = pd.read_csv(csv)
    assert list(on_disk["method"]) == list(table["method"])


def test_built_in_data(script, tmp_path, capsys):
    csv = tmp_path / "table.csv"
    table = script.main([*TINY, "--n-recordings", "12", "--output", str(csv)])
    _check_table(table, csv)
    out = capsys.readouterr().out
    assert "built-in synthetic data (NOT VOC-ALS)" in out
    assert "Specificity" in out and "±" in out


def test_voc_als_tree(script, tmp_path, capsys):
    root = make_voc_als_tree(tmp_path / "VOC-ALS")
    csv = tmp_path / "voc.csv"
    table = script.main(
        [*TINY, "--voc-als", str(root), "--weights", "none", "--output", str(csv)]
    )
    _check_table(table, csv)
    assert table["n"].tolist() == [6] * METHODS
    assert "VOC-ALS" in capsys.readouterr().out


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
    demo = script.parse_args([])
    assert demo.weights is None and demo.epochs < 30
