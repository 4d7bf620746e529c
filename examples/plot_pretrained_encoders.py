"""
Pretrained speech encoders and the hypernetwork head
=====================================================

On small real corpora a network trained from random initialisation loses to
simple features; pretrained speech encoders are the field's remedy. This
example embeds every recording once with a pretrained encoder
(:class:`skhyperdys.encoders.SpeechEncoder`) and compares, subject-wise, the
paper's hypernetwork head, a dense head and a logistic regression on the
embeddings, beside log-Mel statistics.

It runs everywhere with the GE2E speaker encoder, whose weights ship in the
Resemblyzer wheel (``pip install 'skhyperdys[encoders]'``). Give
``--model ID_OR_PATH`` (a Hugging Face model in the local cache, or a folder
in ``save_pretrained`` layout, e.g. HuBERT or WavLM) to add that encoder,
every layer stacked and weighted by the head.

The built-in data is synthetic: the numbers show the code working, not how
the encoders compare on patients.
"""

import argparse
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skhyperdys import HypernetClassifier
from skhyperdys.audit import LogMelStatistics
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.encoders import SpeechEncoder

parser = argparse.ArgumentParser(description="Pretrained speech encoders.")
parser.add_argument("--n-recordings", type=int, default=150)
parser.add_argument("--folds", type=int, default=5)
parser.add_argument("--epochs", type=int, default=100, help="of the heads")
parser.add_argument("--model", help="a transformers encoder (id or folder)")
args = parser.parse_args()

data = make_syllable_repetitions(args.n_recordings, random_state=0)
cache = tempfile.mkdtemp(prefix="embeddings-")  # each recording embedded once


def head(kind):
    return HypernetClassifier(
        head=kind, max_epochs=args.epochs, lr=1e-3, batch_size=32, random_state=0
    )


def logistic():
    return [("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=5000))]


ge2e = SpeechEncoder("ge2e", sr=data.sr, memory=cache)
pipelines = {
    "GE2E + hypernetwork head": Pipeline([("encoder", ge2e), ("clf", head("hyper"))]),
    "GE2E + dense head": Pipeline([("encoder", ge2e), ("clf", head("dense"))]),
    "GE2E + logistic regression": Pipeline([("encoder", ge2e), *logistic()]),
    "log-Mel statistics + hypernetwork head": Pipeline(
        [("stats", LogMelStatistics(sr=data.sr)), ("clf", head("hyper"))]
    ),
    "log-Mel statistics + logistic regression": Pipeline(
        [("stats", LogMelStatistics(sr=data.sr)), *logistic()]
    ),
}
if args.model:
    stack = SpeechEncoder(args.model, layer="all", sr=data.sr, memory=cache)
    pipelines["encoder, all layers weighted + hypernetwork head"] = Pipeline(
        [("encoder", stack), ("clf", head("hyper"))]
    )
    middle = SpeechEncoder(args.model, sr=data.sr, memory=cache).fit([np.zeros(8000)])
    layer = middle.n_layers_ // 2
    pipelines[f"encoder, layer {layer} + logistic regression"] = Pipeline(
        [("encoder", middle.set_params(layer=layer)), *logistic()]
    )

cv = StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=0)
print(
    f"{args.n_recordings} recordings of {len(set(data.groups))} speakers, "
    f"{args.folds} subject-wise folds, heads trained {args.epochs} epochs; "
    "built-in synthetic data"
)
scores = {}
for name, pipe in pipelines.items():
    result = cross_validate(
        pipe, data.data, data.target, groups=data.groups, cv=cv,
        scoring="balanced_accuracy",
    )  # fmt: skip
    scores[name] = result["test_score"]
    print(f"{name:52s} {scores[name].mean():.3f} ± {scores[name].std():.3f}")

# %%
# The embeddings were computed once per recording: every later fold and
# pipeline read them from the cache folder.
#
# Balanced accuracy per pipeline, mean and standard deviation over the
# subject-wise folds:

fig, ax = plt.subplots(figsize=(7, 0.5 * len(scores) + 1), layout="constrained")
names = list(scores)[::-1]
ax.barh(
    names,
    [scores[n].mean() for n in names],
    xerr=[scores[n].std() for n in names],
    color="C0",
)
ax.axvline(0.5, color="0.5", lw=1, ls="--")
ax.set_xlim(0, 1)
ax.set_xlabel("balanced accuracy (subject-wise CV)")
plt.show()
