"""The skorch classifier: a backbone embedding and a hypernetwork head."""

import contextlib
import copy
import os
import warnings
from numbers import Integral, Real

import numpy as np
import skorch.dataset
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochScoring, GradientNormClipping
from skorch.utils import to_tensor
from torch import nn

from ._allocator import reuse_large_blocks
from ._data import BatchDataset, collate_batches, to_device_if_it_fits
from ._flags import NoveltyReference, novelty_reasons, warn_unusual
from ._inputs import CheckedInputs, InputSpec, parse_input, summarise
from ._loss_scaling import LossScalingMixin
from ._precision import PRECISIONS, compute_dtype
from ._runtime import RUNTIME_KEY, runtime_of
from ._validation import check_finite_images
from .backbones import make_backbone, torchvision_backbones
from .modules import (
    ConcatFusion,
    DenseHead,
    Embedder,
    GatedMultimodalUnit,
    HypernetHead,
    HypernetModule,
    features_in_batches,
)

__all__ = ["HypernetClassifier"]

# Training inputs kept (summarised) for novelty scores, at most.
_MAX_REFERENCE = 1000
# Training samples the fitted model is scored on, to warn of a fit that ends
# no better than the majority class.
_MAX_CHECKED = 256


def _encoded_accuracy(net, X, y):
    """Accuracy against the label codes skorch trains on (its callbacks' ``y``)."""
    return accuracy_score(np.asarray(y), net.predict_proba(X).argmax(axis=1))


def _on_host(dataset):
    """Whether a dataset's inputs are in host memory (not already on a GPU)."""
    while isinstance(dataset, torch.utils.data.Subset):
        dataset = dataset.dataset
    if not isinstance(dataset, BatchDataset):
        return False
    return not any(
        isinstance(v, torch.Tensor) and v.device.type != "cpu"
        for v in dataset.X.values()
    )


@contextlib.contextmanager
def _seeded(seed, devices):
    """Seed torch's global generators in the body; restore them afterwards."""
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


