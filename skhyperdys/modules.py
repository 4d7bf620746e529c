"""Torch modules: the parts of the model and their composition.

The model is built from three parts with one call signature each::

    embedder(images=..., features=...) -> (n, [n_tasks,] embed_dim)
    fusion(embeddings)                 -> (n, fusion.out_features)   # several tasks
    head(embedding, context=None)      -> (n, n_classes) logits

:class:`Embedder` is a backbone trunk (see :mod:`skhyperdys.backbones`) and the
new embedding layer; :class:`GatedMultimodalUnit` and :class:`ConcatFusion`
combine tasks; :class:`HypernetHead` (the paper's) and :class:`DenseHead` (its
ablation) classify. :class:`HypernetModule` is their composition. A head or
backbone of your own only has to follow the same signature.
"""

import math

import torch
from torch import nn

__all__ = [
    "ConcatFusion",
    "DenseHead",
    "Embedder",
    "GatedMultimodalUnit",
    "HyperLinear",
    "HypernetHead",
    "HypernetModule",
    "LayerWeights",
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
        self.out_features = dim
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




class ConcatFusion(nn.Module):
    """Fuse ``n_inputs`` vectors by concatenating them.

    Parameters
    ----------
    n_inputs : int
        Number of vectors to fuse (tasks).
    dim : int
        Their size; the output has ``n_inputs * dim`` values.

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.modules import ConcatFusion
    >>> fusion = ConcatFusion(2, 8)
    >>> fusion.out_features, tuple(fusion(torch.randn(5, 2, 8)).shape)
    (16, (5, 16))
    """

    def __init__(self, n_inputs, dim):
        super().__init__()
        self.out_features = n_inputs * dim

    def forward(self, x):
        """Concatenate ``x`` of shape (n, n_inputs, dim) into (n, n_inputs * dim).

        Parameters
        ----------
        x : torch.Tensor of shape (n, n_inputs, dim)
            The vectors to fuse.

        Returns
        -------
        h : torch.Tensor of shape (n, n_inputs * dim)
            The vectors of each sample, one after the other.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import ConcatFusion
        >>> ConcatFusion(2, 1)(torch.tensor([[[1.0], [2.0]]]))
        tensor([[1., 2.]])
        """
        return x.flatten(1)


class HypernetHead(nn.Module):
    """A linear classifier whose weights a hypernetwork generates from a context.

    The paper's head. With ``context="noise"``:

    * in training mode, every sample gets a fresh context ``c ~ N(0, I)``, so
      the hypernetwork learns a distribution of classifiers;
    * in evaluation mode the output is deterministic: the log of the average
      class probability of ``n_eval_contexts`` classifiers, generated from
      contexts drawn once, at construction, with a generator seeded by
      ``seed`` (the buffer ``eval_contexts``). Its softmax is that average.

    With ``context="data"`` each sample brings its own context (e.g. its
    eGeMAPS functionals), standardised with ``context_mean`` and
    ``context_std`` (the training data's, stored as buffers), in training
    and evaluation alike.

    Parameters
    ----------
    in_features : int
        Size of the embedding.
    n_classes : int
        Number of classes.
    context_dim : int, default=128
        Size of the context vector (with ``context="data"``: the number of
        context features).
    hidden : int, default=512
        Hidden units of the hypernetwork.
    context : {"noise", "data"}, default="noise"
        Where the context comes from.
    n_eval_contexts : int, default=32
        Number of fixed contexts averaged in evaluation mode (noise only).
    seed : int, default=0
        Seed of the evaluation contexts.
    context_mean, context_std : array-like of shape (context_dim,), default=None
        Standardisation of data contexts; zeros and ones if None.

    Attributes
    ----------
    linear : HyperLinear
        The hypernetwork and the generated layer.
    eval_contexts : torch.Tensor of shape (n_eval_contexts, context_dim)
        The fixed evaluation contexts (``context="noise"`` only).

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.modules import HypernetHead
    >>> head = HypernetHead(16, 2, context_dim=4, hidden=8).eval()
    >>> tuple(head(torch.randn(3, 16)).shape)
    (3, 2)
    """

    def __init__(
        self,
        in_features,
        n_classes,
        *,
        context_dim=128,
        hidden=512,
        context="noise",
        n_eval_contexts=32,
        seed=0,
        context_mean=None,
        context_std=None,
    ):
        super().__init__()
        if context not in ("noise", "data"):
            raise ValueError(f"context must be 'noise' or 'data', got {context!r}.")
        self.context = context
        self.context_dim = context_dim
        self.linear = HyperLinear(in_features, n_classes, context_dim, hidden)
        if context == "noise":
            generator = torch.Generator().manual_seed(int(seed))
            contexts = torch.randn(
                n_eval_contexts, context_dim, generator=generator, device="cpu"
            )  # the same contexts for a seed, whatever device the model is built on
            self.register_buffer("eval_contexts", contexts)
        else:
            mean = torch.zeros(context_dim) if context_mean is None else context_mean
            std = torch.ones(context_dim) if context_std is None else context_std
            self.register_buffer("context_mean", torch.as_tensor(mean).float())
            self.register_buffer("context_std", torch.as_tensor(std).float())

    def contexts(self, embedding, context=None):
        """The context of each row (training, data) or the fixed ones (evaluation).

        Parameters
        ----------
        embedding : torch.Tensor of shape (n, in_features)
            The embeddings to classify (for their number, device and dtype).
        context : torch.Tensor of shape (n, context_dim) or None
            Raw per-sample context features (``context="data"`` only).

        Returns
        -------
        contexts : torch.Tensor of shape (n or n_eval_contexts, context_dim)
            Standardised data contexts; fresh noise, one row per sample, in
            training mode; ``eval_contexts`` in evaluation mode.

        Raises
        ------
        ValueError
            If ``context="data"`` and ``context`` is None.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import HypernetHead
        >>> head = HypernetHead(16, 2, context_dim=4, hidden=8, n_eval_contexts=5)
        >>> tuple(head.train().contexts(torch.zeros(3, 16)).shape)
        (3, 4)
        >>> tuple(head.eval().contexts(torch.zeros(3, 16)).shape)
        (5, 4)
        """
        if self.context == "data":
            if context is None:
                raise ValueError("context='data' needs a context for every sample.")
            standard = (context - self.context_mean) / self.context_std
            return standard.to(embedding.dtype)
        if self.training:
            return torch.randn(
                len(embedding),
                self.context_dim,
                device=embedding.device,
                dtype=embedding.dtype,
            )
        return self.eval_contexts.to(embedding.dtype)

    def forward(self, embedding, context=None):
        """Class logits of each embedding.

        Parameters
        ----------
        embedding : torch.Tensor of shape (n, in_features)
            The embeddings.
        context : torch.Tensor of shape (n, context_dim) or None
            Per-sample context features, used only with ``context="data"``.

        Returns
        -------
        logits : torch.Tensor of shape (n, n_classes)
            Row ``i`` classified by the layer generated from its own context
            (training, or data contexts); in evaluation with noise, the log of
            the average probability over ``eval_contexts``.

        Raises
        ------
        ValueError
            If ``context="data"`` and ``context`` is None.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import HypernetHead
        >>> head = HypernetHead(16, 3, context_dim=4, hidden=8, context="data")
        >>> tuple(head(torch.randn(5, 16), torch.randn(5, 4)).shape)
        (5, 3)
        """
        contexts = self.contexts(embedding, context)
        if self.context == "noise" and not self.training:
            return self.linear.forward_ensemble(embedding, contexts)
        return self.linear(embedding, contexts)

    def member_log_proba(self, embedding, context=None):
        """Log-probabilities of every generated classifier, ``(n, m, n_classes)``.

        In evaluation mode with noise contexts, ``m = n_eval_contexts``: one
        column per evaluation context (the ensemble :meth:`forward` averages).
        Otherwise ``m = 1``.

        Parameters
        ----------
        embedding : torch.Tensor of shape (n, in_features)
            The embeddings.
        context : torch.Tensor of shape (n, context_dim) or None
            Per-sample context features, used only with ``context="data"``.

        Returns
        -------
        log_proba : torch.Tensor of shape (n, m, n_classes)
            Log-softmax of each classifier's logits.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import HypernetHead
        >>> head = HypernetHead(16, 2, context_dim=4, hidden=8, n_eval_contexts=6)
        >>> tuple(head.eval().member_log_proba(torch.randn(3, 16)).shape)
        (3, 6, 2)
        """
        contexts = self.contexts(embedding, context)
        if self.context == "noise" and not self.training:
            weight, bias = self.linear.generate(contexts)
            logits = torch.einsum("ni,moi->nmo", embedding, weight) + bias[None]
        else:
            logits = self.linear(embedding, contexts)[:, None]
        return torch.log_softmax(logits, dim=-1)


class DenseHead(nn.Module):
    """A plain linear classifier: the paper's ablation of the hypernetwork.

    Same call signature as :class:`HypernetHead`; the context is ignored.

    Parameters
    ----------
    in_features : int
        Size of the embedding.
    n_classes : int
        Number of classes.

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.modules import DenseHead
    >>> tuple(DenseHead(16, 2)(torch.randn(3, 16)).shape)
    (3, 2)
    """

    def __init__(self, in_features, n_classes):
        super().__init__()
        self.linear = nn.Linear(in_features, n_classes)

    def forward(self, embedding, context=None):
        """Class logits ``embedding @ W.T + b``; ``context`` is ignored.

        Parameters
        ----------
        embedding : torch.Tensor of shape (n, in_features)
            The embeddings.
        context : ignored
            Accepted for the common head signature.

        Returns
        -------
        logits : torch.Tensor of shape (n, n_classes)
            Unnormalised class scores.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import DenseHead
        >>> tuple(DenseHead(4, 3)(torch.zeros(2, 4), context=torch.ones(2, 9)).shape)
        (2, 3)
        """
        return self.linear(embedding)


class LayerWeights(nn.Module):
    """A learnt softmax-weighted sum of a stack of layers (SUPERB's weighting).

    The input of a pretrained speech encoder's every layer,
    ``(n, n_layers, d)`` (:class:`skhyperdys.encoders.SpeechEncoder` with
    ``layer="all"`` or a list), becomes one ``(n, d)`` vector
    ``sum_l softmax(w)_l * x[:, l]``. The weights ``w`` start equal (zeros),
    so training starts from the mean of the layers, as in SUPERB (Yang et
    al., 2021); after training, ``softmax(w)`` says which layers the model
    uses (:meth:`layer_weights`).

    Parameters
    ----------
    n_layers : int
        Number of layers in the stack.

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.modules import LayerWeights
    >>> weigh = LayerWeights(3)
    >>> x = torch.stack([torch.zeros(2, 4), torch.ones(2, 4), 2 * torch.ones(2, 4)], 1)
    >>> weigh(x)  # equal weights at the start: the mean of the layers
    tensor([[1., 1., 1., 1.],
            [1., 1., 1., 1.]], grad_fn=<SumBackward1>)
    """

    def __init__(self, n_layers):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_layers))

    def layer_weights(self):
        """The weight of each layer, ``softmax(w)``: non-negative, summing to 1.

        Returns
        -------
        weights : torch.Tensor of shape (n_layers,)
            The share of each layer in the weighted sum.

        Examples
        --------
        >>> from skhyperdys.modules import LayerWeights
        >>> LayerWeights(4).layer_weights().tolist()
        [0.25, 0.25, 0.25, 0.25]
        """
        return torch.softmax(self.logits.detach().float(), dim=0)

    def forward(self, layers):
        """The weighted sum of ``layers`` of shape (n, n_layers, d) over its layers.

        Parameters
        ----------
        layers : torch.Tensor of shape (n, n_layers, d)
            One vector per layer and sample.

        Returns
        -------
        features : torch.Tensor of shape (n, d)
            Their softmax-weighted sum.

        Raises
        ------
        ValueError
            If the stack does not hold ``n_layers`` layers.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import LayerWeights
        >>> tuple(LayerWeights(5)(torch.randn(2, 5, 8)).shape)
        (2, 8)
        """
        if layers.ndim != 3 or layers.shape[1] != len(self.logits):
            raise ValueError(
                f"expected a stack of shape (n, {len(self.logits)}, d); got "
                f"{tuple(layers.shape)}."
            )
        weights = torch.softmax(self.logits, dim=0).to(layers.dtype)
        return (layers * weights[:, None]).sum(dim=1)


