"""Backbones: size, feature width and speed of each tested torchvision model.

For every name in ``skhyperdys.backbones.BACKBONES`` the model is built as
``HypernetClassifier(backbone=name)`` builds it: the trunk of
``make_backbone(name, weights=None)`` (random weights: the timing does not
depend on their values, and the benchmark runs offline), the embedding layer
``Linear(n_features, 768)`` and the hypernetwork head (2 classes). Printed per
backbone:

* the trunk's parameter count and its feature width ``n_features``;
* inference: the whole model in evaluation mode under ``torch.no_grad``, one
  batch of ``--batch-size`` (32) random images, after a warm-up batch; what
  ``predict_proba`` and ``BackboneFeatures.transform`` cost per image;
* a training step: forward, cross-entropy, backward and torch's fused Adam
  step on a batch of ``--train-batch-size`` (16) images, every parameter
  trained (fine-tuning, ``freeze_backbone=False``), after a warm-up step.

Times are milliseconds per image, medians of ``--repeats`` batches (fewer for
the slow models: the repeats of one measurement stop after ``--budget``
seconds, but at least 3 are timed). torch runs with its default number of
threads (printed), as the library does. The CPU model, its core count and
whether it has the bfloat16 / AMX matrix instructions are printed first, and
the load average after each row: on a shared machine torch's threads wait
for each other and both wall and CPU time grow, so compare rows measured at
a load below the thread count. ``--threads 1`` gives figures that suffer
less from sharing.

    python benchmarks/bench_backbones.py [--device cpu] [--image-size 224]
        [--batch-size 32] [--train-batch-size 16] [--repeats 5] [--budget 20]
        [--threads N] [--backbones alexnet resnet18 ...]

About 3 minutes on the project's 2-core CPU VM with the defaults when it is
idle, 9 when it was shared with other jobs.
"""

import argparse
import statistics
import time

import torch
from _machine import (
    add_device_argument,
    describe,
    load_average,
    resolve_device,
    synchronize,
)

from skhyperdys.backbones import BACKBONES, make_backbone
from skhyperdys.modules import Embedder, HypernetHead, HypernetModule


def timed_repeats(step, repeats, budget, device):
    """(wall, CPU) seconds of ``step()`` calls after one warm-up call.

    At least 3 calls, up to ``repeats``; stops once the timed calls have taken
    ``budget`` seconds of wall time.
    """
    step()  # warm-up: allocations, oneDNN kernel selection, Adam's state
    synchronize(device)
    times = []
    while len(times) < repeats and (
        len(times) < 3 or sum(wall for wall, _ in times) < budget
    ):
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        synchronize(device)
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


def per_image(times, batch_size):
    """Median wall and CPU milliseconds per image."""
    return tuple(
        1000 * statistics.median(t[i] for t in times) / batch_size for i in (0, 1)
    )


def build(name, device):
    trunk, n_features, _ = make_backbone(name, weights=None)
    module = HypernetModule(Embedder(trunk, n_features, 768), HypernetHead(768, 2))
    n_params = sum(p.numel() for p in trunk.parameters())
    return module.to(device), n_features, n_params


def measure(name, args, device):
    torch.manual_seed(0)
    module, n_features, n_params = build(name, device)
    size = args.image_size

    images = torch.randn(args.batch_size, 3, size, size, device=device)
    module.eval()

    def infer():
        with torch.no_grad():
            module(images=images)

    infer_times = timed_repeats(infer, args.repeats, args.budget, device)

    batch = torch.randn(args.train_batch_size, 3, size, size, device=device)
    labels = torch.arange(args.train_batch_size, device=device) % 2
    module.train()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-4, fused=True)

    def train_step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(images=batch), labels)
        loss.backward()
        optimizer.step()

    train_times = timed_repeats(train_step, args.repeats, args.budget, device)
    infer_wall, infer_cpu = per_image(infer_times, args.batch_size)
    train_wall, train_cpu = per_image(train_times, args.train_batch_size)
    return {
        "backbone": name,
        "params": n_params,
        "n_features": n_features,
        "infer": infer_wall,
        "infer_cpu": infer_cpu,
        "infer_n": len(infer_times),
        "train": train_wall,
        "train_cpu": train_cpu,
        "train_n": len(train_times),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_device_argument(parser)
    parser.add_argument(
        "--image-size", type=int, default=224, help="image side in pixels"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="inference")
    parser.add_argument(
        "--train-batch-size", type=int, default=16, help="training step batch"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed batches per measurement (at most)"
    )
    parser.add_argument(
        "--budget", type=float, default=20, help="seconds of timed repeats"
    )
    parser.add_argument(
        "--backbones", nargs="+", default=list(BACKBONES), help="backbones to measure"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    default_threads = torch.get_num_threads()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    describe(device)
    print(
        f"torch {torch.__version__}, device {device}, torch threads "
        f"{torch.get_num_threads()} (default {default_threads}), images "
        f"3x{args.image_size}x{args.image_size}, inference batch "
        f"{args.batch_size}, training batch {args.train_batch_size} "
        "(fused Adam, all parameters trained)"
    )
    print(f"load average (1, 5, 15 min) before: {load_average()}")
    print(
        f"{'':20s} {'trunk':>8s} {'feature':>7s}   {'inference ms/image':>19s}"
        f"   {'training step ms/image':>23s}  {'load':>5s}"
    )
    print(
        f"{'backbone':20s} {'params':>8s} {'width':>7s}   "
        f"{'wall':>7s} {'CPU':>7s} {'(n)':>3s}   "
        f"{'wall':>7s} {'CPU':>7s} {'(n)':>3s}  {'1 min':>5s}"
    )
    wall = time.perf_counter()
    rows = []
    for name in args.backbones:
        row = measure(name, args, device)
        rows.append(row)
        print(
            f"{name:20s} {row['params'] / 1e6:7.1f}M {row['n_features']:7d}   "
            f"{row['infer']:7.1f} {row['infer_cpu']:7.1f} {row['infer_n']:3d}   "
            f"{row['train']:7.1f} {row['train_cpu']:7.1f} {row['train_n']:3d}  "
            f"{load_average().split()[0]:>5s}",
            flush=True,
        )
    print(
        "wall: elapsed time, CPU: process CPU time (all threads); medians of "
        "(n) timed batches; load: 1-minute load average after the row (above "
        "the thread count: the machine was shared)"
    )
    reference = next((r for r in rows if r["backbone"] == "alexnet"), None)
    if reference is not None:
        print("relative to alexnet (inference / training time per image):")
        for row in rows:
            print(
                f"  {row['backbone']:20s} {row['infer'] / reference['infer']:6.1f}x"
                f" {row['train'] / reference['train']:6.1f}x"
            )
    print(
        f"total {time.perf_counter() - wall:.0f} s; "
        f"load average after: {load_average()}"
    )


if __name__ == "__main__":
    main()
