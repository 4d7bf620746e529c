"""
Trusting a prediction: uncertainty, conformal sets, calibration, subjects
=========================================================================

After "what is the prediction?" a clinical researcher asks how sure the model
is, whether its probabilities mean what they say, and what it concludes about
each patient. This example answers all three on held-out speakers of the
built-in data:

1. **Uncertainty** (:func:`skhyperdys.inspection.predictive_uncertainty`):
   the entropy of the prediction, the disagreement of the generated
   classifiers (mutual information) and the novelty of the input, for
   held-out recordings and for inputs unlike any recording (noise, silence,
   tones). Which measure flags the unlike inputs is measured, not assumed.
2. **Conformal prediction sets** with MAPIE: sets of labels that contain the
   true one for at least 90 % of recordings on average (``alpha=0.1``),
   calibrated on other held-out speakers; the coverage is measured on the
   test speakers, over 20 random calibration/test splits.
3. **Calibration**: a reliability diagram (scikit-learn's
   ``CalibrationDisplay``) of the model as trained and after sigmoid
   calibration.
4. **Per subject** (:mod:`skhyperdys.metrics`): each speaker's recordings
   combined into one decision.
5. **Why**: saliency maps (:func:`skhyperdys.inspection.saliency_maps`).

Small settings (150 recordings, 64x64 images, 8 epochs, a randomly
initialised AlexNet; ``--n-recordings``, ``--epochs``). The documentation
builds this page with smaller ones, which the output below states.
"""

import argparse

import matplotlib.pyplot as plt
import numpy as np
from mapie.classification import SplitConformalClassifier
from sklearn.calibration import CalibratedClassifierCV, CalibrationDisplay
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import Pipeline

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.inspection import predictive_uncertainty, saliency_maps
from skhyperdys.metrics import aggregate_by_subject, subject_score
from skhyperdys.plotting import plot_saliency

parser = argparse.ArgumentParser(description="Trusting a prediction.")
parser.add_argument("--n-recordings", type=int, default=150)
parser.add_argument("--epochs", type=int, default=8)
parser.add_argument("--folds", type=int, default=None, help="unused")
args = parser.parse_args()
print(f"settings: n_recordings={args.n_recordings}, epochs={args.epochs}, 64x64")

data = make_syllable_repetitions(args.n_recordings, random_state=0)
X = np.array(data.data, dtype=object)
y, groups, sr = data.target, data.groups, data.sr

# Speakers, not recordings, are split: 50 % train, 25 % calibration, 25 % test.
split = GroupShuffleSplit(n_splits=1, test_size=0.5, random_state=0)
train, rest = next(split.split(X, y, groups))
cal, test = next(split.split(X[rest], y[rest], groups[rest]))
cal, test = rest[cal], rest[test]

pipe = Pipeline(
    [
        ("images", SpectrogramImages(sr=sr, image_size=(64, 64), n_mels=64)),
        (
            "clf",
            HypernetClassifier(
                weights=None, max_epochs=args.epochs, batch_size=16, random_state=0
            ),
        ),
    ]
).fit(list(X[train]), y[train])
print(f"test accuracy per recording: {pipe.score(list(X[test]), y[test]):.3f}")

# %%
# 1. Uncertainty: which measure tells recordings from things unlike them?
# ------------------------------------------------------------------------
rng = np.random.default_rng(1)
t = np.arange(3 * sr) / sr
unlike = (
    [0.1 * rng.standard_normal(len(t)) for _ in range(6)]  # white noise
    + [1e-5 * rng.standard_normal(len(t)) for _ in range(6)]  # silence
    + [0.3 * np.sin(2 * np.pi * f * t) for f in (150, 300, 600, 1200, 2400, 3500)]
)
held = predictive_uncertainty(pipe, list(X[test]))
odd = predictive_uncertainty(pipe, unlike)
is_unlike = np.r_[np.zeros(len(test)), np.ones(len(unlike))]
print("\nROC AUC, held-out recordings vs noise/silence/tones:")
for name in ("entropy", "mutual_information", "novelty"):
    auc = roc_auc_score(is_unlike, np.r_[held[name], odd[name]])
    print(
        f"  {name:<19} {auc:.2f}   (median held-out {np.median(held[name]):.2g},"
        f" unlike {np.median(odd[name]):.2g})"
    )

fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, name in zip(axes, ("entropy", "mutual_information", "novelty"), strict=True):
    bins = np.histogram_bin_edges(np.r_[held[name], odd[name]], bins=20)
    ax.hist(held[name], bins=bins, alpha=0.7, label="held-out recordings")
    ax.hist(odd[name], bins=bins, alpha=0.7, label="noise / silence / tones")
    ax.set_title(name.replace("_", " "))
axes[0].legend(fontsize=8)
fig.tight_layout()

# %%
# 2. Conformal prediction sets with a 90 % coverage guarantee
# -----------------------------------------------------------
# The guarantee is on average over calibration sets, and a few speakers make a
# noisy calibration set: so the held-out speakers are split 20 times at random
# into calibration and test speakers, and the coverage of each split is
# measured on its test speakers. (The images are computed once; the conformal
# step wraps the fitted classifier.)
held_out = np.r_[cal, test]
images = pipe["images"].transform(list(X[held_out]))
coverages, sizes = [], []
for repeat in range(20):
    splitter = GroupShuffleSplit(n_splits=1, test_size=0.5, random_state=repeat)
    c, t = next(splitter.split(images, y[held_out], groups[held_out]))
    conformal = SplitConformalClassifier(
        FrozenEstimator(pipe["clf"]), confidence_level=0.9, prefit=True
    ).conformalize(images[c], y[held_out][c])
    sets = conformal.predict_set(images[t])[1][:, :, 0]
    coverages.append(sets[np.arange(len(t)), y[held_out][t]].mean())
    sizes.append(sets.sum(axis=1).mean())
print(
    f"\nconformal sets (alpha=0.1), 20 random calibration/test splits of "
    f"{len(set(groups[held_out]))} unseen speakers:"
)
print(
    f"  coverage: mean {np.mean(coverages):.3f} (guaranteed >= 0.9 on average), "
    f"range {min(coverages):.2f}-{max(coverages):.2f}; "
    f"mean set size {np.mean(sizes):.2f}"
)

# %%
# 3. Calibration: do the probabilities mean what they say?
# --------------------------------------------------------
calibrated = CalibratedClassifierCV(FrozenEstimator(pipe), method="sigmoid")
calibrated.fit(list(X[cal]), y[cal])
fig, ax = plt.subplots(figsize=(4.5, 4.5))
CalibrationDisplay.from_estimator(
    pipe, list(X[test]), y[test], n_bins=5, name="as trained", ax=ax
)
CalibrationDisplay.from_estimator(
    calibrated, list(X[test]), y[test], n_bins=5, name="sigmoid-calibrated", ax=ax
)
ax.set_title("Reliability diagram, test speakers")

# %%
# 4. One decision per speaker
# ---------------------------
proba = pipe.predict_proba(list(X[test]))
subjects, subject_proba = aggregate_by_subject(proba, groups[test])
print(f"\n{len(subjects)} test speakers:")
print(f"  accuracy per recording {accuracy_score(y[test], proba.argmax(1)):.3f}")
for method in ("mean", "logodds"):
    score = subject_score(y[test], proba, groups[test], method=method)
    print(f"  accuracy per speaker ({method} of the recordings) {score:.3f}")

fig, ax = plt.subplots(figsize=(6, 3))
order = np.argsort(subject_proba[:, 1])
truth = np.array([y[test][groups[test] == s][0] for s in subjects])
ax.bar(
    range(len(subjects)),
    subject_proba[order, 1],
    color=np.where(truth[order], "C3", "C0"),
)
ax.axhline(0.5, color="k", lw=0.8)
ax.set_xticks(range(len(subjects)), subjects[order], rotation=90, fontsize=7)
ax.set_ylabel("P(dysarthric), mean")
ax.set_title("Per speaker (red: dysarthric, blue: healthy)")
fig.tight_layout()

# %%
# 5. Why: where in time and frequency the model looked
# ----------------------------------------------------
# The gradient of the predicted class's log-odds at every pixel of the
# feature image, mapped back to each clip's own time x Mel grid (the default
# of ``saliency_maps``, chosen by measurement: see "Trusting a prediction").
# A map that shows nothing would say so in its title.
maps = saliency_maps(pipe, list(X[test[:2]]))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for ax, result in zip(axes, maps, strict=True):
    plot_saliency(result, ax=ax)
fig.tight_layout()