class Embedder(nn.Module):
    """A backbone trunk followed by the new embedding layer.

    ``backbone`` maps images ``(m, 3, H, W)`` to features ``(m, n_features)``
    (see :func:`skhyperdys.backbones.make_backbone`); ``embedding`` is a new
    ``Linear(n_features, embed_dim)`` in the place of the backbone's own last
    layer. Several images per sample (one per task) are embedded one by one
    by the shared trunk. Without a backbone the input is a feature vector per
    sample (precomputed backbone features, a speech encoder's embeddings, any
    measures), or, with ``n_layers``, a stack of one vector per encoder layer,
    combined by :class:`LayerWeights` before the embedding layer.

    Parameters
    ----------
    backbone : torch.nn.Module or None
        The trunk; ``None`` when the input is its precomputed features (from
        :class:`skhyperdys.BackboneFeatures`) or other feature vectors.
    n_features : int
        Width of the trunk's output (or of the feature vectors).
    embed_dim : int, default=768
        Size of the embedding.
    freeze_backbone : bool, default=False
        Keep the trunk's parameters fixed and the trunk in evaluation mode
        (no dropout), even while the module trains; its output then does not
        change during training, so it can be computed once per fit.
    n_layers : int or None, default=None
        The input is a stack ``(n, n_layers, n_features)`` of layers (of a
        speech encoder), weighted by a learnt :class:`LayerWeights`; None for
        images or single feature vectors.

    Attributes
    ----------
    layer_weights : LayerWeights or None
        The learnt weighting of a stack of layers (``n_layers`` given).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skhyperdys.modules import Embedder
    >>> trunk = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())  # 3 features
    >>> embedder = Embedder(trunk, n_features=3, embed_dim=8)
    >>> tuple(embedder(images=torch.zeros(5, 2, 3, 16, 16)).shape)
    (5, 2, 8)
    """

    def __init__(
        self, backbone, n_features, embed_dim=768, freeze_backbone=False, n_layers=None
    ):
        super().__init__()
        self.backbone = backbone
        self.freeze_backbone = freeze_backbone
        self.layer_weights = None if n_layers is None else LayerWeights(n_layers)
        self.embedding = nn.Linear(n_features, embed_dim)
        if backbone is not None and freeze_backbone:
            backbone.requires_grad_(False)

    def train(self, mode=True):
        """Set training or evaluation mode; a frozen trunk stays in evaluation.

        Parameters
        ----------
        mode : bool, default=True
            ``True`` for training mode, ``False`` for evaluation mode.

        Returns
        -------
        self : Embedder
            The module itself.

        Examples
        --------
        >>> from torch import nn
        >>> from skhyperdys.modules import Embedder
        >>> embedder = Embedder(nn.Flatten(), 4, 2, freeze_backbone=True).train()
        >>> embedder.training, embedder.backbone.training
        (True, False)
        """
        super().train(mode)
        if self.freeze_backbone and self.backbone is not None:
            self.backbone.eval()
        return self

    def backbone_features(self, images):
        """The trunk's features of images ``(n, [n_tasks,] 3, H, W)``.

        Parameters
        ----------
        images : torch.Tensor of shape (n, 3, H, W) or (n, n_tasks, 3, H, W)
            Feature images, computed in the backbone's dtype (float32, or
            e.g. bfloat16 in a model cast for fast inference).

        Returns
        -------
        features : torch.Tensor of shape (n, [n_tasks,] n_features)
            The trunk's output for each image.

        Raises
        ------
        ValueError
            If the embedder has no backbone.

        Examples
        --------
        >>> import torch
        >>> from torch import nn
        >>> from skhyperdys.modules import Embedder
        >>> embedder = Embedder(nn.Flatten(), n_features=12, embed_dim=2)
        >>> tuple(embedder.backbone_features(torch.zeros(4, 3, 2, 2)).shape)
        (4, 12)
        """
        if self.backbone is None:
            raise ValueError("this model has no backbone: pass its features.")
        images = images.to(_dtype_of(self.backbone))
        if images.ndim == 4:
            return self.backbone(images)
        n, n_tasks = images.shape[:2]
        return self.backbone(images.flatten(0, 1)).view(n, n_tasks, -1)

    def forward(self, images=None, features=None, layers=None):
        """Embeddings of images, of their precomputed features, or of a layer stack.

        Parameters
        ----------
        images : torch.Tensor of shape (n, [n_tasks,] 3, H, W) or None
            Feature images; ignored if ``features`` or ``layers`` is given.
        features : torch.Tensor of shape (n, [n_tasks,] n_features) or None
            Precomputed :meth:`backbone_features`, or other feature vectors.
        layers : torch.Tensor of shape (n, n_layers, n_features) or None
            A stack of layers, weighted by ``layer_weights`` into features.

        Returns
        -------
        embedding : torch.Tensor of shape (n, [n_tasks,] embed_dim)
            One embedding per image.

        Raises
        ------
        ValueError
            If ``features`` is None and the embedder has no backbone, or a
            layer stack reaches an embedder built without ``n_layers``.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import Embedder
        >>> embedder = Embedder(None, n_features=16, embed_dim=8)
        >>> tuple(embedder(features=torch.randn(5, 16)).shape)
        (5, 8)
        >>> stacked = Embedder(None, n_features=16, embed_dim=8, n_layers=3)
        >>> tuple(stacked(layers=torch.randn(5, 3, 16)).shape)
        (5, 8)
        """
        if layers is not None:
            if self.layer_weights is None:
                raise ValueError(
                    "this embedder takes single feature vectors, not a stack of "
                    "layers; build it with n_layers."
                )
            features = self.layer_weights(layers.to(self.embedding.weight.dtype))
        if features is None:
            features = self.backbone_features(images)
        # float32 out whatever the embedder computes in (e.g. bfloat16).
        return self.embedding(features.to(self.embedding.weight.dtype)).float()


