"""Feature extraction: SpectrogramImages vs the per-clip librosa loop, fairly.

What is compared, at each ``--sr`` (default 8 and 16 kHz), on ``--n`` synthetic
clips of 3-8 s:

* the reference: the loop a skilled user writes,
  ``np.stack([feature_image(y, sr) for y in X])`` (librosa's Mel spectrogram,
  ``power_to_db``, two deltas, torch's antialiased resize to 224x224 and the
  ImageNet scaling: the same images the library makes), timed twice, with
  default threads and with one torch *and* one BLAS/OpenMP thread
  (``torch.set_num_threads(1)`` + a threadpoolctl limit of 1);
  the faster of the two (by median) is the reference;
* the library: ``SpectrogramImages(sr=sr, n_jobs=1).transform(X)``.

Each repeat draws *fresh* random clip lengths, so the library's cache of
per-length operators (deltas + resize along time, one per number of frames)
is not flattered by seeing the same lengths again; the cache's hit rate in
the timed runs is printed. The variants run interleaved within each repeat
(order rotated), on the same clips; medians over ``--repeats``. Printed:
seconds, clips/s, the ratio to the reference (the issue's target: >= 3x at 8
and 16 kHz with ``n_jobs=1``), the largest absolute difference between the
library's images and the reference's, and the fraction of the machine's
limit: a FLOP count per clip (real FFT ~2.5 n_fft log2(n_fft) and Mel product
2 n_bins n_mels per frame; the rest is negligible) divided by the measured
single-core float32 sgemm speed (a 1024x1024 numpy product at one thread, in
this run) gives "clips/s at the FLOP limit" for one core. On every device
it also prints the share of the memory-bandwidth limit: the bytes a clip must
move at least (its samples read, its 3x224x224 float32 image written) at the
speed of a plain tensor copy on ``--device``, measured in the run; on a GPU
also ``SpectrogramImages(output="torch")``, whose images stay in the GPU's
memory (no copy back to the host). A second table
gives the speed-up with ``n_jobs`` = 1 .. number of cores (threads) over
``n_jobs=1``, same clips per repeat.

    python benchmarks/bench_features.py                      # final figures
    python benchmarks/bench_features.py --quick              # smoke run, seconds
    python benchmarks/bench_features.py --sr 8000 --n 100 --repeats 5 --device cuda

With the defaults (200 clips, 3 repeats, both rates) about 1-2 minutes on an
idle 2-core machine, most of it the reference loop with default threads.
"""

import argparse
import os
import statistics
import time

import numpy as np
import torch
from _machine import (
    add_device_argument,
    best_threads,
    describe,
    resolve_device,
    rotated,
    sgemm_gflops,
    synchronize,
)

from skhyperdys import SpectrogramImages
from skhyperdys import batched as _batched
from skhyperdys.features import DEFAULTS, feature_image


def clips(n, sr=8000, seed=0, duration=(3.0, 8.0)):
    """``n`` float32 noise clips of random lengths in ``duration`` seconds."""
    rng = np.random.default_rng(seed)
    return [
        (0.1 * rng.standard_normal(int(rng.uniform(*duration) * sr))).astype(np.float32)
        for _ in range(n)
    ]


def librosa_loop(X, sr=8000):
    """The reference: one ``feature_image`` call per clip."""
    return np.stack([feature_image(y, sr) for y in X])


