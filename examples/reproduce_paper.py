"""
Reproduce the paper's study: every row, statistics, resumable runs
==================================================================

Ilias & Askounis (2025) train on VOC-ALS /pa/ repetitions with an
ImageNet-pretrained AlexNet, 224x224 images, 30 epochs and 5-fold
cross-validation, then compare the hypernetwork against a dense layer,
eGeMAPS contexts, MFCC images and /pa/ + /ta/ fusion. This script runs those
rows and the ones a reader of the paper would also ask for:

* /ta/ and /ka/ alone (the paper fuses /pa/ with /ta/ but reports /pa/ only),
* the hypernetwork with one generated classifier at prediction
  (``n_eval_contexts=1``), which separates the hypernetwork from the averaging
  of 32 generated classifiers,
* late fusion (the mean of per-task probabilities) and a /pa/ + /ta/ + /ka/
  fusion, for the paper's open question on fusion.

It prints one table in the paper's layout (accuracy, precision, recall, F1,
specificity: mean ± std over folds) with, for every row, the difference to
the proposed model on the same folds and the p-value of the corrected
resampled t-test (Nadeau & Bengio, 2003), and writes beside the CSV a figure
of the same, the confusion matrices, and every finished fold, so that an
interrupted run started again with the same command continues where it
stopped::

    python examples/reproduce_paper.py --voc-als /data/VOC-ALS --repeats 3

Without ``--voc-als`` it runs the same study on the built-in synthetic data,
with small settings, in minutes on a CPU. ``--help`` lists every option; the
settings the paper does not give (batch size, learning rate, the
subject-wise stratified split, 32 contexts at prediction) are marked as ours.
"""

import argparse
import hashlib
import json
import os
import sys
import textwrap
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from tqdm import tqdm

import skhyperdys
from skhyperdys import (
    HypernetClassifier,
    ImagesAndContext,
    MultiTaskImages,
    SpectrogramImages,
)
from skhyperdys.audit import (
    ChannelConfoundWarning,
    SpeechOnly,
    nonspeech_control,
    subject_bootstrap_interval,
    subject_permutation_pvalue,
)
from skhyperdys.datasets import load_voc_als, make_syllable_repetitions
from skhyperdys.encoders import SpeechEncoder
from skhyperdys.measures import DDKMeasures, VoiceMeasures

DESCRIPTION = """\
Reproduce the study of Ilias & Askounis (2025) on VOC-ALS (--voc-als PATH) or,
without it, on the built-in synthetic data with small settings: every row of
the paper and the rows it leaves out, the difference of each to the proposed
model with the corrected resampled t-test, a figure, and resumable runs.

Where the paper gives a setting, the VOC-ALS default is the paper's; where it
does not, the setting is ours and its help says so."""

# --- the rows ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of the study: a short key, its name, the tasks it reads."""

    key: str
    name: str
    tasks: tuple


ROWS = (
    Row("pa", "Hypernetwork, log-Mel, /pa/ (proposed)", ("pa",)),
    Row("ta", "Hypernetwork, log-Mel, /ta/", ("ta",)),
    Row("ka", "Hypernetwork, log-Mel, /ka/", ("ka",)),
    Row("dense", "Dense layer instead of hypernetwork", ("pa",)),
    Row("single", "Hypernetwork, one generated classifier at prediction", ("pa",)),
    Row("mfcc", "MFCC instead of log-Mel", ("pa",)),
    Row("egemaps", "eGeMAPS context instead of noise", ("pa",)),
    Row("gmu", "Fusion /pa/ + /ta/ (gated multimodal unit)", ("pa", "ta")),
    Row("concat", "Concatenation /pa/ + /ta/", ("pa", "ta")),
    Row("late", "Late fusion /pa/ + /ta/ (mean of probabilities)", ("pa", "ta")),
    Row("gmu3", "Fusion /pa/ + /ta/ + /ka/ (gated multimodal unit)",
        ("pa", "ta", "ka")),
    Row("speech-only", "Hypernetwork, /pa/, speech segments only", ("pa",)),
    Row("nonspeech", "Non-speech control (no speech; log-Mel stats + LR)",
        ("pa",)),
    Row("ge2e", "GE2E speaker embedding + hypernetwork head, /pa/", ("pa",)),
    Row("ge2e-dense", "GE2E speaker embedding + dense head, /pa/", ("pa",)),
    Row("ge2e-lr", "GE2E speaker embedding + logistic regression, /pa/", ("pa",)),
    Row("encoder", "Pretrained encoder (--encoder) + hypernetwork head, /pa/",
        ("pa",)),
    Row("encoder-dense", "Pretrained encoder (--encoder) + dense head, /pa/",
        ("pa",)),
    Row("encoder-lr", "Pretrained encoder (--encoder) + logistic regression, /pa/",
        ("pa",)),
    Row("ddk-lr", "DDK measures + logistic regression, /pa/", ("pa",)),
    Row("voice-lr", "Praat voice measures + logistic regression, vowel /a/",
        ("a",)),
    Row("ddk-context", "DDK measures as the hypernetwork's context, /pa/", ("pa",)),
)  # fmt: skip
# Rows on the clinical measures (skhyperdys.measures); voice-lr needs a
# sustained vowel, which only VOC-ALS has: skipped, with a note, without it.
MEASURE_ROWS = ("ddk-lr", "voice-lr", "ddk-context")
# Rows on a pretrained encoder's embeddings (skhyperdys.encoders); those of
# --encoder are skipped, with a note, when it is not given.
ENCODER_ROWS = ("encoder", "encoder-dense", "encoder-lr")
# The control scores the recordings that have non-speech: its folds hold a
# subset of the proposed row's test rows, so it is not paired with it.
UNPAIRED = ("nonspeech",)
ROW_KEYS = tuple(row.key for row in ROWS)
PROPOSED = "pa"
ROW_HELP = """\
rows (--variants, comma-separated keys; the proposed row always runs, as the
reference of the comparisons):
  pa       hypernetwork, log-Mel, /pa/ (the proposed model)
  ta       the same on /ta/ (not in the paper)
  ka       the same on /ka/ (not in the paper)
  dense    a dense layer instead of the hypernetwork (paper)
  single   the hypernetwork with one generated classifier at prediction,
           n_eval_contexts=1, against the proposed row's 32 (not in the paper)
  mfcc     MFCC instead of log-Mel images (paper)
  egemaps  eGeMAPS functionals as the context instead of noise (paper)
  gmu      /pa/ + /ta/ fused by a gated multimodal unit (paper)
  concat   /pa/ + /ta/ fused by concatenation (paper)
  late     late fusion: the mean of the class probabilities of a /pa/ and a
           /ta/ model (not in the paper)
  gmu3     /pa/ + /ta/ + /ka/ fused by a gated multimodal unit (not in the paper)
  speech-only the proposed model on the speech of each recording alone
           (skhyperdys.audit.SpeechOnly: no silence around it, no long pauses)
  nonspeech the non-speech control (skhyperdys.audit.nonspeech_control): a
           logistic regression on log-Mel statistics of 0.25 s of each
           recording's non-speech, 0.15 s from any speech. Above chance, the
           groups were recorded differently and every row is suspect. It
           scores the recordings with enough non-speech, and prints its
           permutation test (refitted, --control-permutations)
  ge2e     the paper's hypernetwork head on the GE2E speaker embedding of each
           recording (skhyperdys.encoders.SpeechEncoder("ge2e"): pretrained,
           its weights in the Resemblyzer wheel, no download; not in the paper)
  ge2e-dense  the same embedding, a dense head
  ge2e-lr  the same embedding, standardised, a logistic regression
  encoder  the hypernetwork head on a pretrained speech encoder's embeddings,
           --encoder ID_OR_PATH at --layer (wav2vec 2.0, HuBERT, WavLM,
           data2vec-audio, Whisper, ...; from a folder or the local Hugging Face
           cache; skipped without --encoder)
  encoder-dense the same embeddings, a dense head
  encoder-lr the same embeddings, standardised, a logistic regression
  ddk-lr   the clinical DDK measures of each /pa/ take (skhyperdys.measures.
           DDKMeasures: rate, regularity, durations, slopes, F0), NaN
           imputed by the training folds' medians (0 where a measure was
           never measured in them), standardised, a logistic
           regression (not in the paper)
  voice-lr Praat's voice measures of the sustained /a/ (VoiceMeasures: F0,
           jitter, shimmer, HNR, CPPS, formants), the same way (VOC-ALS only:
           the built-in data has no vowel; skipped without it)
  ddk-context the proposed model with the DDK measures as the hypernetwork's
           context instead of noise, as the paper's eGeMAPS row

Every row is evaluated on the same subjects (those with every task the chosen
rows need) and the same folds, so the differences are paired."""

