"""Corpora larger than memory: peak memory of features, training and prediction vs n.

The issue's target: 20,000 five-second clips go through ``SpectrogramImages``
and train ``HypernetClassifier`` with peak memory no more than 2 GB above the
model's own. This script measures smaller corpora and scales up.

For each corpus size n in ``--counts`` a fresh Python process (so that no
peak carries over from one size to the next) runs three phases on n
synthetic 5 s clips at 8 kHz (``make_syllable_repetitions``, written once as
16-bit wav files into a temporary folder in chunks of 250, so the waveforms
never sit in memory; the transformer gets the file paths):

1. ``SpectrogramImages(image_size=(size, size), dtype="float16",
   memmap_dir=folder).fit_transform(paths)``: images written to an
   ``images-*.npy`` file and returned memory-mapped (copy-on-write);
2. ``HypernetClassifier(weights=None, max_epochs=epochs, batch_size=32,
   random_state=0).fit(images, y)``;
3. ``predict_proba(images)``.

A background thread reads ``/proc/self/statm`` every ``--interval`` seconds
(10 ms: a training step's activations live for tens of ms, and a slower
sampler catches their peak more often in long runs than in short ones, which
looks like growth with n). Per phase it reports the wall time and the peaks of

* **RssAnon**, anonymous memory (heap, numpy arrays, torch tensors): what
  really costs RAM. This is the figure the target is about;
* **VmRSS**, the whole resident set: RssAnon plus the file-backed pages of
  the memory map (page cache the kernel can drop under pressure) and of the
  shared libraries. Its exact peak (VmHWM, reset per phase through
  ``/proc/self/clear_refs``) is printed too.

Baselines: ``base`` is RssAnon after imports and a 4-clip warm-up of the
transformer. The model's own memory is measured before the corpus fit with a
one-batch fit of a throwaway classifier (AlexNet weights, gradients, Adam's
two moments: RssAnon after that fit minus before), then that classifier is
deleted. The transform phase is reported above ``base`` (no model exists
yet); fit and predict above ``base + model``. The peak of one more batch
of that classifier above ``base + model`` (a training step's activations) is
printed as well: a constant that does not grow with n. After fit, the
RssAnon still held above the model is printed before and after glibc's
``malloc_trim(0)``: what the trim gives back was free heap, not live data.

Then a least-squares line through (n, peak RssAnon above the model) over the
memory-mapped runs gives the memory per clip and the extrapolation to
``--target-n`` clips, with the verdict against ``--budget-gb``. For contrast
the smallest count runs once more the in-memory way (``dtype="float32"``, no
``memmap_dir``: the images are anonymous memory, 3 x 224 x 224 x 4 bytes =
588 KiB per clip, 12 GB for 20,000 clips).

    python benchmarks/bench_corpus.py --counts 500 2000 --size 224   # figures
    python benchmarks/bench_corpus.py --counts 500 2000 --size 224 \
        --malloc-mmap-threshold 1048576 --no-in-memory    # recommended malloc
    python benchmarks/bench_corpus.py --counts 50 100 --size 64      # smoke run
    python benchmarks/bench_corpus.py --n 200 --size 64   # one size, in this process

What it showed (2-core AMD EPYC VM, 24 GiB, 2026-11-28; see
benchmarks/README.md): nothing copies the memory-mapped images (the
transform's and predict's RssAnon do not grow with n; the file's pages are
page cache, in VmRSS only). Training's RssAnon above the model grew
87 KiB/clip with glibc's default malloc (1.87 GB extrapolated to 20,000
clips, and erratic: heap fragmentation from the per-batch buffers, which
``malloc_trim`` gives back) and 5 KiB/clip with
``MALLOC_MMAP_THRESHOLD_=1048576`` (0.25 GB at 20,000 clips).

With ``--device cuda`` the figures are host memory (the model then lives on
the GPU; the CUDA runtime's own host memory lands in the model's line).
Linux only (``/proc``). Disk: about n x (3 x size^2 x 2 + 80,000) bytes in
``--tmpdir`` (images plus wav files), removed at the end.
"""

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
from _machine import add_device_argument, describe, resolve_device

MiB = 2**20
SR = 8000
SECONDS = 5.0
WAV_CHUNK = 250
PHASES = ("transform", "fit", "predict")


# --- memory ----------------------------------------------------------------


