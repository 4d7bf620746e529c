"""Torch modules: the hypernetwork head and the full AlexNet + hypernetwork model."""

import math

import torch
from torch import nn

from .backbones import alexnet_backbone

__all__ = [
    "GatedMultimodalUnit",
    "HyperLinear",
    "HypernetModule",
    "features_in_batches",
]


def features_in_batches(backbone, images, batch_size, device="cpu"):
    """Run ``backbone`` over images ``(n, [n_tasks,] 3, H, W)`` without gradients.

    Parameters
    ----------
    backbone : torch.nn.Module
        Maps ``(m, 3, H, W)`` to ``(m, d)``; used as it is (put it in
        evaluation mode first).
    images : ndarray of shape (n, [n_tasks,] 3, H, W), float32
        The images.
    batch_size : int
        Images per forward pass.
    device : str or torch.device, default="cpu"
        Where ``backbone`` lives.

    Returns
    -------
    features : ndarray of shape (n, [n_tasks,] d), float32
        The backbone's output for each image, on the CPU, in the order and
        layout of ``images``.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> from skhyperdys.modules import features_in_batches
    >>> backbone = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())  # channel means
    >>> images = np.ones((5, 3, 8, 8), dtype=np.float32)
    >>> features_in_batches(backbone, images, batch_size=2)
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]], dtype=float32)

    With one image per task, the features keep the task axis:

    >>> images = np.ones((4, 2, 3, 8, 8), dtype=np.float32)
    >>> features_in_batches(backbone, images, batch_size=3).shape
    (4, 2, 3)
    """
    flat = images.reshape(-1, *images.shape[-3:])
    chunks = []
    with torch.no_grad():
        for start in range(0, len(flat), batch_size):
            batch = torch.as_tensor(flat[start : start + batch_size])
            batch = batch.to(device, dtype=torch.float32)
            chunks.append(backbone(batch).cpu())
    return torch.cat(chunks).numpy().reshape(*images.shape[:-3], -1)


