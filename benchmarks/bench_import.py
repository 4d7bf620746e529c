"""How long a new Python process waits for the library, and for the command line.

Each row starts fresh interpreters (``--repeats`` of them, interleaved with the
reference so that both see the same machine load) and prints the median wall
time, and its ratio to the reference measured in the same run:

* reference: ``import torch, sklearn.pipeline, librosa``, the libraries any
  use of skhyperdys needs (what a user's own script would import anyway);
* ``from skhyperdys import HypernetClassifier, SpectrogramImages``;
* ``import skhyperdys`` (the estimators come on first use);
* ``python -m skhyperdys --help`` and a usage error
  (``python -m skhyperdys predict`` without files): answered before torch is
  imported;
* the reference plus a first tensor on ``--device`` (a GPU's start-up, which
  comes on top of any import; on the CPU it adds nothing).

Run from the repository root: ``python benchmarks/bench_import.py``.
"""

import argparse
import statistics
import subprocess
import sys
import time

from _machine import add_device_argument, describe, resolve_device


def cases(device):
    """The commands timed, by name; the first is the reference."""
    return {
        "reference: import torch, sklearn.pipeline, librosa": [
            "-c",
            "import torch, sklearn.pipeline, librosa",
        ],
        "from skhyperdys import HypernetClassifier, SpectrogramImages": [
            "-c",
            "from skhyperdys import HypernetClassifier, SpectrogramImages",
        ],
        "import skhyperdys": ["-c", "import skhyperdys"],
        "python -m skhyperdys --help": ["-m", "skhyperdys", "--help"],
        "python -m skhyperdys predict (usage error)": ["-m", "skhyperdys", "predict"],
        f"reference + torch.zeros(1, device={device!r})": [
            "-c",
            "import torch, sklearn.pipeline, librosa; "
            f"torch.zeros(1, device={device!r})",
        ],
    }


def seconds(args):
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--repeats", type=int, default=7, help="processes per row")
    add_device_argument(parser)
    args = parser.parse_args(argv)
    device = str(resolve_device(args.device))
    describe(device)
    timed = cases(device)
    seconds(timed["import skhyperdys"])  # warm the file cache once
    times = {name: [] for name in timed}
    for _ in range(args.repeats):
        for name, case in timed.items():  # interleaved: the same load for all
            times[name].append(seconds(case))
    reference = statistics.median(next(iter(times.values())))
    print(f"\nmedian of {args.repeats} fresh processes, wall time")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{median:7.3f} s  {median / reference:5.2f}x  {name}")


if __name__ == "__main__":
    main()
