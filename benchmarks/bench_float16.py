"""float16 images: half the memory, the same accuracy?

Computes the built-in data's feature images as float32 and as float16
(``SpectrogramImages(dtype="float16")``), then cross-validates the same
pipeline settings on both (subject-wise stratified k-fold, the same
``random_state``). Prints the output sizes, the largest rounding error, and
the accuracy of each, fold by fold.

    python benchmarks/bench_float16.py [--n 150] [--size 64] [--epochs 8] [--folds 5]
        [--device cpu]

The defaults are the quick start's settings (a few minutes on 2 cores).
"""

import argparse

import numpy as np
from _machine import add_device_argument, describe, resolve_device
from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_device_argument(parser)
    parser.add_argument("--n", type=int, default=150, help="built-in clips")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    parser.add_argument(
        "--epochs", type=int, default=8, help="training epochs per fold"
    )
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    describe(device)

    data = make_syllable_repetitions(args.n, random_state=0)
    images = {
        dtype: SpectrogramImages(
            image_size=(args.size, args.size),
            n_mels=64,
            dtype=dtype,
            device=str(device),
        ).transform(data.data)
        for dtype in ("float32", "float16")
    }
    full, half = images["float32"], images["float16"]
    error = np.abs(half.astype(np.float32) - full)
    print(
        f"{args.n} clips -> {full.shape}: float32 {full.nbytes / 2**20:.1f} MiB, "
        f"float16 {half.nbytes / 2**20:.1f} MiB ({half.nbytes / full.nbytes:.2f}x); "
        f"largest rounding error {error.max():.1e} "
        f"(values in [{full.min():.2f}, {full.max():.2f}])"
    )
    cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=0)
    clf = HypernetClassifier(
        weights=None,
        max_epochs=args.epochs,
        batch_size=16,
        random_state=0,
        device=str(device),
    )
    scores = {
        dtype: cross_val_score(clf, X, data.target, groups=data.groups, cv=cv)
        for dtype, X in images.items()
    }
    for dtype, s in scores.items():
        folds = " ".join(f"{v:.3f}" for v in s)
        print(f"  {dtype}: accuracy {s.mean():.3f} ± {s.std():.3f}  (folds: {folds})")
    diff = scores["float16"].mean() - scores["float32"].mean()
    print(f"float16 - float32 mean accuracy: {diff:+.3f}")


if __name__ == "__main__":
    main()
