"""Training: HypernetClassifier.fit vs a plain PyTorch loop, and the fast settings.

Part 1, fit overhead, at two scales: small (``--small-n`` 96 images of
112x112, ``--small-epochs`` 3) and paper (``--paper-n`` 150 images of
224x224, ``--paper-epochs``, default 2 to keep it short; the paper's 30 only
multiply the per-epoch part). Batch 32, shuffled, cross-entropy, random-init
AlexNet. Timed from the call to the end, alternated within each repeat (order
rotated), medians of ``--repeats``:

* ``HypernetClassifier(weights=None, ...).fit(X, y)``: input checks, label
  encoding, building the model, skorch's loop and callbacks;
* plain loop, module given: a ``copy.deepcopy`` of the very module the
  library built (untrained), made *before* the clock starts (the loop gets
  its model for free: the strictest reference), then, timed: moving it to the
  device, Adam with torch's fused kernel (as the library),
  ``DataLoader(TensorDataset(...))``, ``for epoch: for xb, yb: zero_grad,
  forward, loss, backward, step``, with glibc's default malloc settings;
* plain loop, module given, same allocator: the same loop run inside
  ``skhyperdys._allocator.reuse_large_blocks()``, the malloc thresholds the
  library sets for training (what a user gets from
  ``MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647``).
  Ratio library / this: the overhead (the issue's target <= 1.05x);
* plain loop, module built: the same (library's malloc thresholds), but the
  module made from scratch as a user would (``make_backbone("alexnet",
  weights=None)`` + ``Embedder`` + ``HypernetHead``: random initialisation
  of 57 M parameters included, as in the library's fit);
* (small scale only) plain loop with ``torch.optim.Adam``'s default
  implementation, the loop most people write.

On the CPU each part also prints the machine's limit: the FLOPs of a
training image (forward + backward, torch's ``FlopCounterMode``) times the
images and epochs, at the measured float32 sgemm speed of all cores, and the
share of it each variant reaches.

Part 2, the training settings: one epoch of ``--epoch-n`` images at 224x224,
batch 32, with ``precision="float32"`` (the default), ``"bfloat16"``,
``channels_last=True`` and both (with ``--device cuda`` also ``"float16"``),
each timed as ``partial_fit`` of an already fitted net (one epoch), alternated,
median of ``--repeats``; printed as the ratio float32 / setting, with the last
training loss as a sanity check. Then ``compile=True`` if it works here (its
compile time, the first fit, printed apart), or why it does not.

Part 4 (``--parts throughput``; on a GPU, ``run_gpu.sh`` runs it): images
per second of ``fit`` against a plain loop for a corpus that fits in device
memory (the images copied to the device once, batches sliced there, fused
Adam, autocast for bfloat16), ``--throughput-n`` images of 224x224,
``--throughput-epochs`` epochs, batch 32 and 256, float32 and bfloat16.

Part 3, the malloc thresholds (``skhyperdys/_allocator.py``): ``fit`` of
``--epoch-n`` images at ``--epoch-size``, ``--allocator-epochs`` epochs, in
float32 and in bfloat16 + channels-last, each with the thresholds the
library sets for training and with malloc left alone (the library's glibc
handle hidden, as where the user has set malloc options), alternated,
median of ``--repeats``; with the minor page faults of each fit (the kernel
mapping and zeroing memory).

    python benchmarks/bench_training.py                   # final figures
    python benchmarks/bench_training.py --quick           # smoke run, seconds
    python benchmarks/bench_training.py --paper-epochs 30 # the paper's epochs
    python benchmarks/bench_training.py --device cuda

With the defaults about 5-7 minutes on an idle 2-core machine (the
paper-scale fits are ~10 s each, 12 of them; torch.compile adds 1-2 minutes,
less when inductor's on-disk cache is warm).
"""

import argparse
import copy
import resource
import statistics
import time
import warnings

import numpy as np
import torch
from _machine import (
    add_device_argument,
    count_flops,
    describe,
    fast_settings,
    resolve_device,
    rotated,
    sgemm_gflops,
    synchronize,
)
from torch.utils.data import DataLoader, TensorDataset