class HyperLinear(nn.Module):
    """A linear layer whose weights and bias a hypernetwork generates.

    The hypernetwork ``H`` is an MLP ``context_dim -> hidden -> out*in + out``
    (ReLU between); for a context vector ``c`` it yields
    ``W = H(c)[:out*in].view(out, in)`` and ``b = H(c)[out*in:]``, and the
    layer computes ``x @ W.T + b``. The paper generates the weights only
    (768 x 2 = 1536 outputs); the bias is generated as well here.

    The hypernetwork's last layer is initialised so that the generated
    weights start at the scale of ``nn.Linear``'s default initialisation
    (variance ``1 / (3 * in_features)`` for contexts drawn from N(0, I)),
    which keeps the first logits of order one.

    Parameters
    ----------
    in_features, out_features : int
        Shape of the generated linear layer.
    context_dim : int, default=128
        Size of the context vector.
    hidden : int, default=512
        Hidden units of the hypernetwork.

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.modules import HyperLinear
    >>> layer = HyperLinear(768, 2, context_dim=128)
    >>> x, c = torch.randn(4, 768), torch.randn(4, 128)
    >>> tuple(layer(x, c).shape)
    (4, 2)
    """

    def __init__(self, in_features, out_features, context_dim=128, hidden=512):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.context_dim = context_dim
        self.hyper = nn.Sequential(
            nn.Linear(context_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, out_features * in_features + out_features),
        )
        last = self.hyper[-1]
        # ReLU(N(0, 1/3)) has second moment 1/6, so Var(W) = hidden * var / 6.
        std = math.sqrt(6.0 / (3.0 * in_features * hidden))
        nn.init.normal_(last.weight, std=std)
        nn.init.zeros_(last.bias)

    def generate(self, context):
        """Weights ``(m, out, in)`` and biases ``(m, out)`` for ``m`` contexts.

        Parameters
        ----------
        context : torch.Tensor of shape (m, context_dim)
            One context vector per classifier to generate.

        Returns
        -------
        weight : torch.Tensor of shape (m, out_features, in_features)
            The weights of each generated linear layer.
        bias : torch.Tensor of shape (m, out_features)
            Their biases.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import HyperLinear
        >>> layer = HyperLinear(4, 2, context_dim=3, hidden=8)
        >>> weight, bias = layer.generate(torch.randn(5, 3))
        >>> tuple(weight.shape), tuple(bias.shape)
        ((5, 2, 4), (5, 2))
        """
        params = self.hyper(context)
        n_weights = self.out_features * self.in_features
        weight = params[:, :n_weights].view(-1, self.out_features, self.in_features)
        return weight, params[:, n_weights:]

    def forward(self, x, context):
        """Logits of ``x`` (n, in), one context per row of ``x`` (n, context_dim).

        Parameters
        ----------
        x : torch.Tensor of shape (n, in_features)
            The inputs.
        context : torch.Tensor of shape (n, context_dim)
            The context of each row of ``x``: row ``i`` is classified by the
            linear layer generated from ``context[i]``.

        Returns
        -------
        logits : torch.Tensor of shape (n, out_features)
            ``x[i] @ W_i.T + b_i`` for each row.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import HyperLinear
        >>> layer = HyperLinear(4, 2, context_dim=3, hidden=8)
        >>> tuple(layer(torch.randn(5, 4), torch.randn(5, 3)).shape)
        (5, 2)
        """
        weight, bias = self.generate(context)
        return torch.einsum("ni,noi->no", x, weight) + bias

    def forward_ensemble(self, x, contexts):
        """Logits of the mixture over contexts ``(m, context_dim)``.

        Each context gives a classifier; their softmax probabilities are
        averaged, and the log of the average is returned, so that a softmax of
        the output is the mixture's probability.

        Parameters
        ----------
        x : torch.Tensor of shape (n, in_features)
            The inputs.
        contexts : torch.Tensor of shape (m, context_dim)
            The contexts of the ``m`` classifiers, shared by all rows of ``x``.

        Returns
        -------
        log_proba : torch.Tensor of shape (n, out_features)
            Log of the average class probability over the ``m`` classifiers.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import HyperLinear
        >>> layer = HyperLinear(4, 2, context_dim=3, hidden=8)
        >>> log_proba = layer.forward_ensemble(torch.randn(5, 4), torch.randn(10, 3))
        >>> tuple(log_proba.shape)
        (5, 2)
        >>> torch.allclose(log_proba.exp().sum(dim=1), torch.ones(5))
        True
        """
        weight, bias = self.generate(contexts)
        logits = torch.einsum("ni,moi->nmo", x, weight) + bias[None]
        log_p = torch.log_softmax(logits, dim=-1)
        return torch.logsumexp(log_p, dim=1) - math.log(len(contexts))


class GatedMultimodalUnit(nn.Module):
    """Gated multimodal unit (Arevalo et al., 2017) fusing ``n_inputs`` vectors.

    Each input ``x_t`` is projected, ``h_t = tanh(W_t x_t)``; gates computed
    from all inputs together, ``z = softmax_t(W_z [x_1; ...; x_T])`` (per
    dimension, over the inputs), weigh them: ``h = sum_t z_t * h_t``. With two
    inputs this is the original GMU, ``z * h_1 + (1 - z) * h_2``.

    Parameters
    ----------
    n_inputs : int
        Number of vectors to fuse (tasks).
    dim : int
        Their size, and the size of the output.

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.modules import GatedMultimodalUnit
    >>> tuple(GatedMultimodalUnit(2, 8)(torch.randn(5, 2, 8)).shape)
    (5, 8)
    """

    def __init__(self, n_inputs, dim):
        super().__init__()
        self.projections = nn.ModuleList(nn.Linear(dim, dim) for _ in range(n_inputs))
        self.gate = nn.Linear(n_inputs * dim, n_inputs * dim)

    def forward(self, x):
        """Fuse ``x`` of shape (n, n_inputs, dim) into (n, dim).

        Parameters
        ----------
        x : torch.Tensor of shape (n, n_inputs, dim)
            The vectors to fuse, one row of ``n_inputs`` per sample.

        Returns
        -------
        h : torch.Tensor of shape (n, dim)
            The gated sum of the projected inputs.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import GatedMultimodalUnit
        >>> gmu = GatedMultimodalUnit(n_inputs=3, dim=4)
        >>> tuple(gmu(torch.randn(5, 3, 4)).shape)
        (5, 4)
        """
        h = torch.stack(
            [torch.tanh(proj(x[:, t])) for t, proj in enumerate(self.projections)], 1
        )
        z = torch.softmax(self.gate(x.flatten(1)).view_as(h), dim=1)
        return (z * h).sum(dim=1)


