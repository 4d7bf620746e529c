"""Feature extraction: SpectrogramImages.transform vs a per-clip librosa loop.

200 synthetic clips of 3-8 s at 8 kHz. The reference is the straightforward
loop a user would write: for each clip, librosa's Mel spectrogram, power_to_db,
two deltas, an antialiased resize to 224x224 and the ImageNet scaling
(``skhyperdys.features.feature_image``), timed with torch's default threads and
with one thread (the faster of the two is the reference). Medians of
``--repeats`` runs, clips/s and the ratio.

    python benchmarks/bench_features.py [--n 200] [--repeats 3] [--n-jobs 1]
"""

import argparse
import statistics
import time

import numpy as np
import torch

from skhyperdys import SpectrogramImages
from skhyperdys.features import feature_image


def clips(n, sr=8000, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (0.1 * rng.standard_normal(int(rng.uniform(3, 8) * sr))).astype(np.float32)
        for _ in range(n)
    ]


def librosa_loop(X, sr=8000):
    return np.stack([feature_image(y, sr) for y in X])


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)
    X = clips(args.n)
    librosa_loop(X[:2])  # compile librosa's numba code before timing

    threads = torch.get_num_threads()
    ref_default, expected = timed(lambda: librosa_loop(X), args.repeats)
    torch.set_num_threads(1)
    ref_single, _ = timed(lambda: librosa_loop(X), args.repeats)
    torch.set_num_threads(threads)
    reference = min(ref_default, ref_single)

    results = {}
    for backend in ("librosa", "torch"):
        transformer = SpectrogramImages(backend=backend, n_jobs=args.n_jobs)
        transformer.transform(X[:2])  # start joblib workers if any
        results[backend], out = timed(
            lambda t=transformer: t.transform(X), args.repeats
        )
        worst = np.abs(out - expected).max()
        print(f"  max |difference| to the loop, backend={backend}: {worst:.1e}")

    print(
        f"{args.n} clips of 3-8 s, 8 kHz -> 3x224x224; median of {args.repeats}; "
        f"n_jobs={args.n_jobs}"
    )
    print(
        f"  librosa loop, {threads} torch threads   {ref_default:6.2f} s "
        f"{args.n / ref_default:7.1f} clips/s"
    )
    print(
        f"  librosa loop, 1 torch thread     {ref_single:6.2f} s "
        f"{args.n / ref_single:7.1f} clips/s"
    )
    for backend, seconds in results.items():
        print(
            f"  SpectrogramImages({backend:7s})   {seconds:6.2f} s "
            f"{args.n / seconds:7.1f} clips/s  {reference / seconds:5.2f}x the loop"
        )


if __name__ == "__main__":
    main()