def status():
    """``{"RssAnon": bytes, "VmRSS": bytes, "VmHWM": bytes}`` of this process."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "VmRSS", "VmHWM"):
                values[key] = int(value.split()[0]) * 1024
    return values


PAGE = os.sysconf("SC_PAGE_SIZE")


def quick_status():
    """``(RssAnon, VmRSS)`` in bytes from /proc/self/statm (cheaper to read).

    statm's ``resident - shared`` is RssAnon (``shared`` counts file-backed
    and shared-memory pages).
    """
    with open("/proc/self/statm") as f:
        fields = f.read().split()
    resident, shared = int(fields[1]), int(fields[2])
    return (resident - shared) * PAGE, resident * PAGE


def reset_hwm():
    """Reset VmHWM (the kernel's exact peak of VmRSS) to the current VmRSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Sampler:
    """A thread that keeps the peaks of RssAnon and VmRSS since :meth:`reset`."""

    def __init__(self, interval):
        self.interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.reset()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self):
        anon, rss = quick_status()
        with self._lock:
            self.anon = max(self.anon, anon)
            self.rss = max(self.rss, rss)

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def reset(self):
        """Start new peaks at the current values (and reset VmHWM)."""
        self.hwm_exact = reset_hwm()
        now = status()
        with self._lock:
            self.anon, self.rss = now["RssAnon"], now["VmRSS"]
        return now

    def peaks(self):
        """``(peak RssAnon, peak VmRSS, VmHWM or None)`` since :meth:`reset`."""
        self._sample()
        hwm = status()["VmHWM"] if self.hwm_exact else None
        with self._lock:
            return self.anon, self.rss, hwm

    def stop(self):
        self._stop.set()
        self._thread.join()


# --- the corpus ------------------------------------------------------------


def write_clips(folder, n):
    """Write n 5 s clips at 8 kHz as 16-bit wav files, a chunk at a time.

    Returns the paths and the labels (``labels.npy`` in ``folder`` too).
    """
    import soundfile as sf

    from skhyperdys.datasets import make_syllable_repetitions

    paths, labels = [], []
    for chunk, start in enumerate(range(0, n, WAV_CHUNK)):
        count = min(WAV_CHUNK, n - start)
        data = make_syllable_repetitions(
            count, duration=(SECONDS, SECONDS), sr=SR, random_state=chunk
        )
        for i, (waveform, label) in enumerate(zip(data.data, data.target, strict=True)):
            path = os.path.join(folder, f"clip{start + i:06d}.wav")
            sf.write(path, waveform, SR, subtype="PCM_16")
            paths.append(path)
            labels.append(int(label))
    np.save(os.path.join(folder, "labels.npy"), np.asarray(labels))
    return paths, np.asarray(labels)


def read_clips(folder, n):
    """The first n paths and labels written by :func:`write_clips`."""
    labels = np.load(os.path.join(folder, "labels.npy"))[:n]
    if len(labels) < n:
        raise SystemExit(f"{folder} holds {len(labels)} clips, {n} asked for.")
    paths = [os.path.join(folder, f"clip{i:06d}.wav") for i in range(n)]
    return paths, labels


# --- one measurement (in a fresh process) ------------------------------------