# Where each setting comes from: the paper, or our choice where it is silent.
# (batch size and learning rate are ours: the paper gives neither)
PAPER_SETTINGS = dict(
    epochs=30, folds=5, image_size=224, weights="imagenet", batch_size=32, lr=1e-4
)
# Small enough for minutes on a 2-core CPU: a training step of AlexNet costs
# about the same at batch 8 or 16 at 64x64 (the update of its 57M weights
# dominates), so batch 16 with a larger step halves the time for as much
# learning.
DEMO_SETTINGS = dict(
    epochs=6, folds=5, image_size=64, weights="none", batch_size=16, lr=1e-3
)
SETTINGS_HELP = """\
settings (defaults with --voc-als / on the built-in data):
  epochs         30 (paper) / 6
  folds          5 (paper) / 5
  image size     224x224 (paper) / 64x64
  weights        ImageNet AlexNet (paper) / random initialisation
  batch size     32 (ours: not in the paper) / 16
  learning rate  1e-4, Adam (ours: not in the paper) / 1e-3
  split          stratified group K-fold by subject (ours: the paper says
                 5-fold cross-validation, not how it splits)
  contexts       32 generated classifiers averaged at prediction (ours: the
                 paper does not say); context size 128 (paper)
  severity       --target severity trains with class_weight="balanced" (ours)
  heads on embeddings (ge2e*, encoder*): 100 epochs, learning rate 1e-3,
                 batch 32 (ours); --head-epochs, --head-lr

statistics: for every row, the mean over the K x R folds of the difference to
the proposed row on the same fold, its 95 % interval and the two-sided p-value
of the corrected resampled t-test (Nadeau & Bengio, 2003), which widens the
plain t-test's variance for the overlap of the training sets."""
# Bump when a change to this script changes results: stored folds of other
# versions are then not reused.
PROTOCOL = 2


class _HelpFormatter(
    argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter
):
    """Raw description and epilog, defaults shown (unless None or a flag)."""

    def _split_lines(self, text, width):
        # as argparse does, but never breaking an option such as --voc-als
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _get_help_string(self, action):
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


