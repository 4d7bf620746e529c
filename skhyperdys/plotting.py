"""Pictures of what the model sees and how it did (needs matplotlib).

Install with ``pip install 'skhyperdys[plot]'``. Confusion matrices and ROC
curves are drawn by scikit-learn's display classes; this module only arranges
them for cross-validated predictions.
"""

import numbers

import numpy as np

try:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
except ImportError as err:  # pragma: no cover - exercised without matplotlib only
    raise ImportError(
        "skhyperdys.plotting needs matplotlib; install it with "
        "pip install 'skhyperdys[plot]'."
    ) from err

from sklearn.exceptions import NotFittedError
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay
from skorch import NeuralNet

from ._validation import check_waveform, read_waveform
from .features import min_clip_length
from .transformers import SpectrogramImages

__all__ = [
    "plot_cv_predictions",
    "plot_feature_image",
    "plot_measures_by_group",
    "plot_saliency",
    "plot_search_scores",
    "plot_training_history",
]

_CHANNELS = {
    "logmel": ("log-Mel", "Δ log-Mel (delta)", "ΔΔ log-Mel (delta-delta)"),
    "mfcc": ("MFCC", "Δ MFCC (delta)", "ΔΔ MFCC (delta-delta)"),
}


def _axes(axes, n, figsize):
    """Return ``n`` axes: the given ones, or those of a new 1 x n figure."""
    if axes is None:
        _, axes = plt.subplots(
            1, n, figsize=figsize, squeeze=False, layout="constrained"
        )
        return axes[0]
    axes = np.ravel(np.asarray(axes, dtype=object))
    if len(axes) != n:
        raise ValueError(f"axes must hold {n} matplotlib Axes, got {len(axes)}.")
    return axes


def plot_feature_image(X, transformer=None, *, axes=None, cmap="magma"):
    """Show the three channels of one recording's feature image.

    The image is the one the classifier sees: ``transformer.transform([X])``,
    resized and scaled. The horizontal axis is time in seconds (the clip,
    zero-padded to the shortest length the deltas need); the vertical axis is
    the Mel frequency of each band in Hz (for ``features="logmel"``) or the
    MFCC index (for ``features="mfcc"``), both stretched to the image height.

    Parameters
    ----------
    X : array-like of shape (n_samples,), str or path-like
        One recording: a waveform at ``transformer.sr`` Hz, or an audio file.
    transformer : SpectrogramImages, default=None
        The transformer that makes the image; ``None`` means
        ``SpectrogramImages()``.
    axes : array-like of 3 matplotlib Axes, default=None
        Where to draw the log-Mel, Δ and ΔΔ channels; ``None`` makes a new
        figure with three panels.
    cmap : str, default="magma"
        Colour map.

    Returns
    -------
    axes : ndarray of 3 matplotlib Axes
        One panel per channel, each with a colour bar of the scaled values.

    Raises
    ------
    TypeError
        If ``transformer`` is not a :class:`~skhyperdys.SpectrogramImages`.
    ValueError, FileNotFoundError
        If ``X`` is not one waveform or an existing audio file.

    See Also
    --------
    skhyperdys.SpectrogramImages : Makes the images.

    Examples
    --------
    >>> from skhyperdys import SpectrogramImages
    >>> from skhyperdys.datasets import make_syllable_repetitions
    >>> from skhyperdys.plotting import plot_feature_image
    >>> data = make_syllable_repetitions(2, random_state=0)
    >>> axes = plot_feature_image(data.data[0], SpectrogramImages(sr=data.sr))
    >>> [ax.get_title() for ax in axes]
    ['log-Mel', 'Δ log-Mel (delta)', 'ΔΔ log-Mel (delta-delta)']
    """
    if transformer is None:
        transformer = SpectrogramImages()
    if not isinstance(transformer, SpectrogramImages):
        raise TypeError(
            "transformer must be a SpectrogramImages, got "
            f"{type(transformer).__name__}."
        )
    one_waveform = not isinstance(X, (list, tuple)) or all(
        isinstance(v, numbers.Real) for v in X
    )
    if not one_waveform or (isinstance(X, np.ndarray) and X.ndim != 1):
        raise ValueError(
            "X must be one recording (a 1-D waveform or an audio file path); "
            "to plot one of many, pass X[i]."
        )
    item = check_waveform(X, 0)
    waveform = read_waveform(item, 0, transformer.sr)
    image = transformer.transform([waveform])[0]

    n_min = min_clip_length(
        transformer.n_fft, transformer.hop_length, transformer.delta_width
    )
    duration = max(len(waveform), n_min) / transformer.sr
    if transformer.features == "mfcc":
        extent = (0.0, duration, 0.0, transformer.n_mfcc)
        ylabel = "MFCC index"
    else:
        extent = (0.0, duration, 0.0, transformer.n_mels)
        ylabel = "Mel frequency (Hz)"

    axes = _axes(axes, 3, figsize=(13, 3.6))
    for ax, channel, title in zip(
        axes, image, _CHANNELS[transformer.features], strict=True
    ):
        shown = ax.imshow(
            channel, origin="lower", aspect="auto", extent=extent, cmap=cmap
        )
        ax.set(title=title, xlabel="Time (s)", ylabel=ylabel)
        ax.figure.colorbar(shown, ax=ax, label="scaled value")
        if transformer.features != "mfcc":
            _label_mel_axis(ax, transformer)
    return axes


