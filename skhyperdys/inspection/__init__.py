"""Answers beyond the prediction: how sure the model is, and why.

* :func:`predictive_uncertainty`: the entropy of the prediction, the
  disagreement between the generated classifiers, and how unlike the training
  data an input is.
* :func:`saliency_maps`: attribution maps on each clip's own time x
  Mel-frequency grid.
* :class:`UnusualInputWarning`: what the library warns with when an input is
  unlike what the model was built for (silent, too short, far from the
  training data).
"""

from .._flags import UnusualInputWarning
from ._saliency import saliency_maps
from ._uncertainty import predictive_uncertainty

__all__ = ["UnusualInputWarning", "predictive_uncertainty", "saliency_maps"]