def parse_args(argv=None):
    """Parse the command line; refuse bad combinations before any work."""
    parser = argparse.ArgumentParser(
        prog="reproduce_paper.py",
        description=DESCRIPTION,
        epilog=f"{ROW_HELP}\n\n{SETTINGS_HELP}",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--voc-als",
        type=Path,
        metavar="PATH",
        help="VOC-ALS folder (default: the built-in synthetic data)",
    )
    parser.add_argument(
        "--target",
        default="dysarthria",
        choices=["dysarthria", "als", "severity"],
        help="label: speech item < 4, ALS vs controls, or the speech item (4 "
        "classes, macro-averaged metrics); on the built-in data 'severity' is "
        "derived from the synthetic severity",
    )
    parser.add_argument(
        "--population",
        default="all",
        choices=["all", "als"],
        help="who is in the study, the two readings of the paper: 'all', ALS "
        "patients and healthy controls; 'als', the patients alone (needs "
        "--voc-als)",
    )
    parser.add_argument(
        "--variants",
        default="all",
        metavar="KEYS",
        help="comma-separated row keys (see below), or 'all'",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        metavar="R",
        help="repetitions of the K-fold split, each with another shuffle "
        "(random state + repeat) and model seed",
    )
    parser.add_argument(
        "--control-permutations",
        type=int,
        default=1000,
        metavar="N",
        help="label permutations of the non-speech control (row nonspeech); "
        "each refits the control's logistic regression on every fold",
    )
    demo = DEMO_SETTINGS
    parser.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help=f"training epochs (default: 30, the paper's; {demo['epochs']} on "
        "the built-in data)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        metavar="K",
        help="cross-validation folds (default: 5, the paper's)",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        metavar="S",
        help=f"image side (default: 224, the paper's; {demo['image_size']} on the "
        "built-in data)",
    )
    parser.add_argument(
        "--weights",
        metavar="W",
        help="'imagenet', 'none' or a state_dict path (default: 'imagenet', the "
        "paper's; 'none' on the built-in data)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        metavar="B",
        help=f"mini-batch (default: 32, ours: not in the paper; "
        f"{demo['batch_size']} on the built-in data)",
    )
    parser.add_argument(
        "--lr",
        type=float,
        metavar="LR",
        help="Adam's learning rate (default: 1e-4, ours: not in the paper; "
        f"{demo['lr']:g} on the built-in data)",
    )
    parser.add_argument(
        "--encoder",
        metavar="ID_OR_PATH",
        help="pretrained speech encoder of the encoder* rows: a folder in "
        "save_pretrained layout or a model id in the local Hugging Face cache "
        "(never downloaded); without it those rows are skipped",
    )
    parser.add_argument(
        "--layer",
        default="last",
        metavar="L",
        help="the encoder's hidden state to pool: 'last', an index, 'all' (the "
        "stack, weighted by the head) or indices separated by commas",
    )
    parser.add_argument(
        "--head-epochs",
        type=int,
        default=100,
        metavar="N",
        help="epochs of the heads on embeddings (ge2e*, encoder* rows; ours)",
    )
    parser.add_argument(
        "--head-lr",
        type=float,
        default=1e-3,
        metavar="LR",
        help="Adam's learning rate of the heads on embeddings (ours)",
    )
    parser.add_argument(
        "--device", default="cpu", metavar="DEV", help="'cpu' or 'cuda'"
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="N",
        help="seed of the folds, the models and the built-in data",
    )
    parser.add_argument(
        "--n-recordings",
        type=int,
        default=60,
        metavar="N",
        help="size of the built-in data (3 recordings per speaker)",
    )
    parser.add_argument(
        "--channel-confound",
        action="store_true",
        help="built-in data only: the speech carries no label and the dysarthric "
        "group records on another channel (make_syllable_repetitions("
        "channel_confound=True)); the nonspeech row must flag it",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("results/paper_table.csv"),
        metavar="CSV",
        help="CSV path; the figure, confusion matrices and stored folds go beside it",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing CSV"
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="recompute every fold instead of reusing stored ones",
    )
    args = parser.parse_args(argv)
    if args.output.exists() and not args.overwrite:
        parser.error(f"{args.output} exists; pass --overwrite or another --output")
    keys = [k.strip() for k in args.variants.split(",") if k.strip()]
    if keys == ["all"]:
        keys = list(ROW_KEYS)
    unknown = [k for k in keys if k not in ROW_KEYS]
    if unknown or not keys:
        parser.error(
            f"--variants: unknown row key(s) {unknown}; use some of "
            f"{','.join(ROW_KEYS)} or 'all'"
        )
    args.variants = [k for k in ROW_KEYS if k in keys or k == PROPOSED]
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.target == "als" and args.population == "als":
        parser.error(
            "--target als with --population als has one class (every subject "
            "has ALS); use --population all, or --target dysarthria or severity"
        )
    if not args.voc_als:
        if args.target == "als":
            parser.error(
                "--target als needs --voc-als: the built-in data has healthy "
                "and dysarthric-like speakers, no ALS diagnosis"
            )
        if args.population == "als":
            parser.error(
                "--population als needs --voc-als: the built-in data has no "
                "ALS patients"
            )
    defaults = PAPER_SETTINGS if args.voc_als else DEMO_SETTINGS
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.folds < 2:
        parser.error(f"--folds must be at least 2, got {args.folds}")
    if str(args.weights).lower() == "none":
        args.weights = None
    try:
        args.layer = parse_layer(args.layer)
    except ValueError:
        parser.error(
            f"--layer: expected 'last', 'all', an index or indices separated by "
            f"commas; got {args.layer!r}"
        )
    return args


def parse_layer(text):
    """``--layer``'s value as SpeechEncoder takes it."""
    if isinstance(text, (int, list)) or text in ("last", "all"):
        return text
    values = [int(v) for v in str(text).split(",")]
    return values[0] if len(values) == 1 and "," not in str(text) else values


# --- data ------------------------------------------------------------------------


def needed_tasks(keys):
    """The tasks the chosen rows read, in a fixed order (pa, ta, ka)."""
    wanted = {task for row in ROWS if row.key in keys for task in row.tasks}
    return [task for task in ("pa", "ta", "ka", "a") if task in wanted]


def severity_codes(severity):
    """Synthetic severity (0, or 0.25-1) binned into codes of the speech item.

    The built-in data has no ALSFRS-R score; its dysarthric-like speakers
    have a severity ``s`` in [0.25, 1] that scales all their deviations. Cut
    in thirds, it gives an ordinal stand-in for VOC-ALS's four levels, coded
    like ``load_voc_als(target="severity")``: 3 for healthy ("4", normal
    speech), 2 for ``s < 0.5``, 1 for ``0.5 <= s < 0.75`` and 0 (the most
    severe, "1") for ``s >= 0.75``.
    """
    severity = np.asarray(severity, dtype=float)
    level = np.digitize(severity, [1e-9, 0.5, 0.75])  # 0 healthy .. 3 severe
    return 3 - level


