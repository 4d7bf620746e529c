"""Torch modules: the hypernetwork head and the full AlexNet + hypernetwork model."""

import math

import torch
from torch import nn

from .backbones import alexnet_backbone

__all__ = ["HyperLinear", "HypernetModule"]


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
        """Weights ``(m, out, in)`` and biases ``(m, out)`` for ``m`` contexts."""
        params = self.hyper(context)
        n_weights = self.out_features * self.in_features
        weight = params[:, :n_weights].view(-1, self.out_features, self.in_features)
        return weight, params[:, n_weights:]

    def forward(self, x, context):
        """Logits of ``x`` (n, in), one context per row of ``x`` (n, context_dim)."""
        weight, bias = self.generate(context)
        return torch.einsum("ni,noi->no", x, weight) + bias

    def forward_ensemble(self, x, contexts):
        """Logits of the mixture over contexts ``(m, context_dim)``.

        Each context gives a classifier; their softmax probabilities are
        averaged, and the log of the average is returned, so that a softmax of
        the output is the mixture's probability.
        """
        weight, bias = self.generate(contexts)
        logits = torch.einsum("ni,moi->nmo", x, weight) + bias[None]
        log_p = torch.log_softmax(logits, dim=-1)
        return torch.logsumexp(log_p, dim=1) - math.log(len(contexts))


class HypernetModule(nn.Module):
    """AlexNet embedding followed by a hypernetwork-generated linear classifier.

    Training (``module.train()``): every sample gets a fresh context
    ``c ~ N(0, I)``, so the network learns a distribution of classifiers.
    Evaluation (``module.eval()``): the model is deterministic; it averages the
    class probabilities of ``n_eval_contexts`` classifiers, generated from
    contexts drawn once, at construction, from N(0, I) with a generator seeded
    by ``seed``, and stored in the buffer ``eval_contexts``.

    Parameters
    ----------
    n_classes : int
        Number of classes.
    embed_dim : int, default=768
        Size of the AlexNet embedding.
    context_dim : int, default=128
        Size of the context vector.
    hyper_hidden : int, default=512
        Hidden units of the hypernetwork.
    weights : None, "imagenet" or path, default=None
        Backbone initialisation, see :func:`skhyperdys.backbones.alexnet_backbone`.
    freeze_backbone : bool, default=False
        Freeze the (pretrained) AlexNet layers; only the new embedding layer
        and the hypernetwork train. The frozen layers stay in evaluation mode
        (no dropout) even while the module trains.
    n_eval_contexts : int, default=32
        Number of fixed contexts averaged at evaluation.
    seed : int, default=0
        Seed of the evaluation contexts.

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
    ):
        super().__init__()
        self.context_dim = context_dim
        self.freeze_backbone = freeze_backbone
        self.backbone = alexnet_backbone(embed_dim, weights)
        if freeze_backbone:
            for name, param in self.backbone.named_parameters():
                if not name.startswith("classifier.6."):
                    param.requires_grad_(False)
        self.head = HyperLinear(embed_dim, n_classes, context_dim, hyper_hidden)
        generator = torch.Generator().manual_seed(int(seed))
        self.register_buffer(
            "eval_contexts",
            torch.randn(n_eval_contexts, context_dim, generator=generator),
        )

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.features.eval()
            self.backbone.classifier[:-1].eval()
        return self

    def forward(self, images):
        """Class logits for images ``(n, 3, H, W)``."""
        embedding = self.backbone(images)
        if self.training:
            context = torch.randn(
                len(embedding),
                self.context_dim,
                device=embedding.device,
                dtype=embedding.dtype,
            )
            return self.head(embedding, context)
        return self.head.forward_ensemble(embedding, self.eval_contexts)
