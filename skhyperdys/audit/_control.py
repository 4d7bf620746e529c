"""Is it speech or the microphone? The non-speech control and noise equalisation."""

import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import check_scoring
from sklearn.model_selection import StratifiedGroupKFold, check_cv
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch, check_random_state
from tqdm.auto import tqdm

from .._validation import check_waveforms, read_waveform
from ._detection import (
    DETECTORS,
    detect_speech,
    nonspeech_clip,
    nonspeech_parts,
)
from ._features import LogMelStatistics

# p-value below which the control flags a study (and warns).
FLAG_LEVEL = 0.01


class ChannelConfoundWarning(UserWarning):
    """The labels can be predicted from the recordings' non-speech alone.

    :func:`nonspeech_control` warns so when its p-value is below 0.01: the
    groups were likely recorded differently, and the scores of any model on
    these recordings are suspect.

    Parameters
    ----------
    *args
        The message, as for any warning.

    Examples
    --------
    >>> from skhyperdys.audit import ChannelConfoundWarning
    >>> issubclass(ChannelConfoundWarning, UserWarning)
    True
    """


def default_control_estimator(sr=8000):
    """The non-speech control's default: log-Mel statistics and logistic regression.

    Chosen by measurement (see :func:`nonspeech_control`): on the built-in
    data it separates a channel confound perfectly and stays at chance
    without one, and it fits in milliseconds, so thousands of permutations
    take seconds.

    Parameters
    ----------
    sr : int, default=8000
        Sample rate of the clips.

    Returns
    -------
    estimator : Pipeline
        ``LogMelStatistics(sr) -> StandardScaler -> LogisticRegression``.

    Examples
    --------
    >>> from skhyperdys.audit import default_control_estimator
    >>> [name for name, _ in default_control_estimator().steps]
    ['logmelstatistics', 'standardscaler', 'logisticregression']
    """
    return make_pipeline(
        LogMelStatistics(sr=sr),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )


def _check_labels(y, groups, n):
    y = np.asarray(y)
    if groups is None:
        raise ValueError(
            "groups (subject ids) are required: the control splits and permutes "
            "by subject."
        )
    groups = np.asarray(groups)
    if y.shape != (n,) or groups.shape != (n,):
        raise ValueError(
            f"X holds {n} recordings; y has shape {y.shape} and groups "
            f"{groups.shape}; each needs one entry per recording."
        )
    subjects, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    label_of = y[first]
    mixed = np.flatnonzero(y != label_of[inverse])
    if len(mixed):
        i = mixed[0]
        raise ValueError(
            f"subject {groups[i].item()!r} has recordings labelled "
            f"{label_of[inverse[i]].item()!r} and {y[i].item()!r}; the control "
            "permutes labels between subjects, so each subject needs one label."
        )
    if len(np.unique(y)) < 2:
        raise ValueError("y holds one class; the control needs at least two.")
    return y, groups


def _stateless_head(estimator):
    """Split off a first step that learns nothing: (step, rest), else (None, est)."""
    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        first = estimator.steps[0][1]
        if first != "passthrough" and not first.__sklearn_tags__().requires_fit:
            return first, estimator[1:]
    return None, estimator


def _fold_scores(estimator, X, y, groups, cv, scorer, predictions=False):
    """Score of each fold, and the out-of-fold predictions when asked."""
    scores, y_pred = [], np.empty_like(y) if predictions else None
    for train, test in cv.split(X, y, groups):
        if len(np.unique(y[train])) < 2:
            # Fixed folds under permuted labels can leave one class in a
            # training part: the best a model can do then is a constant.
            fitted = DummyClassifier(strategy="most_frequent")
        else:
            fitted = clone(estimator)
        fitted.fit(X[train], y[train])
        scores.append(scorer(fitted, X[test], y[test]))
        if predictions:
            y_pred[test] = fitted.predict(X[test])
    return np.asarray(scores), y_pred


def permute_by_subject(y, groups, rng):
    """Shuffle labels between subjects; every recording keeps its subject's label.

    scikit-learn's ``permutation_test_score(groups=...)`` permutes labels
    *within* each group, which leaves subject-constant labels unchanged;
    this is the permutation that matches subject-wise splits.
    """
    subjects, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    return y[first][rng.permutation(len(subjects))][inverse]