def _dtype_of(module):
    """The floating-point dtype of a module's parameters (float32 if none)."""
    for param in module.parameters():
        if param.is_floating_point():
            return param.dtype
    return torch.float32


class HypernetModule(nn.Module):
    """The whole model: ``head(fusion(embedder(x)), context)``.

    :class:`skhyperdys.HypernetClassifier` builds the parts from its
    parameters and passes them here; pass ``module=`` a class of your own
    with the same constructor to change how they are composed.

    Parameters
    ----------
    embedder : torch.nn.Module
        Maps ``images=`` (or ``features=``) to ``(n, [n_tasks,] embed_dim)``,
        e.g. :class:`Embedder`.
    head : torch.nn.Module
        Maps ``(embedding, context)`` to class logits, e.g.
        :class:`HypernetHead` or :class:`DenseHead`.
    fusion : torch.nn.Module or None, default=None
        Maps ``(n, n_tasks, embed_dim)`` to ``(n, d)`` when a sample holds
        several images, e.g. :class:`GatedMultimodalUnit`.

    Examples
    --------
    >>> import torch
    >>> from skhyperdys.modules import Embedder, HypernetHead, HypernetModule
    >>> model = HypernetModule(
    ...     Embedder(None, n_features=16, embed_dim=8),
    ...     HypernetHead(8, 3, context_dim=4, hidden=8),
    ... ).eval()
    >>> tuple(model(features=torch.randn(5, 16)).shape)
    (5, 3)
    """

    def __init__(self, embedder, head, fusion=None):
        super().__init__()
        self.embedder = embedder
        self.fusion = fusion
        self.head = head

    def embed(self, images=None, features=None, layers=None):
        """The embedding each sample is classified from (after fusion).

        Parameters
        ----------
        images : torch.Tensor of shape (n, [n_tasks,] 3, H, W) or None
            Feature images; ignored if ``features`` or ``layers`` is given.
        features : torch.Tensor of shape (n, [n_tasks,] n_features) or None
            Precomputed backbone features, or other feature vectors.
        layers : torch.Tensor of shape (n, n_layers, n_features) or None
            A stack of a speech encoder's layers (see :class:`LayerWeights`).

        Returns
        -------
        embedding : torch.Tensor of shape (n, d)
            ``d`` is ``embed_dim``, or ``fusion.out_features`` for several
            tasks.

        Raises
        ------
        ValueError
            If a sample holds several embeddings and the model has no fusion.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import (ConcatFusion, DenseHead, Embedder,
        ...                                 HypernetModule)
        >>> model = HypernetModule(Embedder(None, 16, 8), DenseHead(16, 2),
        ...                        fusion=ConcatFusion(2, 8))
        >>> tuple(model.embed(features=torch.randn(5, 2, 16)).shape)
        (5, 16)
        """
        if layers is None:
            embedding = self.embedder(images=images, features=features)
        else:
            embedding = self.embedder(layers=layers)
        if embedding.ndim == 3:
            if self.fusion is None:
                raise ValueError(
                    "the input holds several images per sample but the model "
                    "has no fusion module."
                )
            embedding = self.fusion(embedding)
        return embedding

    def forward(self, images=None, features=None, layers=None, context=None):
        """Class logits of each sample.

        Parameters
        ----------
        images : torch.Tensor of shape (n, [n_tasks,] 3, H, W) or None
            Feature images; ignored if ``features`` or ``layers`` is given.
        features : torch.Tensor of shape (n, [n_tasks,] n_features) or None
            Precomputed backbone features, or other feature vectors.
        layers : torch.Tensor of shape (n, n_layers, n_features) or None
            A stack of a speech encoder's layers (see :class:`LayerWeights`).
        context : torch.Tensor of shape (n, k) or None
            Per-sample context features, for a data-conditioned head.

        Returns
        -------
        logits : torch.Tensor of shape (n, n_classes)
            The head's output (for :class:`HypernetHead` in evaluation mode,
            log-probabilities of the ensemble).

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import DenseHead, Embedder, HypernetModule
        >>> model = HypernetModule(Embedder(None, 16, 8), DenseHead(8, 2))
        >>> tuple(model(features=torch.randn(5, 16)).shape)
        (5, 2)
        """
        return self.head(self.embed(images, features, layers), context)

    def member_log_proba(self, images=None, features=None, layers=None, context=None):
        """Log-probabilities of each generated classifier, ``(n, m, n_classes)``.

        The head's ``member_log_proba`` where it has one (``m`` evaluation
        contexts); otherwise the head's one classifier (``m = 1``).

        Parameters
        ----------
        images, features, layers, context : torch.Tensor or None
            As for :meth:`forward`.

        Returns
        -------
        log_proba : torch.Tensor of shape (n, m, n_classes)
            ``log_proba[i, j]``: sample ``i`` under classifier ``j``.

        Examples
        --------
        >>> import torch
        >>> from skhyperdys.modules import DenseHead, Embedder, HypernetModule
        >>> model = HypernetModule(Embedder(None, 16, 8), DenseHead(8, 2))
        >>> tuple(model.member_log_proba(features=torch.randn(5, 16)).shape)
        (5, 1, 2)
        """
        embedding = self.embed(images, features, layers)
        if hasattr(self.head, "member_log_proba"):
            return self.head.member_log_proba(embedding, context)
        return torch.log_softmax(self.head(embedding, context), dim=-1)[:, None]