def measure(wav_dir, n, size, epochs, device, in_memory, tmpdir, interval):
    """Run the three phases on n clips; return a dict of figures (bytes, s)."""
    import torch

    from skhyperdys import HypernetClassifier, SpectrogramImages

    paths, y = read_clips(wav_dir, n)
    image_dir = tempfile.mkdtemp(prefix="bench-corpus-images-", dir=tmpdir)
    kwargs = (
        dict(dtype="float32")
        if in_memory
        else dict(dtype="float16", memmap_dir=image_dir)
    )
    transformer = SpectrogramImages(image_size=(size, size), **kwargs)

    def classifier():
        return HypernetClassifier(
            weights=None,
            max_epochs=epochs,
            batch_size=32,
            random_state=0,
            device=str(device),
        )

    # Warm-up of the transformer (scipy, sparse matrices, file reading).
    SpectrogramImages(image_size=(size, size)).transform(paths[:4])
    gc.collect()
    sampler = Sampler(interval)
    result = dict(n=n, size=size, in_memory=in_memory, epochs=epochs)
    try:
        base = sampler.reset()
        result["base_anon"], result["base_rss"] = base["RssAnon"], base["VmRSS"]

        def phase(name, function, above_anon, above_rss):
            gc.collect()
            sampler.reset()
            start = time.perf_counter()
            out = function()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - start
            anon, rss, hwm = sampler.peaks()
            end = quick_status()[0]
            result[name] = dict(
                seconds=seconds,
                end=end - above_anon,
                anon=anon - above_anon,
                rss=rss - above_rss,
                hwm=None if hwm is None else hwm - above_rss,
            )
            print(
                f"  n={n} {'in-memory' if in_memory else 'memmap'} {name}: "
                f"{seconds:.1f} s, peak RssAnon +{(anon - above_anon) / MiB:.0f} "
                f"MiB, VmRSS +{(rss - above_rss) / MiB:.0f} MiB",
                file=sys.stderr,
                flush=True,
            )
            return out

        # 1. features
        X = phase(
            "transform",
            lambda: transformer.fit_transform(paths),
            base["RssAnon"],
            base["VmRSS"],
        )
        result["image_bytes"] = X.nbytes if in_memory else os.path.getsize(X.filename)
        result["image_dtype"] = str(X.dtype)

        # The model's own memory: a one-batch fit of a throwaway classifier.
        gc.collect()
        before = sampler.reset()
        warm = classifier().fit(X[:32], y[:32])
        gc.collect()
        after = status()
        result["model"] = after["RssAnon"] - before["RssAnon"]
        result["model_rss"] = after["VmRSS"] - before["VmRSS"]
        # A training step's working set: one more batch, everything in place.
        sampler.reset()
        warm.partial_fit(X[:32], y[:32])
        result["step"] = sampler.peaks()[0] - after["RssAnon"]
        del warm
        gc.collect()
        result["after_free"] = status()["RssAnon"] - before["RssAnon"]

        # Fit and predict, above base + model. For the in-memory path, base
        # was taken before the images existed, so they count here.
        anon_ref = base["RssAnon"] + result["model"]
        rss_ref = base["VmRSS"] + result["model_rss"]
        clf = classifier()
        phase("fit", lambda: clf.fit(X, y), anon_ref, rss_ref)
        # What of the memory kept after fit is free heap glibc did not give
        # back (fragmentation) rather than live data: malloc_trim returns it.
        gc.collect()
        trimmed = trim_heap()
        result["fit"]["trimmed"] = quick_status()[0] - anon_ref if trimmed else None
        proba = phase("predict", lambda: clf.predict_proba(X), anon_ref, rss_ref)
        result["train_acc"] = float((proba.argmax(axis=1) == y).mean())
    finally:
        sampler.stop()
        X = None
        gc.collect()
        shutil.rmtree(image_dir, ignore_errors=True)
    return result


# --- report ----------------------------------------------------------------


def mib(value):
    return "n/a" if value is None else f"{value / MiB:,.0f}"


