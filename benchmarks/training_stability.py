"""How often does a fit of the default pipeline end near chance?

Fits the image pipeline (random initialisation, as on data whose weights
cannot be downloaded) on the built-in data over several seeds x
subject-wise folds and prints, per fit, the held-out balanced accuracy, the
share of held-out predictions in the more predicted class, the last
training loss and the first epoch whose training loss fell below 0.6 (the
end of the plateau at ln 2 = 0.69). A fit "ends near chance" when its
balanced accuracy is at most 0.6 while the median of the others is above
0.8; the summary counts them. It also counts, per fit, the share of the
backbone's last ReLU channels that are never active on the training images
(a fit at lr=3e-4 whose loss spiked to 2.0 had lost 84 % of them, a healthy
one 6 %).

Run (figures in benchmarks/README.md; about 30 min on 2 cores)::

    python benchmarks/training_stability.py --seeds 10 --folds 5 --epochs 20
    python benchmarks/training_stability.py --max-grad-norm none   # 0.1 behaviour
    python benchmarks/training_stability.py --lr 3e-4 --seeds 2    # a larger step
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedGroupKFold

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions

LEFT_PLATEAU = 0.6
NEAR_CHANCE = 0.6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-recordings", type=int, default=150)
    parser.add_argument("--image-size", type=int, default=112)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument(
        "--max-grad-norm",
        type=lambda v: None if v == "none" else float(v),
        default=1.0,
        help="the classifier's max_grad_norm ('none': no clipping)",
    )
    args = parser.parse_args()

    ds = make_syllable_repetitions(
        args.n_recordings, duration=(2.0, 3.0), random_state=0
    )
    side = args.image_size
    X = SpectrogramImages(image_size=(side, side), n_mels=64).fit_transform(ds.data)
    y, groups = ds.target, ds.groups
    print(
        f"{len(y)} recordings of {len(np.unique(groups))} subjects, images "
        f"{side}x{side}, {args.epochs} epochs, {args.seeds} seeds x "
        f"{args.folds} folds, lr={args.lr}, max_grad_norm={args.max_grad_norm}"
    )
    print(
        "seed fold  bal_acc  top_share  last_loss  left_plateau  dead_relu"
        "  warned  seconds"
    )
    rows = []
    for seed in range(args.seeds):
        cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=seed)
        for fold, (train, test) in enumerate(cv.split(X, y, groups)):
            clf = HypernetClassifier(
                weights=None,
                max_epochs=args.epochs,
                lr=args.lr,
                max_grad_norm=args.max_grad_norm,
                random_state=seed,
            )
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                clf.fit(X[train], y[train])
            seconds = time.perf_counter() - start
            warned = any("majority" in str(w.message) for w in caught)
            pred = clf.predict(X[test])
            bal = balanced_accuracy_score(y[test], pred)
            top = np.unique(pred, return_counts=True)[1].max() / len(pred)
            losses = np.asarray(clf.history_[:, "train_loss"])
            below = np.flatnonzero(losses < LEFT_PLATEAU)
            left = int(below[0]) + 1 if len(below) else -1
            dead = dead_share(clf, X[train][:64])
            rows.append((seed, fold, bal, top, losses[-1], left, warned, dead))
            print(
                f"{seed:4d} {fold:4d}  {bal:7.3f}  {top:9.2f}  {losses[-1]:9.3f}"
                f"  {left:12d}  {dead:9.2f}  {warned!s:>6}  {seconds:7.1f}",
                flush=True,
            )
    bal = np.array([r[2] for r in rows])
    left = np.array([r[5] for r in rows])
    near = [
        r
        for i, r in enumerate(rows)
        if r[2] <= NEAR_CHANCE and np.median(np.delete(bal, i)) > 0.8
    ]
    print(
        f"\nbalanced accuracy {bal.mean():.3f} +- {bal.std():.3f} "
        f"(min {bal.min():.3f}) over {len(rows)} fits"
    )
    print(f"fits ending near chance (<= {NEAR_CHANCE}): {len(near)}")
    print(f"fits that never left the plateau: {(left < 0).sum()}")
    if (left > 0).any():
        print(
            f"epoch leaving the plateau: median {np.median(left[left > 0]):.0f}, "
            f"max {left[left > 0].max()}"
        )
    print(f"fits warned about a majority-class end: {sum(r[6] for r in rows)}")
    dead = np.array([r[7] for r in rows])
    print(
        f"last-ReLU channels never active: median {np.median(dead):.2f}, "
        f"max {dead.max():.2f}"
    )


def dead_share(clf, images):
    """Share of the last convolution's ReLU channels never active on ``images``."""
    features = clf.module_.embedder.backbone.features
    last = [m for m in features if isinstance(m, torch.nn.ReLU)][-1]
    seen = []
    hook = last.register_forward_hook(lambda m, i, out: seen.append(out))
    with torch.no_grad():
        features(torch.as_tensor(images))
    hook.remove()
    active = (seen[0] > 0).flatten(2).any(-1).any(0)
    return 1.0 - float(active.float().mean())


if __name__ == "__main__":
    main()