class HypernetClassifier(LossScalingMixin, NeuralNetClassifier):
    """Dysarthria classifier: a backbone embedding and a hypernetwork-generated head.

    The model of Ilias & Askounis (2025): a torchvision AlexNet whose last
    layer is replaced by ``Linear(4096, embed_dim)``, followed by a linear
    classifier whose weights and bias are produced by a hypernetwork
    ``context_dim -> hyper_hidden -> (embed_dim + 1) * n_classes`` from a
    context vector. Any torchvision classification model (or a module of
    your own) can replace AlexNet (``backbone``), and a head of your own the
    hypernetwork (``head``). The model is built from parts, see
    :mod:`skhyperdys.modules`: ``head(fusion(embedder(x)), context)``.

    How the context is drawn:

    * while training, a fresh ``c ~ N(0, I)`` for every sample of every batch;
    * at prediction, deterministically: the class probabilities of
      ``n_eval_contexts`` classifiers are averaged, their contexts drawn once
      per fit from N(0, I) with a generator seeded from ``random_state``.
      The same fitted model therefore always gives the same output.

    It is a :class:`skorch.NeuralNetClassifier`: every skorch parameter
    (``callbacks``, ``optimizer__weight_decay``, ``iterator_train__num_workers``,
    ``train_split``, ...) works, and the training history is in ``history_``.
    Input is the output of :class:`skhyperdys.SpectrogramImages`: float images
    of shape ``(n_samples, 3, H, W)``, at least as large as the backbone
    takes (AlexNet: 63 x 63; checked with one dry forward pass when the model
    is built). The same head takes feature vectors ``(n_samples, d)``
    instead of images: a pretrained speech encoder's embeddings
    (:class:`skhyperdys.encoders.SpeechEncoder`), log-Mel statistics,
    eGeMAPS or clinical measures; the embedding layer then maps ``d`` to
    ``embed_dim`` and no backbone is built. A stack of an encoder's layers
    ``(n_samples, n_layers, d)`` is combined by a learnt softmax weighting
    of the layers (:class:`~skhyperdys.modules.LayerWeights`, as in SUPERB)
    first. What ``fit`` saw (images, feature vectors or layers, their size,
    the number of tasks and of context features) is recorded in
    ``input_spec_`` and every later call is checked against it.

    To restore saved weights without training, give the classes:
    ``clf = HypernetClassifier(classes=[0, 1], ...); clf.initialize();
    clf.load_params(f_params="model.pt")`` (skorch's pattern). Without data,
    the model is built for single-task images (and, with
    ``context="data"``, ``context_dim`` context features).

    Parameters
    ----------
    context_dim : int, default=128
        Size of the context vector (the paper's 128).
    hyper_hidden : int, default=512
        Hidden units of the hypernetwork (the paper's 512).
    embed_dim : int, default=768
        Size of the embedding layer that replaces the backbone's last layer
        (the paper's 768).
    backbone : str or torch.nn.Module, default="alexnet"
        The image network. ``"alexnet"`` (the paper's) or another torchvision
        classification model name: ``"resnet18"``, ``"resnet50"``,
        ``"efficientnet_b0"``, ``"mobilenet_v3_large"``, ``"convnext_tiny"``,
        ``"vgg16"``, ... (:func:`skhyperdys.backbones.torchvision_backbones`);
        its last linear layer is replaced by the embedding layer. Or a module
        of your own mapping ``(n, 3, H, W)`` images to ``(n, d)`` features
        (copied at each fit, never changed). Not used when X holds
        precomputed backbone features.
    weights : "imagenet", None, str or os.PathLike, default="imagenet"
        Backbone initialisation. ``"imagenet"``: torchvision's pretrained
        weights for that model (its ``DEFAULT`` weights; for AlexNet
        ``IMAGENET1K_V1``), read from the torch hub cache, or downloaded once;
        without network access and cache, fit fails at once and says how to
        proceed. ``None``: random initialisation, which the tests and the
        built-in demos use; on real corpora of a few hundred recordings it
        trains poorly (0.567 balanced accuracy on held-out real recordings,
        against about 0.70 for simple features or a pretrained speaker
        encoder): prefer ImageNet weights or a pretrained speech encoder
        (:class:`skhyperdys.encoders.SpeechEncoder`). A path: a saved
        ``state_dict`` of the same architecture.
    freeze_backbone : bool, default=False
        Keep the pretrained AlexNet layers fixed; train only the new embedding
        layer and the hypernetwork. Their features are then computed once per
        fit, not once per epoch, so 30 epochs cost about one forward pass of
        AlexNet plus the training of the head.
    n_eval_contexts : int, default=32
        Number of fixed contexts whose classifiers are averaged at prediction.
    head : {"hyper", "dense"} or callable, default="hyper"
        ``"hyper"``: :class:`~skhyperdys.modules.HypernetHead`.
        ``"dense"``: a plain ``Linear(embed_dim, n_classes)``
        (:class:`~skhyperdys.modules.DenseHead`), everything else unchanged:
        the paper's ablation baseline. A callable (e.g. a module class) is
        called as ``head(in_features, n_classes)`` and must return a module
        whose ``forward(embedding, context=None)`` gives class logits.
    context : {"noise", "data"}, default="noise"
        ``"noise"``: contexts drawn from N(0, I) as described above.
        ``"data"``: each recording's own feature vector (e.g. eGeMAPS
        functionals) is its context, standardised with the training data's
        mean and standard deviation; the context's width then replaces
        ``context_dim`` (which is used only to build the model without data),
        and X must be a dict
        ``{"images": ..., "context": ...}`` as :class:`ImagesAndContext`
        makes. The paper's data-conditioned ablation.
    fusion : {"gmu", "concat"} or callable, default="gmu"
        Used when X holds several images per sample, ``(n, n_tasks, 3, H, W)``
        (from :class:`MultiTaskImages`): a shared backbone embeds each, and a
        gated multimodal unit (``"gmu"``) or concatenation (``"concat"``)
        combines them, as in the paper's /pa/ + /ta/ fusion baselines. A
        callable is called as ``fusion(n_tasks, embed_dim)`` and must return
        a module mapping ``(n, n_tasks, embed_dim)`` to ``(n, d)``.
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes in the loss: ``"balanced"`` weighs each class
        by ``n_samples / (n_classes * count)``, useful for the imbalanced
        severity levels; a dict maps labels to weights.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order, the training contexts and
        the evaluation contexts. An int gives identical results on the same
        machine and device. torch's global random state is restored after
        ``fit``.
    criterion : torch criterion class, default=torch.nn.CrossEntropyLoss
        The loss.
    optimizer : torch optimizer class, default=torch.optim.Adam
        Not given in the paper; Adam with ``lr=1e-4`` is a common choice for
        fine-tuning AlexNet.
    lr : float, default=1e-4
        Learning rate.
    max_epochs : int, default=30
        Training epochs (the paper's 30).
    max_grad_norm : float or None, default=1.0
        Gradients are rescaled so that their total norm is at most this
        before each optimizer step (:class:`skorch.callbacks.GradientNormClipping`);
        ``None`` leaves them as they are. Adam's steps hardly change when
        every gradient is scaled alike; what clipping stops is one gradient
        ten times the recent ones (seen near the end of fits whose training
        loss was close to 0) becoming one large step, after which a
        random-initialised AlexNet can predict one class for everything and
        the fold ends at chance while its neighbours learn (see
        ``benchmarks/training_stability.py``).
    batch_size : int, default=32
        Mini-batch size.
    module : type, default=HypernetModule
        The class composing the parts; called as ``module(embedder=...,
        head=..., fusion=..., **module__params)``.
    train_split : callable or None, default=None
        The skorch internal validation split. ``None`` trains on all of the
        data it is given, as in a cross-validation fold; pass
        ``skorch.dataset.ValidSplit(5, stratified=True)`` for a validation
        loss and accuracy per epoch (e.g. for early stopping).
    iterator_train__shuffle : bool, default=True
        Shuffle the training batches every epoch.
    device : str or torch.device, default="cpu"
        ``"cuda"`` to train on a GPU.
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Arithmetic of the model. ``"float32"``: everything in float32.
        ``"bfloat16"`` or ``"float16"``: training in mixed precision
        (``torch.autocast``: convolutions and matrix products in the reduced
        precision, weights and optimizer in float32; float16 with a gradient
        scaler), and prediction by a copy of the backbone and embedding layer
        cast to that precision (made once per trained state, kept until the
        weights change). Faster on hardware with units for it: bfloat16 on
        CPUs with AVX512-BF16 or AMX and on GPUs from Ampere on, float16 on
        GPUs (on an AVX512-BF16 CPU without AMX, with ``channels_last``:
        1.76x per training epoch, 1.85x for the paper's protocol, 2.0x for
        a batch at prediction, 1.55x for one clip; see
        ``benchmarks/README.md``). Without such units it falls back to
        float32 with a warning. A float32 model predicting in bfloat16 gave
        float32's labels on 100 % of 200 built-in clips; a model trained in
        bfloat16 on 98.7-100 % of held-out clips. Set it after fitting
        (``set_params(precision="bfloat16")``) to predict faster with a
        model trained in float32.
    channels_last : bool, default=False
        Store the backbone's convolution weights and the images in
        channels-last memory layout, which oneDNN and cuDNN convolutions
        run faster on (``benchmarks/bench_inference.py``). Same numbers up
        to rounding.
    callbacks : list or None, default=None
        Extra skorch callbacks, e.g. ``EarlyStopping(load_best=True)``.
    verbose : int, default=0
        ``1`` prints skorch's table of losses per epoch.
    **kwargs
        Any other parameter of :class:`skorch.NeuralNetClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels: ``classes`` if given, else those of ``y``, sorted.
        Column ``k`` of :meth:`predict_proba` is ``classes_[k]``.
    n_samples_fit_ : int
        Number of samples the model was fitted on (validation split
        included), recorded in model files and their model cards.
    novelty_reference_ : ndarray of shape (n_reference, d)
        Summaries of (up to 1,000) training inputs, feature images pooled
        to 8x8 per channel, for the novelty score of
        :func:`skhyperdys.inspection.predictive_uncertainty`.
    novelty_threshold_ : float
        Inputs of higher novelty are flagged: :meth:`predict` and
        :meth:`predict_proba` warn
        (:class:`~skhyperdys.inspection.UnusualInputWarning`) once per call,
        listing them. 1.5 times the 99th percentile of the training inputs'
        own novelty (each left out of its own neighbours); on the built-in
        data no held-out recording of an unseen speaker reached it, and
        silence, tones, clips of 0.25 s and recordings at the wrong rate
        all exceeded it (see the user guide, "Trusting a prediction").
    input_spec_ : InputSpec
        What the model was fitted on: ``kind`` (``"images"``,
        ``"features"`` or ``"layers"``), ``n_tasks``, ``n_features``,
        ``image_size``, ``context_width`` and ``n_layers``.
    module_ : HypernetModule
        The trained torch module: ``module_.embedder`` (``.backbone``,
        ``.embedding``), ``module_.fusion``, ``module_.head``.
    history_ : skorch.History
        Per epoch: ``train_loss`` and ``train_acc`` (the training pass's
        accuracy), and ``valid_loss``/``valid_acc`` with a ``train_split``;
        per batch: the losses. :func:`skhyperdys.plotting.plot_training_history`
        draws it.

    See Also
    --------
    skhyperdys.SpectrogramImages : The transformer producing the input.
    skhyperdys.modules.HypernetModule : The torch model.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys import HypernetClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((8, 3, 64, 64)).astype("float32")
    >>> y = np.array(["HC", "ALS"] * 4)
    >>> clf = HypernetClassifier(weights=None, max_epochs=1, embed_dim=16,
    ...                          random_state=0).fit(X, y)
    >>> clf.classes_
    array(['ALS', 'HC'], dtype='<U3')
    >>> clf.predict_proba(X).shape
    (8, 2)
    """

    _parameter_constraints = {
        "context_dim": [Interval(Integral, 1, None, closed="left")],
        "hyper_hidden": [Interval(Integral, 1, None, closed="left")],
        "embed_dim": [Interval(Integral, 1, None, closed="left")],
        "n_eval_contexts": [Interval(Integral, 1, None, closed="left")],
        "backbone": [str, nn.Module],
        "weights": [str, os.PathLike, None],
        "freeze_backbone": ["boolean"],
        "head": [StrOptions({"hyper", "dense"}), callable],
        "context": [StrOptions({"noise", "data"})],
        "fusion": [StrOptions({"gmu", "concat"}), callable],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "random_state": ["random_state"],
        "precision": [StrOptions(set(PRECISIONS))],
        "channels_last": ["boolean"],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        context_dim=128,
        hyper_hidden=512,
        embed_dim=768,
        backbone="alexnet",
        weights="imagenet",
        freeze_backbone=False,
        n_eval_contexts=32,
        head="hyper",
        context="noise",
        fusion="gmu",
        class_weight=None,
        random_state=None,
        module=HypernetModule,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-4,
        max_epochs=30,
        max_grad_norm=1.0,
        batch_size=32,
        train_split=None,
        iterator_train__shuffle=True,
        device="cpu",
        precision="float32",
        channels_last=False,
        callbacks=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            iterator_train__shuffle=iterator_train__shuffle,
            device=device,
            callbacks=callbacks,
            verbose=verbose,
            **kwargs,
        )
        self.context_dim = context_dim
        self.hyper_hidden = hyper_hidden
        self.embed_dim = embed_dim
        self.backbone = backbone
        self.weights = weights
        self.freeze_backbone = freeze_backbone
        self.n_eval_contexts = n_eval_contexts
        self.head = head
        self.context = context
        self.fusion = fusion
        self.class_weight = class_weight
        self.random_state = random_state
        self.precision = precision
        self.channels_last = channels_last
        self.max_grad_norm = max_grad_norm

    def __setattr__(self, name, value):
        # A backbone module of the user's is a parameter, copied at each fit,
        # not a component of the net; skorch would refuse a module set
        # outside its initialize_* methods (e.g. by set_params or clone).
        if name == "backbone":
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    def _get_param_names(self):
        # skorch treats every attribute without a trailing underscore as a
        # parameter; keep its private bookkeeping out of get_params and repr.
        return [name for name in super()._get_param_names() if name[0] != "_"]

    @property
    def _default_callbacks(self):
        # skorch's valid_acc scores predict() against the targets it trains
        # on; those are label codes here, predict() returns labels. Score the
        # codes instead; train_acc does the same on the training pass's own
        # (cached) outputs, at no extra forward pass.
        callbacks = []
        for name, cb in super()._default_callbacks:
            if name == "valid_acc":
                cb = EpochScoring(
                    _encoded_accuracy, name="valid_acc", lower_is_better=False
                )
            callbacks.append((name, cb))
            if name == "train_loss":
                train_acc = EpochScoring(
                    _encoded_accuracy,
                    name="train_acc",
                    lower_is_better=False,
                    on_train=True,
                )
                callbacks.append(("train_acc", train_acc))
        if self.max_grad_norm is not None:
            clipping = GradientNormClipping(gradient_clip_value=self.max_grad_norm)
            callbacks.append(("gradient_clipping", clipping))
        return callbacks

    # --- parameters -------------------------------------------------------

    def _check_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            {name: getattr(self, name) for name in self._parameter_constraints},
            caller_name=type(self).__name__,
        )
        weights = self.weights
        if weights is not None and not (
            isinstance(weights, str) and weights == "imagenet"
        ):
            if not os.path.isfile(os.fspath(weights)):
                raise FileNotFoundError(f"weights file not found: {weights!r}")
        if isinstance(self.backbone, str) and (
            self.backbone not in torchvision_backbones()
        ):
            raise ValueError(
                f"backbone={self.backbone!r} is not a torchvision classification "
                "model; use e.g. 'alexnet', 'resnet18', 'efficientnet_b0' (see "
                "skhyperdys.backbones.torchvision_backbones()) or pass a module."
            )

    def _data_context(self):
        return self.context == "data" and self.head == "hyper"

    def _cuda_devices(self):
        device = torch.device(self.device) if self.device is not None else None
        if device is not None and device.type == "cuda" and torch.cuda.is_available():
            return [device.index or 0]
        return []

    def _build_device(self):
        """Default device for the model's tensors while it is built."""
        if self.device is None:
            return contextlib.nullcontext()
        return torch.device(self.device)

    # --- building the model -----------------------------------------------

    def initialize_module(self):
        """Build the model from its parts: embedder, fusion and head.

        Called by :meth:`initialize` (and so by :meth:`fit`). After
        :meth:`fit` the parts fit the recorded ``input_spec_``; without data
        (``initialize()`` with ``classes`` given) the model is built for
        single-task images.

        Returns
        -------
        self : HypernetClassifier

        Raises
        ------
        AttributeError
            If the classes are unknown: neither fitted nor given as
            ``classes``.
        """
        self._check_params()
        if not hasattr(self, "input_spec_"):  # initialize() without data
            width = self.context_dim if self._data_context() else None
            self.input_spec_ = InputSpec(kind="images", context_width=width)
        if not hasattr(self, "seed_"):
            self.seed_ = _seed_from(self.random_state)
        try:
            n_classes = len(self.classes_)
        except AttributeError:
            raise AttributeError(
                "HypernetClassifier needs the classes to build its model: call "
                "fit(X, y), or pass classes=[...] to initialize() without data."
            ) from None
        spec = self.input_spec_
        # Built where it will run: on a GPU, the weights are initialised there
        # (AlexNet's 57 million on the CPU take about 0.3 s), not copied over.
        with _seeded(self.seed_, self._cuda_devices()), self._build_device():
            embedder = self._build_embedder(spec)
            fusion, width = self._build_fusion(spec)
            head = self._build_head(width, n_classes, spec)
        kwargs = dict(embedder=embedder, head=head, fusion=fusion)
        kwargs.update(self.get_params_for("module"))
        self.module_ = self.initialized_instance(self.module, kwargs)
        if self.channels_last:
            self.module_.to(memory_format=torch.channels_last)
        self._weights_changed()
        return self

    def _build_embedder(self, spec):
        if spec.kind != "images":  # feature vectors, or a stack of layers
            backbone, n_features, last_layer = None, spec.n_features, {}
        else:
            backbone, n_features, last_layer = make_backbone(
                self.backbone, self.weights, image_size=spec.image_size
            )
        embedder = Embedder(
            backbone,
            n_features,
            self.embed_dim,
            bool(self.freeze_backbone),
            n_layers=spec.n_layers if spec.kind == "layers" else None,
        )
        layer = embedder.embedding
        if last_layer and last_layer["weight"].shape == layer.weight.shape:
            layer.load_state_dict(last_layer)  # a model saved with its embedding
        return embedder

    def _build_fusion(self, spec):
        if spec.n_tasks == 1:
            return None, self.embed_dim
        if self.fusion == "gmu":
            fusion = GatedMultimodalUnit(spec.n_tasks, self.embed_dim)
        elif self.fusion == "concat":
            fusion = ConcatFusion(spec.n_tasks, self.embed_dim)
        else:
            fusion = self.fusion(spec.n_tasks, self.embed_dim)
        width = getattr(fusion, "out_features", None)
        if not isinstance(width, int):
            with torch.no_grad():
                width = fusion(torch.zeros(2, spec.n_tasks, self.embed_dim)).shape[1]
        return fusion, width

    def _build_head(self, in_features, n_classes, spec):
        if self.head == "dense":
            return DenseHead(in_features, n_classes)
        if self.head != "hyper":
            return self.head(in_features, n_classes)
        if self.context == "data":
            return HypernetHead(
                in_features,
                n_classes,
                context_dim=spec.context_width,
                hidden=self.hyper_hidden,
                context="data",
                context_mean=getattr(self, "context_mean_", None),
                context_std=getattr(self, "context_std_", None),
            )
        return HypernetHead(
            in_features,
            n_classes,
            context_dim=self.context_dim,
            hidden=self.hyper_hidden,
            n_eval_contexts=self.n_eval_contexts,
            seed=self.seed_,
        )

    def initialize_optimizer(self, triggered_directly=None):
        """Build the optimizer; Adam and AdamW use torch's fused kernel.

        The fused kernel updates AlexNet's 57 million parameters in one pass
        instead of several with temporaries in between, which makes a CPU
        training step markedly faster (``benchmarks/bench_training.py``).
        Pass ``optimizer__fused=False`` (or ``optimizer__foreach=...``) for
        torch's default implementation; where torch has no fused kernel for
        the device, the default is used.

        Returns
        -------
        self : HypernetClassifier
        """
        named_parameters = self.get_all_learnable_params()
        args, kwargs = self.get_params_for_optimizer("optimizer", named_parameters)
        fusable = self.optimizer in (torch.optim.Adam, torch.optim.AdamW)
        if fusable and not {"fused", "foreach"} & set(kwargs):
            try:
                self.optimizer_ = self.optimizer(*args, fused=True, **kwargs)
                return self
            except (RuntimeError, ValueError):  # no fused kernel for this device
                pass
        self.optimizer_ = self.optimizer(*args, **kwargs)
        return self

    def initialize_criterion(self):
        """Build the criterion, with the class weights if ``class_weight`` is set.

        Returns
        -------
        self : HypernetClassifier
        """
        kwargs = self.get_params_for("criterion")
        if getattr(self, "class_weight_", None) is not None:
            kwargs.setdefault("weight", torch.as_tensor(self.class_weight_))
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    def get_all_learnable_params(self):
        """Parameters the optimizer updates: those with ``requires_grad``.

        Yields
        ------
        name, param : str, torch.nn.Parameter
            Each trainable parameter (a frozen backbone's are left out).
        """
        for name, param in super().get_all_learnable_params():
            if param.requires_grad:
                yield name, param

    # --- data -------------------------------------------------------------

    def check_data(self, X, y):
        """Check the targets of a training call and record the classes.

        Parameters
        ----------
        X : dict or Dataset
            The parsed input.
        y : array-like of shape (n_samples,) or None
            Class labels.

        Raises
        ------
        ValueError
            If y has a different length from X, one class only or
            continuous values.
        """
        if y is not None:
            y = column_or_1d(y, warn=True)
            n_samples = len(next(iter(X.values()))) if isinstance(X, dict) else None
            if n_samples is not None and len(y) != n_samples:
                raise ValueError(
                    f"X holds {n_samples} samples but y holds {len(y)} labels."
                )
            check_classification_targets(y)
            classes = np.unique(y) if self.classes is None else self.classes
            if len(classes) < 2:
                raise ValueError(
                    f"y holds one class only ({classes[0]!r}); at least 2 are needed."
                )
        super().check_data(X, y)

    def encode_labels(self, y):
        """Label codes: the position of each label in ``classes_``.

        The one place where labels become the integers the loss needs;
        :meth:`predict` maps the codes back.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Labels, among ``classes_``.

        Returns
        -------
        codes : ndarray of shape (n_samples,), int64
            ``classes_[codes] == y``.

        Raises
        ------
        ValueError
            If y holds labels not in ``classes_``.

        Examples
        --------
        >>> from skhyperdys import HypernetClassifier
        >>> clf = HypernetClassifier(classes=["HC", "ALS"])
        >>> clf.encode_labels(["ALS", "HC", "ALS"]).tolist()
        [1, 0, 1]
        """
        y = column_or_1d(y, warn=True)
        classes = np.asarray(self.classes_)
        order = np.argsort(classes, kind="stable")
        found = np.searchsorted(classes, y, sorter=order)
        codes = order[np.minimum(found, len(classes) - 1)]
        unknown = classes[codes] != y
        if unknown.any():
            raise ValueError(
                f"y holds labels not in classes: {np.unique(y[unknown])[:5].tolist()}."
            )
        return codes.astype(np.int64)

    def get_dataset(self, X, y=None):
        """Check X against ``input_spec_``, encode y, and wrap both for skorch.

        With ``freeze_backbone=True`` and training images, the frozen
        backbone's features are computed here, once, instead of in every
        epoch (the frozen layers run in evaluation mode, so their output
        never changes during training).

        Parameters
        ----------
        X : array-like, dict or Dataset
            Input as for :meth:`fit`; a skorch Dataset is used as it is.
        y : array-like of shape (n_samples,) or None
            Labels (training) or None (prediction).

        Returns
        -------
        dataset : torch.utils.data.Dataset
            The input, and the label codes if y is given.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the model is not initialised.
        TypeError, ValueError
            If X is not valid input or not of the kind the model was fitted
            on, or y holds unknown labels.
        """
        if isinstance(X, torch.utils.data.Dataset):
            return super().get_dataset(X, y)
        self.check_is_fitted()
        spec, inputs = parse_input(X, needs_context=self._data_context())
        self.input_spec_.check(spec)
        if y is not None:
            y = self.encode_labels(y)
            if self.freeze_backbone and spec.kind == "images":
                inputs["features"] = features_in_batches(
                    self.module_.embedder.backbone,
                    inputs.pop("images"),
                    self.batch_size,
                    self.device,
                )
        if self.dataset is not skorch.dataset.Dataset:  # the user's own
            return super().get_dataset(inputs, y)
        if y is not None and self._workers(training=True) == 0:
            inputs = to_device_if_it_fits(inputs, self.device)
        return BatchDataset(inputs, y)

    def _workers(self, training):
        kind = "iterator_train" if training else "iterator_valid"
        return self.get_params_for(kind).get("num_workers", 0)

    def get_iterator(self, dataset, training=False):
        """The data loader, which takes each batch of our dataset whole.

        A batch of a :class:`~skhyperdys._data.BatchDataset` (or of a subset
        of one, as a validation split makes) is one gather from the arrays;
        ``iterator_*__collate_fn`` replaces that as in skorch.

        Parameters
        ----------
        dataset : torch.utils.data.Dataset
            From :meth:`get_dataset`.
        training : bool, default=False
            Use the ``iterator_train__*`` settings (else ``iterator_valid__*``).

        Returns
        -------
        iterator : torch.utils.data.DataLoader
            Or the configured ``iterator_train`` / ``iterator_valid``.
        """
        kind = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(kind)
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        kwargs.setdefault("collate_fn", collate_batches)
        if _on_host(dataset) and torch.device(self.device or "cpu").type == "cuda":
            kwargs.setdefault("pin_memory", True)  # faster copies to the GPU
        return getattr(self, kind)(dataset, **kwargs)

    def infer(self, x, **fit_params):
        """Run the module on one batch; ``groups`` is not passed to it.

        ``fit(X, y, groups=...)`` hands the subject IDs to ``train_split``
        (e.g. :class:`skhyperdys.model_selection.GroupValidSplit`); skorch
        also passes fit parameters to the module's ``forward``, which has no
        use for them.

        Parameters
        ----------
        x : dict of torch.Tensor
            One batch of the input.
        **fit_params
            Passed to the module, except ``groups``.

        Every prediction method comes through here (by skorch's
        ``forward_iter``): :meth:`predict_member_proba` asks the module for
        each generated classifier's log-probabilities instead of the
        mixture's logits.

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_classes)
            The module's output; ``(batch, n_members, n_classes)``
            log-probabilities for :meth:`predict_member_proba`.
        """
        fit_params.pop("groups", None)
        if self.channels_last and "images" in x:
            self._use_channels_last()
            x = {**x, "images": _channels_last(to_tensor(x["images"], self.device))}
        dtype = self._compute_dtype()
        runtime = runtime_of(self)
        if runtime.members:
            module = self.module_ if dtype is None else self._inference_module(dtype)
            x = to_tensor(x, device=self.device)
            return module.member_log_proba(**x, **fit_params).float()
        if dtype is None:
            return super().infer(x, **fit_params)
        if runtime.predicting:
            # The cast copy of the model, fixed between weight updates.
            x = to_tensor(x, device=self.device)
            return self._inference_module(dtype)(**x, **fit_params).float()
        device_type = torch.device(self.device).type
        with torch.autocast(device_type, dtype=dtype):
            return super().infer(x, **fit_params).float()

    def _weights_changed(self):
        """Invalidate the cast copy of the model (see :meth:`_inference_module`)."""
        runtime_of(self).weights_version += 1

    def load_params(self, *args, **kwargs):
        """Load saved parameters, as :meth:`skorch.NeuralNet.load_params`.

        Parameters
        ----------
        *args, **kwargs
            Passed to :meth:`skorch.NeuralNet.load_params` (``f_params``,
            ``f_optimizer``, ``f_history``, ``checkpoint``, ...).
        """
        self._weights_changed()
        return super().load_params(*args, **kwargs)

    def _compute_dtype(self):
        """``compute_dtype(precision, device)``, checked (and warned about) once."""
        key = (self.precision, str(self.device))
        runtime = runtime_of(self)
        if runtime.dtype is None or runtime.dtype[0] != key:
            runtime.dtype = (key, compute_dtype(self.precision, self.device or "cpu"))
        return runtime.dtype[1]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop(RUNTIME_KEY, None)
        return state

    def _use_channels_last(self):
        """Put the model's convolution weights in channels-last layout.

        Done at :meth:`initialize`; again here for ``channels_last`` set
        after fitting or a model loaded without it (same values, new layout).
        """
        for param in self.module_.parameters():
            if param.ndim == 4:
                if not param.is_contiguous(memory_format=torch.channels_last):
                    self.module_.to(memory_format=torch.channels_last)
                return

    def _inference_module(self, dtype):
        """``module_`` with its embedder cast to ``dtype``, made once per weights.

        Rebuilt after a training step, :meth:`initialize` or
        :meth:`load_params`; weights changed by hand in ``module_`` are not
        seen until then.

        The embedder (backbone and embedding layer) holds nearly all of the
        parameters and all of the work; the head and fusion stay in float32,
        and so do the probabilities.
        """
        key = (
            id(self.module_),
            dtype,
            self.channels_last,
            runtime_of(self).weights_version,
        )
        runtime = runtime_of(self)
        if runtime.inference is None or runtime.inference[0] != key:
            module = copy.deepcopy(self.module_).eval()
            module.embedder.to(dtype)
            runtime.inference = (key, module)
        return runtime.inference[1]

    @contextlib.contextmanager
    def _prediction(self, members=False):
        """Mark calls of ``infer`` as prediction (the cast copy may serve them).

        With ``members``, ``infer`` returns each generated classifier's
        log-probabilities (:meth:`predict_member_proba`).
        """
        runtime = runtime_of(self)
        runtime.predicting, runtime.members = True, members
        try:
            yield
        finally:
            runtime.predicting = runtime.members = False

    def train_step(self, batch, **fit_params):
        """skorch's optimizer step, after marking the cast copy stale.

        With ``precision="float16"`` the loss is scaled through skorch's
        smaller hooks (:class:`~skhyperdys._loss_scaling.LossScalingMixin`).

        Parameters
        ----------
        batch : tuple
            One batch from the training iterator.
        **fit_params
            Passed to :meth:`infer`.

        Returns
        -------
        step : dict
            ``{"loss": loss, "y_pred": y_pred}`` as in skorch.
        """
        self._weights_changed()
        return super().train_step(batch, **fit_params)

    def fit_loop(self, X, y=None, epochs=None, **kwargs):
        """skorch's training loop, with freed large blocks kept for reuse.

        Every training step frees and reallocates the same large tensors
        (gradients; under autocast, the cast copies of the weights and of
        their gradients). On Linux with glibc, they are kept in the heap
        for the duration of the loop instead of being unmapped and mapped
        afresh each step (about a quarter of a bfloat16 step on a 2-core
        CPU); see ``skhyperdys/_allocator.py``. Where the user has set
        glibc's malloc options, they are left alone.

        Parameters
        ----------
        X, y, epochs, **kwargs
            As for :meth:`skorch.NeuralNet.fit_loop`.

        Returns
        -------
        self : HypernetClassifier
        """
        with reuse_large_blocks():
            return super().fit_loop(X, y, epochs, **kwargs)

    def _warn_if_no_better_than_majority(self, X, y):
        """ConvergenceWarning if the fitted model does no better than the majority.

        Scores the fitted model (evaluation mode, as :meth:`predict`) on up
        to ``_MAX_CHECKED`` training samples spread over the training data:
        a fit that never left the plateau at the start of training, or was
        thrown off it by one large step near the end, predicts one class for
        nearly everything, so that its accuracy stays within two standard
        errors (``1 / sqrt(n)``) of the most frequent class's share. skorch's
        ``train_acc`` cannot tell: it scores the training pass (dropout on,
        weights still moving), which stayed at 0.79 in such a fit whose
        final model predicted one class for all of its training data.
        """
        if y is None or isinstance(X, torch.utils.data.Dataset):
            return
        y = column_or_1d(y)
        n_rows = min(len(y), _MAX_CHECKED)
        rows = np.unique(np.linspace(0, len(y) - 1, n_rows).astype(int))
        dataset = torch.utils.data.Subset(self.get_dataset(X), rows.tolist())
        # The data loader draws a seed from torch's global generator.
        with torch.random.fork_rng(devices=self._cuda_devices()), self._prediction():
            codes = self.forward(dataset).argmax(dim=1).numpy()
        accuracy = float(np.mean(codes == self.encode_labels(y[rows])))
        _, counts = np.unique(y, return_counts=True)
        majority = counts.max() / counts.sum()
        if accuracy > majority + max(0.02, 1 / np.sqrt(len(rows))):
            return
        warnings.warn(
            f"{type(self).__name__} ended training no better than always "
            f"predicting the majority class: the fitted model's accuracy on "
            f"{len(rows)} of its training samples is {accuracy:.2f}, against "
            f"{majority:.2f} for the most frequent class, after "
            f"{len(self.history_)} epochs. Its predictions are likely near "
            "chance. Train longer (max_epochs), try another random_state or a "
            "smaller lr, or start from pretrained weights (weights='imagenet').",
            ConvergenceWarning,
            stacklevel=3,
        )

    # --- fitting and prediction -------------------------------------------

    def fit(self, X, y, **fit_params):
        """Train on feature images ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n, 3, H, W) or (n, n_tasks, 3, H, W), or dict
            Feature images, e.g. from :class:`skhyperdys.SpectrogramImages`
            (as large as the backbone takes: 63 x 63 for AlexNet); several
            per sample for fusion; with
            ``context="data"`` a dict ``{"images": ..., "context": ...}``;
            or ``{"features": ...}``, a frozen backbone's features from
            :class:`skhyperdys.BackboneFeatures` (the model is then built
            without a backbone). What X holds is recorded in ``input_spec_``.
        y : array-like of shape (n_samples,)
            Class labels of any type scikit-learn accepts (ints, strings,
            bools), at least two distinct.
        **fit_params
            Passed to :meth:`skorch.NeuralNet.fit` (e.g. to ``train_split``).

        Returns
        -------
        self : HypernetClassifier
            The fitted classifier; a new fit starts from scratch unless
            ``warm_start=True``.

        Raises
        ------
        TypeError
            If ``weights`` or ``freeze_backbone`` has the wrong type, if X is
            not numeric, or if X holds audio instead of images.
        ValueError
            If a parameter is out of range or not one of its choices; if X
            has the wrong shape, images smaller than the backbone takes, NaN or
            infinite values, or no samples; if ``context="data"`` gets no
            context or one of the wrong shape; if y has a different length
            from X, one class only, continuous values or labels outside
            ``classes``; if ``backbone`` is not a torchvision model name; or
            if a weights file does not fit the backbone.
        FileNotFoundError
            If ``weights`` is a path to a missing file.
        RuntimeError
            If ``weights="imagenet"`` is neither in the torch hub cache nor
            downloadable; the message says where to put the file.

        Warns
        -----
        sklearn.exceptions.ConvergenceWarning
            If the fitted model's accuracy on (up to 256 of) its training
            samples is no better than always predicting the most frequent
            class (within ``1 / sqrt(n)``): the fit learnt nothing, or was
            thrown off at the end, and its predictions are likely near chance.

        Examples
        --------
        Fitting on precomputed backbone features skips AlexNet, which makes
        a quick example:

        >>> import numpy as np
        >>> from skhyperdys import HypernetClassifier
        >>> rng = np.random.default_rng(0)
        >>> X = {"features": rng.standard_normal((8, 16)).astype("float32")}
        >>> clf = HypernetClassifier(max_epochs=2, embed_dim=8, context_dim=4,
        ...                          hyper_hidden=8, random_state=0)
        >>> clf = clf.fit(X, ["healthy", "dysarthric"] * 4)
        >>> len(clf.history_), clf.classes_.tolist()
        (2, ['dysarthric', 'healthy'])
        """
        if not (self.warm_start and self.initialized_):
            X, y = self._set_up(X, y)
            self._reset_loss_scaler()
        runtime = runtime_of(self)
        runtime.fitting = True  # skorch's fit runs partial_fit: check once, here
        try:
            with _seeded(self.seed_, self._cuda_devices()):
                super().fit(X, y, **fit_params)
        finally:
            runtime.fitting = False
        self._warn_if_no_better_than_majority(X, y)
        return self

    def _set_up(self, X, y):
        """What fit learns before building the model: input, classes, stats."""
        self._check_params()
        # One pass over the images: the novelty summaries of every sample,
        # whose non-finite values point the finiteness check at its samples.
        spec, inputs = parse_input(
            X, needs_context=self._data_context(), check_finite=False
        )
        summaries = summarise(inputs)
        if spec.kind == "images":
            suspect = np.flatnonzero(~np.isfinite(summaries).all(axis=1))
            if len(suspect):
                check_finite_images(inputs["images"], suspect)
        self.check_data(inputs, y)
        self.input_spec_ = spec
        if "context" in inputs:
            context = inputs["context"]
            std = context.std(axis=0)
            self.context_mean_ = context.mean(axis=0)
            self.context_std_ = np.where(std > 0, std, 1.0).astype(np.float32)
        codes = self.encode_labels(y)
        self.class_weight_ = self._class_weights(codes)
        self.seed_ = _seed_from(self.random_state)
        n_samples = len(next(iter(inputs.values())))
        self.n_samples_fit_ = n_samples
        rows = None
        if n_samples > _MAX_REFERENCE:
            keep = check_random_state(self.seed_).permutation(n_samples)
            rows = np.sort(keep[:_MAX_REFERENCE])
        self.novelty_reference_ = summaries if rows is None else summaries[rows]
        self.novelty_threshold_ = self._novelty_reference().threshold()
        return CheckedInputs(inputs), y

    def _class_weights(self, codes):
        classes = self.classes_
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, str):  # "balanced"
            counts = np.bincount(codes, minlength=len(classes))
            weights = len(codes) / (len(classes) * np.maximum(counts, 1))
            return weights.astype(np.float32)
        unknown = set(self.class_weight) - set(classes.tolist())
        if unknown:
            raise ValueError(f"class_weight names unknown classes: {sorted(unknown)}")
        return np.asarray(
            [self.class_weight.get(c, 1.0) for c in classes.tolist()],
            dtype=np.float32,
        )

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train ``max_epochs`` more epochs; an unfitted model is fitted first.

        Parameters
        ----------
        X : array-like of shape (n, 3, H, W) or (n, n_tasks, 3, H, W), or dict
            Feature images, as in :meth:`fit`: from
            :class:`~skhyperdys.SpectrogramImages` (or
            :class:`~skhyperdys.MultiTaskImages`), a dict ``{"images": ...,
            "context": ...}`` from :class:`~skhyperdys.ImagesAndContext`, or
            ``{"features": ...}`` from :class:`~skhyperdys.BackboneFeatures`;
            of the same kind as the model was fitted on.
        y : array-like of shape (n_samples,)
            Labels, among ``classes_`` (required, despite the default).
        classes : ignored
            The classes are fixed by the first :meth:`fit` (or the
            ``classes`` parameter).
        **fit_params
            Passed to :meth:`skorch.NeuralNet.partial_fit`.

        Returns
        -------
        self : HypernetClassifier
            The classifier, trained ``max_epochs`` epochs more. An unfitted
            classifier is fitted instead (:meth:`fit`).

        Raises
        ------
        ValueError
            If y holds labels not seen in :meth:`fit`, or X is not of the
            kind the model was fitted on (images vs features, number of
            tasks, context width); an unfitted classifier raises what
            :meth:`fit` raises.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import HypernetClassifier
        >>> rng = np.random.default_rng(0)
        >>> X = {"features": rng.standard_normal((8, 16)).astype("float32")}
        >>> y = [0, 1] * 4
        >>> clf = HypernetClassifier(max_epochs=1, embed_dim=8, context_dim=4,
        ...                          hyper_hidden=8, random_state=0).fit(X, y)
        >>> len(clf.partial_fit(X, y).history_)
        2
        """
        if not self.initialized_:
            return self.fit(X, y, **fit_params)
        super().partial_fit(X, y, classes, **fit_params)
        if not runtime_of(self).fitting:
            self._warn_if_no_better_than_majority(X, y)
        return self

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Deterministic: the average over the model's fixed evaluation contexts.

        Parameters
        ----------
        X : array-like of shape (n, 3, H, W) or (n, n_tasks, 3, H, W), or dict
            Feature images, as in :meth:`fit`: from
            :class:`~skhyperdys.SpectrogramImages` (or
            :class:`~skhyperdys.MultiTaskImages`), a dict ``{"images": ...,
            "context": ...}`` from :class:`~skhyperdys.ImagesAndContext`, or
            ``{"features": ...}`` from :class:`~skhyperdys.BackboneFeatures`;
            of the same kind as the model was fitted on.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
            The mean of the ``n_eval_contexts`` classifiers' probabilities;
            rows sum to 1.

        Warns
        -----
        UnusualInputWarning
            Once, listing the inputs whose novelty is above
            ``novelty_threshold_`` (far from the training data).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the classifier has not been fitted.
        TypeError, ValueError
            If X is not valid input or not of the kind the model was fitted
            on.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import HypernetClassifier
        >>> rng = np.random.default_rng(0)
        >>> X = {"features": rng.standard_normal((8, 16)).astype("float32")}
        >>> clf = HypernetClassifier(max_epochs=1, embed_dim=8, context_dim=4,
        ...                          hyper_hidden=8, random_state=0)
        >>> proba = clf.fit(X, [0, 1] * 4).predict_proba(X)
        >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1))
        ((8, 2), True)
        >>> bool((clf.predict_proba(X) == proba).all())  # deterministic
        True
        """
        with self._prediction():
            proba = super().predict_proba(X)
        self._flag_novel_inputs(X)
        return proba

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n, 3, H, W) or (n, n_tasks, 3, H, W), or dict
            Feature images, as in :meth:`fit`: from
            :class:`~skhyperdys.SpectrogramImages` (or
            :class:`~skhyperdys.MultiTaskImages`), a dict ``{"images": ...,
            "context": ...}`` from :class:`~skhyperdys.ImagesAndContext`, or
            ``{"features": ...}`` from :class:`~skhyperdys.BackboneFeatures`;
            of the same kind as the model was fitted on.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``: the class of highest mean probability
            (:meth:`predict_proba`).

        Warns
        -----
        UnusualInputWarning
            As :meth:`predict_proba`.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the classifier has not been fitted.
        TypeError, ValueError
            If X is not valid input or not of the kind the model was fitted
            on.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import HypernetClassifier
        >>> rng = np.random.default_rng(0)
        >>> X = {"features": rng.standard_normal((8, 16)).astype("float32")}
        >>> clf = HypernetClassifier(max_epochs=1, embed_dim=8, context_dim=4,
        ...                          hyper_hidden=8, random_state=0)
        >>> clf.fit(X, ["HC", "ALS"] * 4).predict(X).shape
        (8,)
        """
        codes = self.predict_proba(X).argmax(axis=1)
        return self.classes_[codes]

    def novelty(self, X):
        """How unlike the training inputs each input is.

        The mean distance from an input's summary (its feature images pooled
        to 8x8 per channel, or its backbone features) to its 5 nearest
        training inputs, divided by the training inputs' own typical spacing:
        about 1 for inputs like the training data, larger for unlike ones.
        Inputs above ``novelty_threshold_`` are flagged by :meth:`predict`.

        Parameters
        ----------
        X : array-like or dict
            Input as for :meth:`predict_proba`.

        Returns
        -------
        novelty : ndarray of shape (n_samples,)
            The novelty of each input.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the classifier has not been fitted (a model initialised
            without data has no training inputs to compare with).

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import HypernetClassifier
        >>> rng = np.random.default_rng(0)
        >>> X = {"features": rng.standard_normal((20, 16)).astype("float32")}
        >>> clf = HypernetClassifier(max_epochs=1, embed_dim=8, context_dim=4,
        ...                          hyper_hidden=8, random_state=0).fit(X, [0, 1] * 10)
        >>> bool(clf.novelty({"features": X["features"] + 100}).min() > 10)
        True
        """
        self.check_is_fitted(["novelty_reference_"])
        _, inputs = parse_input(X, needs_context=False)
        return self._novelty_reference().scores(summarise(inputs))

    def _novelty_reference(self):
        """The training summaries with their spacing, made once per fit."""
        reference = self.novelty_reference_
        runtime = runtime_of(self)
        if runtime.novelty is None or runtime.novelty.reference is not reference:
            runtime.novelty = NoveltyReference(reference)
        return runtime.novelty

    def _novelty_threshold(self):
        """``novelty_threshold_``; computed for a model saved before it existed."""
        if not hasattr(self, "novelty_threshold_"):
            self.novelty_threshold_ = self._novelty_reference().threshold()
        return self.novelty_threshold_

    def _flag_novel_inputs(self, X):
        """Warn once, listing the inputs above ``novelty_threshold_``."""
        if isinstance(X, torch.utils.data.Dataset) or not hasattr(
            self, "novelty_reference_"
        ):
            return  # skorch's own validation data, or no training data known
        reasons = novelty_reasons(self.novelty(X), self._novelty_threshold())
        warn_unusual(reasons, type(self).__name__, stacklevel=4)

    def predict_member_proba(self, X):
        """Class probabilities of each generated classifier.

        :meth:`predict_proba` is their average. With ``head="hyper"`` and a
        noise context there are ``n_eval_contexts`` classifiers; a dense
        head, a data context or a head of your own without
        ``member_log_proba`` gives one.

        Parameters
        ----------
        X : array-like or dict
            Input as for :meth:`predict_proba`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_members, n_classes), float32
            ``proba[i, j]``: the class probabilities of sample ``i`` under
            classifier ``j``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the classifier has not been fitted.
        TypeError, ValueError
            If X is not valid input or not of the kind the model was fitted
            on.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import HypernetClassifier
        >>> rng = np.random.default_rng(0)
        >>> X = {"features": rng.standard_normal((8, 16)).astype("float32")}
        >>> clf = HypernetClassifier(max_epochs=1, embed_dim=8, context_dim=4,
        ...                          hyper_hidden=8, n_eval_contexts=5,
        ...                          random_state=0).fit(X, [0, 1] * 4)
        >>> members = clf.predict_member_proba(X)
        >>> members.shape
        (8, 5, 2)
        >>> bool(np.allclose(members.mean(axis=1), clf.predict_proba(X), atol=1e-6))
        True
        """
        with self._prediction(members=True):
            log_proba = self.forward(X, training=False)
        return log_proba.exp().numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Input is a 4-D image array (n, 3, H, W), or a 2-D table of feature
        # vectors (a speech encoder's embeddings, measures).
        tags.input_tags.two_d_array = True
        tags.non_deterministic = False
        return tags


def _channels_last(images):
    """Images ``(n, [n_tasks,] 3, H, W)`` in channels-last memory layout."""
    if images.ndim == 4:
        return images.contiguous(memory_format=torch.channels_last)
    n, n_tasks = images.shape[:2]
    flat = images.flatten(0, 1).contiguous(memory_format=torch.channels_last)
    return flat.view(n, n_tasks, *flat.shape[1:])


def _seed_from(random_state):
    """An int seed for torch, drawn from a sklearn ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
