"""Saliency maps: where in time and frequency a prediction comes from."""

import contextlib
import importlib
import warnings

import librosa
import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from torch import nn

from .._flags import UnusualInputWarning
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

#: Class activation methods of grad-cam (``pytorch_grad_cam``) that
#: :func:`saliency_maps` offers besides its own ``"gradient"``.
CAM_METHODS = {
    "gradcam": "GradCAM",
    "gradcam++": "GradCAMPlusPlus",
    "hirescam": "HiResCAM",
    "layercam": "LayerCAM",
}
METHODS = ("gradient", *CAM_METHODS)


def _cam_class(method):
    """The grad-cam class of ``method``."""
    try:
        library = importlib.import_module("pytorch_grad_cam")
    except ImportError:
        raise ImportError(
            f"saliency_maps(method={method!r}) needs the grad-cam library; "
            "install it with pip install 'skhyperdys[explain]', or use "
            "method='gradient' (the default), which needs nothing more."
        ) from None
    return getattr(library, CAM_METHODS[method])


class _LogOdds:
    """The explained class's log-odds, ``log p_c - log(1 - p_c)``, of a model output.

    Computed from the log-probabilities (a log-softmax of the output: the
    ensemble's log-probabilities stay as they are, a dense head's logits
    become them), so that it does not saturate: the gradient of ``log p_c``
    vanishes (1e-18 or exactly 0) once ``p_c`` rounds to 1 in float32, which
    blanked every map of confident models; the log-odds keep their slope.
    """

    def __init__(self, code):
        self.code = int(code)

    def __call__(self, output):
        log_p = torch.log_softmax(output, dim=-1)
        c = self.code
        others = torch.cat([log_p[..., :c], log_p[..., c + 1 :]], dim=-1)
        return log_p[..., c] - torch.logsumexp(others, dim=-1)


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


