"""float16 training with loss scaling, through skorch's own small hooks.

float16 gradients of small losses underflow to zero; a
:class:`torch.amp.GradScaler` multiplies the loss before ``backward`` and
divides the gradients before the optimizer step (skipping steps whose
gradients overflowed). skorch's ``train_step`` is left whole: the mixin
overrides only the hooks it calls, as ``skorch.hf.AccelerateMixin`` does:

* :meth:`get_loss` returns the training loss unchanged in value, with its
  gradient multiplied by the scale (so the history records the true loss);
* :meth:`train_step_single` unscales the gradients after ``backward``, so
  that ``on_grad_computed`` callbacks (gradient clipping) see true values;
* ``_step_optimizer`` steps through the scaler (which cannot take skorch's
  closure) and updates the scale.
"""

import torch

from ._runtime import runtime_of


class _ScaledGradient(torch.autograd.Function):
    """Identity on the value; the gradient flowing back is multiplied by ``scale``."""

    @staticmethod
    def forward(ctx, loss, scale):
        ctx.save_for_backward(scale)
        return loss.clone()

    @staticmethod
    def backward(ctx, grad):
        (scale,) = ctx.saved_tensors
        return grad * scale.to(grad.dtype), None


class LossScalingMixin:
    """Loss scaling for a skorch net whose ``_compute_dtype()`` is float16.

    The net keeps one :class:`torch.amp.GradScaler` per fit (dropped by
    :meth:`_reset_loss_scaler` when a new fit starts); other precisions go
    through skorch's hooks unchanged.
    """

    def _loss_scaler(self):
        """The fit's GradScaler under float16, else None (made on first use)."""
        if self._compute_dtype() != torch.float16:
            return None
        runtime = runtime_of(self)
        if runtime.grad_scaler is None:
            runtime.grad_scaler = torch.amp.GradScaler(torch.device(self.device).type)
        return runtime.grad_scaler

    def _reset_loss_scaler(self):
        """A new fit, a new scale."""
        runtime_of(self).grad_scaler = None

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The criterion's loss; in float16 training, with a scaled gradient.

        Parameters
        ----------
        y_pred, y_true, X, training
            As for :meth:`skorch.NeuralNet.get_loss`.

        Returns
        -------
        loss : torch.Tensor
            The loss, whose value is unchanged.
        """
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        scaler = self._loss_scaler() if training and loss.requires_grad else None
        if scaler is None:
            return loss
        scale = scaler.scale(torch.ones((), device=loss.device))
        return _ScaledGradient.apply(loss, scale)

    def train_step_single(self, batch, **fit_params):
        """skorch's forward and backward pass, then unscaled gradients.

        Parameters
        ----------
        batch, **fit_params
            As for :meth:`skorch.NeuralNet.train_step_single`.

        Returns
        -------
        step : dict
            ``{"loss": loss, "y_pred": y_pred}`` as in skorch.
        """
        step = super().train_step_single(batch, **fit_params)
        scaler = self._loss_scaler()
        if scaler is not None:
            for name in self._optimizers:
                scaler.unscale_(getattr(self, name + "_"))
        return step

    def _step_optimizer(self, step_fn):
        scaler = self._loss_scaler()
        if scaler is None:
            return super()._step_optimizer(step_fn)
        step_fn()  # GradScaler.step takes no closure (as in AccelerateMixin)
        for name in self._optimizers:
            scaler.step(getattr(self, name + "_"))
        scaler.update()