from skhyperdys import HypernetClassifier, _allocator
from skhyperdys.backbones import make_backbone
from skhyperdys.modules import Embedder, HypernetHead, HypernetModule

BATCH = 32


def data(n, size, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3, size, size)).astype(np.float32)
    y = np.tile([0, 1], n // 2 + 1)[:n].astype(np.int64)
    return X, y


def library(device, **params):
    return HypernetClassifier(
        weights=None, batch_size=BATCH, random_state=0, device=str(device), **params
    )


def build_module():
    """The library's default model made from its public parts, as a user would."""
    trunk, n_features, _ = make_backbone("alexnet", weights=None)
    return HypernetModule(
        Embedder(trunk, n_features, 768),
        HypernetHead(768, 2, context_dim=128, hidden=512, n_eval_contexts=32, seed=0),
    )


def training_flops(module, size):
    """FLOPs of one training image: forward, loss and backward (per image)."""
    module = copy.deepcopy(module).cpu().train()
    x, y = torch.zeros(2, 3, size, size), torch.tensor([0, 1])
    flops = count_flops(
        lambda: torch.nn.functional.cross_entropy(module(x), y).backward()
    )
    return flops / 2


def plain_fit(make_module, X, y, epochs, device, **adam):
    """The textbook loop, from the data in numpy to the last step."""
    module = make_module().to(device)
    module.train()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-4, **adam)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
        batch_size=BATCH,
        shuffle=True,
    )
    for _ in range(epochs):
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(module(xb), yb)
            loss.backward()
            optimizer.step()
    synchronize(device)
    return module


def allocator_fit(make_module, X, y, epochs, device):
    """The plain loop under the malloc thresholds the library trains with."""
    with _allocator.reuse_large_blocks():
        return plain_fit(make_module, X, y, epochs, device, fused=True)


def overhead(label, n, size, epochs, args, device, default_adam):
    """Part 1 at one scale: the library's fit against the plain loops."""
    X, y = data(n, size)
    clf = library(device, max_epochs=epochs)
    start = time.perf_counter()
    clf.fit(X, y)  # warm-up: allocations, oneDNN kernel choice
    first = time.perf_counter() - start
    # The very module the library builds (untrained): re-initialise it.
    untrained = copy.deepcopy(library(device, max_epochs=0).fit(X, y).module_).cpu()
    n_lib = sum(p.numel() for p in clf.module_.parameters())
    n_own = sum(p.numel() for p in build_module().parameters())
    if n_lib != n_own:
        print(f"  note: built module has {n_own} parameters, the library's {n_lib}")

    # name -> (setup, run): setup's result is passed to run; only run is timed.
    def given():
        return copy.deepcopy(untrained)

    def nothing():
        return None

    variants = {
        "library": (nothing, lambda _: library(device, max_epochs=epochs).fit(X, y)),
        "given": (
            given,
            lambda module: plain_fit(lambda: module, X, y, epochs, device, fused=True),
        ),
        "given, allocator": (
            given,
            lambda module: allocator_fit(lambda: module, X, y, epochs, device),
        ),
        "built": (
            nothing,
            lambda _: allocator_fit(build_module, X, y, epochs, device),
        ),
    }
    if default_adam:
        variants["default Adam"] = (
            given,
            lambda module: plain_fit(lambda: module, X, y, epochs, device),
        )
    plain_fit(given, X, y, epochs, device, fused=True)  # warm-up, plain path
    times = {name: [] for name in variants}
    for repeat in range(args.repeats):
        for name in rotated(variants, repeat):
            setup, run = variants[name]
            prepared = setup()
            synchronize(device)
            start = time.perf_counter()
            run(prepared)
            synchronize(device)
            times[name].append(time.perf_counter() - start)
            del prepared
    med = {name: statistics.median(t) for name, t in times.items()}
    labels = {
        "library": "HypernetClassifier.fit",
        "given": "plain loop, module given, fused Adam",
        "given, allocator": "  the same, library's malloc thresholds",
        "built": "plain loop, module built, fused Adam, same thresholds",
        "default Adam": "plain loop, module given, torch's default Adam",
    }
    print(
        f"\n{label}: {n} images of 3x{size}x{size}, {epochs} epochs, batch {BATCH}; "
        f"median of {args.repeats} alternated repeats (first library fit, "
        f"untimed: {first:.2f} s)"
    )
    for name in variants:
        ratio = med["library"] / med[name]
        extra = "" if name == "library" else f"   library / this {ratio:6.3f}x"
        spread = f"{min(times[name]):.2f}-{max(times[name]):.2f}"
        print(f"  {labels[name]:54s} {med[name]:7.2f} s ({spread}){extra}")
    if args.gflops:
        per_image = training_flops(untrained, size)
        floor = per_image * n * epochs / (args.gflops * 1e9)
        print(
            f"  FLOP limit: {per_image / 1e9:.2f} GFLOP per training image (forward "
            f"+ backward) x {n} x {epochs} at {args.gflops:.0f} GFLOP/s (float32 "
            f"sgemm, all cores) = {floor:.2f} s; plain loop (module given) at "
            f"{100 * floor / med['given']:.0f} %, library at "
            f"{100 * floor / med['library']:.0f} % of it"
        )
    print(
        f"  overhead (library / plain loop, module given, same malloc thresholds): "
        f"{med['library'] / med['given, allocator']:.3f}x (target <= 1.05x); "
        f"building the module costs {med['built'] - med['given, allocator']:+.2f} s "
        "in the plain loop"
    )
    return med