def _label_mel_axis(ax, transformer):
    """Put Hz labels at a few Mel band positions of a log-Mel panel."""
    import librosa

    fmax = transformer.fmax or transformer.sr / 2
    hz = librosa.mel_frequencies(transformer.n_mels, fmin=transformer.fmin, fmax=fmax)
    bands = np.linspace(0, transformer.n_mels - 1, 5).round().astype(int)
    ax.set_yticks(bands + 0.5)
    ax.set_yticklabels([f"{hz[b]:.0f}" for b in bands])


def plot_training_history(net, *, axes=None):
    """Plot loss and accuracy per epoch of a fitted classifier.

    Draws every series the skorch history holds: ``train_loss`` and
    ``train_acc`` always, ``valid_loss`` and ``valid_acc`` when the
    classifier was fitted with a ``train_split``. ``train_acc`` scores the
    training pass itself (one random context per sample, dropout on), so it
    runs below what the fitted classifier scores on the same data.

    Parameters
    ----------
    net : HypernetClassifier or skorch.NeuralNet
        A fitted classifier, or a fitted pipeline whose last step is one.
    axes : array-like of 2 matplotlib Axes, default=None
        Where to draw the loss and the accuracy; ``None`` makes a new figure.

    Returns
    -------
    axes : ndarray of 2 matplotlib Axes
        Loss per epoch, accuracy per epoch.

    Raises
    ------
    TypeError
        If ``net`` is not a skorch net or a pipeline ending in one.
    sklearn.exceptions.NotFittedError
        If ``net`` has not been fitted (a ``ValueError``).

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys import HypernetClassifier
    >>> from skhyperdys.plotting import plot_training_history
    >>> X = np.random.default_rng(0).normal(size=(8, 3, 64, 64)).astype("float32")
    >>> clf = HypernetClassifier(weights=None, max_epochs=2, random_state=0)
    >>> clf = clf.fit(X, [0, 1] * 4)
    >>> loss_ax, acc_ax = plot_training_history(clf)
    >>> [line.get_label() for line in loss_ax.get_lines()]
    ['train_loss']
    """
    if hasattr(net, "steps"):  # a Pipeline: its classifier is the last step
        net = net.steps[-1][1]
    if not isinstance(net, NeuralNet):
        raise TypeError(
            "net must be a fitted skorch classifier (such as HypernetClassifier) "
            f"or a pipeline ending in one; got {type(net).__name__}."
        )
    rows = getattr(net, "history_", None)
    if not rows:
        raise NotFittedError(
            f"this {type(net).__name__} has not been fitted: it has no training "
            "history to plot."
        )

    axes = _axes(axes, 2, figsize=(10, 3.6))
    epochs = [row["epoch"] for row in rows]
    panels = (("train_loss", "valid_loss"), ("train_acc", "valid_acc"))
    for ax, keys, ylabel in zip(axes, panels, ("loss", "accuracy"), strict=True):
        for key in keys:
            values = [row.get(key, np.nan) for row in rows]
            if not np.all(np.isnan(np.asarray(values, dtype=float))):
                ax.plot(epochs, values, marker="o", label=key)
        ax.set(xlabel="epoch", ylabel=ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.get_lines():
            ax.legend()
    axes[1].set_ylim(-0.02, 1.02)
    return axes


def plot_search_scores(search, param="context_dim", *, metric=None, ax=None, logx=None):
    """Plot a grid search's test score against one parameter, with fold spread.

    Each candidate's mean test score is drawn with an error bar of one
    standard deviation over the folds, and every fold's score as a dot. When
    the grid varies other parameters too, one line is drawn per combination
    of them.

    Parameters
    ----------
    search : GridSearchCV or RandomizedSearchCV
        A fitted search.
    param : str, default="context_dim"
        The parameter on the horizontal axis. A name without the pipeline
        prefix (``"context_dim"``) matches ``"clf__context_dim"``.
    metric : str, default=None
        The scorer's name when the search used several (``scoring`` a list
        or dict); ``None`` for a search with one score.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` makes a new figure.
    logx : bool, default=None
        Logarithmic horizontal axis (base 2); ``None`` uses one when the
        values are positive numbers spanning more than a factor of 4, as
        ``context_dim`` grids usually do.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ValueError
        If the search is not fitted, ``param`` names no searched parameter
        (or more than one), or ``metric`` names no score of the search.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skhyperdys.plotting import plot_search_scores
    >>> X = [[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]
    >>> search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1, 10]}, cv=2)
    >>> ax = plot_search_scores(search.fit(X, [0, 0, 0, 1, 1, 1]), "C")
    >>> ax.get_xlabel()
    'C'
    """
    results = getattr(search, "cv_results_", None)
    if results is None:
        raise ValueError(
            "search must be a fitted GridSearchCV or RandomizedSearchCV "
            "(it has no cv_results_)."
        )
    names = [key[len("param_") :] for key in results if key.startswith("param_")]
    matches = [n for n in names if n == param or n.endswith("__" + param)]
    if len(matches) != 1:
        raise ValueError(
            f"param={param!r} must name exactly one searched parameter; the "
            f"search varied {names}."
        )
    (name,) = matches
    values = np.asarray(results["param_" + name], dtype=object)
    score = "score" if metric is None else metric
    if f"mean_test_{score}" not in results:
        scores = [k[len("mean_test_") :] for k in results if k.startswith("mean_test_")]
        raise ValueError(
            f"the search has no test score {score!r}; it has {scores} (pass "
            "metric= for a search with several scorers)."
        )
    means = np.asarray(results[f"mean_test_{score}"], dtype=float)
    stds = np.asarray(results[f"std_test_{score}"], dtype=float)
    n_splits = search.n_splits_
    folds = np.column_stack(
        [results[f"split{i}_test_{score}"] for i in range(n_splits)]
    ).astype(float)
    # the other parameters of each candidate, by their repr (values such as
    # lists or estimators are not hashable)
    others = [
        tuple((k, repr(v)) for k, v in sorted(p.items()) if k != name)
        for p in results["params"]
    ]

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    numeric = all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values
    )
    for group in dict.fromkeys(others):
        idx = [i for i, o in enumerate(others) if o == group]
        idx.sort(key=lambda i: values[i] if numeric else i)
        x = [values[i] for i in idx] if numeric else [str(values[i]) for i in idx]
        label = ", ".join(f"{k}={v}" for k, v in group) or "mean ± std over folds"
        line = ax.errorbar(
            x, means[idx], yerr=stds[idx], marker="o", capsize=4, label=label
        )
        for i, xi in zip(idx, x, strict=True):
            ax.plot(
                [xi] * folds.shape[1],
                folds[i],
                linestyle="none",
                marker=".",
                alpha=0.4,
                color=line[0].get_color(),
            )
    if logx is None:
        positive = numeric and min(values) > 0
        logx = positive and max(values) / min(values) > 4
    if logx:
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(set(values)))
        ax.set_xticklabels([str(v) for v in sorted(set(values))])
    ax.set(xlabel=param, ylabel=f"test {score} ({n_splits} folds)")
    ax.legend(fontsize="small")
    return ax


