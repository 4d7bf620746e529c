"""
Grid search over the context dimension
======================================

How much does the size of the hypernetwork's context vector matter? The
paper's suggested sweep: ``context_dim`` in {32, 64, 128, 256}, scored by
subject-wise stratified cross-validation with ``GridSearchCV`` over the whole
pipeline.

Small settings so that it finishes in a few minutes on a 2-core CPU: 150
recordings, 64x64 images, a randomly initialised AlexNet, 3 folds and 6
epochs (``--n-recordings``, ``--epochs``, ``--folds``; the documentation
builds this page with smaller ones, which the output below states). Needs
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

parser = argparse.ArgumentParser(description="Grid search over context_dim.")
parser.add_argument("--n-recordings", type=int, default=150)
parser.add_argument("--epochs", type=int, default=6)
parser.add_argument("--folds", type=int, default=3)
args = parser.parse_args()

data = make_syllable_repetitions(args.n_recordings, random_state=0)

pipe = Pipeline(
    [
        ("images", SpectrogramImages(image_size=(64, 64), n_mels=64)),
        (
            "clf",
            HypernetClassifier(
                weights=None, max_epochs=args.epochs, batch_size=16, random_state=0
            ),
        ),
    ]
)
search = GridSearchCV(
    pipe,
    {"clf__context_dim": [32, 64, 128, 256]},
    cv=StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=0),
    scoring="accuracy",
)
print(
    f"settings: {args.n_recordings} recordings, 64x64 images, {args.epochs} epochs, "
    f"{args.folds} folds, random-init AlexNet, built-in synthetic data"
)
start = time.perf_counter()
search.fit(data.data, data.target, groups=data.groups)
print(f"grid search took {time.perf_counter() - start:.0f} s\n")

columns = [
    "param_clf__context_dim",
    "mean_test_score",
    "std_test_score",
    "rank_test_score",
    "mean_fit_time",
]
table = pd.DataFrame(search.cv_results_)[columns]
table.columns = ["context_dim", "mean accuracy", "std", "rank", "fit time (s)"]
print(table.to_string(index=False, float_format="%.3f"))
print("\nbest:", search.best_params_)

# %%
# Mean accuracy per ``context_dim`` with one standard deviation over the
# folds; the dots are the single folds. With few subjects per fold the spread
# is wide: differences between neighbouring values are rarely significant.
ax = plot_search_scores(search, "context_dim")
ax.set_title("Grid search over the hypernetwork's context size")
plt.show()