def load_data(args):
    """One table: a row per recording (or subject), a column per task needed.

    Every row of the study reads its columns of the same table, so all rows
    use the same subjects and the same folds.
    """
    tasks = needed_tasks(args.variants)
    if args.voc_als:
        ds = load_voc_als(
            args.voc_als,
            task=tasks,
            target=args.target,
            population=args.population,
        )
        table = np.asarray(ds.data, dtype=object).reshape(len(ds.target), -1)
        who = {"all": "ALS patients and controls", "als": "ALS patients only"}
        description = (
            f"VOC-ALS ({args.voc_als}), target={args.target}, {who[args.population]}"
        )
        return dict(
            table=table,
            tasks=tasks,
            target=ds.target,
            groups=ds.groups,
            target_names=list(ds.target_names),
            sr=ds.sr,
            description=description,
        )
    # The generator draws each subject's traits from the seed alone, so the
    # /pa/, /ta/ and /ka/ sets made with one seed hold the same subjects.
    kwargs = dict(
        n_recordings=args.n_recordings,
        channel_confound=args.channel_confound,
        random_state=args.random_state,
    )
    tasks = [task for task in tasks if task != "a"]  # no vowels: voice-lr skipped
    tasks = tasks or ["pa"]
    sets = {task: make_syllable_repetitions(syllable=task, **kwargs) for task in tasks}
    first = sets[tasks[0]]
    table = np.empty((len(first.data), len(tasks)), dtype=object)
    for column, task in enumerate(tasks):
        table[:, column] = sets[task].data
    if args.target == "severity":
        target = severity_codes(first.severity)
        names = ["1", "2", "3", "4"]
        label = "target=severity (synthetic severity in thirds, 4 classes)"
    else:
        target, names, label = first.target, list(first.target_names), ""
    description = "built-in synthetic data (NOT VOC-ALS), small settings"
    if args.channel_confound:
        description += ", CHANNEL-CONFOUNDED on purpose"
    return dict(
        table=table,
        tasks=tasks,
        target=target,
        groups=first.groups,
        target_names=names,
        sr=first.sr,
        description=f"{description}, {label}" if label else description,
    )


def row_input(data, row):
    """The row's X: a list of recordings (one task) or a (n, n_tasks) table."""
    columns = [data["tasks"].index(task) for task in row.tasks]
    if len(columns) == 1:
        return list(data["table"][:, columns[0]])
    return data["table"][:, columns]


def take(X, index):
    """Rows ``index`` of a list of recordings or of a table."""
    if isinstance(X, list):
        return [X[i] for i in index]
    return X[index]


# --- models ----------------------------------------------------------------------


class LateFusion(ClassifierMixin, BaseEstimator):
    """Late fusion: one model per task, their class probabilities averaged.

    X is a table with one column per task (``load_voc_als(task=[...])``'s wide
    layout); a clone of ``estimator`` is fitted on each column.

    Parameters
    ----------
    estimator : classifier
        Fitted on one column of X (a list of recordings); needs
        ``predict_proba``.

    Attributes
    ----------
    estimators_ : list of classifiers
        The model of each column.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    @staticmethod
    def _table(X):
        X = np.asarray(X, dtype=object)
        if X.ndim != 2:
            raise ValueError(
                f"LateFusion needs a table (n_samples, n_tasks); got shape {X.shape}."
            )
        return X

    def fit(self, X, y):
        """Fit one clone of ``estimator`` per column of X."""
        X = self._table(X)
        self.estimators_ = [
            clone(self.estimator).fit(list(X[:, j]), y) for j in range(X.shape[1])
        ]
        self.classes_ = self.estimators_[0].classes_
        return self

    def predict_proba(self, X):
        """The mean of the columns' models' class probabilities."""
        check_is_fitted(self)
        X = self._table(X)
        if X.shape[1] != len(self.estimators_):
            raise ValueError(
                f"X has {X.shape[1]} task columns; LateFusion was fitted on "
                f"{len(self.estimators_)}."
            )
        return np.mean(
            [
                est.predict_proba(list(X[:, j]))
                for j, est in enumerate(self.estimators_)
            ],
            axis=0,
        )

    def predict(self, X):
        """The class of highest mean probability."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def build(key, args, sr, seed):
    """The estimator of row ``key``, seeded with ``seed``."""
    size = (args.image_size, args.image_size)
    class_weight = "balanced" if args.target == "severity" else None  # ours

    def clf(**params):
        return HypernetClassifier(
            weights=args.weights,
            max_epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            device=args.device,
            random_state=seed,
            class_weight=class_weight,
            **params,
        )

    def images(**params):
        return SpectrogramImages(sr=sr, image_size=size, **params)

    def single(**params):
        return Pipeline([("images", images()), ("clf", clf(**params))])

    if key in ("pa", "ta", "ka"):
        return single()
    if key == "dense":
        return single(head="dense")
    if key == "single":
        return single(n_eval_contexts=1)
    if key == "mfcc":
        return Pipeline([("images", images(features="mfcc")), ("clf", clf())])
    if key == "egemaps":
        return Pipeline(
            [("features", ImagesAndContext(images())), ("clf", clf(context="data"))]
        )
    if key in ("gmu", "gmu3", "concat"):
        fusion = "concat" if key == "concat" else "gmu"
        return Pipeline(
            [("images", MultiTaskImages(images())), ("clf", clf(fusion=fusion))]
        )
    if key == "late":
        return LateFusion(single())
    if key == "speech-only":
        return Pipeline(
            [("speech", SpeechOnly(sr=sr)), ("images", images()), ("clf", clf())]
        )
    if key.startswith(("ge2e", "encoder")):
        return embedding_row(key, args, sr, seed, class_weight)
    if key in ("ddk-lr", "voice-lr"):
        measures = DDKMeasures(sr=sr) if key == "ddk-lr" else VoiceMeasures(sr=sr)
        return Pipeline(
            [
                ("measures", measures),
                ("impute", _imputer()),
                ("scale", StandardScaler()),
                ("clf", LogisticRegression(max_iter=5000, class_weight=class_weight)),
            ]
        )
    if key == "ddk-context":
        context = Pipeline([("ddk", DDKMeasures(sr=sr)), ("impute", _imputer())])
        return Pipeline(
            [
                ("features", ImagesAndContext(images(), context)),
                ("clf", clf(context="data")),
            ]
        )
    raise ValueError(f"unknown row key {key!r}")