def nonspeech_control(
    X,
    y,
    *,
    groups,
    estimator=None,
    cv=None,
    sr=8000,
    detector="energy",
    margin=0.15,
    duration=0.25,
    scoring="balanced_accuracy",
    n_permutations=1000,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    """Can the labels be predicted from the recordings' non-speech alone?

    The control of Schu, Janbakhshi & Kodrasi (2022): if a classifier tells
    the groups apart from the parts of the recordings where nobody speaks,
    the groups were recorded differently (room, phone, gain, noise), and any
    model trained on these recordings can score by the recording set-up
    instead of the speech.

    For each recording, a voice-activity detector marks the speech; one clip
    of ``duration`` seconds is cut from the middle of the longest stretch
    that lies more than ``margin`` seconds from any speech (no speech,
    breath or reverberation in it; the same length for every recording, so
    the length of pauses carries no label). ``estimator`` is cross-validated
    on those clips subject-wise, and a permutation test shuffles the labels
    between subjects ``n_permutations`` times and cross-validates again.

    **What a flag means** (small ``pvalue``): the labels can be predicted
    without speech; the score of *any* model on these recordings is suspect
    until the channel difference is removed or shown not to matter (e.g.
    :class:`SpeechOnly` with ``equalise_noise=True``, and this control run
    again on the equalised recordings). **What no flag does not mean**: that
    there is no confound. The channel can differ in ways this estimator does
    not see in a quarter second of noise (a codec, a gain that only shows
    under speech), few subjects give the test little power, and the
    recordings left out for lack of non-speech are not tested.

    Parameters
    ----------
    X : sequence of 1-D array-like or audio file paths, or 2-D array
        The recordings, as for :class:`~skhyperdys.SpectrogramImages`
        (waveforms at ``sr``, ``(waveform, rate)`` pairs, or paths).
    y : array-like of shape (n_recordings,)
        Labels, one per subject (every recording of a subject has the same).
    groups : array-like of shape (n_recordings,)
        Subject ids: folds and permutations are by subject.
    estimator : estimator or None, default=None
        Fitted on 2-D arrays of non-speech clips at ``sr`` (one clip per
        row), so any pipeline of this library that takes waveforms works
        (e.g. ``SpectrogramImages -> HypernetClassifier``; slow with
        permutations). A first pipeline step that learns nothing (such as
        :class:`LogMelStatistics` or :class:`~skhyperdys.SpectrogramImages`)
        is computed once, not once per fit. None:
        :func:`default_control_estimator`.
    cv : int, cross-validation generator or None, default=None
        Splitter, called with ``groups``; it must keep subjects apart. None:
        ``StratifiedGroupKFold(5, shuffle=True)`` seeded from
        ``random_state``; an int: that many such folds.
    sr : int, default=8000
        Sample rate of waveform inputs; files are resampled to it.
    detector : {"energy", "silero"}, default="energy"
        The voice-activity detector, see :func:`detect_speech`.
    margin : float, default=0.15
        Seconds between a clip and the nearest speech frame.
    duration : float, default=0.25
        Seconds in each clip.
    scoring : str or callable, default="balanced_accuracy"
        As in scikit-learn's ``cross_validate``; the default's chance level
        is 0.5 for two classes, whatever the class balance.
    n_permutations : int, default=1000
        Label permutations; the smallest possible p-value is
        ``1 / (n_permutations + 1)``. 0 skips the test.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds and the permutations.
    n_jobs : int or None, default=None
        joblib workers for the permutations.
    verbose : int, default=0
        If > 0, show progress bars.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        score : float
            Mean cross-validated score on the true labels.
        fold_scores : ndarray of shape (n_splits,)
            The score of each fold.
        chance : float
            The mean of the permutation scores: the score without
            information (NaN without permutations).
        pvalue : float
            ``(1 + #{permutation scores >= score}) / (1 + n_permutations)``
            (NaN without permutations).
        permutation_scores : ndarray of shape (n_permutations,)
            The mean cross-validated score under each permutation.
        y_pred : ndarray of shape (n_used,)
            Out-of-fold predictions for the recordings used.
        used : ndarray of int
            Indices (into ``X``) of the recordings that gave a clip.
        left_out : ndarray of int
            Indices of those without ``duration`` seconds of non-speech
            ``margin`` seconds from speech.
        clips : ndarray of shape (n_used, round(duration * sr)), float32
            The non-speech clips, to listen to.
        n_subjects : int
            Subjects among the recordings used.

    Raises
    ------
    ValueError
        If ``groups`` is missing, the lengths differ, a subject has two
        labels, there is one class, a setting is out of range, or too few
        subjects of a class have non-speech for the folds.

    Warns
    -----
    ChannelConfoundWarning
        When ``pvalue < 0.01``: the control *flags* the recordings. (At 0.05,
        one clean study in twenty would be flagged.)

    See Also
    --------
    SpeechOnly : Keep the speech of each recording; equalise the noise floor.
    skhyperdys.datasets.make_syllable_repetitions : Its ``channel_confound``
        makes data the control must flag.

    Notes
    -----
    Measured on the built-in data (60 subjects x 3 recordings, 5 folds,
    1000 permutations; ``benchmarks/nonspeech_control.py``): with a channel
    confound the default scores 1.00 (p = 0.001); with the speech differing
    and the channel not, 0.41-0.59 (p >= 0.2). Silero VAD misses the
    built-in data's synthetic speech and left enough of it in the
    "non-speech" to score 0.77-0.81 on the clean corpus, so the default
    detector is the energy one; on real recordings with loud, changing
    background sound, try ``detector="silero"``.

    Examples
    --------
    >>> from skhyperdys.audit import nonspeech_control
    >>> from skhyperdys.datasets import make_syllable_repetitions
    >>> ds = make_syllable_repetitions(60, channel_confound=True, random_state=0)
    >>> result = nonspeech_control(ds.data, ds.target, groups=ds.groups,
    ...                            n_permutations=99, random_state=0)
    ... # doctest: +SKIP
    >>> result.score, result.pvalue  # doctest: +SKIP
    (1.0, 0.01)
    """
    items = check_waveforms(X)
    y, groups = _check_labels(y, groups, len(items))
    if detector not in DETECTORS:
        raise ValueError(f"detector must be one of {DETECTORS}, got {detector!r}.")
    for name, value in (("margin", margin), ("duration", duration)):
        if not isinstance(value, (int, float)) or not 0 <= value < 3600:
            raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}.")
    if duration <= 0:
        raise ValueError(f"duration must be > 0 seconds, got {duration!r}.")
    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 0:
        raise ValueError(
            f"n_permutations must be an integer >= 0, got {n_permutations!r}."
        )
    rng = check_random_state(random_state)

    clips, used = [], []
    bar = tqdm(items, disable=not verbose, desc="non-speech", unit="clip")
    for i, item in enumerate(bar):
        waveform = read_waveform(item, i, sr)
        mask = detect_speech(waveform, sr, detector=detector)
        clip = nonspeech_clip(waveform, sr, mask, margin=margin, duration=duration)
        if clip is not None:
            clips.append(clip)
            used.append(i)
    used = np.asarray(used, dtype=int)
    left_out = np.setdiff1d(np.arange(len(items)), used)
    y_used, g_used = y[used], groups[used]
    _warn_left_out(y, groups, y_used, g_used, margin, duration)

    if cv is None or isinstance(cv, (int, np.integer)):
        n_splits = 5 if cv is None else int(cv)
        seed = rng.randint(np.iinfo(np.int32).max)
        cv = StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed)
    cv = check_cv(cv, y_used, classifier=True)
    n_splits = cv.get_n_splits()
    for label in np.unique(y):
        n_here = len(np.unique(g_used[y_used == label]))
        if n_here < n_splits:
            raise ValueError(
                f"{n_here} subject(s) labelled {label.item()!r} have {duration} s of "
                f"non-speech {margin} s from speech ({len(left_out)} of "
                f"{len(items)} recordings have none); {n_splits} folds need at "
                "least one per fold. Lower duration or margin, or use fewer folds."
            )

    estimator = default_control_estimator(sr) if estimator is None else estimator
    if not is_classifier(estimator):
        raise ValueError(f"estimator must be a classifier, got {estimator!r}.")
    clips = np.stack(clips)
    head, rest = _stateless_head(estimator)
    features = clips if head is None else clone(head).transform(clips)
    scorer = check_scoring(rest, scoring=scoring)

    fold_scores, y_pred = _fold_scores(
        rest, features, y_used, g_used, cv, scorer, predictions=True
    )
    score = float(fold_scores.mean())
    permuted = [permute_by_subject(y_used, g_used, rng) for _ in range(n_permutations)]
    jobs = (
        delayed(_fold_scores)(rest, features, labels, g_used, cv, scorer)
        for labels in tqdm(
            permuted, disable=not verbose, desc="permutations", unit="perm"
        )
    )
    permutation_scores = np.array(
        [s.mean() for s, _ in Parallel(n_jobs=n_jobs)(jobs)], dtype=float
    )
    if n_permutations:
        pvalue = (1 + np.sum(permutation_scores >= score)) / (1 + n_permutations)
        chance = float(permutation_scores.mean())
    else:
        pvalue = chance = float("nan")
    if pvalue < FLAG_LEVEL:
        warnings.warn(
            f"the labels can be predicted from the recordings' non-speech alone "
            f"({scoring} {score:.2f}, chance {chance:.2f}, p = {pvalue:.3g}, "
            f"{len(used)} recordings of {len(np.unique(g_used))} subjects): the "
            "groups were likely recorded differently, and the scores of any "
            "model on these recordings are suspect.",
            ChannelConfoundWarning,
            stacklevel=2,
        )
    return Bunch(
        score=score,
        fold_scores=fold_scores,
        chance=chance,
        pvalue=float(pvalue),
        permutation_scores=permutation_scores,
        y_pred=y_pred,
        used=used,
        left_out=left_out,
        clips=clips,
        n_subjects=len(np.unique(g_used)),
    )


