"""The skorch classifier: AlexNet embedding + hypernetwork head."""

import numbers
import os

import numpy as np
import torch
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochScoring

from ._validation import (
    check_choice,
    check_context,
    check_features,
    check_images,
    check_int,
)
from .modules import HypernetModule, features_in_batches

__all__ = ["HypernetClassifier"]


def _encoded_accuracy(net, X, y):
    """Accuracy against skorch's internal (label-encoded) targets."""
    proba = NeuralNetClassifier.predict_proba(net, X)  # X is a skorch Dataset
    return accuracy_score(y, proba.argmax(axis=1))


class HypernetClassifier(NeuralNetClassifier):
    """Dysarthria classifier: AlexNet embedding and a hypernetwork-generated head.

    The model of Ilias & Askounis (2025): a torchvision AlexNet whose last
    layer is replaced by ``Linear(4096, embed_dim)``, followed by a linear
    classifier whose weights and bias are produced by a hypernetwork
    ``context_dim -> hyper_hidden -> (embed_dim + 1) * n_classes`` from a
    context vector (see :class:`skhyperdys.modules.HypernetModule`).

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
    of shape ``(n_samples, 3, H, W)`` with H, W >= 63.

    Parameters
    ----------
    context_dim : int, default=128
        Size of the context vector (the paper's 128).
    hyper_hidden : int, default=512
        Hidden units of the hypernetwork (the paper's 512).
    embed_dim : int, default=768
        Size of the AlexNet embedding (the paper's 768).
    weights : "imagenet", None, str or os.PathLike, default="imagenet"
        Backbone initialisation. ``"imagenet"``: torchvision's pretrained
        ``AlexNet_Weights.IMAGENET1K_V1`` (read from the torch hub cache, or
        downloaded once; without network access and cache, fit fails at once
        and says how to proceed). ``None``: random initialisation. A path: a
        saved AlexNet ``state_dict``.
    freeze_backbone : bool, default=False
        Keep the pretrained AlexNet layers fixed; train only the new embedding
        layer and the hypernetwork. Their features are then computed once per
        fit, not once per epoch, so 30 epochs cost about one forward pass of
        AlexNet plus the training of the head.
    n_eval_contexts : int, default=32
        Number of fixed contexts whose classifiers are averaged at prediction.
    head : {"hyper", "dense"}, default="hyper"
        ``"dense"`` replaces the hypernetwork by a plain
        ``Linear(embed_dim, n_classes)``, everything else unchanged: the
        paper's ablation baseline.
    context : {"noise", "data"}, default="noise"
        ``"noise"``: contexts drawn from N(0, I) as described above.
        ``"data"``: each recording's own feature vector (e.g. eGeMAPS
        functionals) is its context, standardised with the training data's
        mean and standard deviation; ``context_dim`` is then ignored (it is
        the number of features), and X must be a dict
        ``{"images": ..., "context": ...}`` as :class:`ImagesAndContext`
        makes. The paper's data-conditioned ablation.
    fusion : {"gmu", "concat"}, default="gmu"
        Used when X holds several images per sample, ``(n, n_tasks, 3, H, W)``
        (from :class:`MultiTaskImages`): a shared backbone embeds each, and a
        gated multimodal unit (``"gmu"``) or concatenation (``"concat"``)
        combines them, as in the paper's /pa/ + /ta/ fusion baselines.
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
    batch_size : int, default=32
        Mini-batch size.
    module : type, default=HypernetModule
        The torch module to build; ``module__<name>`` parameters reach it.
    train_split : callable or None, default=None
        The skorch internal validation split. ``None`` trains on all of the
        data it is given, as in a cross-validation fold; pass
        ``skorch.dataset.ValidSplit(5, stratified=True)`` for a validation
        loss and accuracy per epoch (e.g. for early stopping).
    iterator_train__shuffle : bool, default=True
        Shuffle the training batches every epoch.
    device : str or torch.device, default="cpu"
        ``"cuda"`` to train on a GPU.
    callbacks : list or None, default=None
        Extra skorch callbacks, e.g. ``EarlyStopping(load_best=True)``.
    verbose : int, default=0
        ``1`` prints skorch's table of losses per epoch.
    **kwargs
        Any other parameter of :class:`skorch.NeuralNetClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    module_ : HypernetModule
        The trained torch module.
    history_ : skorch.History
        Per epoch: ``train_loss`` and ``train_acc`` (the training pass's
        accuracy), and ``valid_loss``/``valid_acc`` with a ``train_split``;
        per batch: the losses. :func:`skhyperdys.plotting.plot_training_history`
        draws it.

    See Also
    --------
    skhyperdys.SpectrogramImages : The transformer producing the input.

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

    def __init__(
        self,
        *,
        context_dim=128,
        hyper_hidden=512,
        embed_dim=768,
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
        batch_size=32,
        train_split=None,
        iterator_train__shuffle=True,
        device="cpu",
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
        self.weights = weights
        self.freeze_backbone = freeze_backbone
        self.n_eval_contexts = n_eval_contexts
        self.head = head
        self.context = context
        self.fusion = fusion
        self.class_weight = class_weight
        self.random_state = random_state

    def _get_param_names(self):
        # skorch treats every attribute without a trailing underscore as a
        # parameter; keep its private bookkeeping out of get_params and repr.
        return [name for name in super()._get_param_names() if name[0] != "_"]

    @property
    def _default_callbacks(self):
        # skorch's valid_acc calls predict(), which returns the original labels
        # here; score against the encoded targets skorch trains on instead.
        # train_acc scores the training pass's own (cached) outputs, so it
        # costs no extra forward pass; it is what plot_training_history shows
        # when there is no validation split.
        callbacks = []
        for name, cb in super()._default_callbacks:
            if name == "valid_acc":
                cb = EpochScoring(
                    _encoded_accuracy, name="valid_acc", lower_is_better=False
                )
            callbacks.append((name, cb))
            if name == "train_loss":
                callbacks.append(
                    (
                        "train_acc",
                        EpochScoring(
                            _encoded_accuracy,
                            name="train_acc",
                            lower_is_better=False,
                            on_train=True,
                        ),
                    )
                )
        return callbacks

    # --- parameters -------------------------------------------------------

    def _check_params(self):
        for name in ("context_dim", "hyper_hidden", "embed_dim", "n_eval_contexts"):
            check_int(getattr(self, name), name)
        weights = self.weights
        if not (weights is None or isinstance(weights, (str, os.PathLike))):
            raise TypeError(
                "weights must be 'imagenet', None or a path to a saved AlexNet "
                f"state_dict; got {type(weights).__name__}."
            )
        if weights is not None and weights != "imagenet":
            if not os.path.isfile(os.fspath(weights)):
                raise FileNotFoundError(f"weights file not found: {weights!r}")
        check_choice(self.head, "head", ("hyper", "dense"))
        check_choice(self.context, "context", ("noise", "data"))
        check_choice(self.fusion, "fusion", ("gmu", "concat"))
        cw = self.class_weight
        if not (cw is None or cw == "balanced" or isinstance(cw, dict)):
            raise ValueError(
                f"class_weight must be None, 'balanced' or a dict, got {cw!r}."
            )
        if not isinstance(self.freeze_backbone, (bool, np.bool_)):
            raise TypeError(
                f"freeze_backbone must be True or False, got {self.freeze_backbone!r}."
            )
        rs = self.random_state
        if not (
            rs is None
            or isinstance(rs, np.random.RandomState)
            or (isinstance(rs, numbers.Integral) and not isinstance(rs, bool))
        ):
            raise ValueError(
                f"random_state must be None, an int or a numpy RandomState, got {rs!r}."
            )

    def initialize_module(self):
        """Build :class:`HypernetModule` from the top-level parameters.

        Called by :meth:`fit`, once the classes are known.

        Returns
        -------
        self : HypernetClassifier

        Raises
        ------
        AttributeError
            If called before :meth:`fit` (the number of classes is unknown).
        """
        if not hasattr(self, "label_encoder_"):
            raise AttributeError(
                "HypernetClassifier builds its module in fit(), once the classes "
                "are known; call fit(X, y)."
            )
        data_context = self.context == "data" and self.head == "hyper"
        kwargs = dict(
            n_classes=len(self.label_encoder_.classes_),
            embed_dim=self.embed_dim,
            context_dim=len(self.context_mean_) if data_context else self.context_dim,
            hyper_hidden=self.hyper_hidden,
            weights=self.weights,
            freeze_backbone=bool(self.freeze_backbone),
            n_eval_contexts=self.n_eval_contexts,
            seed=self.seed_,
            head=self.head,
            context=self.context,
            context_mean=self.context_mean_ if data_context else None,
            context_std=self.context_std_ if data_context else None,
            n_tasks=self.n_tasks_,
            fusion=self.fusion,
            backbone=self.n_features_ is None,
            n_features=self.n_features_ or 4096,
        )
        kwargs.update(self.get_params_for("module"))
        self.module_ = self.initialized_instance(self.module, kwargs)
        return self

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
        """Build the criterion, with the class weights if ``class_weight`` is set."""
        kwargs = self.get_params_for("criterion")
        if getattr(self, "class_weight_", None) is not None:
            kwargs.setdefault("weight", torch.as_tensor(self.class_weight_))
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    def _check_X(self, X, fitting=False):
        """Validate X (images, or a dict of images and context) for the module."""
        if isinstance(X, dict):
            kinds = {"images", "features"} & set(X)
            unknown = set(X) - {"images", "features", "context"}
            if len(kinds) != 1 or unknown:
                raise ValueError(
                    "a dict X must hold 'images' or 'features' (and 'context'); "
                    f"got keys {sorted(X)}."
                )
            kind = kinds.pop()
            check = check_images if kind == "images" else check_features
            images = check(X[kind])
            context = X.get("context")
        else:
            images, context = check_images(X), None
        n_tasks = images.shape[1] if images.ndim in (3, 5) else 1
        if self.context == "data" and self.head == "hyper":
            if context is None:
                raise ValueError(
                    "context='data' needs X = {'images': ..., 'context': ...}; "
                    "make it with ImagesAndContext in the pipeline."
                )
            context = check_context(context, len(images))
        if not fitting:
            if (images.ndim <= 3) != (self.n_features_ is not None):
                raise ValueError(
                    "the model was fitted on "
                    + ("backbone features" if self.n_features_ else "images")
                    + ", X holds the other kind."
                )
            if images.ndim <= 3 and images.shape[-1] != self.n_features_:
                raise ValueError(
                    f"the model was fitted on {self.n_features_} features per "
                    f"image, X has {images.shape[-1]}."
                )
            if n_tasks != self.n_tasks_:
                raise ValueError(
                    f"the model was fitted on {self.n_tasks_} image(s) per "
                    f"sample, X has {n_tasks}."
                )
            if context is not None and self.context == "data":
                if context.shape[1] != len(self.context_mean_):
                    raise ValueError(
                        f"the model was fitted on {len(self.context_mean_)} "
                        f"context features, X has {context.shape[1]}."
                    )
        kind = "features" if images.ndim <= 3 else "images"
        if context is None or self.context != "data":
            return (images if kind == "images" else {kind: images}), None
        return {kind: images, "context": context}, context

    def _fit_class_weight(self, y_encoded):
        n_classes = len(self.label_encoder_.classes_)
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            counts = np.bincount(y_encoded, minlength=n_classes)
            return (len(y_encoded) / (n_classes * np.maximum(counts, 1))).astype(
                np.float32
            )
        unknown = set(self.class_weight) - set(self.label_encoder_.classes_)
        if unknown:
            raise ValueError(f"class_weight names unknown classes: {sorted(unknown)}")
        return np.asarray(
            [self.class_weight.get(c, 1.0) for c in self.label_encoder_.classes_],
            dtype=np.float32,
        )

    def get_all_learnable_params(self):
        """Parameters the optimizer updates: those with ``requires_grad``."""
        for name, param in super().get_all_learnable_params():
            if param.requires_grad:
                yield name, param

    # --- fitting and prediction -------------------------------------------

    def fit(self, X, y, **fit_params):
        """Train on feature images ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n, 3, H, W) or (n, n_tasks, 3, H, W), or dict
            Feature images, e.g. from :class:`skhyperdys.SpectrogramImages`
            (H and W at least 63); several per sample for fusion; with
            ``context="data"`` a dict ``{"images": ..., "context": ...}``;
            or ``{"features": ...}``, a frozen backbone's features from
            :class:`skhyperdys.BackboneFeatures` (the module is then built
            without AlexNet).
        y : array-like of shape (n_samples,)
            Class labels of any type scikit-learn accepts (ints, strings,
            bools), at least two distinct.
        **fit_params
            Passed to :meth:`skorch.NeuralNet.fit`.

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
            has the wrong shape, images smaller than 63 pixels, NaN or
            infinite values, or no samples; if ``context="data"`` gets no
            context or one of the wrong shape; if y has a different length
            from X, one class only, continuous values or labels outside
            ``classes``; or if a weights file does not fit AlexNet.
        FileNotFoundError
            If ``weights`` is a path to a missing file.
        RuntimeError
            If ``weights="imagenet"`` is neither in the torch hub cache nor
            downloadable; the message says where to put the file.

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
        self._check_params()
        X, context = self._check_X(X, fitting=True)
        images = X if not isinstance(X, dict) else X.get("images", X.get("features"))
        self.n_tasks_ = images.shape[1] if images.ndim in (3, 5) else 1
        # Backbone features (from BackboneFeatures) instead of images: the
        # module is then built without AlexNet.
        self.n_features_ = images.shape[-1] if images.ndim <= 3 else None
        if context is not None:
            self.context_mean_ = context.mean(axis=0)
            std = context.std(axis=0)
            self.context_std_ = np.where(std > 0, std, 1.0).astype(np.float32)
        y = column_or_1d(y, warn=True)
        if len(y) != len(images):
            raise ValueError(
                f"X holds {len(images)} samples but y holds {len(y)} labels."
            )
        check_classification_targets(y)
        self.label_encoder_ = LabelEncoder().fit(
            y if self.classes is None else np.asarray(self.classes)
        )
        unknown = np.setdiff1d(y, self.label_encoder_.classes_)
        if len(unknown):
            raise ValueError(f"y holds labels not in classes: {unknown[:5].tolist()}.")
        if len(self.label_encoder_.classes_) < 2:
            raise ValueError(
                "y holds one class only "
                f"({self.label_encoder_.classes_[0]!r}); at least 2 are needed."
            )
        y_encoded = self.label_encoder_.transform(y).astype(np.int64)
        self.class_weight_ = self._fit_class_weight(y_encoded)
        self.seed_ = int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )
        with torch.random.fork_rng(devices=self._cuda_devices()):
            torch.manual_seed(self.seed_)
            # skorch's fit(), with the frozen backbone's features computed once
            # here instead of in every epoch.
            if not self.warm_start or not self.initialized_:
                self.initialize()
            if self.freeze_backbone and self.n_features_ is None:
                X = self._with_backbone_features(X)
            self.partial_fit(X, y_encoded, _routing_method="fit", **fit_params)
        return self

    def _with_backbone_features(self, X):
        """Replace the images in X by the frozen backbone's features.

        The frozen layers run in evaluation mode (no dropout), so their output
        does not change during training: computing it once gives the same
        training as computing it in every epoch, for the cost of one forward
        pass.
        """
        inputs = dict(X) if isinstance(X, dict) else {"images": X}
        inputs["features"] = features_in_batches(
            self.module_.backbone, inputs.pop("images"), self.batch_size, self.device
        )
        return inputs

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Continue training a fitted model for ``max_epochs`` more epochs.

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
            The classes are fixed by the first :meth:`fit`.
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
        if fit_params.get("_routing_method") == "fit":
            # skorch's fit() lands here with X and y already checked and encoded.
            return super().partial_fit(X, y, **fit_params)
        if not self.initialized_ or not hasattr(self, "label_encoder_"):
            return self.fit(X, y, **fit_params)
        X, _ = self._check_X(X)
        y = self.label_encoder_.transform(column_or_1d(y)).astype(np.int64)
        return super().partial_fit(X, y, **fit_params)

    def _cuda_devices(self):
        device = torch.device(self.device) if self.device is not None else None
        if device is not None and device.type == "cuda" and torch.cuda.is_available():
            return [device.index or 0]
        return []

    @property
    def classes_(self):
        """The class labels seen in :meth:`fit`, sorted.

        Raises ``sklearn.exceptions.NotFittedError`` before :meth:`fit`.
        """
        check_is_fitted(self, "label_encoder_")
        return self.label_encoder_.classes_

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
        check_is_fitted(self, "label_encoder_")
        return super().predict_proba(self._check_X(X)[0])

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
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Input is a 4-D image array (n, 3, H, W), not a 2-D table.
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags
