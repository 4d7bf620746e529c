"""scikit-learn's common estimator checks on every public estimator.

The checks feed 2-D numeric arrays. Each public estimator is checked on the
smallest construction a user would build that takes such arrays, or through a
thin test-only adapter defined here:

* ``SpectrogramImages`` and ``EgemapsFunctionals``: directly; a 2-D array is
  one waveform per row. ``EgemapsFunctionals`` only where opensmile is
  installed (otherwise ``test_every_public_estimator_is_checked`` skips and
  says so).
* ``MultiTaskImages``: through ``TwoTaskImages``, a subclass whose ``fit`` and
  ``transform`` first read a 2-D array as a table of two tasks per subject
  (each row as the first task's waveform, the row reversed as the second's).
  Input that is not 2-D (1-D arrays, sparse matrices) reaches
  ``MultiTaskImages`` unchanged, so its own validation meets the checks' bad
  input.
* ``ImagesAndContext``: ``ImagesAndContext -> HypernetClassifier(context="data")``,
  the pipeline of the paper's data-conditioned variant, with ``Loudness``
  (RMS and peak of each waveform, stateless) as the context instead of
  eGeMAPS, so that it runs without opensmile.
* ``BackboneFeatures``: ``SpectrogramImages -> BackboneFeatures ->
  HypernetClassifier``, the frozen-backbone pipeline of the README (without
  its cache).

  These two use a tiny convolutional trunk (``backbone=`` a module) instead
  of AlexNet: what they check is the steps around the backbone, and AlexNet's
  57 million parameters, built anew for every fit, made them the slowest.
* ``HypernetClassifier``: ``SpectrogramImages -> HypernetClassifier`` (images
  in, AlexNet trained), the pipeline of the quick start.

All of them are small: 64x64 images of 16 Mel bands, one epoch, one batch.
Every expected failure says why the check cannot pass for that estimator and
where the behaviour is tested instead, if it is. What the checks skip on the
bare classifier is covered in ``test_api.py``.
"""

import importlib.util

import numpy as np
import pytest
import scipy.sparse
from conftest import small_classifier, small_transformer
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks
from torch import nn

import skhyperdys
import skhyperdys.audit
import skhyperdys.encoders
import skhyperdys.measures
from skhyperdys import (
    BackboneFeatures,
    EgemapsFunctionals,
    HypernetClassifier,
    ImagesAndContext,
    MultiTaskImages,
    SpectrogramImages,
)
from skhyperdys.audit import LogMelStatistics, SpeechOnly
from skhyperdys.encoders import SpeechEncoder
from skhyperdys.measures import DDKMeasures, VoiceMeasures

HAS_OPENSMILE = importlib.util.find_spec("opensmile") is not None
HAS_GE2E = all(importlib.util.find_spec(m) for m in ("resemblyzer", "webrtcvad"))

# The checks' data sets have at most a few hundred samples: one batch each,
# so that an epoch is one optimiser step over AlexNet instead of a dozen.
BATCH = 256


# --- test-only adapters ------------------------------------------------------


def _task_table(X):
    """A 2-D array as a (n, 2) table of recordings: each row, and it reversed."""
    if scipy.sparse.issparse(X):
        return X
    rows = np.asarray(X)
    if rows.ndim != 2:
        return X
    table = np.empty((len(rows), 2), dtype=object)
    for i, row in enumerate(rows):
        table[i, 0], table[i, 1] = row, row[::-1]
    return table