def plot_cv_predictions(y_true, y_proba, *, pos_label=None, classes=None, axes=None):
    """Confusion matrix and ROC curve of cross-validated predictions.

    Made for the output of ``cross_val_predict(pipe, X, y, groups=groups,
    cv=cv, method="predict_proba")``: every recording's probabilities come
    from the fold in which it was tested. The predicted label is the class
    of highest probability (threshold 0.5 for two classes). Drawn by
    scikit-learn's ``ConfusionMatrixDisplay`` and ``RocCurveDisplay``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, two classes.
    y_proba : array-like of shape (n_samples, 2) or (n_samples,)
        Class probabilities with columns in ``classes`` order, or the
        probability of ``pos_label``.
    pos_label : label, default=None
        The positive class (e.g. "dysarthric"); ``None`` means the larger of
        the two sorted labels, as scikit-learn does.
    classes : array-like of shape (2,), default=None
        The labels of ``y_proba``'s columns; ``None`` means the sorted unique
        labels of ``y_true`` (the order of ``classifier.classes_``).
    axes : array-like of 2 matplotlib Axes, default=None
        Where to draw the confusion matrix and the ROC curve; ``None`` makes
        a new figure.

    Returns
    -------
    confusion : sklearn.metrics.ConfusionMatrixDisplay
    roc : sklearn.metrics.RocCurveDisplay

    Raises
    ------
    ValueError
        If there are not exactly two classes, if the shapes disagree, or if
        ``pos_label`` is not one of the classes.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.plotting import plot_cv_predictions
    >>> y = np.array(["healthy", "dysarthric", "healthy", "dysarthric"])
    >>> proba = np.array([[0.2, 0.8], [0.7, 0.3], [0.4, 0.6], [0.9, 0.1]])
    >>> confusion, roc = plot_cv_predictions(y, proba, pos_label="dysarthric")
    >>> confusion.confusion_matrix.tolist()
    [[2, 0], [0, 2]]
    >>> float(roc.roc_auc)
    1.0
    """
    y_true = np.asarray(y_true)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1-D, got shape {y_true.shape}.")
    classes = np.unique(y_true) if classes is None else np.asarray(classes)
    if len(classes) != 2:
        raise ValueError(
            "plot_cv_predictions draws two-class results (healthy vs "
            f"dysarthric); got classes {classes.tolist()}."
        )
    if pos_label is None:
        pos_label = classes[1]
    if pos_label not in classes:
        raise ValueError(f"pos_label={pos_label!r} is not one of {classes.tolist()}.")
    y_proba = np.asarray(y_proba, dtype=float)
    pos = int(np.flatnonzero(classes == pos_label)[0])
    if y_proba.ndim == 2 and y_proba.shape[1] == 2:
        score = y_proba[:, pos]
    elif y_proba.ndim == 1:
        score = y_proba
    else:
        raise ValueError(
            "y_proba must have shape (n_samples, 2) or (n_samples,), got "
            f"{y_proba.shape}."
        )
    if len(score) != len(y_true):
        raise ValueError(
            f"y_true has {len(y_true)} samples but y_proba has {len(score)}."
        )
    y_pred = np.where(score >= 0.5, pos_label, classes[1 - pos])

    confusion_ax, roc_ax = _axes(axes, 2, figsize=(10, 4.2))
    confusion = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=classes, ax=confusion_ax, colorbar=False
    )
    roc = RocCurveDisplay.from_predictions(
        y_true,
        score,
        pos_label=pos_label,
        ax=roc_ax,
        name="cross-validated",
        plot_chance_level=True,
    )
    roc_ax.set_title(f"ROC, positive class: {pos_label}")
    confusion_ax.set_title("Confusion matrix (threshold 0.5)")
    return confusion, roc


