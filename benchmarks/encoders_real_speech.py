"""Encoders on real voices: the pipelines end to end on real recordings.

Not a speed benchmark: a check that the encoder pipelines work on real speech
read from files (8 kHz and 16 kHz), with subject-wise cross-validation, and
how they compare with log-Mel statistics. The sets are the project's shared
real-speech folder (``../shared/data/real-speech``: the Free Spoken Digit
Dataset and Speech Commands; see its README); they hold no patients, so the
tasks are what they allow:

* Speech Commands, the word ("nine", "right", "zero"), folds by speaker
  (67 speakers): what is said, which a speaker encoder is not built for;
* FSDD, the digit (0-9), leave one speaker out (6 speakers);
* FSDD, same speaker or not, from the cosine similarity of two recordings'
  embeddings (ROC AUC over all pairs): what a speaker encoder is built for.

    python benchmarks/encoders_real_speech.py ../shared/data/real-speech
        [--model ID_OR_PATH]
"""

import argparse
import os
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skhyperdys import HypernetClassifier
from skhyperdys.audit import LogMelStatistics
from skhyperdys.encoders import SpeechEncoder


def read(folder, name):
    table = pd.read_csv(os.path.join(folder, name, "labels.csv"))
    paths = [os.path.join(folder, name, p) for p in table["path"]]
    return paths, table


def pipelines(sr, model):
    def logistic():
        return [("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=5000))]

    def head():
        return HypernetClassifier(max_epochs=100, lr=1e-3, random_state=0)

    out = {
        "log-Mel statistics + LR": Pipeline(
            [("stats", LogMelStatistics(sr=sr)), *logistic()]
        ),
        "GE2E + LR": Pipeline([("encoder", SpeechEncoder("ge2e")), *logistic()]),
        "GE2E + hypernetwork head": Pipeline(
            [("encoder", SpeechEncoder("ge2e")), ("clf", head())]
        ),
    }
    if model:
        out["encoder (all layers) + hypernetwork head"] = Pipeline(
            [("encoder", SpeechEncoder(model, layer="all")), ("clf", head())]
        )
        out["encoder (last layer) + LR"] = Pipeline(
            [("encoder", SpeechEncoder(model)), *logistic()]
        )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="the real-speech folder (its README)")
    parser.add_argument("--model", help="a transformers encoder (id or folder)")
    args = parser.parse_args(argv)

    paths, table = read(args.folder, "speech_commands")
    print(f"Speech Commands: {len(paths)} recordings, {table.speaker.nunique()} "
          "speakers; word, 5 folds by speaker, accuracy (chance 0.33)")  # fmt: skip
    for name, pipe in pipelines(16000, args.model).items():
        start = time.perf_counter()
        scores = cross_val_score(
            pipe, paths, table["label"], groups=table["speaker"], cv=GroupKFold(5)
        )
        print(f"  {name:42s} {scores.mean():.3f} ± {scores.std():.3f}  "
              f"({time.perf_counter() - start:.0f} s)")  # fmt: skip

    paths, table = read(args.folder, "fsdd")
    print(f"FSDD: {len(paths)} recordings, {table.speaker.nunique()} speakers; "
          "digit, leave one speaker out, accuracy (chance 0.10)")  # fmt: skip
    for name, pipe in pipelines(8000, args.model).items():
        scores = cross_val_score(
            pipe, paths, table["digit"], groups=table["speaker"], cv=LeaveOneGroupOut()
        )
        print(f"  {name:42s} {scores.mean():.3f} ± {scores.std():.3f}")

    print("FSDD: same speaker or not, cosine similarity of two embeddings, ROC AUC")
    embeddings = SpeechEncoder("ge2e").fit_transform(paths)
    similarity = embeddings @ embeddings.T
    speakers = table["speaker"].to_numpy()
    pairs = np.triu_indices(len(paths), k=1)
    same = (speakers[:, None] == speakers[None, :])[pairs]
    print(f"  GE2E: {roc_auc_score(same, similarity[pairs]):.3f}")
    stats = LogMelStatistics(sr=8000).fit_transform(paths)
    stats = StandardScaler().fit_transform(stats)
    stats /= np.linalg.norm(stats, axis=1, keepdims=True)
    print(f"  log-Mel statistics: {roc_auc_score(same, (stats @ stats.T)[pairs]):.3f}")


if __name__ == "__main__":
    main()
