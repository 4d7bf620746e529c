"""skhyperdys.plotting: the pictures show the right data, bad input says why."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import soundfile
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from skorch.dataset import ValidSplit

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.plotting import (
    plot_cv_predictions,
    plot_feature_image,
    plot_search_scores,
    plot_training_history,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def tone(seconds=1.5, sr=8000):
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(
        "float32"
    )


# --- plot_feature_image -------------------------------------------------------


def test_feature_image_shows_the_transformers_channels():
    transformer = SpectrogramImages(image_size=(64, 96))
    y = tone()
    axes = plot_feature_image(y, transformer)
    expected = transformer.transform([y])[0]
    assert len(axes) == 3
    for ax, channel in zip(axes, expected, strict=True):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), channel)
        assert ax.get_xlabel() == "Time (s)"
        assert ax.get_ylabel() == "Mel frequency (Hz)"
    # the time axis spans the clip; the Mel axis ends at sr / 2
    left, right, _, _ = axes[0].get_images()[0].get_extent()
    assert (left, right) == pytest.approx((0.0, 1.5))
    assert axes[0].get_yticklabels()[-1].get_text() == "4000"


def test_feature_image_of_a_file_and_of_mfcc(tmp_path):
    path = tmp_path / "clip.wav"
    soundfile.write(path, tone(sr=16000, seconds=1.0), 16000)
    axes = plot_feature_image(
        path, SpectrogramImages(features="mfcc", n_mfcc=20, image_size=(64, 64))
    )
    assert axes[0].get_title() == "MFCC"
    assert axes[0].get_ylabel() == "MFCC index"
    _, right, _, top = axes[0].get_images()[0].get_extent()
    assert right == pytest.approx(1.0, abs=1e-3)  # resampled to 8 kHz
    assert top == 20


def test_feature_image_of_a_list_of_samples():
    y = tone(seconds=1.0)
    axes = plot_feature_image(list(y), SpectrogramImages(image_size=(64, 64)))
    expected = SpectrogramImages(image_size=(64, 64)).transform([y])[0]
    np.testing.assert_allclose(axes[0].get_images()[0].get_array(), expected[0])


def test_feature_image_draws_on_given_axes():
    _, given = plt.subplots(3, 1)
    axes = plot_feature_image(
        tone(), SpectrogramImages(image_size=(64, 64)), axes=given
    )
    assert list(axes) == list(given)


def test_feature_image_bad_input():
    with pytest.raises(ValueError, match="one recording"):
        plot_feature_image([tone(), tone()])
    with pytest.raises(ValueError, match="one recording"):
        plot_feature_image(np.zeros((2, 8000)))
    with pytest.raises(TypeError, match="SpectrogramImages"):
        plot_feature_image(tone(), transformer=StandardScaler())
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        plot_feature_image("nope.wav")
    with pytest.raises(ValueError, match="3 matplotlib Axes"):
        plot_feature_image(tone(), axes=plt.subplots(1, 2)[1])


# --- plot_training_history ------------------------------------------------------


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return rng.normal(size=(12, 3, 64, 64)).astype("float32"), np.array([0, 1] * 6)


def test_training_history_plots_loss_and_accuracy_per_epoch(images):
    X, y = images
    clf = HypernetClassifier(
        weights=None, max_epochs=3, batch_size=6, random_state=0
    ).fit(X, y)
    loss_ax, acc_ax = plot_training_history(clf)
    (loss,) = loss_ax.get_lines()
    (acc,) = acc_ax.get_lines()
    np.testing.assert_array_equal(loss.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(loss.get_ydata(), clf.history[:, "train_loss"])
    np.testing.assert_allclose(acc.get_ydata(), clf.history[:, "train_acc"])
    assert acc.get_label() == "train_acc"


def test_training_history_with_validation_and_in_a_pipeline(images):
    X, y = images
    clf = HypernetClassifier(
        weights=None,
        max_epochs=2,
        batch_size=6,
        train_split=ValidSplit(3, stratified=True),
        random_state=0,
    )
    pipe = Pipeline([("clf", clf)]).fit(X, y)
    loss_ax, acc_ax = plot_training_history(pipe)
    assert [line.get_label() for line in loss_ax.get_lines()] == [
        "train_loss",
        "valid_loss",
    ]
    assert [line.get_label() for line in acc_ax.get_lines()] == [
        "train_acc",
        "valid_acc",
    ]


def test_training_history_bad_input():
    with pytest.raises(ValueError, match="not been fitted"):
        plot_training_history(HypernetClassifier().initialize_callbacks())
    with pytest.raises(TypeError, match="LogisticRegression"):
        plot_training_history(LogisticRegression())


# --- plot_search_scores ---------------------------------------------------------


@pytest.fixture(scope="module")
def search_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    return X, (X[:, 0] + rng.normal(size=60) > 0).astype(int)


def test_search_scores_mean_std_and_folds(search_data):
    X, y = search_data
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    grid = {"clf__C": [0.01, 0.1, 1.0, 10.0]}
    search = GridSearchCV(pipe, grid, cv=4).fit(X, y)
    ax = plot_search_scores(search, "C")
    assert ax.get_xlabel() == "C"
    assert ax.get_xscale() == "log"
    (errorbar,) = ax.containers
    mean_line = errorbar.lines[0]
    np.testing.assert_allclose(
        mean_line.get_ydata(), search.cv_results_["mean_test_score"]
    )
    bar = errorbar.lines[2][0].get_segments()[0][:, 1]  # first candidate's bar
    assert np.ptp(bar) == pytest.approx(2 * search.cv_results_["std_test_score"][0])
    fold_dots = [line for line in ax.get_lines() if line.get_marker() == "."]
    assert len(fold_dots) == 4  # one set of dots per candidate
    np.testing.assert_allclose(
        fold_dots[0].get_ydata(),
        [search.cv_results_[f"split{i}_test_score"][0] for i in range(4)],
    )


def test_search_scores_one_line_per_other_parameter(search_data):
    X, y = search_data
    grid = {"C": [0.1, 1.0], "fit_intercept": [True, False]}
    search = GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y)
    ax = plot_search_scores(search, "C", logx=False)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["fit_intercept=True", "fit_intercept=False"]


def test_search_scores_with_unhashable_parameter_values(search_data):
    X, y = search_data
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    grid = {"clf__C": [0.1, 1.0], "clf__class_weight": [None, {0: 1, 1: 2}]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    ax = plot_search_scores(search, "C")
    assert len(ax.containers) == 2  # one line per class_weight (a dict)


def test_search_scores_bad_input(search_data):
    X, y = search_data
    with pytest.raises(ValueError, match="fitted"):
        plot_search_scores(GridSearchCV(LogisticRegression(), {"C": [1.0]}))
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [0.1, 1.0]},
        cv=3,
        scoring=["accuracy", "f1"],
        refit=False,
    ).fit(X, y)
    with pytest.raises(ValueError, match="context_dim"):
        plot_search_scores(search)
    with pytest.raises(ValueError, match="metric="):
        plot_search_scores(search, "C")
    assert (
        plot_search_scores(search, "C", metric="f1").get_ylabel() == "test f1 (3 folds)"
    )


# --- plot_cv_predictions --------------------------------------------------------


def test_cv_predictions_counts_and_auc():
    y = np.array(["healthy"] * 3 + ["dysarthric"] * 3)
    # columns in sorted order: dysarthric, healthy
    p_dys = np.array([0.1, 0.6, 0.2, 0.9, 0.8, 0.4])
    proba = np.column_stack([p_dys, 1 - p_dys])
    confusion, roc = plot_cv_predictions(y, proba, pos_label="dysarthric")
    # rows/columns in sorted order: dysarthric, healthy
    assert confusion.confusion_matrix.tolist() == [[2, 1], [1, 2]]
    assert roc.roc_auc == pytest.approx(8 / 9)
    # the positive class's probability alone gives the same picture
    confusion_1d, roc_1d = plot_cv_predictions(y, p_dys, pos_label="dysarthric")
    assert confusion_1d.confusion_matrix.tolist() == [[2, 1], [1, 2]]
    assert roc_1d.roc_auc == pytest.approx(8 / 9)


def test_cv_predictions_bad_input():
    y = np.array([0, 1, 0, 1])
    proba = np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match="two-class"):
        plot_cv_predictions([0, 1, 2, 1], proba)
    with pytest.raises(ValueError, match="4 samples but y_proba has 3"):
        plot_cv_predictions(y, proba[:3])
    with pytest.raises(ValueError, match="shape"):
        plot_cv_predictions(y, np.full((4, 3), 0.3))
    with pytest.raises(ValueError, match="pos_label"):
        plot_cv_predictions(y, proba, pos_label="dysarthric")
