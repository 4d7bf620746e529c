"""Saliency maps: where in time and frequency a prediction comes from."""

import contextlib
import importlib

import librosa
import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from torch import nn

from .._inputs import parse_input
from .._validation import check_waveforms, read_waveform
from ..classifier import HypernetClassifier
from ..features import min_clip_length, pad_for_deltas, resize_image, spectral_matrix
from ..transformers import (
    BackboneFeatures,
    ImagesAndContext,
    MultiTaskImages,
    SpectrogramImages,
)

#: Saliency methods of grad-cam (``pytorch_grad_cam``) :func:`saliency_maps` offers.
METHODS = {
    "gradcam": "GradCAM",
    "gradcam++": "GradCAMPlusPlus",
    "hirescam": "HiResCAM",
    "layercam": "LayerCAM",
}


def _cam_classes(method):
    """The grad-cam class of ``method`` and its classifier-output target."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}.")
    try:
        library = importlib.import_module("pytorch_grad_cam")
    except ImportError:
        raise ImportError(
            "saliency_maps needs the grad-cam library; install it with "
            "pip install 'skhyperdys[explain]'."
        ) from None
    targets = importlib.import_module("pytorch_grad_cam.utils.model_targets")
    return getattr(library, METHODS[method]), targets.ClassifierOutputTarget


def _image_step(steps):
    """Index of the step that makes the images, and its SpectrogramImages."""
    for step in steps:
        if isinstance(step, MultiTaskImages):
            raise ValueError(
                "saliency_maps explains single-task models; this pipeline makes "
                "several images per sample (MultiTaskImages), which a fusion "
                "model combines."
            )
        if isinstance(step, BackboneFeatures):
            raise ValueError(
                "saliency_maps needs the backbone inside the classifier; this "
                "pipeline computes backbone features beforehand "
                "(BackboneFeatures). Fit HypernetClassifier(freeze_backbone=True) "
                "on the images instead: the same model, with its backbone."
            )
    for index, step in enumerate(steps):
        if isinstance(step, SpectrogramImages):
            return index, step
        if isinstance(step, ImagesAndContext):
            images = step.images if step.images is not None else SpectrogramImages()
            if isinstance(images, SpectrogramImages):
                return index, images
    raise ValueError(
        "saliency_maps needs to know how the images were made: the pipeline "
        "has no SpectrogramImages step (nor an ImagesAndContext making them)."
    )


def _split(estimator, transformer):
    """Classifier, transformer, and functions to the audio and to the input."""
    if isinstance(estimator, Pipeline):
        if transformer is not None:
            raise ValueError(
                "pass transformer only with a bare classifier; a pipeline's own "
                "SpectrogramImages step is used."
            )
        clf = estimator[-1]
        steps = [step for _, step in estimator.steps[:-1]]
        index, transformer = _image_step(steps)
        before, head = estimator[:index], estimator[:-1]

        def to_audio(X):
            return before.transform(X) if len(before) else X

        def to_input(X):
            return head.transform(X)

    else:
        clf = estimator
        if transformer is None:
            raise ValueError(
                "with a bare classifier, pass transformer=, the SpectrogramImages "
                "that made its input (or pass the fitted Pipeline of both)."
            )
        if not isinstance(transformer, SpectrogramImages):
            raise TypeError(
                "transformer must be a SpectrogramImages, got "
                f"{type(transformer).__name__}."
            )

        def to_audio(X):
            return X

        def to_input(X):
            return transformer.transform(X)

    if not isinstance(clf, HypernetClassifier):
        raise TypeError(
            "saliency_maps needs a fitted HypernetClassifier or a Pipeline ending "
            f"in one; got {type(clf).__name__}."
        )
    clf.check_is_fitted()
    spec = clf.input_spec_
    if spec.kind == "features":
        raise ValueError(
            "this classifier was fitted on backbone features, so its model has no "
            "backbone to explain. Fit HypernetClassifier(freeze_backbone=True) on "
            "the images instead: the same model, with its backbone."
        )
    if spec.n_tasks > 1:
        raise ValueError(
            f"saliency_maps explains single-task models; this classifier fuses "
            f"{spec.n_tasks} images per sample."
        )
    if transformer.features != "logmel":
        raise ValueError(
            "saliency_maps maps onto Mel bands and needs log-Mel images; the "
            f"transformer makes {transformer.features!r} images."
        )
    if clf._data_context() and not isinstance(estimator, Pipeline):
        raise ValueError(
            "this classifier takes a context per recording (context='data'); "
            "pass the fitted Pipeline that makes it."
        )
    return clf, transformer, to_audio, to_input


def _last_conv_layer(backbone):
    """The last ``nn.Conv2d`` of ``backbone`` (definition order): Grad-CAM's layer."""
    convs = [m for m in backbone.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(
            f"the backbone ({type(backbone).__name__}) has no 2-D convolution for "
            "Grad-CAM to explain; use a convolutional backbone."
        )
    return convs[-1]


class _ImagesToScores(nn.Module):
    """The classifier's model as a function of the images alone (for grad-cam)."""

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.context = None

    def forward(self, images):
        return self.module(images=images, context=self.context)


@contextlib.contextmanager
def _explaining(module):
    """Evaluation mode, no parameter gradients, no in-place activations.

    Gradients are taken with respect to the input only, so a frozen backbone
    works and no parameter gradient is computed; in-place
    activations (AlexNet's ``ReLU(inplace=True)``) would otherwise overwrite
    the convolution's output that Grad-CAM keeps. Everything is put back
    afterwards: the mode, ``requires_grad``, the parameters' ``.grad`` and the
    ``inplace`` flags.
    """
    was_training = module.training
    grads = [(p, p.requires_grad, p.grad) for p in module.parameters()]
    inplace = [
        (m, m.inplace)
        for m in module.modules()
        if isinstance(getattr(m, "inplace", None), bool)
    ]
    try:
        for p, _, _ in grads:
            p.requires_grad_(False)
        for m, _ in inplace:
            m.inplace = False
        module.eval()
        with torch.enable_grad():
            yield
    finally:
        for p, flag, grad in grads:
            p.requires_grad_(flag)
            p.grad = grad  # grad-cam's zero_grad() clears them
        for m, flag in inplace:
            m.inplace = flag
        module.train(was_training)


def _target_codes(clf, target, proba):
    """Position in ``classes_`` of the class to explain for each recording."""
    n = len(proba)
    if target is None:
        return proba.argmax(axis=1)
    labels = [target] * n if np.ndim(target) == 0 else list(np.asarray(target))
    if np.ndim(target) > 1 or len(labels) != n:
        raise ValueError(
            f"target must be one class label or one per recording ({n}); got "
            f"shape {np.shape(target)}."
        )
    codes = {label: code for code, label in enumerate(clf.classes_.tolist())}
    unknown = [label for label in labels if label not in codes]
    if unknown:
        raise ValueError(
            f"target must name classes of the classifier, {clf.classes_.tolist()}; "
            f"got {unknown[0]!r}."
        )
    return np.array([codes[label] for label in labels], dtype=np.int64)


def saliency_maps(estimator, X, *, target=None, method="gradcam", transformer=None):
    """Where in time and frequency each recording's prediction comes from.

    Grad-CAM (Selvaraju et al., 2017), computed with the grad-cam library
    (``pytorch_grad_cam``) on the last 2-D convolution of the classifier's
    backbone: the convolution's feature maps, weighted by the mean gradient
    of the explained class's log-probability (the ensemble's, as
    :meth:`~skhyperdys.HypernetClassifier.predict_proba` averages it) and
    rectified. The map is then brought back from the image to the clip's own
    time-frequency grid, the resize of
    :class:`~skhyperdys.SpectrogramImages` undone: one row per Mel band
    (lowest first), one column per frame.

    The map's resolution is that of the layer: for AlexNet, 3 x 3 cells on
    64 x 64 images and 13 x 13 on the paper's 224 x 224, so it says which
    part of the clip mattered, not which frame. The map shows what the model
    used, which need not be where the sound is: on a synthetic task whose
    classes differed by a noise burst, a model learned the class from the
    background (which the per-image scaling made darker when a burst was
    there), and its map rightly pointed at the background. Whether a map
    means anything is worth checking the way Adebayo et al. (2018) do: the
    map of a model with random weights should look different (the tests do
    this).

    Parameters
    ----------
    estimator : Pipeline or HypernetClassifier
        A fitted Pipeline ending in a :class:`~skhyperdys.HypernetClassifier`
        whose earlier steps include a :class:`~skhyperdys.SpectrogramImages`
        (or an :class:`~skhyperdys.ImagesAndContext` making its images), or a
        fitted classifier together with ``transformer``. The model must take
        one log-Mel image per recording, with its backbone.
    X : sequence of recordings
        Waveforms or audio file paths, as for the pipeline's ``predict``.
    target : label, array-like of shape (n_recordings,) or None, default=None
        The class to explain, for all recordings or one per recording;
        ``None`` explains each recording's predicted class.
    method : {"gradcam", "gradcam++", "hirescam", "layercam"}, default="gradcam"
        The grad-cam method: Grad-CAM, Grad-CAM++, HiResCAM (gradient times
        activation, cell by cell) or LayerCAM.
    transformer : SpectrogramImages or None, default=None
        The transformer that made a bare classifier's input; leave ``None``
        with a pipeline.

    Returns
    -------
    maps : list of :class:`~sklearn.utils.Bunch`
        One per recording, in the order of ``X``, with

        * ``map``: ndarray of shape (n_mels, n_frames), the saliency on the
          clip's grid, non-negative with maximum 1 (all zeros when nothing
          speaks for the class). ``n_frames = 1 + n // hop_length`` for a
          clip of ``n`` samples (padded to
          :func:`~skhyperdys.features.min_clip_length` if shorter), as in the
          log-Mel spectrogram.
        * ``times``: ndarray of shape (n_frames,), the centre of each frame
          in seconds.
        * ``frequencies``: ndarray of shape (n_mels,), the centre frequency
          of each Mel band in Hz.
        * ``target``: the class explained (a label of ``classes_``).
        * ``log_mel``: ndarray of shape (n_mels, n_frames), the clip's log-Mel
          spectrogram in dB, on the same grid (for plotting, see
          :func:`skhyperdys.plotting.plot_saliency`).

    Raises
    ------
    ImportError
        If grad-cam is not installed (``pip install 'skhyperdys[explain]'``).
    TypeError
        If ``estimator`` is neither a HypernetClassifier nor a Pipeline ending
        in one, or ``transformer`` is not a SpectrogramImages.
    ValueError
        If the model takes several images per sample or backbone features,
        the images are not log-Mel, the pipeline has no SpectrogramImages, a
        bare classifier comes without ``transformer``, the backbone has no
        2-D convolution, the images are not of the size the classifier was
        fitted on, ``target`` names no class of the classifier, or
        ``method`` is unknown.
    sklearn.exceptions.NotFittedError
        If the classifier has not been fitted.

    See Also
    --------
    skhyperdys.plotting.plot_saliency : Draws a map over its log-Mel
        spectrogram.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from skhyperdys import HypernetClassifier, SpectrogramImages
    >>> from skhyperdys.inspection import saliency_maps
    >>> rng = np.random.default_rng(0)
    >>> X = [0.1 * rng.standard_normal(n) for n in (8000, 8000, 12000, 12000)]
    >>> pipe = make_pipeline(
    ...     SpectrogramImages(image_size=(64, 64), n_mels=32),
    ...     HypernetClassifier(weights=None, max_epochs=1, random_state=0),
    ... ).fit(X, [0, 1, 0, 1])
    >>> maps = saliency_maps(pipe, X[1:3], target=1)
    >>> [m.map.shape for m in maps]  # Mel bands x frames of each clip
    [(32, 63), (32, 94)]
    >>> float(maps[1].times[1]), maps[1].target  # hop of 128 samples at 8 kHz
    (0.016, 1)
    """
    cam_class, target_class = _cam_classes(method)
    clf, transformer, to_audio, to_input = _split(estimator, transformer)
    transformer._check_params()
    layer = _last_conv_layer(clf.module_.embedder.backbone)

    audio = to_audio(X)
    spec, inputs = parse_input(to_input(X), needs_context=clf._data_context())
    clf.input_spec_.check(spec)
    images = inputs["images"]
    context = inputs.get("context")
    model = _ImagesToScores(clf.module_)
    cams = []
    with _explaining(clf.module_):
        codes = _target_codes(clf, target, clf.predict_proba(inputs))
        cam = cam_class(model=model, target_layers=[layer])
        try:
            size = clf.batch_size if clf.batch_size > 0 else len(images)
            for start in range(0, len(images), size):
                batch = torch.tensor(images[start : start + size], dtype=torch.float32)
                batch.requires_grad_(True)  # gradients reach a frozen backbone too
                if context is not None:
                    model.context = torch.as_tensor(
                        context[start : start + size], device=clf.device
                    )
                targets = [target_class(int(c)) for c in codes[start : start + size]]
                cams.append(cam(input_tensor=batch, targets=targets))
        finally:
            cam.activations_and_grads.release()
    cams = np.concatenate(cams)

    sr, hop = transformer.sr, transformer.hop_length
    fmax = transformer.fmax if transformer.fmax is not None else sr / 2
    frequencies = librosa.mel_frequencies(
        transformer.n_mels + 2, fmin=transformer.fmin, fmax=fmax
    )[1:-1]
    n_min = min_clip_length(transformer.n_fft, hop, transformer.delta_width)
    labels = np.asarray(clf.classes_).tolist()
    results = []
    for index, item in enumerate(check_waveforms(audio)):
        y = read_waveform(item, index, sr)
        n_frames = 1 + max(len(y), n_min) // hop
        saliency = resize_image(cams[index][None], (transformer.n_mels, n_frames))[0]
        saliency = np.clip(saliency, 0.0, None)
        peak = saliency.max()
        if peak > 0:
            saliency /= peak
        log_mel = spectral_matrix(
            pad_for_deltas(y, transformer.n_fft, hop, transformer.delta_width),
            sr,
            n_mels=transformer.n_mels,
            n_fft=transformer.n_fft,
            hop_length=hop,
            fmin=transformer.fmin,
            fmax=transformer.fmax,
            top_db=transformer.top_db,
        )
        results.append(
            Bunch(
                map=saliency.astype(np.float64),
                times=np.arange(n_frames) * hop / sr,
                frequencies=frequencies,
                target=labels[codes[index]],
                log_mel=log_mel,
            )
        )
    return results