# More subjects than this fraction left out (of all, or of either class): warn.
LEFT_OUT_WARNING = 0.25


def _warn_left_out(y, groups, y_used, g_used, margin, duration):
    """Warn when the control tests few of the subjects, overall or in a class."""
    counts = []
    for label in np.unique(y):
        n_all = len(np.unique(groups[y == label]))
        counts.append((label, len(np.unique(g_used[y_used == label])), n_all))
    n_all, n_used = len(np.unique(groups)), len(np.unique(g_used))
    if n_all - n_used <= LEFT_OUT_WARNING * n_all and all(
        n - k <= LEFT_OUT_WARNING * n for _, k, n in counts
    ):
        return
    per_class = ", ".join(f"{label.item()!r}: {k} of {n}" for label, k, n in counts)
    warnings.warn(
        f"nonspeech_control tested {n_used} of {n_all} subjects ({per_class}): the "
        f"others have no recording with {duration} s of non-speech {margin} s from "
        "speech. No flag then speaks for the tested subjects only, not for the "
        "corpus. Try recordings with a lead-in of silence, a smaller margin or "
        "duration, or detector='silero'.",
        UserWarning,
        stacklevel=3,
    )


def equalise_noise(
    X, y, *, sr=8000, detector="energy", margin=0.15, random_state=None
):
    """Add each group's noise to the other groups' recordings (arXiv 2409.01209).

    Every recording's noise is estimated from its non-speech (all samples
    more than ``margin`` seconds from speech). Each recording then gets,
    for every other class, the noise of one recording of that class drawn at
    random, repeated to its length from a random offset. Afterwards every
    recording holds the noise of every class, so a noise floor no longer
    tells the classes apart (the noise of its own class stays too).

    Use it on training data only (labels are needed), or on a whole corpus
    to run :func:`nonspeech_control` again: :class:`SpeechOnly` with
    ``equalise_noise=True`` does the former inside a pipeline.

    Parameters
    ----------
    X : sequence of 1-D array-like or audio file paths, or 2-D array
        The recordings.
    y : array-like of shape (n_recordings,)
        Their labels.
    sr : int, default=8000
        Sample rate of waveform inputs; files are resampled to it.
    detector : {"energy", "silero"}, default="energy"
        The voice-activity detector, see :func:`detect_speech`.
    margin : float, default=0.15
        Seconds between the noise taken and any speech.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of noise and offsets.

    Returns
    -------
    equalised : list of ndarray, float32
        The recordings at ``sr``, with the other classes' noise added.

    Raises
    ------
    ValueError
        If the lengths differ, or no recording of a class has non-speech.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.audit import equalise_noise
    >>> rng = np.random.default_rng(0)
    >>> quiet, loud = 1e-4 * rng.standard_normal((2, 8000))
    >>> loud *= 100
    >>> out = equalise_noise([quiet, loud], [0, 1], random_state=0)
    >>> bool(out[0].std() > 50 * quiet.std())   # the quiet one got the loud noise
    True
    """
    items = check_waveforms(X)
    y = np.asarray(y)
    if y.shape != (len(items),):
        raise ValueError(
            f"X holds {len(items)} recordings; y has shape {y.shape}, not "
            f"({len(items)},)."
        )
    rng = check_random_state(random_state)
    waveforms = [
        np.asarray(read_waveform(item, i, sr), dtype=np.float32)
        for i, item in enumerate(items)
    ]
    noise = [
        nonspeech_parts(w, sr, detect_speech(w, sr, detector=detector), margin=margin)
        for w in waveforms
    ]
    pools = {}
    for label in np.unique(y):
        pools[label] = [
            i for i in np.flatnonzero(y == label) if noise[i] is not None
        ]
        if not pools[label]:
            raise ValueError(
                f"no recording labelled {label.item()!r} has non-speech {margin} "
                "s from speech to estimate its noise from."
            )
    out = []
    for w, label in zip(waveforms, y, strict=True):
        w = w.copy()
        for other, pool in pools.items():
            if other == label:
                continue
            source = noise[pool[rng.randint(len(pool))]]
            w += np.resize(np.roll(source, rng.randint(len(source))), len(w))
        out.append(w)
    return out
