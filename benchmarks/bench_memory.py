"""Peak memory of SpectrogramImages.transform against the size of its output.

Runs in this process: generates ``--n`` clips of 3-8 s, records the resident
set size, transforms them, and reports the peak resident set size reached
during ``transform`` above that baseline (ru_maxrss), next to the output's
size. The ratio shows the working set beyond the output itself.

    python benchmarks/bench_memory.py [--n 1000] [--size 224] [--dtype float16]
        [--device cpu]

With ``--device cuda`` the GPU's peak allocated memory is printed too.
"""

import argparse
import resource
import sys

import numpy as np
import torch
from _machine import add_device_argument, describe, resolve_device
from bench_features import clips

from skhyperdys import SpectrogramImages


def rss_mib():
    """Current resident set size in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mib():
    scale = 1 if sys.platform == "darwin" else 1024  # bytes vs KiB
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        * scale
        / 2**20
        / (1024 if sys.platform == "darwin" else 1)
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_device_argument(parser)
    parser.add_argument("--n", type=int, default=1000, help="clips of 3-8 s at 8 kHz")
    parser.add_argument("--size", type=int, default=224, help="image side in pixels")
    parser.add_argument(
        "--dtype",
        default="float32",
        choices=["float32", "float16"],
        help="output dtype",
    )
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    describe(device)
    X = clips(args.n)
    transformer = SpectrogramImages(
        image_size=(args.size, args.size), dtype=args.dtype, device=str(device)
    )
    transformer.transform(X[:4])  # warm up: numba, torch
    baseline, earlier_peak = rss_mib(), peak_mib()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    out = transformer.transform(X)
    output = out.nbytes / 2**20
    inputs = sum(y.nbytes for y in X) / 2**20
    if peak_mib() <= earlier_peak:
        print(
            f"the peak ({earlier_peak:.0f} MiB) was reached before transform; "
            "rerun with a larger --n"
        )
    extra = peak_mib() - baseline
    print(
        f"{args.n} clips of 3-8 s ({inputs:.0f} MiB of waveforms) -> "
        f"{out.shape} {out.dtype}, {output:.0f} MiB"
    )
    print(
        f"  peak RSS above baseline during transform: {extra:.0f} MiB "
        f"= output + {extra - output:.0f} MiB working set "
        f"({extra / output:.2f}x the output)"
    )
    if device.type == "cuda":
        gpu = torch.cuda.max_memory_allocated(device) / 2**20
        print(f"  peak GPU memory allocated by torch during transform: {gpu:.0f} MiB")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