def precision_epochs(args, device):
    """Part 2: one epoch per setting, as partial_fit of a fitted net."""
    X, y = data(args.epoch_n, args.epoch_size, seed=1)
    nets, first = {}, {}
    for name, params in fast_settings(device).items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            nets[name] = library(device, max_epochs=1, **params).fit(X, y)
            first[name] = time.perf_counter() - start
        for w in caught:
            print(f"  {name}: {w.category.__name__}: {w.message}")
    if args.compile:
        try:
            start = time.perf_counter()
            nets["float32, compile=True"] = library(
                device, max_epochs=1, compile=True
            ).fit(X, y)
            first["float32, compile=True"] = time.perf_counter() - start
        except Exception as error:  # noqa: BLE001 - report and go on
            lines = str(error).strip().splitlines()
            print(
                f"  compile=True failed here ({type(error).__name__}: "
                f"{lines[0] if lines else ''}); skipped"
            )
    times = {name: [] for name in nets}
    for repeat in range(args.repeats):
        for name in rotated(nets, repeat):
            synchronize(device)
            start = time.perf_counter()
            nets[name].partial_fit(X, y)
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    print(
        f"\none training epoch, {args.epoch_n} images of 3x{args.epoch_size}x"
        f"{args.epoch_size}, batch {BATCH} (partial_fit), median of {args.repeats} "
        "alternated repeats"
    )
    floor = None
    if args.gflops:
        per_image = training_flops(nets["float32"].module_, args.epoch_size)
        floor = per_image * args.epoch_n / (args.gflops * 1e9)
    print(
        f"  {'setting':26s} {'s/epoch':>8s} {'speed-up':>9s} {'first fit':>10s} "
        f"{'last loss':>10s}" + (f" {'% of limit':>10s}" if floor else "")
    )
    for name, seconds in med.items():
        loss = nets[name].history_[-1, "train_loss"]
        share = f" {100 * floor / seconds:9.0f}%" if floor else ""
        print(
            f"  {name:26s} {seconds:8.2f} {med['float32'] / seconds:8.2f}x "
            f"{first[name]:9.1f}s {loss:10.4f}{share}"
        )
    if floor:
        print(
            f"  % of limit: of the float32 FLOP limit, {per_image / 1e9:.2f} GFLOP "
            f"per training image at {args.gflops:.0f} GFLOP/s = {floor:.2f} s/epoch "
            "(bfloat16 units can go past it)"
        )
    print(
        "  speed-up: float32 s/epoch / setting s/epoch; first fit: the untimed "
        "first fit (1 epoch; with compile=True, the compilation)"
    )