def print_table(results):
    print()
    print(
        "peak memory per phase, MiB: RssAnon (anonymous memory) above the model "
        "for fit/predict, above the process baseline for transform; VmRSS the "
        "same way (adds page cache of the memory map), VmHWM its exact peak; "
        "kept: RssAnon above the model when fit returned (what the fitted "
        "classifier holds beyond the model, and free heap glibc kept); "
        "trimmed: the same after malloc_trim(0), i.e. live data only."
    )
    header = (
        f"{'n':>6} {'images':>10} {'on disk':>9} {'model':>6} | "
        + " | ".join(
            f"{p + ' s':>11} {'anon':>6} {'VmRSS':>6} {'HWM':>6}" for p in PHASES
        )
        + " | max anon | kept | trimmed"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        where = "RAM f32" if r["in_memory"] else "mmap f16"
        cells = []
        for p in PHASES:
            f = r[p]
            cells.append(
                f"{f['seconds']:>11.1f} {mib(f['anon']):>6} {mib(f['rss']):>6} "
                f"{mib(f['hwm']):>6}"
            )
        print(
            f"{r['n']:>6} {where:>10} {mib(r['image_bytes']):>9} "
            f"{mib(r['model']):>6} | "
            + " | ".join(cells)
            + f" | {mib(max(r[p]['anon'] for p in PHASES)):>8}"
            + f" | {mib(r['fit']['end']):>4}"
            + f" | {mib(r['fit']['trimmed']):>7}"
        )
    r = results[0]
    print(
        f"model's own (one-batch fit, RssAnon after - before): {mib(r['model'])} "
        f"MiB; a training step's working set on top (peak of one more batch): "
        f"{mib(r['step'])} MiB; left after deleting that classifier: "
        f"{mib(r['after_free'])} MiB. Training accuracy after "
        f"{r['epochs']} epoch(s), random-init AlexNet (not the point here): "
        + ", ".join(f"{x['train_acc']:.2f}" for x in results)
    )


def extrapolate(results, target_n, budget_gb):
    mapped = [r for r in results if not r["in_memory"]]
    print()
    if len(mapped) < 2:
        print("one memory-mapped count only: give two or more --counts for the fit.")
        return
    n = np.array([r["n"] for r in mapped], dtype=float)
    budget = budget_gb * 1e9
    print(
        f"least-squares line through (n, peak above the model), memory-mapped "
        f"float16, extrapolated to n={target_n:,}:"
    )
    worst = 0.0
    for p in PHASES:
        for key, label in (("anon", "RssAnon"), ("rss", "VmRSS")):
            peaks = np.array([r[p][key] for r in mapped], dtype=float)
            slope, intercept = np.polyfit(n, peaks, 1)
            at_target = slope * target_n + intercept
            if key == "anon":
                worst = max(worst, at_target)
            print(
                f"  {p:>9} {label:>7}: {slope / 1024:7.1f} KiB/clip + "
                f"{intercept / MiB:6.0f} MiB -> {at_target / MiB:8,.0f} MiB at "
                f"{target_n:,}"
            )
    if n[-1] - n[0] < 1000:
        print(
            f"  caution: the counts span {n[-1] - n[0]:.0f} clips only; peaks "
            "vary by tens of MiB between identical runs, so these slopes are "
            "noise (use e.g. --counts 500 2000)"
        )
    image = mapped[0]["image_bytes"] / mapped[0]["n"]
    print(
        f"  (one float16 image: {image / 1024:.0f} KiB; VmRSS grows with the "
        f"page cache of the {target_n * image / 1e9:.1f} GB image file, which "
        "the kernel drops when memory runs short; RssAnon is what must fit)"
    )
    big = mapped[-1]
    rates = ", ".join(
        f"{p} {big[p]['seconds'] / big['n'] * target_n / 60:,.0f} min" for p in PHASES
    )
    print(
        f"  time at {target_n:,} clips, scaled from n={big['n']} on this machine: "
        f"{rates} (fit: {big['epochs']} epoch(s))"
    )
    verdict = "MEETS" if worst <= budget else "MISSES"
    print(
        f"largest extrapolated peak RssAnon above the model at n={target_n:,}: "
        f"{worst / 1e9:.2f} GB ({worst / MiB:,.0f} MiB) -> {verdict} the "
        f"{budget_gb:g} GB target"
    )
    memory = [r for r in results if r["in_memory"]]
    if memory:
        r = memory[0]
        twin = next((m for m in mapped if m["n"] == r["n"]), None)
        peak = max(r[p]["anon"] for p in PHASES)
        per_clip = r["image_bytes"] / r["n"]
        line = (
            f"in-memory float32 at n={r['n']}: peak RssAnon above the model "
            f"{peak / MiB:,.0f} MiB"
        )
        if twin is not None:
            extra = peak - max(twin[p]["anon"] for p in PHASES)
            line += (
                f", {extra / MiB:,.0f} MiB more than memory-mapped float16 "
                f"({extra / r['n'] / 1024:.0f} KiB/clip)"
            )
        print(
            line + f"; its images alone take {per_clip / 1024:.0f} KiB/clip: "
            f"{target_n * per_clip / 1e9:.1f} GB for {target_n:,} clips"
        )


# --- driver ----------------------------------------------------------------


def machine_lines(tmpdir, threshold):
    total = "unknown"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                total = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    free = shutil.disk_usage(tmpdir).free / 1e9
    if threshold is None:
        threshold = os.environ.get("MALLOC_MMAP_THRESHOLD_")
    malloc = (
        "glibc default (dynamic mmap threshold, up to 32 MiB); during fit the "
        "library's (1 GiB, no trimming: skhyperdys/_allocator.py)"
        if threshold is None
        else f"MALLOC_MMAP_THRESHOLD_={threshold}"
    )
    return [
        f"RAM: {total}; --tmpdir {tmpdir}: {free:.0f} GB free",
        f"malloc: {malloc}",
    ]


def trim_heap():
    """glibc's ``malloc_trim(0)``: give free heap memory back; False elsewhere."""
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        return False
    return True


def set_mmap_threshold(value):
    """``mallopt(M_MMAP_THRESHOLD, value)`` in this process (glibc), as the
    environment variable does at start-up; the variable is set too, so that
    the library leaves the setting alone during ``fit``."""
    import ctypes

    libc = ctypes.CDLL(None)
    if not libc.mallopt(-3, int(value)):  # M_MMAP_THRESHOLD
        raise SystemExit(f"mallopt(M_MMAP_THRESHOLD, {value}) failed")
    os.environ["MALLOC_MMAP_THRESHOLD_"] = str(value)


def run_child(args, wav_dir, n, in_memory):
    """Measure one corpus size in a fresh process; return its result dict."""
    with tempfile.NamedTemporaryFile(suffix=".json", dir=args.tmpdir) as out:
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            str(n),
            "--wav-dir",
            wav_dir,
            "--result",
            out.name,
            "--size",
            str(args.size),
            "--epochs",
            str(args.epochs),
            "--device",
            args.device,
            "--tmpdir",
            args.tmpdir,
            "--interval",
            str(args.interval),
        ] + (["--in-memory"] if in_memory else [])
        env = dict(os.environ)
        if args.malloc_mmap_threshold is not None:
            env["MALLOC_MMAP_THRESHOLD_"] = str(args.malloc_mmap_threshold)
        subprocess.run(command, check=True, env=env)
        with open(out.name) as f:
            return json.load(f)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--counts",
        type=int,
        nargs="+",
        default=[500, 2000],
        help="corpus sizes, each measured in a fresh process",
    )
    parser.add_argument(
        "--n",
        type=int,
        default=None,
        help="one corpus size measured in this process instead of --counts",
    )
    parser.add_argument("--size", type=int, default=224, help="image side")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs")
    add_device_argument(parser)
    parser.add_argument(
        "--no-in-memory",
        action="store_true",
        help="skip the in-memory float32 contrast run at the smallest count",
    )
    parser.add_argument(
        "--interval", type=float, default=0.01, help="memory sampling period, s"
    )
    parser.add_argument(
        "--target-n", type=int, default=20000, help="corpus size to extrapolate to"
    )
    parser.add_argument(
        "--budget-gb",
        type=float,
        default=2.0,
        help="target: peak RssAnon above the model, GB (1e9 bytes)",
    )
    parser.add_argument(
        "--malloc-mmap-threshold",
        type=int,
        default=None,
        help="set glibc's MALLOC_MMAP_THRESHOLD_ (bytes) in the measuring "
        "processes, e.g. 1048576: blocks from 1 MiB up get their own mapping, "
        "returned to the system when freed (default: glibc's own, a threshold "
        "that rises up to 32 MiB)",
    )
    parser.add_argument(
        "--tmpdir",
        default=tempfile.gettempdir(),
        help="where the wav files and image files go",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--wav-dir", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--in-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)

    if args.child is not None:
        result = measure(
            args.wav_dir,
            args.child,
            args.size,
            args.epochs,
            device,
            args.in_memory,
            args.tmpdir,
            args.interval,
        )
        with open(args.result, "w") as f:
            json.dump(result, f)
        return

    if args.n is not None and args.malloc_mmap_threshold is not None:
        set_mmap_threshold(args.malloc_mmap_threshold)
    describe(device, extra=machine_lines(args.tmpdir, args.malloc_mmap_threshold))
    counts = sorted(set([args.n] if args.n is not None else args.counts))
    start = time.perf_counter()
    wav_dir = tempfile.mkdtemp(prefix="bench-corpus-wav-", dir=args.tmpdir)
    try:
        write_clips(wav_dir, counts[-1])
        wav_bytes = sum(e.stat().st_size for e in os.scandir(wav_dir))
        print(
            f"{counts[-1]} clips of {SECONDS:g} s at {SR} Hz written as 16-bit wav "
            f"({wav_bytes / MiB:,.0f} MiB) in {time.perf_counter() - start:.1f} s; "
            f"images {args.size}x{args.size}, {args.epochs} epoch(s), batch 32",
            flush=True,
        )
        runs = [(n, False) for n in counts]
        if not args.no_in_memory and args.n is None:
            runs.append((counts[0], True))
        results = []
        for n, in_memory in runs:
            if args.n is not None:
                results.append(
                    measure(
                        wav_dir,
                        n,
                        args.size,
                        args.epochs,
                        device,
                        in_memory,
                        args.tmpdir,
                        args.interval,
                    )
                )
            else:
                results.append(run_child(args, wav_dir, n, in_memory))
    finally:
        shutil.rmtree(wav_dir, ignore_errors=True)
    print_table(results)
    extrapolate(results, args.target_n, args.budget_gb)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
