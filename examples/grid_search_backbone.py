"""
Grid search over the backbone and the context dimension
=======================================================

Which image network should embed the spectrograms? The paper uses AlexNet and
names neural architecture search as future work. A grid search over
``backbone`` (any torchvision classification model) crossed with the
hypernetwork's ``context_dim``, scored by subject-wise stratified
cross-validation, is a first step in that direction: a search over a handful
of hand-picked architectures rather than over a space of them.

The backbones are frozen (``freeze_backbone=True``): each fit computes the
backbone's features of its training images once and trains only the
embedding layer and the hypernetwork head on them, so that the grid (4
backbones x the paper's 4 context sizes, 3 folds) takes about two minutes
on an idle 2-core CPU; fine-tuning every candidate for as many epochs would
take many times longer.

A frozen backbone is meant for pretrained weights: pass ``--weights imagenet``
(torchvision's ImageNet weights of each model, downloaded once into the torch
hub cache). The default, ``--weights None``, runs offline with randomly
initialised backbones, that is fixed random feature extractors: the ranking
then shows how to run the search, not which pretrained network suits
dysarthria. Small settings: 150 recordings of the built-in data, 64x64
images, 3 folds, 20 epochs of the head (``--n-recordings``, ``--folds``,
``--epochs``, ``--backbones``, ``--context-dims``; the documentation builds
this page with smaller ones, which the output below states). Needs
matplotlib for the plot (``pip install 'skhyperdys[plot]'``).
"""

import argparse
import time

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.plotting import plot_search_scores

parser = argparse.ArgumentParser(description="Grid search over backbone x context_dim.")
parser.add_argument("--n-recordings", type=int, default=150)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--folds", type=int, default=3)
# any of skhyperdys.backbones.torchvision_backbones(); BACKBONES are tested
parser.add_argument(
    "--backbones",
    nargs="+",
    default=["alexnet", "resnet18", "efficientnet_b0", "convnext_tiny"],
)
parser.add_argument("--context-dims", nargs="+", type=int, default=[32, 64, 128, 256])
parser.add_argument("--weights", choices=["None", "imagenet"], default="None")
args = parser.parse_args()
weights = None if args.weights == "None" else args.weights

data = make_syllable_repetitions(args.n_recordings, random_state=0)

pipe = Pipeline(
    [
        ("images", SpectrogramImages(image_size=(64, 64), n_mels=64)),
        (
            "clf",
            HypernetClassifier(
                weights=weights,
                freeze_backbone=True,
                max_epochs=args.epochs,
                batch_size=16,
                lr=1e-3,  # only the head trains: a larger rate than fine-tuning's
                random_state=0,
            ),
        ),
    ]
)
search = GridSearchCV(
    pipe,
    {"clf__backbone": args.backbones, "clf__context_dim": args.context_dims},
    cv=StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=0),
    scoring="accuracy",
)
print(
    f"settings: {args.n_recordings} recordings, 64x64 images, {args.folds} folds, "
    f"frozen backbones with weights={weights}, {args.epochs} epochs of the "
    "head (lr 1e-3), built-in synthetic data"
)
start = time.perf_counter()
search.fit(data.data, data.target, groups=data.groups)
print(f"grid search took {time.perf_counter() - start:.0f} s\n")

results = pd.DataFrame(search.cv_results_)
table = results.pivot_table(
    index="param_clf__backbone",
    columns="param_clf__context_dim",
    values="mean_test_score",
    sort=False,
)
table.index.name, table.columns.name = "backbone", "context_dim"
table["mean fit time (s)"] = results.groupby("param_clf__backbone", sort=False)[
    "mean_fit_time"
].mean()
print("mean accuracy over the folds:")
print(table.to_string(float_format="%.3f"))
print("\nbest:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# Mean accuracy per ``context_dim``, one line per backbone, with one standard
# deviation over the folds. With a few subjects per test fold the spread is
# wide; treat differences of a few points as noise, and confirm a choice on
# held-out speakers (nested cross-validation) before reporting it.
ax = plot_search_scores(search, "context_dim")
ax.set_title("Backbone x context size (frozen backbones)")
plt.show()
