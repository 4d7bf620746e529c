"""Inference: one wav file -> probability, the library vs plain librosa + torch.

What is compared:

* the library: ``Pipeline([SpectrogramImages(sr), HypernetClassifier(...)])``
  fitted on built-in clips (``make_syllable_repetitions``; random-init AlexNet,
  ``--epochs`` epochs), called as ``pipe.predict_proba([path])`` on one 5 s
  wav file;
* the reference a skilled user writes for the same model: read the file
  (``soundfile.read``), ``skhyperdys.features.feature_image`` (librosa), and a
  plain ``with torch.no_grad(): softmax(module(images=x))`` through the very
  module the pipeline fitted (``clf.module_``: torchvision's AlexNet, the
  embedding layer and the head, eval mode, same weights). It is timed at three
  thread settings (default threads; one torch and one BLAS thread throughout;
  one thread for the features and default threads for the forward) and the
  fastest by p50 is the reference.

All variants run interleaved (order rotated each round) after ``--warmup``
calls each; p50 and p95 over ``--calls`` calls (>= 20). The issue's target:
library p50 <= 1.2x the reference. On the CPU the machine's limit is printed
too: the model's forward FLOPs (torch's ``FlopCounterMode``) at the measured
float32 sgemm speed of all cores, as ms per image and images/s, with the
single clip's and the float32 batch throughput's share of it.

Then the fast inference settings, each a copy of the fitted float32 pipeline
with ``set_params`` (same weights): ``precision="bfloat16"``,
``channels_last=True`` and both; with ``--device cuda`` also
``precision="float16"``. Printed per setting: single-clip p50/p95 and the
ratio of float32's p50 to it (the issue's target for the fast mode: >= 2x at
>= 99 % agreement, on a CPU with bf16 units), agreement of its predicted
labels with float32 on ``--n-agree`` built-in clips (and the largest
probability difference), and batch throughput: clips/s for ``--batch`` clips
through ``predict_proba`` end to end (waveforms in memory) and through the
classifier alone (images precomputed). Finally ``compile=True`` (skorch's
``torch.compile`` of the module, the fitted weights loaded into it) if it
works here: the compile time (first call) apart from the timings; if it
fails, why.

    python benchmarks/bench_inference.py                   # final figures, 8 kHz
    python benchmarks/bench_inference.py --sr 16000
    python benchmarks/bench_inference.py --quick           # smoke run
    python benchmarks/bench_inference.py --device cuda --no-compile

With the defaults about 3-5 minutes on an idle 2-core machine (fit ~20 s,
torch.compile 1-2 min, less when inductor's on-disk cache is warm);
``--no-compile`` about 2 minutes.
"""

import argparse
import copy
import os
import tempfile
import time
import warnings

import numpy as np
import soundfile as sf
import torch
from _machine import (
    add_device_argument,
    best_threads,
    count_flops,
    describe,
    fast_settings,
    percentile,
    resolve_device,
    rotated,
    sgemm_gflops,
    synchronize,
)
from sklearn.pipeline import Pipeline

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.features import feature_image


def make_reference(module, sr, size, device, threads):
    """The plain librosa + torch path for ``module``, at a thread setting."""

    def features(path):
        y, _ = sf.read(path, dtype="float32")
        return torch.from_numpy(feature_image(y, sr, image_size=size)[None]).to(device)

    def forward(images):
        with torch.no_grad():
            proba = torch.softmax(module(images=images), dim=1).cpu().numpy()
        return proba

    def predict(path):
        if threads == "default":
            return forward(features(path))
        if threads == "single":
            with best_threads(True):
                return forward(features(path))
        with best_threads(True):  # "mixed": features single, forward default
            images = features(path)
        return forward(images)

    return predict


def latencies(calls, n, warmup, device):
    """Interleaved single-call timings: ``{name: [seconds, ...]}``."""
    names = list(calls)
    for name in names:
        for _ in range(warmup):
            calls[name]()
    times = {name: [] for name in names}
    for i in range(n):
        order = rotated(names, i)
        for name in order:
            synchronize(device)
            start = time.perf_counter()
            calls[name]()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return times