def allocator_part(args, device):
    """Part 3: fit with the library's malloc thresholds vs glibc's own."""
    X, y = data(args.epoch_n, args.epoch_size, seed=2)
    if _allocator._glibc() is None or _allocator._user_has_chosen():
        print("\nmalloc thresholds: not glibc, or malloc options set by the user: "
              "the library changes nothing here; skipped")  # fmt: skip
        return
    library_glibc = _allocator._glibc
    settings = {
        name: fast_settings(device)[name]
        for name in ("float32", "bfloat16 + channels_last")
    }
    variants = [(name, keep) for name in settings for keep in (True, False)]

    def fit(name, keep):
        # keep=False: the library finds no glibc and leaves malloc alone.
        _allocator._glibc = library_glibc if keep else (lambda: None)
        try:
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start = time.perf_counter()
            library(device, max_epochs=args.allocator_epochs, **settings[name]).fit(
                X, y
            )
            synchronize(device)
            seconds = time.perf_counter() - start
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        finally:
            _allocator._glibc = library_glibc
        return seconds, faults

    for name in settings:
        fit(name, True)  # warm-up
    times = {v: [] for v in variants}
    faults = {v: [] for v in variants}
    for repeat in range(args.repeats):
        for variant in rotated(variants, repeat):
            seconds, count = fit(*variant)
            times[variant].append(seconds)
            faults[variant].append(count)
    print(
        f"\nmalloc thresholds: fit, {args.epoch_n} images of 3x{args.epoch_size}x"
        f"{args.epoch_size}, {args.allocator_epochs} epochs, batch {BATCH}; median of "
        f"{args.repeats} alternated repeats; 'glibc': the library leaves malloc "
        "alone (thresholds 32/64 MiB, the most glibc's own adjustment reaches)"
    )
    print(f"  {'setting':26s} {'library s':>10s} {'glibc s':>8s} {'speed-up':>9s} "
          f"{'page faults: library':>21s} {'glibc':>9s}")  # fmt: skip
    for name in settings:
        on, off = (statistics.median(times[(name, keep)]) for keep in (True, False))
        f_on, f_off = (int(statistics.median(faults[(name, k)])) for k in (True, False))
        print(
            f"  {name:26s} {on:10.2f} {off:8.2f} {off / on:8.2f}x {f_on:21,d} "
            f"{f_off:9,d}"
        )


def resident_fit(X, y, epochs, device, batch, precision):
    """The loop for a corpus that fits on the device: copied once, sliced there.

    What a skilled user writes when the images fit in device memory: one
    copy to the device, a shuffled index per epoch, batches sliced from the
    device tensor; fused Adam; autocast for bfloat16. The module is built on
    the device, as ``fit`` builds it.
    """
    with torch.device(device):
        module = build_module().train()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-4, fused=True)
    images, labels = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
    generator = torch.Generator(device="cpu").manual_seed(0)
    autocast = precision == "bfloat16"
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator).to(device)
        for start in range(0, len(images), batch):
            index = order[start : start + batch]
            optimizer.zero_grad()
            with torch.autocast(device.type, torch.bfloat16, enabled=autocast):
                logits = module(images[index])
            loss = torch.nn.functional.cross_entropy(logits.float(), labels[index])
            loss.backward()
            optimizer.step()
    synchronize(device)


