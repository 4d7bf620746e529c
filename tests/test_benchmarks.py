"""The benchmark scripts run: their options parse, --device fails cleanly, smoke runs.

The scripts live in ``benchmarks/`` (not a package); they are imported from
there and their ``main(argv)`` is called in this process. The smoke runs of
the scripts that fit AlexNet (``bench_inference.py --quick``,
``bench_training.py --quick``) take a minute on two cores and run only with
``SKHYPERDYS_BENCH_SMOKE=1``.
"""

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(p.stem for p in BENCHMARKS.glob("bench_*.py"))
SMOKE = os.environ.get("SKHYPERDYS_BENCH_SMOKE") == "1"


@pytest.fixture
def load(monkeypatch):
    """Import a benchmark script by name, with benchmarks/ on the path."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))

    def load(name):
        spec = importlib.util.spec_from_file_location(
            f"_bench_{name}", BENCHMARKS / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.mark.parametrize("name", SCRIPTS)
def test_help(load, name, capsys):
    with pytest.raises(SystemExit) as stop:
        load(name).main(["--help"])
    assert stop.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # unwrapped
    assert "--device" in out and "(default: cpu)" in out


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
@pytest.mark.parametrize("name", SCRIPTS)
def test_cuda_without_a_gpu_stops_with_a_message(load, name):
    with pytest.raises(SystemExit) as stop:
        load(name).main(["--device", "cuda"])
    assert "sees no CUDA GPU" in str(stop.value.code)


def test_unknown_device_stops_with_a_message(load):
    with pytest.raises(SystemExit, match="not a torch device"):
        load("bench_features").main(["--device", "gpu0"])


def test_features_quick(load, capsys):
    load("bench_features").main(["--quick", "--skip-scaling"])
    out = capsys.readouterr().out
    assert "CPU:" in out and "threads: torch" in out
    assert "<- reference" in out and "max |library - reference|" in out
    assert "clips/s per core" in out
    assert "memory-bandwidth limit" in out and "% of it" in out


@pytest.mark.skipif(not SMOKE, reason="set SKHYPERDYS_BENCH_SMOKE=1 (a minute)")
@pytest.mark.parametrize(
    "name, expected",
    [("bench_inference", "library p50 / reference p50"), ("bench_training", "s/epoch")],
)
def test_quick(load, capsys, name, expected):
    load(name).main(["--quick"])
    assert expected in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_run_gpu_script_parses():
    subprocess.run(["bash", "-n", str(BENCHMARKS / "run_gpu.sh")], check=True)


def test_training_throughput_part_runs_on_the_cpu(load, capsys):
    """The GPU table's part, at a size the CPU does in seconds."""
    load("bench_training").main(
        ["--parts", "throughput", "--throughput-n", "4", "--throughput-epochs", "1",
         "--throughput-batches", "2", "--repeats", "1", "--no-compile"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "fit / plain" in out and out.count("x\n") >= 2


def test_fit_costs_runs(load, capsys):
    load("bench_fit_costs").main(["--n", "16", "--size", "64", "--repeats", "1"])
    assert "per 1,000 images" in capsys.readouterr().out


def test_encoders_runs(load, capsys):
    pytest.importorskip("transformers")
    load("bench_encoders").main(
        ["--parts", "speed", "memory", "--sizes", "tiny", "--n", "3",
         "--repeats", "1", "--memory-n", "10", "30"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "<- reference" in out and "x the reference" in out
    assert "max |library - reference|" in out
    assert "growth from N=10 to N=30" in out