def throughput(fn, n_items, repeats):
    """Items per second of ``fn()`` (median over ``repeats`` after one warm-up)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return n_items / float(np.median(times))


def variant(pipe, **params):
    """A copy of the fitted pipeline with classifier parameters changed."""
    pipe = copy.deepcopy(pipe)
    pipe.set_params(**{f"clf__{k}": v for k, v in params.items()})
    return pipe


def compiled(pipe):
    """A copy of ``pipe`` with ``compile=True`` and the fitted weights loaded."""
    pipe = copy.deepcopy(pipe)
    clf = pipe[-1]
    state = clf.module_.state_dict()
    clf.set_params(compile=True)  # skorch re-initialises (and compiles) the module
    getattr(clf.module_, "_orig_mod", clf.module_).load_state_dict(state)
    return pipe


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_device_argument(parser)
    parser.add_argument("--sr", type=int, default=8000, help="sample rate, Hz")
    parser.add_argument("--duration", type=float, default=5.0, help="clip, seconds")
    parser.add_argument("--size", type=int, default=224, help="image side")
    parser.add_argument("--n-train", type=int, default=48, help="clips to fit on")
    parser.add_argument(
        "--epochs", type=int, default=5, help="training epochs of the model"
    )
    parser.add_argument(
        "--weights", default=None, help="backbone weights (None: random init)"
    )
    parser.add_argument("--calls", type=int, default=30, help="timed calls (>= 20)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="untimed calls per variant"
    )
    parser.add_argument("--n-agree", type=int, default=200, help="agreement clips")
    parser.add_argument(
        "--batch", type=int, default=64, help="clips per batch (throughput)"
    )
    parser.add_argument(
        "--batch-repeats", type=int, default=3, help="timed batches (median)"
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
        help="smoke run: 64x64 images, 8 training clips, 1 epoch, 5 calls, no compile",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.n_train, args.epochs, args.calls = 64, 8, 1, 5
        args.warmup, args.n_agree, args.batch, args.batch_repeats = 1, 16, 8, 1
        args.compile = False
    device = resolve_device(args.device)
    describe(device)
    size = (args.size, args.size)

    # The model: fitted once, in float32.
    start = time.perf_counter()
    train = make_syllable_repetitions(args.n_train, sr=args.sr, random_state=0)
    pipe = Pipeline(
        [
            (
                "images",
                SpectrogramImages(sr=args.sr, image_size=size, device=str(device)),
            ),  # fmt: skip
            (
                "clf",
                HypernetClassifier(
                    weights=args.weights,
                    max_epochs=args.epochs,
                    batch_size=16,
                    random_state=0,
                    device=str(device),
                ),
            ),
        ]
    ).fit(train.data, train.target)
    clf = pipe[-1]
    print(
        f"fitted on {args.n_train} built-in clips at {args.sr} Hz, "
        f"{args.size}x{args.size}, {args.epochs} epochs, weights={args.weights}: "
        f"{time.perf_counter() - start:.1f} s"
    )

    # One clip as a wav file, as a deployed model receives it.
    clip = make_syllable_repetitions(
        1, sr=args.sr, duration=(args.duration, args.duration), random_state=1
    ).data[0]
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "clip.wav")
    sf.write(path, clip, args.sr)

    # Part 1: the library vs the plain reference, float32.
    module = clf.module_.eval()
    refs = {
        f"reference ({threads})": make_reference(module, args.sr, size, device, threads)
        for threads in ("default", "single", "mixed")
    }
    library_proba = pipe.predict_proba([path])
    for name, ref in refs.items():
        diff = np.abs(ref(path) - library_proba).max()
        print(f"  {name}: max |probability difference| to the library {diff:.1e}")
    calls = {name: (lambda r=ref: r(path)) for name, ref in refs.items()}
    calls["library"] = lambda: pipe.predict_proba([path])
    times = latencies(calls, args.calls, args.warmup, device)
    p50 = {k: percentile(v, 50) for k, v in times.items()}
    print(
        f"\none {args.duration:g} s clip at {args.sr} Hz, wav file -> probability, "
        f"{args.size}x{args.size}; {args.calls} calls each after {args.warmup} "
        "warm-up calls, interleaved"
    )
    print(f"  {'':28s} {'p50 ms':>8s} {'p95 ms':>8s}")
    best = min(refs, key=p50.get) if refs else None
    for name, t in times.items():
        mark = "  <- reference" if name == best else ""
        print(
            f"  {name:28s} {1000 * p50[name]:8.1f} "
            f"{1000 * percentile(t, 95):8.1f}{mark}"
        )
    if best:
        print(
            f"  library p50 / reference p50: {p50['library'] / p50[best]:.2f}x "
            "(target <= 1.2x)"
        )

    # The machine's limit for the forward pass (float32, all cores).
    limit = None
    if device.type == "cpu":
        dummy = torch.zeros(1, 3, args.size, args.size)
        with torch.no_grad():
            flops = count_flops(lambda: module(images=dummy))
        gflops = sgemm_gflops(threads=None)
        limit = gflops * 1e9 / flops
        print(
            f"  FLOP limit: the model's forward is {flops / 1e9:.2f} GFLOP per image "
            f"(convolutions and matrix products); float32 sgemm on all cores "
            f"{gflops:.0f} GFLOP/s -> {1000 / limit:.1f} ms per image, "
            f"{limit:.0f} images/s; library float32 single clip at "
            f"{100 / limit / p50['library']:.0f} % of it"
        )

    # Part 2: the fast inference settings, same weights.
    settings = fast_settings(device)
    pipes = {}
    for name, params in settings.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pipes[name] = variant(pipe, **params)
            pipes[name].predict_proba([path])
        for w in caught:
            print(f"  {name}: {w.category.__name__}: {w.message}")

    if args.compile:
        try:
            start = time.perf_counter()
            candidate = compiled(pipe)
            candidate.predict_proba([path])
            compile_seconds = time.perf_counter() - start
            pipes["float32, compile=True"] = candidate
            print(
                f"  compile=True: {compile_seconds:.1f} s to compile "
                "(first single-clip call)"
            )
        except Exception as error:  # noqa: BLE001 - report and go on
            message = str(error).strip().splitlines()
            print(
                f"  compile=True failed here ({type(error).__name__}: "
                f"{message[0] if message else ''}); skipped"
            )

    for name, p in pipes.items():
        if p[-1].channels_last:
            conv = next(
                m for m in p[-1].module_.modules() if isinstance(m, torch.nn.Conv2d)
            )
            layout = conv.weight.is_contiguous(memory_format=torch.channels_last)
            if not layout:
                print(
                    f"  note: {name}: set_params(channels_last=True) after fit left "
                    "the convolution weights in the default layout (only the "
                    "images are made channels-last)"
                )

    agree = make_syllable_repetitions(args.n_agree, sr=args.sr, random_state=2)
    images = pipe[0].transform(agree.data)
    batch_clips = agree.data[: args.batch]
    batch_images = images[: args.batch]
    reference_proba = clf.predict_proba(images)
    reference_labels = clf.classes_[reference_proba.argmax(axis=1)]
    rows = {}
    for name, p in pipes.items():
        c = p[-1]
        proba = c.predict_proba(images)
        labels = c.classes_[proba.argmax(axis=1)]
        rows[name] = {
            "agree": float(np.mean(labels == reference_labels)),
            "dp": float(np.abs(proba - reference_proba).max()),
            "accuracy": float(np.mean(labels == agree.target)),
            "e2e": throughput(
                lambda p=p: p.predict_proba(batch_clips),
                len(batch_clips),
                args.batch_repeats,
            ),
            "clf": throughput(
                lambda c=c: c.predict_proba(batch_images),
                len(batch_images),
                args.batch_repeats,
            ),
        }
    times = latencies(
        {name: (lambda p=p: p.predict_proba([path])) for name, p in pipes.items()},
        args.calls,
        args.warmup,
        device,
    )
    base = percentile(times["float32"], 50)
    margin = np.abs(reference_proba - 1 / reference_proba.shape[1]).min(axis=1)
    print(
        f"\nfast inference settings (copies of the fitted float32 pipeline, "
        f"set_params); single clip: {args.calls} interleaved calls; agreement "
        f"on {args.n_agree} built-in clips (float32 accuracy "
        f"{rows['float32']['accuracy']:.3f}); batch: {len(batch_clips)} clips"
    )
    print(
        f"  {'setting':26s} {'p50 ms':>7s} {'p95 ms':>7s} {'speed-up':>8s} "
        f"{'agree':>7s} {'max|dp|':>8s} {'acc':>6s} {'clips/s e2e':>11s} "
        f"{'clips/s clf':>11s}"
    )
    for name, row in rows.items():
        t = times[name]
        print(
            f"  {name:26s} {1000 * percentile(t, 50):7.1f} "
            f"{1000 * percentile(t, 95):7.1f} {base / percentile(t, 50):7.2f}x "
            f"{100 * row['agree']:6.1f}% {row['dp']:8.1e} {row['accuracy']:6.3f} "
            f"{row['e2e']:11.1f} {row['clf']:11.1f}"
        )
    print(
        "  speed-up: float32 p50 / setting p50 (target for the fast mode: >= 2x "
        "at >= 99 % agreement on a CPU with bf16 units); agree: same predicted "
        "label as float32; max|dp|: largest probability difference to float32"
    )
    print(
        f"  float32 probabilities within 0.01 / 0.05 of chance (where a small "
        f"difference can flip a label): {100 * np.mean(margin < 0.01):.1f} % / "
        f"{100 * np.mean(margin < 0.05):.1f} % of the {len(margin)} clips"
    )
    if limit:
        print(
            f"  float32 classifier batch throughput: {rows['float32']['clf']:.1f} "
            f"images/s = {100 * rows['float32']['clf'] / limit:.0f} % of the float32 "
            f"FLOP limit ({limit:.0f} images/s)"
        )


if __name__ == "__main__":
    main()
