"""
The measures a clinician reads, beside the network
===================================================

A speech-language pathologist reports how fast and how regularly a person
repeats /pa/ (diadochokinesis, DDK), not "the network says 0.8". This example
measures every take of the built-in data with
:class:`skhyperdys.measures.DDKMeasures`, shows each measure by group with
subject-bootstrap intervals and effect sizes, scores the measures with a
logistic regression, and asks whether the network's cross-validated
probabilities just follow DDK rate
(:func:`~skhyperdys.measures.correlate_with_measures`).

Needs the ``measures`` extra (``pip install 'skhyperdys[measures]'``). The
built-in data is synthetic: the numbers show the code working, not what the
measures show in patients.
"""

import argparse

import matplotlib.pyplot as plt
import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.measures import DDKMeasures, correlate_with_measures, syllable_onsets
from skhyperdys.plotting import plot_measures_by_group

parser = argparse.ArgumentParser(description="Clinical measures beside the network.")
parser.add_argument("--n-recordings", type=int, default=150)
parser.add_argument("--folds", type=int, default=5)
parser.add_argument("--epochs", type=int, default=20)
args = parser.parse_args()
print(f"settings: {vars(args)}")

ds = make_syllable_repetitions(args.n_recordings, return_onsets=True, random_state=0)
cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=0)

# %%
# The detected syllables of one take, against the generator's true onsets.
y = ds.data[0]
found = syllable_onsets(y, ds.sr)
fig, ax = plt.subplots(figsize=(8, 2.5), layout="constrained")
ax.plot(np.arange(len(y)) / ds.sr, y, lw=0.5, color="0.5")
ax.vlines(ds.onsets[0], -1, 1, color="C0", label="true onsets")
ax.vlines(found, -1, 1, color="C1", linestyles="dashed", label="detected")
ax.set(
    xlabel="time (s)", title=f"{len(found)} syllables found, {len(ds.onsets[0])} true"
)
ax.legend(loc="lower right")

# %%
# Every take measured; each measure by group.
measures = DDKMeasures().set_output(transform="pandas").fit_transform(ds.data)
print(measures.describe().round(3).T[["mean", "std", "min", "max"]])
shown = ["ddk_rate", "ioi_cv", "vowel_duration", "gap_duration", "f0_sd"]
plot_measures_by_group(
    measures[shown], ds.target, ds.groups, target_names=ds.target_names, random_state=0
)

# %%
# The measures alone, subject-wise, with a logistic regression; and the
# network on spectrogram images.
lr = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())
p_lr = cross_val_predict(
    lr, measures, ds.target, groups=ds.groups, cv=cv, method="predict_proba"
)
net = make_pipeline(
    SpectrogramImages(image_size=(64, 64)),
    HypernetClassifier(weights=None, max_epochs=args.epochs, random_state=0),
)
p_net = cross_val_predict(
    net, ds.data, ds.target, groups=ds.groups, cv=cv, method="predict_proba"
)
for name, proba in (("DDK measures + LR", p_lr), ("network", p_net)):
    print(f"{name}: accuracy {((proba[:, 1] > 0.5) == ds.target).mean():.3f}")

# %%
# Does the network just measure DDK rate? Spearman's rho between its
# per-subject probability and each measure, with subject-bootstrap intervals.
table = correlate_with_measures(p_net, measures, ds.groups, random_state=0)
print(table.round(3))
