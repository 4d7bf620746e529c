"""The paper's protocol end to end: float32 default vs the fast settings.

Subject-wise stratified 5-fold cross-validation of the whole pipeline
(``SpectrogramImages`` -> ``HypernetClassifier``, fine-tuning AlexNet, 30
epochs, 224x224, batch 32) on the built-in data, once with the defaults
(float32) and once per fast setting (``precision="bfloat16"``, with and
without ``channels_last=True``). The settings take turns fold by fold, so that
a change in the machine's load hits all of them alike. Each fit starts from
waveforms (the images are computed inside every fold, as ``cross_validate``
does), so feature extraction is part of the time. The backbone is randomly
initialised (ImageNet weights cannot be downloaded here); the timing does not
depend on the weights' values. Prints wall and CPU seconds, accuracy (mean and
standard deviation over folds), the ratio of times and the agreement of the
held-out predictions with float32.

    python benchmarks/bench_protocol.py [--n 150] [--epochs 30] [--size 224]
        [--folds 5] [--settings float32 bfloat16 bfloat16+channels_last]

The defaults are the paper's protocol: about 15 minutes on a 2-core CPU.
"""

import argparse
import time

import numpy as np
from _machine import add_device_argument, describe, resolve_device
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions

SETTINGS = {
    "float32": {},
    "bfloat16": {"precision": "bfloat16"},
    "channels_last": {"channels_last": True},
    "bfloat16+channels_last": {"precision": "bfloat16", "channels_last": True},
    "float16": {"precision": "float16"},
}


def pipeline(args, device, **options):
    size = (args.size, args.size)
    return Pipeline(
        [
            ("images", SpectrogramImages(image_size=size)),
            (
                "clf",
                HypernetClassifier(
                    weights=None,
                    max_epochs=args.epochs,
                    batch_size=32,
                    device=device,
                    random_state=0,
                    **options,
                ),
            ),
        ]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_device_argument(parser)
    parser.add_argument("--n", type=int, default=150, help="built-in clips")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--size", type=int, default=224, help="image side")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["float32", "bfloat16", "bfloat16+channels_last"],
        choices=sorted(SETTINGS),
        help="the first is the reference",
    )
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    describe(device)
    data = make_syllable_repetitions(args.n, random_state=0)
    X, y, groups = data.data, data.target, data.groups
    cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=0)
    folds = list(cv.split(X, y, groups))
    print(
        f"{args.n} clips, {len(set(groups))} subjects, {args.folds} folds, "
        f"{args.epochs} epochs, {args.size}x{args.size}, batch 32, device {device}"
    )
    wall = dict.fromkeys(args.settings, 0.0)
    cpu = dict.fromkeys(args.settings, 0.0)
    accuracy = {name: [] for name in args.settings}
    predictions = {name: np.empty(len(y), dtype=y.dtype) for name in args.settings}
    for k, (train, test) in enumerate(folds):
        for name in args.settings:
            model = clone(pipeline(args, device, **SETTINGS[name]))
            start, start_cpu = time.perf_counter(), time.process_time()
            model.fit([X[i] for i in train], y[train])
            predicted = model.predict([X[i] for i in test])
            wall[name] += time.perf_counter() - start
            cpu[name] += time.process_time() - start_cpu
            predictions[name][test] = predicted
            accuracy[name].append(np.mean(predicted == y[test]))
            print(
                f"  fold {k + 1}/{args.folds} {name:24s} "
                f"{wall[name]:7.1f} s so far, accuracy {accuracy[name][-1]:.3f}",
                flush=True,
            )
    reference = args.settings[0]
    print(f"\n{'setting':24s} {'wall s':>8s} {'CPU s':>8s} {'speed-up':>9s} "
          f"{'accuracy':>15s} {'agrees':>7s}")  # fmt: skip
    for name in args.settings:
        agree = np.mean(predictions[name] == predictions[reference])
        print(
            f"{name:24s} {wall[name]:8.1f} {cpu[name]:8.1f} "
            f"{wall[reference] / wall[name]:8.2f}x "
            f"{np.mean(accuracy[name]):.3f} ± {np.std(accuracy[name]):.3f} "
            f"{100 * agree:6.1f}%"
        )


if __name__ == "__main__":
    main()
