"""Training overhead: one epoch of HypernetClassifier vs a plain PyTorch loop.

Both train the same HypernetModule (same initial weights) on the same images
with Adam and cross-entropy, batch 32, shuffled. The library's epoch is timed
as ``partial_fit`` of an already fitted net with ``max_epochs=1`` (input
checks, label encoding and skorch's callbacks included); the plain loop is
``for xb, yb in DataLoader(...): loss.backward(); opt.step()``. Medians of
``--repeats`` runs, interleaved. Two plain loops are timed: one with the
optimizer the library uses (Adam with torch's fused kernel; the ratio is the
library's overhead) and one with ``torch.optim.Adam``'s default
implementation (the loop most people write; the ratio is what the library
saves).

    python benchmarks/bench_training.py [--n 96] [--size 224] [--repeats 5]
"""

import argparse
import copy
import statistics
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from skhyperdys import HypernetClassifier


def plain_epoch(module, optimizer, loader):
    """One epoch of the textbook loop."""
    module.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(xb), yb)
        loss.backward()
        optimizer.step()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=96)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, 3, args.size, args.size)).astype(np.float32)
    y = np.tile([0, 1], args.n // 2).astype(np.int64)
    clf = HypernetClassifier(weights=None, max_epochs=1, batch_size=32, random_state=0)
    clf.fit(X, y)  # builds the module; also warms up torch
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
        batch_size=32,
        shuffle=True,
    )
    loops = {}
    for name, options in (("same", {"fused": True}), ("default", {})):
        module = copy.deepcopy(clf.module_)
        params = [p for p in module.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(params, lr=clf.lr, **options)
        plain_epoch(module, optimizer, loader)  # Adam's state exists in all now
        loops[name] = (module, optimizer)

    times = {"library": [], "same": [], "default": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        clf.partial_fit(X, y)
        times["library"].append(time.perf_counter() - start)
        for name, (module, optimizer) in loops.items():
            start = time.perf_counter()
            plain_epoch(module, optimizer, loader)
            times[name].append(time.perf_counter() - start)

    lib, same, default = (statistics.median(times[k]) for k in times)
    print(
        f"one epoch, {args.n} images of 3x{args.size}x{args.size}, batch 32, "
        f"torch threads {torch.get_num_threads()}, median of {args.repeats}"
    )
    print(f"  plain loop, fused Adam (as the library)  {same:7.3f} s")
    print(f"  plain loop, torch's default Adam         {default:7.3f} s")
    print(f"  HypernetClassifier                       {lib:7.3f} s")
    print(
        f"  overhead over the same plain loop        {100 * (lib / same - 1):+7.1f} %"
        f"  (ratio {lib / same:.3f})"
    )
    print(f"  speed-up over the default-Adam loop      {default / lib:7.2f}x")


if __name__ == "__main__":
    main()