def throughput_part(args, device):
    """fit against the on-device loop, images per second, batch 32 and 256."""
    X, y = data(args.throughput_n, 224)
    epochs = args.throughput_epochs
    print(
        f"\n== throughput: {len(X)} images of 224x224, {epochs} epochs, fit vs "
        "a plain loop with the images on the device, sliced there "
        f"(median of {args.repeats})"
    )
    print(f"{'precision':>10} {'batch':>6} {'fit img/s':>10} {'plain img/s':>12} "
          f"{'fit / plain':>12}")  # fmt: skip
    for precision in ("float32", "bfloat16"):
        for batch in args.throughput_batches:
            fits, plains = [], []
            for _ in range(args.repeats):
                clf = HypernetClassifier(
                    weights=None, batch_size=batch, max_epochs=epochs,
                    train_split=None, precision=precision, random_state=0,
                    device=str(device),
                )  # fmt: skip
                start = time.perf_counter()
                clf.fit(X, y)
                synchronize(device)
                fits.append(time.perf_counter() - start)
                start = time.perf_counter()
                resident_fit(X, y, epochs, device, batch, precision)
                plains.append(time.perf_counter() - start)
            rate = len(X) * epochs
            fit = rate / statistics.median(fits)
            plain = rate / statistics.median(plains)
            print(f"{precision:>10} {batch:>6} {fit:>10.1f} {plain:>12.1f} "
                  f"{fit / plain:>11.2f}x")  # fmt: skip
    print("target on a GPU (issue 21): fit >= 0.8x the plain loop in every row")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_device_argument(parser)
    parser.add_argument(
        "--repeats", type=int, default=3, help="alternated repeats (median)"
    )
    parser.add_argument("--small-n", type=int, default=96, help="images, small scale")
    parser.add_argument(
        "--small-size", type=int, default=112, help="image side, small scale"
    )
    parser.add_argument(
        "--small-epochs", type=int, default=3, help="epochs, small scale"
    )
    parser.add_argument("--paper-n", type=int, default=150, help="images, paper scale")
    parser.add_argument(
        "--paper-size", type=int, default=224, help="image side, paper scale"
    )
    parser.add_argument(
        "--paper-epochs",
        type=int,
        default=2,
        help="epochs, paper scale (the paper: 30)",
    )
    parser.add_argument("--epoch-n", type=int, default=96, help="images, settings part")
    parser.add_argument(
        "--epoch-size", type=int, default=224, help="image side, settings part"
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=["small", "paper", "settings", "allocator", "throughput"],
        default=["small", "paper", "settings", "allocator"],
        help="which parts to run",
    )
    parser.add_argument(
        "--throughput-n", type=int, default=3072, help="images, throughput part"
    )
    parser.add_argument(
        "--throughput-epochs", type=int, default=2, help="epochs, throughput part"
    )
    parser.add_argument(
        "--throughput-batches",
        type=int,
        nargs="+",
        default=[32, 256],
        help="batch sizes, throughput part",
    )
    parser.add_argument(
        "--allocator-epochs",
        type=int,
        default=3,
        help="epochs per fit, malloc-thresholds part",
    )
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time compile=True (torch.compile)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 64x64 images, 32 of them, 1 epoch, 1 repeat, no compile; "
        "small scale and settings only",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.compile = 1, False
        args.small_n = args.paper_n = args.epoch_n = 32
        args.small_size = args.paper_size = args.epoch_size = 64
        args.small_epochs = args.paper_epochs = args.allocator_epochs = 1
        args.parts = [p for p in args.parts if p != "paper"]
    device = resolve_device(args.device)
    args.gflops = sgemm_gflops(threads=None) if device.type == "cpu" else None
    describe(
        device,
        [f"float32 sgemm, all cores (numpy 1024^2): {args.gflops:.0f} GFLOP/s"]
        if args.gflops
        else [],
    )
    start = time.perf_counter()
    if "small" in args.parts:
        overhead("small scale", args.small_n, args.small_size, args.small_epochs,
                 args, device, default_adam=True)  # fmt: skip
    if "paper" in args.parts:
        overhead("paper scale", args.paper_n, args.paper_size, args.paper_epochs,
                 args, device, default_adam=False)  # fmt: skip
    if "settings" in args.parts:
        precision_epochs(args, device)
    if "allocator" in args.parts:
        allocator_part(args, device)
    if "throughput" in args.parts:
        throughput_part(args, device)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
