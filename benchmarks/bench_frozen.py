"""Frozen backbone vs fine-tuning: the paper's protocol and a context_dim search.

End-to-end wall time of

* the paper's protocol: subject-wise stratified k-fold CV of the pipeline;
* a ``GridSearchCV`` over ``context_dim`` in {32, 64, 128, 256},

each with ``freeze_backbone=False`` (fine-tuning AlexNet) and
``freeze_backbone=True`` (the backbone's features computed once per fit), and
the grid search once more with the frozen backbone as a cached
``BackboneFeatures`` step (features computed once per fold), on the built-in
data. Feature images are computed once beforehand (the
transformer is stateless) so that only the classifier is timed. The ratio is
fine-tuning time / frozen time, both measured in this run. Wall time and
process CPU time (all threads) are both printed: CPU time barely moves when
something else shares the machine, wall time does.

    python benchmarks/bench_frozen.py [--n 150] [--size 224] [--epochs 30] [--folds 5]
        [--device cpu]

The defaults are the paper's protocol (about an hour of CPU for the
fine-tuning grid search on 2 cores); smaller ``--size``/``--epochs`` give a
quick reading.
"""

import argparse
import tempfile
import time
from contextlib import contextmanager

from _machine import add_device_argument, resolve_device
from _machine import describe as describe_machine
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline

from skhyperdys import BackboneFeatures, HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions


@contextmanager
def timed(times, key):
    """Store (wall seconds, process CPU seconds) of the block in ``times[key]``."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    times[key] = (time.perf_counter() - wall, time.process_time() - cpu)


def describe(seconds):
    wall, cpu = seconds
    return f"{wall:8.1f} s wall {cpu:8.1f} s CPU"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_device_argument(parser)
    parser.add_argument("--n", type=int, default=150, help="built-in clips")
    parser.add_argument("--size", type=int, default=224, help="image side in pixels")
    parser.add_argument(
        "--epochs", type=int, default=30, help="training epochs per fit"
    )
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument(
        "--skip-finetune-grid",
        action="store_true",
        help="skip the (long) fine-tuning grid search",
    )
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    describe_machine(device)

    data = make_syllable_repetitions(args.n, random_state=0)
    images = SpectrogramImages(
        image_size=(args.size, args.size), device=str(device)
    ).transform(data.data)
    cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=0)
    print(
        f"{args.n} clips, {args.size}x{args.size} images, {args.epochs} epochs, "
        f"{args.folds} folds"
    )

    def clf(freeze):
        return HypernetClassifier(
            weights=None,
            max_epochs=args.epochs,
            freeze_backbone=freeze,
            random_state=0,
            device=str(device),
        )

    times = {}
    for freeze in (True, False):
        label = "frozen" if freeze else "fine-tuning"
        with timed(times, ("protocol", freeze)):
            scores = cross_validate(
                clf(freeze), images, data.target, groups=data.groups, cv=cv
            )
        print(
            f"  protocol, {label:11s} {describe(times[('protocol', freeze)])}  "
            f"accuracy {scores['test_score'].mean():.3f}",
            flush=True,
        )
        if not freeze and args.skip_finetune_grid:
            continue
        search = GridSearchCV(
            clf(freeze), {"context_dim": [32, 64, 128, 256]}, cv=cv, refit=False
        )
        with timed(times, ("grid", freeze)):
            search.fit(images, data.target, groups=data.groups)
        print(
            f"  grid,     {label:11s} {describe(times[('grid', freeze)])}", flush=True
        )

    # Frozen backbone as a cached pipeline step: the grid computes the
    # backbone's features once per fold, not once per candidate.
    with tempfile.TemporaryDirectory() as cache:
        pipe = Pipeline(
            [
                (
                    "backbone",
                    BackboneFeatures(weights=None, random_state=0, device=str(device)),
                ),
                (
                    "clf",
                    HypernetClassifier(
                        weights=None,
                        max_epochs=args.epochs,
                        random_state=0,
                        device=str(device),
                    ),
                ),
            ],
            memory=cache,
        )
        search = GridSearchCV(
            pipe, {"clf__context_dim": [32, 64, 128, 256]}, cv=cv, refit=False
        )
        with timed(times, ("grid", "cached")):
            search.fit(images, data.target, groups=data.groups)
    print(
        f"  grid,     BackboneFeatures + memory {describe(times[('grid', 'cached')])}"
    )

    def ratio(slow, fast):
        return " / ".join(
            f"{times[slow][i] / times[fast][i]:.1f}x ({kind})"
            for i, kind in enumerate(("wall", "CPU"))
        )

    for what in ("protocol", "grid"):
        if (what, False) in times:
            print(f"{what}: frozen is {ratio((what, False), (what, True))} faster")
    if ("grid", False) in times:
        print(
            "grid: cached BackboneFeatures is "
            f"{ratio(('grid', False), ('grid', 'cached'))} faster than fine-tuning"
        )


if __name__ == "__main__":
    main()