def saliency_maps(estimator, X, *, target=None, method="gradient", transformer=None):
    """Where in time and frequency each recording's prediction comes from.

    With the default ``method="gradient"``, the saliency of Simonyan et al.
    (2014): the absolute gradient of the explained class's log-odds with
    respect to each pixel of the feature image, summed over its three
    channels (log-Mel, delta, delta-delta). The log-odds, ``log p - log(1 -
    p)`` of the ensemble's probability (as
    :meth:`~skhyperdys.HypernetClassifier.predict_proba` averages it), are
    explained rather than the log-probability, whose gradient vanishes once a
    confident model's probability rounds to 1. With two classes the evidence
    for one is evidence against the other, so this map is the same whichever
    class is explained (the grad-cam methods differ). The map is then brought
    back from the image to the clip's own time-frequency grid, the resize of
    :class:`~skhyperdys.SpectrogramImages` undone: one row per Mel band
    (lowest first), one column per frame.

    Why this default, measured on the built-in task whose class cue sits in
    a known time-frequency box (:func:`skhyperdys.datasets.make_planted_cue`,
    the box 5 % of the grid; 48 training clips, 20 epochs, every model 100 %
    accurate on 24 held-out clips): the share of the maps' mass in the box,
    0.05 by chance (``python benchmarks/saliency_methods.py``):

    .. list-table::
       :header-rows: 1

       * - method (layer)
         - AlexNet 64²
         - AlexNet 128²
         - AlexNet 224²
         - ResNet-18 64²
         - ResNet-18 224²
         - ConvNeXt-T 64²
         - EfficientNet-B0 64²
       * - gradient (the image)
         - **0.57**
         - **0.58**
         - **0.63**
         - **0.22**
         - **0.16**
         - **0.10**
         - **0.13**
       * - Grad-CAM (last convolution)
         - 0.11
         - 0.13
         - 0.21
         - 0.04
         - 0.06
         - 0.01
         - 0.07
       * - HiResCAM (last convolution)
         - 0.12
         - 0.08
         - 0.45
         - 0.05
         - 0.06
         - 0.09
         - 0.06

    (Grad-CAM++ and LayerCAM: 0.01-0.44, one blank map.) In an earlier run
    of the same measurement, with the clips drawn by another generator,
    Grad-CAM's maps of the 64 x 64 AlexNet were blank for 12 of 12 clips
    (its last convolution is 3 x 3 there), and every method's maps of the
    128 x 128 AlexNet were blank while they explained the log-probability,
    which the log-odds cured. A class activation map has the resolution of
    its layer; the gradient has the image's own, works for every backbone
    (convolutional or not) and needs no extra library. It is also the
    noisiest to look at. The grad-cam methods remain available
    (``method=``, on the backbone's last 2-D convolution; ``pip install
    'skhyperdys[explain]'``): HiResCAM came closest, for AlexNet at 224 x
    224.

    The map shows what the model used, which need not be where the sound is:
    on a synthetic task whose classes differed by a noise burst, a model
    learned the class from the background (which the per-image scaling made
    darker when a burst was there), and its map rightly pointed at the
    background. Whether a map means anything is worth checking the way
    Adebayo et al. (2018) do: the map of a model with random weights should
    look different (the tests do this). A map that is constant (all zeros)
    shows nothing; a warning names the clips and the likely cause.

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
    method : {"gradient", "gradcam", "gradcam++", "hirescam", "layercam"}, \
default="gradient"
        ``"gradient"``: the absolute gradient of the class's log-odds at
        every pixel (above). The others are grad-cam's class activation maps
        on the backbone's last 2-D convolution, of the same log-odds:
        Grad-CAM, Grad-CAM++, HiResCAM (gradient times activation, cell by
        cell) or LayerCAM; they need the grad-cam library.
    transformer : SpectrogramImages or None, default=None
        The transformer that made a bare classifier's input; leave ``None``
        with a pipeline.

    Returns
    -------
    maps : list of :class:`~sklearn.utils.Bunch`
        One per recording, in the order of ``X``, with

        * ``map``: ndarray of shape (n_mels, n_frames), the saliency on the
          clip's grid, non-negative with maximum 1 (all zeros when it is
          constant, which a warning reports). ``n_frames = 1 + n // hop_length`` for a
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

    Warns
    -----
    UserWarning
        Once, naming the recordings whose map is constant (shows nothing),
        with the likely cause.

    Raises
    ------
    ImportError
        If a grad-cam method is asked for and grad-cam is not installed
        (``pip install 'skhyperdys[explain]'``).
    TypeError
        If ``estimator`` is neither a HypernetClassifier nor a Pipeline ending
        in one, or ``transformer`` is not a SpectrogramImages.
    ValueError
        If the model takes several images per sample or backbone features,
        the images are not log-Mel, the pipeline has no SpectrogramImages, a
        bare classifier comes without ``transformer``, a grad-cam method is
        asked of a backbone without 2-D convolutions, the images are not of
        the size the classifier was
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
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}.")
    cam_class = None if method == "gradient" else _cam_class(method)
    clf, transformer, to_audio, to_input = _split(estimator, transformer)
    transformer._check_params()
    backbone = clf.module_.embedder.backbone
    layer = None if cam_class is None else _last_conv_layer(backbone)

    audio = to_audio(X)
    spec, inputs = parse_input(to_input(X), needs_context=clf._data_context())
    clf.input_spec_.check(spec)
    images = inputs["images"]
    context = inputs.get("context")
    model = _ImagesToScores(clf.module_)
    size = clf.batch_size if clf.batch_size > 0 else len(images)
    with _explaining(clf.module_):
        with warnings.catch_warnings():  # the caller's own predict warns of these
            warnings.simplefilter("ignore", UnusualInputWarning)
            codes = _target_codes(clf, target, clf.predict_proba(inputs))
        batches = [
            (slice(start, start + size), codes[start : start + size])
            for start in range(0, len(images), size)
        ]
        if cam_class is None:
            cams = _gradient_maps(model, images, context, batches, clf.device)
        else:
            cams = _cam_maps(cam_class, layer, model, images, context, batches, clf)

    sr, hop = transformer.sr, transformer.hop_length
    fmax = transformer.fmax if transformer.fmax is not None else sr / 2
    frequencies = librosa.mel_frequencies(
        transformer.n_mels + 2, fmin=transformer.fmin, fmax=fmax
    )[1:-1]
    n_min = min_clip_length(transformer.n_fft, hop, transformer.delta_width)
    labels = np.asarray(clf.classes_).tolist()
    results, constant = [], []
    for index, item in enumerate(check_waveforms(audio)):
        y = read_waveform(item, index, sr)
        n_frames = 1 + max(len(y), n_min) // hop
        saliency = resize_image(cams[index][None], (transformer.n_mels, n_frames))[0]
        saliency = np.clip(saliency, 0.0, None)
        peak = saliency.max()
        if peak > 0:
            saliency /= peak
        if np.ptp(saliency) == 0:
            constant.append(index)
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
    if constant:
        _warn_constant(constant, method)
    return results


def _gradient_maps(model, images, context, batches, device):
    """|d log-odds / d image|, summed over the 3 channels: (n, H, W) per batch."""
    maps = []
    for rows, codes in batches:
        batch = torch.tensor(images[rows], dtype=torch.float32, device=device)
        batch.requires_grad_(True)
        if context is not None:
            model.context = torch.as_tensor(context[rows], device=device)
        output = model(batch)
        score = sum(_LogOdds(c)(output[i]) for i, c in enumerate(codes))
        (gradient,) = torch.autograd.grad(score, batch)
        maps.append(gradient.abs().sum(dim=1).cpu().numpy())
    return np.concatenate(maps)


def _cam_maps(cam_class, layer, model, images, context, batches, clf):
    """The grad-cam method's maps on the images' grid: (n, H, W)."""
    cam = cam_class(model=model, target_layers=[layer])
    maps = []
    try:
        for rows, codes in batches:
            batch = torch.tensor(images[rows], dtype=torch.float32)
            batch.requires_grad_(True)  # gradients reach a frozen backbone too
            if context is not None:
                model.context = torch.as_tensor(context[rows], device=clf.device)
            maps.append(cam(input_tensor=batch, targets=[_LogOdds(c) for c in codes]))
    finally:
        cam.activations_and_grads.release()
    return np.concatenate(maps)


def _warn_constant(indices, method):
    """Say which maps are constant (show nothing), and the likely cause."""
    listed = ", ".join(f"X[{i}]" for i in indices[:10])
    more = f" and {len(indices) - 10} more" if len(indices) > 10 else ""
    if method == "gradient":
        cause = (
            "the explained class's log-odds do not change with the image at all: "
            "the model ignores its input (e.g. it collapsed in training, or its "
            "activations are all cut off by ReLUs)"
        )
    else:
        cause = (
            f"{method} keeps only the positive evidence of the backbone's last "
            "convolution, and there is none at that layer's resolution (AlexNet's "
            "last convolution is 3x3 on 64x64 images); method='gradient' maps "
            "the image itself"
        )
    warnings.warn(
        f"saliency_maps: the map of {listed}{more} is constant and shows "
        f"nothing; {cause}.",
        UserWarning,
        stacklevel=3,
    )