def _imputer():
    """The training folds' median for a measure's NaN (0 if never measured)."""
    return SimpleImputer(strategy="median", keep_empty_features=True)


def embedding_row(key, args, sr, seed, class_weight):
    """A row on a pretrained encoder's embeddings: head or logistic regression."""
    if key.startswith("ge2e"):
        encoder = SpeechEncoder("ge2e", sr=sr)
    else:
        encoder = SpeechEncoder(args.encoder, layer=args.layer, sr=sr)
    encoder.set_params(memory=getattr(args, "embedding_cache", None))
    encoder.set_params(device=args.device)
    if key.endswith("-lr"):
        return Pipeline(
            [
                ("encoder", encoder),
                ("scale", StandardScaler()),
                ("clf", LogisticRegression(max_iter=5000, class_weight=class_weight)),
            ]
        )
    head = HypernetClassifier(
        head="dense" if key.endswith("-dense") else "hyper",
        max_epochs=args.head_epochs,
        lr=args.head_lr,
        batch_size=32,
        device=args.device,
        random_state=seed,
        class_weight=class_weight,
    )
    return Pipeline([("encoder", encoder), ("clf", head)])


# --- metrics and statistics ------------------------------------------------------

METRICS = ("accuracy", "precision", "recall", "f1", "specificity")


def fold_scores(y_true, y_pred, multiclass):
    """The five metrics of one test fold, as fractions.

    Binary: class 1 is positive, specificity is the recall of class 0,
    precision is 0 in a fold without positive predictions. Multiclass
    (severity): precision, recall, F1 and specificity are macro-averaged over
    the classes present in the fold's labels or predictions; the specificity
    of a class is the recall of all the others (TN / (TN + FP)).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    scores = {"accuracy": accuracy_score(y_true, y_pred)}
    if not multiclass:
        scores["precision"] = precision_score(y_true, y_pred, zero_division=0)
        scores["recall"] = recall_score(y_true, y_pred, zero_division=0)
        scores["f1"] = f1_score(y_true, y_pred, zero_division=0)
        scores["specificity"] = recall_score(
            y_true, y_pred, pos_label=0, zero_division=0
        )
        return {k: float(v) for k, v in scores.items()}
    kw = dict(average="macro", zero_division=0)
    scores["precision"] = precision_score(y_true, y_pred, **kw)
    scores["recall"] = recall_score(y_true, y_pred, **kw)
    scores["f1"] = f1_score(y_true, y_pred, **kw)
    labels = np.union1d(y_true, y_pred)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    fp = cm.sum(axis=0) - np.diag(cm)
    tn = cm.sum() - cm.sum(axis=0) - cm.sum(axis=1) + np.diag(cm)
    scores["specificity"] = np.mean(tn / np.maximum(tn + fp, 1))
    return {k: float(v) for k, v in scores.items()}


def corrected_resampled_ttest(differences, test_train_ratio):
    """Two-sided corrected resampled t-test for paired cross-validation scores.

    Nadeau, C. & Bengio, Y. (2003), "Inference for the generalization
    error", *Machine Learning* 52, 239-281. The ``J = K x R`` fold scores of
    an R-times repeated K-fold cross-validation are not independent (their
    training sets overlap), so the plain t-test's variance ``s^2 / J`` is too
    small. The correction replaces it by ``(1 / J + n_test / n_train) s^2``
    and keeps ``J - 1`` degrees of freedom.

    Parameters
    ----------
    differences : array-like of shape (J,)
        Per fold, the score of a model minus that of the reference, both on
        the same fold.
    test_train_ratio : float
        ``n_test / n_train``, the sizes of a fold's test and training parts
        (their means over the folds when they vary).

    Returns
    -------
    mean : float
        The mean difference.
    t : float
        The t statistic (``inf`` in size when the differences are equal and
        not zero, ``nan`` when they are all zero).
    p : float
        The two-sided p-value (1 when every difference is zero, 0 when they
        are equal and not zero).
    """
    d = np.asarray(differences, dtype=float)
    J = len(d)
    if J < 2:
        raise ValueError(f"the test needs at least 2 folds, got {J}.")
    mean = float(d.mean())
    variance = (1 / J + test_train_ratio) * d.var(ddof=1)
    if variance == 0:
        return (
            mean,
            (np.nan if mean == 0 else np.copysign(np.inf, mean)),
            float(mean == 0),
        )
    t = mean / np.sqrt(variance)
    return mean, float(t), float(2 * stats.t.sf(abs(t), J - 1))


def corrected_interval(values, test_train_ratio, confidence=0.95):
    """Mean of fold scores and its t-interval with Nadeau & Bengio's variance.

    The same correction as :func:`corrected_resampled_ttest`: the interval is
    ``mean ± t_{J-1} sqrt((1 / J + n_test / n_train) s^2)``.

    Returns
    -------
    mean, low, high : float
    """
    v = np.asarray(values, dtype=float)
    J = len(v)
    half = stats.t.ppf(0.5 + confidence / 2, J - 1) * np.sqrt(
        (1 / J + test_train_ratio) * v.var(ddof=1)
    )
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


# --- folds on disk -----------------------------------------------------------------


def splits(data, args):
    """(repeat, fold, train, test) of every fold: the same for every row."""
    y, groups = data["target"], data["groups"]
    out = []
    for repeat in range(args.repeats):
        cv = StratifiedGroupKFold(
            args.folds, shuffle=True, random_state=args.random_state + repeat
        )
        for fold, (train, test) in enumerate(cv.split(np.zeros(len(y)), y, groups)):
            out.append((repeat, fold, train, test))
    return out


def settings_key(args, data):
    """Hash of everything that changes a fold's result, and the settings."""
    fingerprint = hashlib.sha256()
    for part in (data["groups"], data["target"], data["tasks"]):
        fingerprint.update(json.dumps([str(x) for x in part]).encode())
    settings = dict(
        protocol=PROTOCOL,
        skhyperdys=skhyperdys.__version__,
        data=str(args.voc_als.resolve()) if args.voc_als else "built-in",
        n_recordings=None if args.voc_als else args.n_recordings,
        target=args.target,
        population=args.population,
        epochs=args.epochs,
        folds=args.folds,
        image_size=args.image_size,
        weights=None if args.weights is None else str(args.weights),
        batch_size=args.batch_size,
        lr=args.lr,
        device=args.device,
        random_state=args.random_state,
        encoder=None if args.encoder is None else str(args.encoder),
        layer=args.layer,
        head_epochs=args.head_epochs,
        head_lr=args.head_lr,
        subjects_and_labels=fingerprint.hexdigest(),
    )
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12], settings


