"""
Evaluate subject-wise: training curves, confusion matrix and ROC
================================================================

One subject-wise stratified cross-validation of the pipeline, kept whole:
each fold's fitted pipeline (for its training history) and each recording's
test-fold probabilities (for a confusion matrix and an ROC curve of healthy
vs dysarthric). Every recording is predicted by the model of the fold in
which its speaker was held out, so the pictures show performance on unseen
speakers.

Small settings, as in the quick start (150 recordings, 64x64 images, 8
epochs, 5 folds, a randomly initialised AlexNet; ``--n-recordings``,
``--epochs``, ``--folds``). The documentation builds this page with smaller
ones, which the output below states.
"""

import argparse

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import classification_report
from sklearn.model_selection import StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.plotting import plot_cv_predictions, plot_training_history

parser = argparse.ArgumentParser(description="Cross-validated predictions.")
parser.add_argument("--n-recordings", type=int, default=150)
parser.add_argument("--epochs", type=int, default=8)
parser.add_argument("--folds", type=int, default=5)
args = parser.parse_args()

data = make_syllable_repetitions(args.n_recordings, random_state=0)
X = np.array(data.data, dtype=object)  # recordings of different lengths
y = np.asarray(data.target_names)[data.target]  # "healthy" / "dysarthric"

pipe = Pipeline(
    [
        ("images", SpectrogramImages(sr=data.sr, image_size=(64, 64), n_mels=64)),
        (
            "clf",
            HypernetClassifier(
                weights=None, max_epochs=args.epochs, batch_size=16, random_state=0
            ),
        ),
    ]
)
cv = StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=0)
print(
    f"{args.n_recordings} recordings, {args.epochs} epochs, {args.folds} "
    "subject-wise folds, 64x64 images, random-init AlexNet, built-in data"
)
results = cross_validate(
    pipe,
    X,
    y,
    groups=data.groups,
    cv=cv,
    return_estimator=True,
    return_indices=True,
)

# Each recording's probabilities from the fold that held its speaker out.
proba = np.empty((len(y), 2))
for fitted, test in zip(results["estimator"], results["indices"]["test"], strict=True):
    proba[test] = fitted.predict_proba(X[test])
classes = results["estimator"][0].classes_  # columns of proba: sorted labels
print(classification_report(y, classes[proba.argmax(axis=1)], digits=3))

# %%
# Training history of the first fold's classifier: the loss and the accuracy
# of each epoch's training pass (one random context per recording, so the
# accuracy is lower than the fitted model's on the same data).
plot_training_history(results["estimator"][0])
plt.show()

# %%
# Confusion matrix at the 0.5 threshold and ROC curve of all test-fold
# predictions, dysarthric as the positive class. Sensitivity is the
# dysarthric row's recall, specificity the healthy row's.
confusion, roc = plot_cv_predictions(y, proba, classes=classes, pos_label="dysarthric")
plt.show()
