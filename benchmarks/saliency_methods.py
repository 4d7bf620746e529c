"""Which saliency method explains a model that has learnt: a measurement, not a timing.

Trains a pipeline per backbone and image size on the built-in planted-cue task
(:func:`skhyperdys.datasets.make_planted_cue`: class 1 has a noise burst in
2-3 kHz x 0.3-0.8 s, 5 % of a clip's time-Mel grid), checks that it tells the
classes apart on held-out clips, and prints, per method of
:func:`skhyperdys.inspection.saliency_maps`, the share of the maps' mass that
falls in the box (0.05 by chance), the number of constant (blank) maps, and
the time per clip. The defaults reproduce the table of the
``saliency_maps`` docstring (about 15 minutes on 2 cores):

    python benchmarks/saliency_methods.py
    python benchmarks/saliency_methods.py --configs alexnet:64 resnet18:224
"""

import argparse
import time
import warnings

import librosa
import numpy as np
from sklearn.pipeline import Pipeline

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_planted_cue
from skhyperdys.inspection import saliency_maps
from skhyperdys.inspection._saliency import METHODS

CONFIGS = [
    "alexnet:64",
    "alexnet:128",
    "alexnet:224",
    "resnet18:64",
    "resnet18:224",
    "convnext_tiny:64",
    "efficientnet_b0:64",
]


def box_mass(result, band, window):
    """The share of a map's mass inside the cue's box (0 for a blank map)."""
    mel = librosa.hz_to_mel(result.frequencies)
    low, high = librosa.hz_to_mel(np.array(band))
    rows = (mel >= low) & (mel <= high)
    cols = (result.times >= window[0]) & (result.times <= window[1])
    total = result.map.sum()
    return result.map[np.ix_(rows, cols)].sum() / total if total > 0 else 0.0


def measure(backbone, size, epochs, n_train):
    train = make_planted_cue(n_train, random_state=0)
    test = make_planted_cue(24, random_state=1)
    pipe = Pipeline(
        [
            ("images", SpectrogramImages(image_size=(size, size), n_mels=32)),
            (
                "clf",
                HypernetClassifier(
                    weights=None,
                    backbone=backbone,
                    embed_dim=32,
                    context_dim=8,
                    hyper_hidden=16,
                    max_epochs=epochs,
                    lr=1e-3,
                    batch_size=8,
                    random_state=0,
                ),
            ),
        ]
    )
    start = time.perf_counter()
    pipe.fit(train.data, train.target)
    fit = time.perf_counter() - start
    accuracy = (pipe.predict(test.data) == test.target).mean()
    print(
        f"\n{backbone} {size}x{size}: fit {fit:.0f} s, "
        f"held-out accuracy {accuracy:.2f}"
    )
    positives = [x for x, label in zip(test.data, test.target, strict=True) if label]
    for method in METHODS:
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            maps = saliency_maps(pipe, positives, target=1, method=method)
        per_clip = (time.perf_counter() - start) / len(maps) * 1000
        mass = np.array([box_mass(m, test.band, test.window) for m in maps])
        blank = sum(np.ptp(m.map) == 0 for m in maps)
        warned = any("constant" in str(w.message) for w in caught)
        print(
            f"  {method:>10}: box mass mean {mass.mean():.3f} (min {mass.min():.3f}), "
            f"constant {blank}/{len(maps)}{' (warned)' if warned else ''}, "
            f"{per_clip:.0f} ms/clip"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--configs", nargs="+", default=CONFIGS, help="backbone:size")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-train", type=int, default=48)
    args = parser.parse_args(argv)
    for config in args.configs:
        backbone, size = config.split(":")
        measure(backbone, int(size), args.epochs, args.n_train)


if __name__ == "__main__":
    main()