class FoldStore:
    """One JSON file per finished (row, repeat, fold), under a settings hash."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def path(self, key, repeat, fold):
        return self.folder / f"{key}_r{repeat}_f{fold}.json"

    def load(self, key, repeat, fold, test):
        """The stored record, or None (absent, unreadable, other test set)."""
        path = self.path(key, repeat, fold)
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if record.get("test_index") != [int(i) for i in test]:
            return None
        return record

    def save(self, record):
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(record["row"], record["repeat"], record["fold"])
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        os.replace(tmp, path)  # a fold is on disk whole or not at all


def fit_predict(estimator, X_train, y_train, X_test):
    """Fit on the training part, predict the test part."""
    return estimator.fit(X_train, y_train).predict(X_test)


def run_row(row, data, folds, args, store):
    """Every fold of one row: reused from ``store`` or computed and stored."""
    X, y = row_input(data, row), data["target"]
    multiclass = len(data["target_names"]) > 2
    records, todo = [], []
    for repeat, fold, train, test in folds:
        record = None if args.fresh else store.load(row.key, repeat, fold, test)
        if record is None:
            todo.append((repeat, fold, train, test))
        else:
            records.append(record)
    reused = len(records)
    bar = tqdm(
        total=len(folds), initial=reused, desc=f"{row.key:>8}", unit="fold",
        file=sys.stderr, leave=True, dynamic_ncols=True,
    )  # fmt: skip
    try:
        for repeat, fold, train, test in todo:
            estimator = build(row.key, args, data["sr"], args.random_state + repeat)
            start = time.perf_counter()
            y_pred = fit_predict(estimator, take(X, train), y[train], take(X, test))
            record = dict(
                row=row.key,
                repeat=repeat,
                fold=fold,
                scores=fold_scores(y[test], y_pred, multiclass),
                test_index=[int(i) for i in test],
                y_true=[int(v) for v in y[test]],
                y_pred=[int(v) for v in y_pred],
                n_train=len(train),
                n_test=len(test),
                seconds=round(time.perf_counter() - start, 3),
            )
            store.save(record)
            records.append(record)
            bar.update()
    finally:
        bar.close()
    records.sort(key=lambda r: (r["repeat"], r["fold"]))
    return records, reused


class SubjectFolds:
    """The study's folds of one repeat, by subject, for any subset of recordings."""

    def __init__(self, fold_of_subject, n_splits):
        self.fold_of_subject = fold_of_subject
        self.n_splits = n_splits

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def split(self, X, y=None, groups=None):
        folds = np.array([self.fold_of_subject[g] for g in groups])
        for fold in range(self.n_splits):
            yield np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)


def run_control(row, data, folds, args):
    """The non-speech control on the study's folds: fold records and its results.

    Each repeat's folds are the proposed row's, subject by subject; the
    recordings without 0.25 s of non-speech are left out of every fold.
    """
    X, y, groups = row_input(data, row), data["target"], data["groups"]
    multiclass = len(data["target_names"]) > 2
    records, controls = [], []
    for repeat in sorted({f[0] for f in folds}):
        these = [f for f in folds if f[0] == repeat]
        fold_of = {g: fold for _, fold, _, test in these for g in groups[test]}
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ChannelConfoundWarning)
            result = nonspeech_control(
                X, y, groups=groups, cv=SubjectFolds(fold_of, len(these)),
                sr=data["sr"], n_permutations=args.control_permutations,
                random_state=args.random_state + repeat,
            )  # fmt: skip
        controls.append(result)
        predicted = dict(zip(result.used.tolist(), result.y_pred, strict=True))
        for _, fold, train, test in these:
            test = [int(i) for i in test if i in predicted]
            if not test:
                continue
            y_pred = np.array([predicted[i] for i in test])
            records.append(
                dict(
                    row=row.key,
                    repeat=repeat,
                    fold=fold,
                    scores=fold_scores(y[test], y_pred, multiclass),
                    test_index=test,
                    y_true=[int(v) for v in y[test]],
                    y_pred=[int(v) for v in y_pred],
                    n_train=int(np.isin(train, result.used).sum()),
                    n_test=len(test),
                    seconds=round(time.perf_counter() - start, 3),
                )
            )
    return records, controls


def subject_statistics(records, groups, seed):
    """Accuracy's subject-bootstrap 95 % interval and its p against chance.

    Pools every fold (and repeat) of a row; subjects, not recordings, are
    resampled and permuted (``skhyperdys.audit``). The p-value permutes the
    labels against the fixed out-of-fold predictions (nothing refitted).
    """
    index = np.concatenate([r["test_index"] for r in records])
    y_true = np.concatenate([r["y_true"] for r in records])
    y_pred = np.concatenate([r["y_pred"] for r in records])
    who = np.asarray(groups)[index]
    low, high = subject_bootstrap_interval(y_true, y_pred, who, random_state=seed)
    p = subject_permutation_pvalue(y_true, y_pred, who, random_state=seed)
    return 100 * low, 100 * high, p


# --- the table ---------------------------------------------------------------------