def _cell_edges(centres, warp=None, unwarp=None):
    """Edges of the cells around increasing centres (midpoints, half steps out).

    With ``warp``, the midpoints are taken on the warped scale (Mel bands are
    evenly spaced in Mel, not in Hz).
    """
    centres = np.asarray(centres, dtype=float)
    c = warp(centres) if warp is not None else centres
    if len(c) > 1:
        mid = (c[:-1] + c[1:]) / 2
        edges = np.concatenate([[2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]])
    else:
        half = abs(c[0]) / 2 if c[0] != 0 else 0.5
        edges = np.array([c[0] - half, c[0] + half])
    return unwarp(edges) if unwarp is not None else edges


def plot_saliency(result, ax=None, alpha=0.5, *, cmap="gray", map_cmap="jet"):
    """Draw a saliency map over the log-Mel spectrogram it explains.

    The log-Mel spectrogram (in dB) is drawn in ``cmap``, the map on top in
    ``map_cmap`` with transparency ``alpha``, each cell where it belongs:
    time in seconds across (each frame centred on its time), frequency in Hz
    up (each Mel band centred on its centre frequency, the bands' edges
    halfway between centres on the Mel scale, so higher bands are taller).

    Parameters
    ----------
    result : sklearn.utils.Bunch
        One element of :func:`skhyperdys.inspection.saliency_maps`' output:
        ``map`` and ``log_mel`` of shape (n_mels, n_frames), ``times`` of
        shape (n_frames,), ``frequencies`` of shape (n_mels,), and
        ``target``.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` makes a new figure.
    alpha : float, default=0.5
        Opacity of the map, from 0 (invisible) to 1 (hides the spectrogram).
    cmap : str, default="gray"
        Colour map of the log-Mel spectrogram.
    map_cmap : str, default="jet"
        Colour map of the saliency map, with a colour bar.

    Returns
    -------
    ax : matplotlib Axes
        The log-Mel spectrogram is ``ax.collections[0]``, the map
        ``ax.collections[1]`` (both ``QuadMesh``). The title names the
        class explained, and says so when the map is constant (shows
        nothing).

    Raises
    ------
    TypeError
        If ``result`` is a list of results rather than one of them.
    ValueError
        If ``result`` lacks a field, its shapes disagree, or ``alpha`` is
        not between 0 and 1.

    See Also
    --------
    skhyperdys.inspection.saliency_maps : Computes the maps.

    Examples
    --------
    >>> import librosa
    >>> import numpy as np
    >>> from sklearn.utils import Bunch
    >>> from skhyperdys.plotting import plot_saliency
    >>> times = np.arange(63) * 128 / 8000
    >>> frequencies = librosa.mel_frequencies(34, fmax=4000)[1:-1]
    >>> rng = np.random.default_rng(0)
    >>> result = Bunch(map=rng.uniform(size=(32, 63)), times=times,
    ...                frequencies=frequencies, target="dysarthric",
    ...                log_mel=rng.uniform(-80, 0, size=(32, 63)))
    >>> ax = plot_saliency(result)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Time (s)', 'Frequency (Hz)')
    >>> ax.get_title()
    'Saliency for class dysarthric'
    """
    import librosa

    if isinstance(result, (list, tuple)):
        raise TypeError(
            "result must be one saliency map (a Bunch); saliency_maps returns "
            "one per recording: pass maps[i]."
        )
    missing = [k for k in ("map", "log_mel", "times", "frequencies") if k not in result]
    if missing:
        raise ValueError(
            f"result lacks {missing}; pass an element of saliency_maps' output."
        )
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}.")
    saliency = np.asarray(result["map"], dtype=float)
    log_mel = np.asarray(result["log_mel"], dtype=float)
    times = np.asarray(result["times"], dtype=float)
    frequencies = np.asarray(result["frequencies"], dtype=float)
    shape = (len(frequencies), len(times))
    if saliency.shape != shape or log_mel.shape != shape:
        raise ValueError(
            f"map {saliency.shape} and log_mel {log_mel.shape} must both have "
            f"shape (len(frequencies), len(times)) = {shape}."
        )
    x = _cell_edges(times)
    y = _cell_edges(frequencies, librosa.hz_to_mel, librosa.mel_to_hz)

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    ax.pcolormesh(x, y, log_mel, cmap=cmap, shading="flat")
    overlay = ax.pcolormesh(
        x,
        y,
        saliency,
        cmap=map_cmap,
        alpha=alpha,
        shading="flat",
        vmin=0,
        vmax=max(1.0, float(saliency.max())),
    )
    ax.figure.colorbar(overlay, ax=ax, label="saliency")
    ax.set(xlabel="Time (s)", ylabel="Frequency (Hz)")
    title = f"Saliency for class {result['target']}" if "target" in result else ""
    if np.ptp(saliency) == 0:  # a map that shows nothing says so
        title = f"{title}: constant map, shows nothing" if title else (
            "Constant saliency map: shows nothing"
        )
    if title:
        ax.set_title(title)
    return ax