def flops_per_clip(n_samples, n_fft=DEFAULTS.n_fft, hop=DEFAULTS.hop_length,
                   n_mels=DEFAULTS.n_mels):  # fmt: skip
    """(FFT, Mel product) floating-point operations of one clip's spectrogram."""
    frames = 1 + n_samples // hop  # librosa's centred frames
    fft = 2.5 * n_fft * np.log2(n_fft) * frames
    mel = 2.0 * (n_fft // 2 + 1) * n_mels * frames
    return fft, mel


def _operator_cache():
    """The library's per-length operator cache, if it still has one."""
    cached = getattr(_batched, "_time_operator", None)
    return cached if hasattr(cached, "cache_info") else None


def copy_bandwidth(device, megabytes=256, repeats=5):
    """Bytes per second a plain tensor copy moves on ``device`` (read + write)."""
    source = torch.empty(megabytes * 2**20 // 4, device=device)
    target = torch.empty_like(source)
    target.copy_(source)
    synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        target.copy_(source)
    synchronize(device)
    return 2 * source.numel() * 4 * repeats / (time.perf_counter() - start)


def measure_rate(sr, args, device, gflops):
    """Interleaved reference and library timings at one rate; prints the table."""
    settings = {"default": False, "single": True}
    if args.reference_threads != "both":
        settings = {args.reference_threads: settings[args.reference_threads]}
    library = SpectrogramImages(sr=sr, n_jobs=1, device=str(device))
    # Warm-up: librosa's numba code, the Mel filter bank and frequency resize
    # for this rate (cached per rate, not per clip: legitimately reused).
    warm = clips(2, sr, seed=10_000, duration=(0.5, 1.0))
    librosa_loop(warm, sr)
    library.transform(warm)
    synchronize(device)
    cache = _operator_cache()
    if cache:
        cache.cache_clear()  # start cold at each rate: no lengths from another rate

    times = {name: [] for name in (*settings, "library")}
    worst, samples, hits, misses = 0.0, [], 0, 0
    for repeat in range(args.repeats):
        X = clips(args.n, sr, seed=args.seed + 1000 * repeat + sr)
        samples.extend(len(y) for y in X)
        order = rotated([*settings, "library"], repeat)
        outputs = {}
        for name in order:
            if name == "library":
                before = cache.cache_info() if cache else None
                start = time.perf_counter()
                outputs[name] = library.transform(X)
                synchronize(device)
                times[name].append(time.perf_counter() - start)
                if cache:
                    after = cache.cache_info()
                    hits += after.hits - before.hits
                    misses += after.misses - before.misses
            else:
                with best_threads(settings[name]):
                    start = time.perf_counter()
                    outputs[name] = librosa_loop(X, sr)
                    times[name].append(time.perf_counter() - start)
        reference_out = next(v for k, v in outputs.items() if k != "library")
        worst = max(worst, float(np.abs(outputs["library"] - reference_out).max()))
        scale = float(np.abs(reference_out).max())

    medians = {name: statistics.median(t) for name, t in times.items()}
    best = min(settings, key=medians.get)
    reference = medians[best]
    fft, mel = flops_per_clip(np.mean(samples))
    limit = gflops * 1e9 / (fft + mel)
    rate = args.n / medians["library"]

    labels = {
        "default": f"loop, default threads (torch {torch.get_num_threads()})",
        "single": "loop, 1 torch + 1 BLAS thread",
        "library": f"SpectrogramImages(n_jobs=1, device={device})",
    }
    print(
        f"\n{sr} Hz: {args.n} clips of 3-8 s (fresh random lengths each repeat), "
        f"3x224x224; median of {args.repeats} interleaved repeats"
    )
    print(f"  {'':44s} {'seconds':>8s} {'clips/s':>8s} {'vs reference':>13s}")
    for name in (*settings, "library"):
        mark = "  <- reference" if name == best else ""
        print(
            f"  {labels[name]:44s} {medians[name]:8.3f} "
            f"{args.n / medians[name]:8.1f} {reference / medians[name]:12.2f}x{mark}"
        )
    print(
        f"  library / reference: {reference / medians['library']:.2f}x faster "
        "(target >= 3x)"
    )
    print(
        f"  max |library - reference| = {worst:.1e} (images span +-{scale:.2f}; "
        f"{worst / scale:.1e} of scale)"
    )
    if cache and hits + misses:
        print(
            f"  library's per-length operator cache in the timed runs: "
            f"{100 * hits / (hits + misses):.0f} % hits ({hits} of {hits + misses})"
        )
    bandwidth = copy_bandwidth(device)
    moved = 4 * np.mean(samples) + 4 * 3 * 224 * 224  # read a clip, write an image
    ceiling = bandwidth / moved
    print(
        f"  memory-bandwidth limit: {moved / 1e6:.2f} MB per clip at "
        f"{bandwidth / 1e9:.0f} GB/s ({device} copy, measured) -> {ceiling:.0f} "
        f"clips/s; library {rate:.1f} clips/s = {100 * rate / ceiling:.2f} % of it"
    )
    if device.type != "cpu":
        resident = SpectrogramImages(
            sr=sr, n_jobs=1, device=str(device), output="torch"
        )
        resident.transform(warm)
        runs = []
        for repeat in range(args.repeats):
            X = clips(args.n, sr, seed=args.seed + 1000 * repeat + sr)
            start = time.perf_counter()
            resident.transform(X)
            synchronize(device)
            runs.append(time.perf_counter() - start)
        kept = args.n / statistics.median(runs)
        print(
            f"  SpectrogramImages(output='torch'): images left on {device}: "
            f"{kept:.1f} clips/s ({kept / rate:.2f}x the numpy output; "
            f"{100 * kept / ceiling:.2f} % of the bandwidth limit)"
        )
        return medians  # the FLOP limit below is one CPU core's
    print(
        f"  FLOP limit: {(fft + mel) / 1e6:.1f} MFLOP per clip (FFT {fft / 1e6:.1f}, "
        f"Mel {mel / 1e6:.1f}; mean clip {np.mean(samples) / sr:.1f} s) at "
        f"{gflops:.0f} GFLOP/s (1-core sgemm) -> {limit:.0f} clips/s per core; "
        f"library {rate:.1f} clips/s = {100 * rate / limit:.1f} % of it"
    )
    return medians


def measure_scaling(sr, args, device):
    """Library transform time for each n_jobs, same clips per repeat."""
    jobs = args.jobs or list(range(1, (os.cpu_count() or 1) + 1))
    transformers = {
        j: SpectrogramImages(sr=sr, n_jobs=j, device=str(device)) for j in jobs
    }
    warm = clips(2 * max(jobs), sr, seed=20_000, duration=(0.5, 1.0))
    for transformer in transformers.values():
        transformer.transform(warm)  # start the thread pools
    times = {j: [] for j in jobs}
    for repeat in range(args.repeats):
        X = clips(args.n, sr, seed=args.seed + 1000 * repeat + sr + 7)
        order = rotated(jobs, repeat)
        for j in order:
            start = time.perf_counter()
            transformers[j].transform(X)
            synchronize(device)
            times[j].append(time.perf_counter() - start)
    medians = {j: statistics.median(t) for j, t in times.items()}
    print(
        f"\n{sr} Hz: n_jobs scaling (threads), {args.n} clips, fresh lengths, "
        f"median of {args.repeats}; {os.cpu_count()} logical cores"
    )
    print(f"  {'n_jobs':>6s} {'seconds':>8s} {'clips/s':>8s} {'speed-up':>9s} "
          f"{'efficiency':>10s}")  # fmt: skip
    base = medians[jobs[0]] * jobs[0]
    for j in jobs:
        speedup = base / medians[j]
        print(
            f"  {j:6d} {medians[j]:8.3f} {args.n / medians[j]:8.1f} "
            f"{speedup:8.2f}x {100 * speedup / j:9.0f} %"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_device_argument(parser)
    parser.add_argument(
        "--sr", type=int, nargs="+", default=[8000, 16000], help="sample rates, Hz"
    )
    parser.add_argument("--n", type=int, default=200, help="clips per repeat")
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved repeats (median)"
    )
    parser.add_argument(
        "--reference-threads",
        choices=["both", "default", "single"],
        default="both",
        help="thread settings to time the reference loop at (the faster is kept)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        nargs="+",
        default=None,
        help="n_jobs values of the scaling table (default: 1 .. os.cpu_count())",
    )
    parser.add_argument(
        "--skip-scaling", action="store_true", help="skip the n_jobs table"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the clips")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 12 clips, 1 repeat, 8 kHz, single-thread reference",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeats, args.sr = 12, 1, [8000]
        args.reference_threads = "single"
    device = resolve_device(args.device)
    gflops = sgemm_gflops()
    describe(
        device, [f"single-core float32 sgemm (numpy 1024^2): {gflops:.1f} GFLOP/s"]
    )
    start = time.perf_counter()
    for sr in args.sr:
        measure_rate(sr, args, device, gflops)
    if not args.skip_scaling:
        for sr in args.sr:
            measure_scaling(sr, args, device)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