def summarise(rows, results, n_classes, multiclass, groups=None, seed=0):
    """The table (one line per row) and the confusion matrices.

    With ``groups``, every row also gets the subject-bootstrap interval of
    its accuracy and the p-value of its accuracy against chance.
    """
    reference = results.get(PROPOSED)
    lines, confusion = [], {}
    for row in rows:
        records = results.get(row.key)
        if records is None:
            continue
        ratio = np.mean([r["n_test"] for r in records]) / np.mean(
            [r["n_train"] for r in records]
        )
        line = {
            "method": row.name,
            "key": row.key,
            "n": len(records[0]["y_true"]) + records[0]["n_train"],
            "folds": len(records),
        }
        for metric in METRICS:
            values = np.array([r["scores"][metric] for r in records])
            mean, low, high = corrected_interval(values, ratio)
            line[f"{metric}_mean"] = 100 * mean
            line[f"{metric}_std"] = 100 * values.std()
            line[f"{metric}_low"], line[f"{metric}_high"] = 100 * low, 100 * high
            paired = row.key != PROPOSED and row.key not in UNPAIRED
            if reference is not None and paired:
                base = np.array([r["scores"][metric] for r in reference])
                diff, _, p = corrected_resampled_ttest(values - base, ratio)
                _, dlow, dhigh = corrected_interval(values - base, ratio)
                line[f"{metric}_diff"] = 100 * diff
                line[f"{metric}_diff_low"] = 100 * dlow
                line[f"{metric}_diff_high"] = 100 * dhigh
                line[f"{metric}_p"] = p
        if groups is not None:
            low, high, p = subject_statistics(records, groups, seed)
            line["accuracy_ci_low"], line["accuracy_ci_high"] = low, high
            line["p_chance"] = p
        lines.append(line)
        cm = np.zeros((n_classes, n_classes), dtype=int)
        for r in records:
            cm += confusion_matrix(r["y_true"], r["y_pred"], labels=range(n_classes))
        confusion[row.key] = cm
    columns = ["method", "key", "n", "folds"] + [
        f"{metric}_{suffix}"
        for metric in METRICS
        for suffix in (
            "mean",
            "std",
            "low",
            "high",
            "diff",
            "diff_low",
            "diff_high",
            "p",
        )
    ]
    columns += ["accuracy_ci_low", "accuracy_ci_high", "p_chance"]
    return pd.DataFrame(lines).reindex(columns=columns), confusion


def primary_metric(multiclass):
    """The metric compared in the printed table and the figure."""
    return "f1" if multiclass else "accuracy"


def format_table(table, multiclass=False):
    """The paper's layout, plus the difference to the proposed row and its p."""
    shown = pd.DataFrame({"Method": table["method"]})
    macro = " (macro)" if multiclass else ""
    for metric in METRICS:
        name = "F1" if metric == "f1" else metric.capitalize()
        if metric != "accuracy":
            name += macro
        shown[name] = [
            f"{m:.2f} ± {s:.2f}"
            for m, s in zip(
                table[f"{metric}_mean"], table[f"{metric}_std"], strict=True
            )
        ]
    metric = primary_metric(multiclass)
    label = "F1" if metric == "f1" else "acc."
    shown[f"Δ {label}"] = [
        "" if np.isnan(d) else f"{d:+.2f} [{lo:+.1f}, {hi:+.1f}]"
        for d, lo, hi in zip(
            table[f"{metric}_diff"],
            table[f"{metric}_diff_low"],
            table[f"{metric}_diff_high"],
            strict=True,
        )
    ]
    shown["p"] = ["" if np.isnan(p) else f"{p:.3f}" for p in table[f"{metric}_p"]]
    if table["p_chance"].notna().any():
        shown["acc. 95 % CI (subjects)"] = [
            f"[{lo:.1f}, {hi:.1f}]"
            for lo, hi in zip(
                table["accuracy_ci_low"], table["accuracy_ci_high"], strict=True
            )
        ]
        shown["p (chance)"] = [f"{p:.4f}" for p in table["p_chance"]]
    return shown.to_string(index=False)


def format_confusion(cm, names):
    frame = pd.DataFrame(
        cm, index=[f"true {n}" for n in names], columns=[f"pred {n}" for n in names]
    )
    return frame.to_string()


def plot_study(table, metric, path, title):
    """Each row's mean with its 95 % interval, and its difference to the proposed."""
    import matplotlib.pyplot as plt

    n = len(table)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(11, 0.45 * n + 1.6), sharey=True, layout="constrained"
    )
    ypos = np.arange(n)[::-1]
    mean = table[f"{metric}_mean"].to_numpy()
    err = [mean - table[f"{metric}_low"], table[f"{metric}_high"] - mean]
    left.errorbar(mean, ypos, xerr=err, fmt="o", color="C0", capsize=3)
    proposed = table.loc[table["key"] == PROPOSED, f"{metric}_mean"]
    if len(proposed):
        left.axvline(proposed.iloc[0], color="0.5", lw=1, ls="--")
    left.set_xlim(0, 100)
    left.set_yticks(ypos, table["method"])
    left.set_xlabel(f"{metric} (%), mean and 95 % interval")
    diff = table[f"{metric}_diff"].to_numpy()
    derr = [diff - table[f"{metric}_diff_low"], table[f"{metric}_diff_high"] - diff]
    right.errorbar(diff, ypos, xerr=derr, fmt="o", color="C1", capsize=3)
    right.axvline(0, color="0.5", lw=1)
    for y, d, p in zip(ypos, diff, table[f"{metric}_p"], strict=True):
        if not np.isnan(p):
            right.annotate(f"p={p:.2f}", (d, y), textcoords="offset points",
                           xytext=(0, 6), ha="center", fontsize=8)  # fmt: skip
    right.set_xlabel(f"difference to the proposed row ({metric}, points)")
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=100)
    return fig


# --- main ------------------------------------------------------------------------


def output_paths(output):
    """The figure, the confusion matrices and the fold folder beside the CSV."""
    stem = output.with_suffix("")
    return dict(
        figure=stem.with_name(stem.name + ".png"),
        confusion=stem.with_name(stem.name + "_confusion.csv"),
        folds=stem.with_name(stem.name + "_folds"),
    )