class HypernetModule(nn.Module):
    """AlexNet embedding followed by a hypernetwork-generated linear classifier.

    Training (``module.train()``): every sample gets a fresh context
    ``c ~ N(0, I)``, so the network learns a distribution of classifiers.
    Evaluation (``module.eval()``): the model is deterministic; it averages the
    class probabilities of ``n_eval_contexts`` classifiers, generated from
    contexts drawn once, at construction, from N(0, I) with a generator seeded
    by ``seed``, and stored in the buffer ``eval_contexts``.

    The paper's variants are options of the same module:

    * ``head="dense"``: a plain ``Linear(embed_dim, n_classes)`` instead of
      the hypernetwork (the ablation "hypernetwork replaced by a dense layer").
    * ``context="data"``: the context is a per-recording feature vector
      (e.g. eGeMAPS functionals) passed to :meth:`forward`, standardised with
      ``context_mean`` and ``context_std``, instead of noise.
    * ``n_tasks > 1``: the input holds one image per task, ``(n, n_tasks, 3,
      H, W)``; the shared backbone embeds each, and ``fusion`` (``"gmu"``: a
      :class:`GatedMultimodalUnit`; ``"concat"``: concatenation) combines them.

    Parameters
    ----------
    n_classes : int
        Number of classes.
    embed_dim : int, default=768
        Size of the AlexNet embedding.
    context_dim : int, default=128
        Size of the context vector (with ``context="data"``: the number of
        context features).
    hyper_hidden : int, default=512
        Hidden units of the hypernetwork.
    weights : None, "imagenet" or path, default=None
        Backbone initialisation, see :func:`skhyperdys.backbones.alexnet_backbone`.
    freeze_backbone : bool, default=False
        Freeze the (pretrained) AlexNet layers; only the new embedding layer
        and the head train. The frozen layers stay in evaluation mode
        (no dropout) even while the module trains, so their features can be
        computed once and passed as ``features``.
    n_eval_contexts : int, default=32
        Number of fixed contexts averaged at evaluation (noise context).
    seed : int, default=0
        Seed of the evaluation contexts.
    head : {"hyper", "dense"}, default="hyper"
        The classifier head.
    context : {"noise", "data"}, default="noise"
        Where the hypernetwork's context comes from.
    context_mean, context_std : array-like of shape (context_dim,), default=None
        Standardisation of data contexts (zero mean, unit variance if None).
    n_tasks : int, default=1
        Images per sample.
    fusion : {"gmu", "concat"}, default="gmu"
        How the embeddings of several tasks are combined.
    backbone : bool, default=True
        ``False``: no AlexNet; the input is its precomputed features,
        ``(n, n_features)`` or ``(n, n_tasks, n_features)``, as
        :class:`skhyperdys.BackboneFeatures` makes.
    n_features : int, default=4096
        Size of the backbone features (with ``backbone=False``).

    Raises
    ------
    ValueError
        If ``head``, ``context`` or (with ``n_tasks > 1``) ``fusion`` is not
        one of its values, or if ``weights`` do not fit AlexNet.
    FileNotFoundError, RuntimeError
        If ``weights`` cannot be read, see
        :func:`skhyperdys.backbones.alexnet_backbone`.

    See Also
    --------
    skhyperdys.HypernetClassifier : The scikit-learn estimator training it.

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.modules import HypernetModule
    >>> model = HypernetModule(n_classes=2, embed_dim=32, context_dim=8).eval()
    >>> tuple(model(torch.zeros(3, 3, 64, 64)).shape)
    (3, 2)
    """

    def __init__(
        self,
        n_classes,
        embed_dim=768,
        context_dim=128,
        hyper_hidden=512,
        weights=None,
        freeze_backbone=False,
        n_eval_contexts=32,
        seed=0,
        head="hyper",
        context="noise",
        context_mean=None,
        context_std=None,
        n_tasks=1,
        fusion="gmu",
        backbone=True,
        n_features=4096,
    ):
        super().__init__()
        self.context_dim = context_dim
        self.freeze_backbone = freeze_backbone
        self.head_type = head
        self.context = context
        self.n_tasks = n_tasks
        # AlexNet up to its 4096-d penultimate layer ("backbone"), then the new
        # 4096 -> embed_dim layer ("embedding") that replaces its classifier.
        # Without a backbone the module takes precomputed backbone features
        # (e.g. from BackboneFeatures) of size n_features.
        self.backbone = None
        self.embedding = nn.Linear(n_features, embed_dim)
        if backbone:
            net = alexnet_backbone(embed_dim, weights)
            self.embedding = net.classifier[-1]
            net.classifier[-1] = nn.Identity()
            self.backbone = net
            if freeze_backbone:
                self.backbone.requires_grad_(False)
        in_features = embed_dim
        self.fusion = None
        if n_tasks > 1:
            if fusion == "gmu":
                self.fusion = GatedMultimodalUnit(n_tasks, embed_dim)
            elif fusion == "concat":
                self.fusion = nn.Flatten()
                in_features = n_tasks * embed_dim
            else:
                raise ValueError(f"fusion must be 'gmu' or 'concat', got {fusion!r}.")
        if head == "dense":
            self.head = nn.Linear(in_features, n_classes)
        elif head == "hyper":
            self.head = HyperLinear(in_features, n_classes, context_dim, hyper_hidden)
        else:
            raise ValueError(f"head must be 'hyper' or 'dense', got {head!r}.")
        if context not in ("noise", "data"):
            raise ValueError(f"context must be 'noise' or 'data', got {context!r}.")
        generator = torch.Generator().manual_seed(int(seed))
        self.register_buffer(
            "eval_contexts",
            torch.randn(n_eval_contexts, context_dim, generator=generator),
        )
        mean = torch.zeros(context_dim) if context_mean is None else context_mean
        std = torch.ones(context_dim) if context_std is None else context_std
        self.register_buffer("context_mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("context_std", torch.as_tensor(std, dtype=torch.float32))

    def train(self, mode=True):
        """Set training (``mode=True``) or evaluation mode.

        As :meth:`torch.nn.Module.train`, except that a frozen backbone
        (``freeze_backbone=True``) always stays in evaluation mode.

        Parameters
        ----------
        mode : bool, default=True
            ``True`` for training mode, ``False`` for evaluation mode.

        Returns
        -------
        self : HypernetModule
            The module itself.

        Examples
        --------
        >>> from skhyperdys.modules import HypernetModule
        >>> model = HypernetModule(n_classes=2, embed_dim=8, context_dim=4,
        ...                        freeze_backbone=True).train()
        >>> model.training, model.head.training, model.backbone.training
        (True, True, False)
        """
        super().train(mode)
        if self.freeze_backbone and self.backbone is not None:
            self.backbone.eval()
        return self

    def backbone_features(self, images):
        """The backbone's 4096-d features of ``(n, [T,] 3, H, W)`` images.

        Parameters
        ----------
        images : torch.Tensor of shape (n, 3, H, W) or (n, n_tasks, 3, H, W)
            Feature images, H and W at least 63.

        Returns
        -------
        features : torch.Tensor of shape (n, 4096) or (n, n_tasks, 4096)
            AlexNet's penultimate-layer output of each image.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import HypernetModule
        >>> model = HypernetModule(n_classes=2, embed_dim=8, context_dim=4).eval()
        >>> tuple(model.backbone_features(torch.zeros(2, 3, 64, 64)).shape)
        (2, 4096)
        """
        images = images.float()  # float16 images are computed in float32
        if images.ndim == 4:
            return self.backbone(images)
        n, n_tasks = images.shape[:2]
        return self.backbone(images.flatten(0, 1)).view(n, n_tasks, -1)

    def embed(self, images=None, features=None):
        """Embeddings ``(n, embed_dim or n_tasks * embed_dim)``.

        From images ``(n, 3, H, W)`` or ``(n, T, 3, H, W)``, or from their
        precomputed :meth:`backbone_features` (a frozen backbone's features
        need computing only once per fit).

        Parameters
        ----------
        images : torch.Tensor of shape (n, [n_tasks,] 3, H, W) or None
            Feature images; ignored if ``features`` is given.
        features : torch.Tensor of shape (n, [n_tasks,] n_features) or None
            Precomputed backbone features of the images.

        Returns
        -------
        embedding : torch.Tensor of shape (n, embed_dim) or (n, n_tasks * embed_dim)
            The embedding of each sample, after fusion of its tasks if there
            are several (``n_tasks * embed_dim`` with ``fusion="concat"``).

        Raises
        ------
        ValueError
            If ``features`` is None and the module has no backbone.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import HypernetModule
        >>> model = HypernetModule(n_classes=2, embed_dim=8, context_dim=4,
        ...                        backbone=False, n_features=16)
        >>> tuple(model.embed(features=torch.randn(5, 16)).shape)
        (5, 8)
        """
        if features is None:
            if self.backbone is None:
                raise ValueError("this module has no backbone: pass features.")
            features = self.backbone_features(images)
        embedding = self.embedding(features)
        return embedding if embedding.ndim == 2 else self.fusion(embedding)

    def forward(self, images=None, context=None, features=None):
        """Class logits for ``images`` (or their backbone ``features``).

        In training mode, with a noise context, each sample gets a fresh
        context; in evaluation mode the output is the log of the average
        probability over the fixed ``eval_contexts`` (so its softmax is that
        probability).

        Parameters
        ----------
        images : torch.Tensor of shape (n, [n_tasks,] 3, H, W) or None
            Feature images; ignored if ``features`` is given.
        context : torch.Tensor of shape (n, context_dim) or None
            Per-sample context features, used only with ``context="data"``
            (and ``head="hyper"``).
        features : torch.Tensor of shape (n, [n_tasks,] n_features) or None
            Precomputed backbone features of the images.

        Returns
        -------
        logits : torch.Tensor of shape (n, n_classes)
            Unnormalised class scores.

        Raises
        ------
        ValueError
            If ``context="data"`` and ``context`` is None, or if ``features``
            is None and the module has no backbone.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import HypernetModule
        >>> model = HypernetModule(n_classes=3, embed_dim=8, context_dim=4,
        ...                        backbone=False, n_features=16).eval()
        >>> tuple(model(features=torch.randn(5, 16)).shape)
        (5, 3)

        With ``context="data"`` each sample brings its own context:

        >>> model = HypernetModule(n_classes=2, embed_dim=8, context_dim=4,
        ...                        context="data", backbone=False, n_features=16)
        >>> tuple(model(features=torch.randn(5, 16), context=torch.randn(5, 4)).shape)
        (5, 2)
        """
        embedding = self.embed(images, features)
        if self.head_type == "dense":
            return self.head(embedding)
        if self.context == "data":
            if context is None:
                raise ValueError("context='data' needs a context for every sample.")
            context = (context - self.context_mean) / self.context_std
            return self.head(embedding, context.to(embedding.dtype))
        if self.training:
            noise = torch.randn(
                len(embedding),
                self.context_dim,
                device=embedding.device,
                dtype=embedding.dtype,
            )
            return self.head(embedding, noise)
        return self.head.forward_ensemble(embedding, self.eval_contexts)