def plot_measures_by_group(
    measures,
    y,
    groups,
    *,
    target_names=None,
    n_bootstraps=1000,
    random_state=None,
    axes=None,
):
    """Each measure by group: subject means, bootstrap intervals, effect size.

    One panel per measure: every subject's mean over their recordings (a
    dot), each group's mean with its subject-bootstrap interval (a bar), and
    Hedges' g of the difference in the title.

    Parameters
    ----------
    measures : DataFrame or array-like of shape (n_recordings, n_measures)
        E.g. the output of :class:`skhyperdys.measures.DDKMeasures` with
        ``set_output(transform="pandas")``.
    y : array-like of shape (n_recordings,)
        Binary labels.
    groups : array-like of shape (n_recordings,)
        Subject ids.
    target_names : sequence of 2 str, default=None
        Names of the two classes (in sorted order); default: the labels.
    n_bootstraps : int, default=1000
        Bootstrap resamples of the subjects.
    random_state : int, RandomState instance or None, default=None
        Seed of the resampling.
    axes : array-like of matplotlib Axes, default=None
        One per measure; ``None`` makes a new figure.

    Returns
    -------
    axes : ndarray of matplotlib Axes
        One panel per measure.

    See Also
    --------
    skhyperdys.measures.group_differences : The numbers drawn here.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.plotting import plot_measures_by_group
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> rate = rng.normal(6.5, 0.5, 40) - 1.5 * y
    >>> axes = plot_measures_by_group({"ddk_rate": rate}, y, np.arange(40))
    >>> axes[0].get_title().startswith("ddk_rate")
    True
    """
    import pandas as pd

    from .measures import group_differences

    if isinstance(measures, dict):
        measures = pd.DataFrame(measures)
    table, subjects = group_differences(
        measures, y, groups, n_bootstraps=n_bootstraps, random_state=random_state
    )
    names = list(dict.fromkeys(table["measure"]))
    classes = list(dict.fromkeys(table["group"]))
    labels = [str(c) for c in classes] if target_names is None else list(target_names)
    if len(labels) != 2:
        raise ValueError(f"target_names must name 2 classes, got {len(labels)}.")
    axes = _axes(axes, len(names), (2.6 * len(names), 3.2))
    jitter = np.random.default_rng(0)
    for ax, name in zip(axes, names, strict=True):
        rows = table[table["measure"] == name]
        for k, cls in enumerate(classes):
            values = subjects.loc[subjects["label"] == cls, name].dropna()
            ax.scatter(
                k + jitter.uniform(-0.15, 0.15, len(values)),
                values,
                s=12,
                alpha=0.5,
                color=f"C{k}",
            )
            row = rows[rows["group"] == cls].iloc[0]
            ax.errorbar(
                k + 0.3,
                row["mean"],
                yerr=[[row["mean"] - row["ci_low"]], [row["ci_high"] - row["mean"]]],
                fmt="o",
                color="black",
                capsize=4,
            )
        g = rows["hedges_g"].iloc[0]
        ax.set_title(f"{name}\ng = {g:.2f}" if np.isfinite(g) else f"{name}\ng n/a")
        ax.set_xticks([0, 1], labels)
        ax.set_xlim(-0.5, 1.6)
    return axes