class TwoTaskImages(MultiTaskImages):
    """``MultiTaskImages`` fed a 2-D array, read as two tasks per subject."""

    def fit(self, X, y=None):
        return super().fit(_task_table(X), y)

    def transform(self, X):
        return super().transform(_task_table(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        return tags


class Loudness(TransformerMixin, BaseEstimator):
    """Per-recording context features: RMS and peak of each row. Stateless."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        return np.stack([np.sqrt((X**2).mean(axis=1)), np.abs(X).max(axis=1)], 1)

    def __sklearn_is_fitted__(self):
        return True


# --- what the checks run on --------------------------------------------------


def _images():
    return small_transformer(n_mels=16)


def _classifier(**params):
    return small_classifier(max_epochs=1, batch_size=BATCH, **params)


def _tiny_backbone():
    """A small image trunk: the steps around the backbone are what is checked."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 5, stride=4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    )


def _tested_estimators():
    """Yield ``(public estimator class, the instance the checks run on)``."""
    yield SpectrogramImages, _images()
    if HAS_OPENSMILE:
        yield EgemapsFunctionals, EgemapsFunctionals()
    yield MultiTaskImages, TwoTaskImages(_images())
    yield (
        ImagesAndContext,
        make_pipeline(
            ImagesAndContext(_images(), Loudness()),
            _classifier(context="data", backbone=_tiny_backbone()),
        ),
    )
    yield (
        BackboneFeatures,
        make_pipeline(
            _images(),
            BackboneFeatures(
                weights=None,
                backbone=_tiny_backbone(),
                batch_size=BATCH,
                random_state=0,
            ),
            _classifier(),
        ),
    )
    yield HypernetClassifier, make_pipeline(_images(), _classifier())
    yield LogMelStatistics, LogMelStatistics()
    yield SpeechOnly, make_pipeline(SpeechOnly(), LogMelStatistics())
    yield DDKMeasures, DDKMeasures()
    yield VoiceMeasures, VoiceMeasures()
    if HAS_GE2E:
        # The pretrained encoder whose weights ship in a wheel; a transformers
        # model's estimator API is tested in test_encoders.py::test_estimator_api.
        yield SpeechEncoder, SpeechEncoder("ge2e")


TESTED = list(_tested_estimators())


# --- expected failures, each with its reason ---------------------------------

NO_N_FEATURES = (
    "a recording may have any number of samples, so the input has no fixed "
    "number of features: fit sets no n_features_in_, and later calls accept "
    "recordings of other lengths (tested in "
    "test_transformers.py::test_variable_length_list)"
)
EMPTY_MESSAGE = (
    "an (n, 0) array is n empty recordings, reported as ValueError 'X[0] is "
    "empty; a recording needs at least 1 sample', naming the item, instead of "
    "sklearn's '0 feature(s)' wording for tables (tested in "
    "test_transformers.py::test_bad_input_names_the_item)"
)
FLOAT32_BATCHES = (
    "may fail by float32 rounding, depending on the BLAS build: the batched "
    "path's Mel product is one BLAS call for a chunk of 16 clips, and a BLAS "
    "may round a row differently with the number of rows in the call (its "
    "blocking), so a clip's image can vary in its last bits with the other "
    "clips of the chunk; the min-max scaling magnifies that, for the nearly "
    "constant channels of the check's 3-sample clips, beyond the check's "
    "rtol=1e-7. It passes on this project's machines (XPASS), hence a "
    "non-strict expected failure. Each clip's image in a batch is tested "
    "against its own per-clip image in "
    "test_batched.py::test_images_match_per_clip_path; backend='librosa' "
    "works clip by clip"
)
ORDER_FLAKY = (
    "flaky by float32 rounding: the images vary in their last bits with the "
    "batch composition (see SpectrogramImages) and oneDNN rounds AlexNet's "
    "layers differently for other batches, so predict_proba differs by about "
    "1e-7 on some runs, at the check's rtol=1e-7; order and subset "
    "invariance at float32 tolerance is tested in "
    "test_api.py::test_predictions_do_not_depend_on_order_or_batch"
)
STEPS_FITTED_IN_PLACE = (
    "Pipeline fits its steps in place (without memory it does not clone "
    "them), so the estimators held in its 'steps' parameter gain fitted "
    "state; scikit-learn expects this failure for Pipeline itself. That fit "
    "leaves the classifier's own parameters unchanged is tested in "
    "test_api.py::test_fit_does_not_change_classifier_params"
)
TOY_BLOBS = (
    "the check's blobs (2-5 numbers per sample) become waveforms of 2-5 "
    "samples, zero-padded to 1024 before the STFT: their images carry almost "
    "none of the class information, and one epoch at lr=1e-4 cannot reach "
    "the check's 0.83 training accuracy. Learning on real waveforms is "
    "tested in test_pipeline.py::test_learns_the_built_in_data"
)
TOY_BLOBS_WITH_CONTEXT = (
    "the check's blobs (2-5 numbers per sample) become waveforms of 2-5 "
    "samples: their images carry almost none of the class information, and "
    "their RMS and peak (the context here) too little for one epoch at "
    "lr=1e-4 through a randomly initialised head to reach the check's 0.83 "
    "training accuracy. That the data context reaches the prediction is "
    "tested in test_variants.py::test_egemaps_context_changes_the_prediction"
)
EMPTY_TASK_MESSAGE = (
    "an (n, 0) array is a table of empty recordings, reported as ValueError "
    "'X[0] is empty; a recording needs at least 1 sample', naming the item, "
    "instead of sklearn's '0 feature(s)' wording for tables (tested in "
    "test_variants.py::test_multitask_images_inputs)"
)
TABLE_NOT_NUMBERS = (
    "MultiTaskImages takes a table of recordings and raises TypeError for any "
    "numeric array, as its fit documents ('X must be a table of recordings "
    "... got a numeric array'); the adapter hands a 1-D array over unchanged, "
    "so the check's expected ValueError is that TypeError (tested for a 2-D "
    "array in test_variants.py::test_multitask_images_inputs)"
)

STATELESS_PIPELINE = (
    "both steps learn nothing (requires_fit=False) and transform works "
    "unfitted, as for SpectrogramImages; a Pipeline does not pass that on, so "
    "the check expects an error that never comes"
)
RECORDINGS_FAILURES = {
    "check_n_features_in": NO_N_FEATURES,
    "check_n_features_in_after_fitting": NO_N_FEATURES,
    "check_estimators_empty_data_messages": EMPTY_MESSAGE,
}
PIPELINE_FAILURES = {
    **RECORDINGS_FAILURES,
    "check_estimators_overwrite_params": STEPS_FITTED_IN_PLACE,
    "check_dont_overwrite_parameters": (
        "same cause as check_estimators_overwrite_params: fitting the steps "
        "in place changes the objects in the Pipeline's 'steps' attribute"
    ),
    "check_classifiers_train": TOY_BLOBS,
    "check_methods_sample_order_invariance": ORDER_FLAKY,
}

PER_ESTIMATOR_XFAIL_CHECKS = {
    SpectrogramImages: {
        **RECORDINGS_FAILURES,
        "check_methods_sample_order_invariance": FLOAT32_BATCHES,
        "check_methods_subset_invariance": FLOAT32_BATCHES,
    },
    # openSMILE works clip by clip: no batch effects.
    EgemapsFunctionals: RECORDINGS_FAILURES,
    MultiTaskImages: {
        **RECORDINGS_FAILURES,
        "check_estimators_empty_data_messages": EMPTY_TASK_MESSAGE,
        "check_methods_sample_order_invariance": FLOAT32_BATCHES,
        "check_methods_subset_invariance": FLOAT32_BATCHES,
        "check_fit1d": TABLE_NOT_NUMBERS,
        "check_fit2d_predict1d": TABLE_NOT_NUMBERS,
    },
    ImagesAndContext: {
        **PIPELINE_FAILURES,
        "check_classifiers_train": TOY_BLOBS_WITH_CONTEXT,
    },
    BackboneFeatures: PIPELINE_FAILURES,
    HypernetClassifier: PIPELINE_FAILURES,
    # Clip by clip, like EgemapsFunctionals.
    LogMelStatistics: RECORDINGS_FAILURES,
    # GE2E: one LSTM pass for the partials of many recordings; their rows do
    # not depend on the others (no padding: every partial is 1.6 s).
    SpeechEncoder: {
        **RECORDINGS_FAILURES,
        # fitted (it loads its encoder), so the check also demands an error
        # for recordings of another length than at fit
        "check_transformer_general": NO_N_FEATURES,
        "check_transformer_general(readonly_memmap=True)": NO_N_FEATURES,
    },
    # Clip by clip through Praat and the syllable detector.
    DDKMeasures: RECORDINGS_FAILURES,
    VoiceMeasures: RECORDINGS_FAILURES,
    # Checked as SpeechOnly -> LogMelStatistics: SpeechOnly returns a list of
    # waveforms of varying lengths, which the checks cannot compare.
    SpeechOnly: {
        **RECORDINGS_FAILURES,
        "check_dont_overwrite_parameters": PIPELINE_FAILURES[
            "check_dont_overwrite_parameters"
        ],
        "check_transformer_general": NO_N_FEATURES,
        "check_transformer_general(readonly_memmap=True)": NO_N_FEATURES,
        "check_transformer_preserve_dtypes": (
            "SpeechOnly returns a list of waveforms of varying lengths, not a "
            "table, so set_output has nothing to configure; its output dtype "
            "(float32) is tested in test_audit.py::test_speech_only_keeps_speech"
        ),
        "check_transformers_unfitted": STATELESS_PIPELINE,
        "check_fit_check_is_fitted": STATELESS_PIPELINE,
    },
}


def _get_expected_failed_checks(estimator):
    for Estimator, instance in TESTED:
        if instance is estimator:
            return PER_ESTIMATOR_XFAIL_CHECKS[Estimator]
    raise LookupError(f"{estimator!r} is not one of the tested estimators")


@parametrize_with_checks(
    [instance for _, instance in TESTED],
    expected_failed_checks=_get_expected_failed_checks,
)
def test_estimators_compatibility_sklearn(estimator, check):
    check(estimator)


def test_every_public_estimator_is_checked():
    public = {
        obj
        for module in (
            skhyperdys,
            skhyperdys.audit,
            skhyperdys.encoders,
            skhyperdys.measures,
        )
        for obj in (getattr(module, name) for name in module.__all__)
        if isinstance(obj, type) and issubclass(obj, BaseEstimator)
    }
    assert set(PER_ESTIMATOR_XFAIL_CHECKS) == public
    checked = {Estimator for Estimator, _ in TESTED}
    optional = {EgemapsFunctionals: HAS_OPENSMILE, SpeechEncoder: HAS_GE2E}
    assert checked == public - {cls for cls, found in optional.items() if not found}
    missing = [cls.__name__ for cls, found in optional.items() if not found]
    if missing:
        pytest.skip(f"optional dependencies missing: {missing} were not checked")


def test_every_expected_failure_has_a_reason():
    known = {name for name in dir(estimator_checks) if name.startswith("check_")}
    for table in PER_ESTIMATOR_XFAIL_CHECKS.values():
        # a misspelt check would never apply; "(...)" names a check's variant
        assert {name.split("(")[0] for name in table} <= known
        assert all(len(reason) > 40 for reason in table.values())