def check_encoder(args):
    """Stop before any work if the --encoder rows cannot load their encoder."""
    if args.encoder is None or not set(ENCODER_ROWS) & set(args.variants):
        return
    try:
        SpeechEncoder(args.encoder, layer=args.layer).fit([np.zeros(16000)])
    except (OSError, ImportError, ValueError) as err:
        sys.exit(f"reproduce_paper.py: --encoder {args.encoder}: {err}")


def main(argv=None):
    args = parse_args(argv)
    check_encoder(args)
    data = load_data(args)
    names = [str(n) for n in data["target_names"]]
    multiclass = len(names) > 2
    print(f"data: {data['description']}")
    print(
        f"settings: {args.folds}-fold stratified group K-fold by subject (ours; "
        f"the paper: 5-fold CV) x {args.repeats} repeat(s), {args.epochs} epochs, "
        f"{args.image_size}x{args.image_size} images, weights={args.weights}, "
        f"batch {args.batch_size} (ours), lr {args.lr} (ours), 32 contexts at "
        f"prediction (ours), device {args.device}"
    )
    rows = [row for row in ROWS if row.key in args.variants]
    folds = splits(data, args)
    key, settings = settings_key(args, data)
    paths = output_paths(args.output)
    store = FoldStore(paths["folds"] / key)
    store.folder.mkdir(parents=True, exist_ok=True)
    # each recording embedded once, whatever the rows, folds and repeats
    args.embedding_cache = str(store.folder / "embeddings")
    (store.folder / "settings.json").write_text(json.dumps(settings, indent=1))
    results, controls, n_reused, n_total = {}, [], 0, 0
    n_subjects = len(set(data["groups"]))
    try:
        for row in rows:
            print(
                f"\n== {row.name} [{row.key}]: {len(data['target'])} rows, "
                f"{n_subjects} subjects, {len(folds)} folds",
                flush=True,
            )
            start = time.perf_counter()
            if any(task not in data["tasks"] for task in row.tasks):
                print(
                    f"   skipped: needs the task(s) {list(row.tasks)}, which this "
                    "data does not hold (a sustained vowel: VOC-ALS, --voc-als)"
                )
                continue
            if row.key in ENCODER_ROWS and args.encoder is None:
                print(
                    "   skipped: needs --encoder ID_OR_PATH (a pretrained speech "
                    "encoder's folder or model id; the ge2e rows need none)"
                )
                continue
            try:
                if row.key == "nonspeech":
                    records, controls = run_control(row, data, folds, args)
                    reused = 0
                else:
                    records, reused = run_row(row, data, folds, args, store)
            except ImportError as err:  # eGeMAPS without opensmile, GE2E without
                # Resemblyzer, encoders without transformers
                print(f"   skipped: {err}")
                continue
            except ValueError as err:  # the control: too little non-speech
                if row.key != "nonspeech":
                    raise
                print(f"   skipped: {err}")
                continue
            results[row.key] = records
            n_reused += reused
            n_total += len(records)
            print(
                f"   reused {reused} of {len(records)} folds; done in "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
    except BaseException:
        print(
            f"\ninterrupted: the finished folds are stored in {store.folder}; "
            "run the same command again to continue from them",
            flush=True,
        )
        raise

    table, confusion = summarise(
        rows, results, len(names), multiclass, data["groups"], args.random_state
    )
    metric = primary_metric(multiclass)
    print(
        f"\nResults ({data['description']}; % mean ± std over {args.folds} folds "
        f"x {args.repeats} repeat(s); Δ: difference in {metric} to the proposed "
        "row on the same folds [95 % interval], p: corrected resampled t-test)\n"
    )
    print(format_table(table, multiclass))
    print(
        "\nacc. 95 % CI (subjects): bootstrap over subjects of the out-of-fold "
        "accuracy; p (chance): the same accuracy against labels permuted between "
        "subjects (9,999 permutations, nothing refitted)"
    )
    if "nonspeech" in results:
        for repeat, control in enumerate(controls):
            verdict = (
                "FLAGGED: the labels can be predicted without speech; every row "
                "above is suspect"
                if control.pvalue < 0.01
                else "not flagged (which does not prove there is no confound)"
            )
            print(
                f"non-speech control, repeat {repeat}: balanced accuracy "
                f"{control.score:.3f} (chance {control.chance:.3f}), p = "
                f"{control.pvalue:.4f} ({args.control_permutations} permutations, "
                f"refitted), {len(control.used)} recordings used, "
                f"{len(control.left_out)} without non-speech: {verdict}"
            )
    if multiclass:
        print("\nConfusion matrices, summed over the folds (each row once per repeat):")
        for row in rows:
            if row.key in confusion:
                print(f"\n{row.name}\n{format_confusion(confusion[row.key], names)}")
    print(f"\nreused {n_reused} of {n_total} folds stored in {store.folder}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    rounded = table.copy()
    for column in rounded.columns:
        if column.endswith("_p"):
            rounded[column] = rounded[column].map(
                lambda p: p if np.isnan(p) else float(f"{p:.4g}")
            )
        elif rounded[column].dtype.kind == "f":
            rounded[column] = rounded[column].round(2)
    rounded.to_csv(args.output, index=False)
    cm_rows = [
        dict(method=key, true=names[i], predicted=names[j], count=int(cm[i, j]))
        for key, cm in confusion.items()
        for i in range(len(names))
        for j in range(len(names))
    ]
    pd.DataFrame(cm_rows).to_csv(paths["confusion"], index=False)
    print(f"written: {args.output}, {paths['confusion']}")
    try:
        title = (
            f"{data['description']}\n{args.folds}-fold CV x {args.repeats} "
            f"repeat(s), {args.epochs} epochs, {args.image_size}x{args.image_size}"
        )
        plot_study(table, metric, paths["figure"], title)
        print(f"figure: {paths['figure']}")
    except ImportError:
        print("figure skipped: matplotlib is not installed")
    return table


if __name__ == "__main__":
    main(sys.argv[1:])
