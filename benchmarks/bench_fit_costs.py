"""A fit's own costs besides building the model and training it, per 1,000 images.

``HypernetClassifier.fit`` checks its input, records what it was fitted on,
summarises the training images for the novelty score and sets up the data
for skorch before the first epoch. Measured as the time of ``fit`` with
``max_epochs=0`` minus the time of building the same model
(``initialize()``), for ``--n`` random images of 224x224 (median of
``--repeats``), against the reference: one plain pass over the same images
(``np.isfinite(X).all()``), the least any fit that validates its input does.
Target (issue 21): at most 0.15 s per 1,000 images of 224x224 on this
project's 2-core CPU.

Run: ``python benchmarks/bench_fit_costs.py [--n 1000] [--device cpu]``.
"""

import argparse
import statistics
import time

import numpy as np
from _machine import add_device_argument, describe, resolve_device

from skhyperdys import HypernetClassifier


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=1000, help="images")
    parser.add_argument("--size", type=int, default=224, help="image side")
    parser.add_argument("--repeats", type=int, default=5)
    add_device_argument(parser)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    describe(str(device))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, 3, args.size, args.size), dtype=np.float32)
    y = np.arange(args.n) % 2

    def clf(epochs):
        return HypernetClassifier(
            weights=None,
            max_epochs=epochs,
            classes=[0, 1],
            device=str(device),
            random_state=0,
        )

    fits, builds, passes = [], [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        np.isfinite(X).all()
        passes.append(time.perf_counter() - start)
        start = time.perf_counter()
        clf(0).initialize()
        builds.append(time.perf_counter() - start)
        start = time.perf_counter()
        clf(0).fit(X, y)
        fits.append(time.perf_counter() - start)
    build = statistics.median(builds)
    own = statistics.median(fits) - build
    reference = statistics.median(passes)
    per_1000 = own * 1000 / args.n
    print(
        f"{args.n} images {args.size}x{args.size}: fit(max_epochs=0) "
        f"{statistics.median(fits):.3f} s, building the model {build:.3f} s"
    )
    print(f"reference, one pass over the images: {reference:.3f} s")
    print(
        f"fit's own costs: {own:.3f} s = {per_1000:.3f} s per 1,000 images "
        f"({own / reference:.1f}x the reference pass); target <= 0.15 s per "
        f"1,000 at 224x224: {'met' if per_1000 <= 0.15 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
