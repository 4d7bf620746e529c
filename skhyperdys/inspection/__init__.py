"""Answers beyond the prediction: how sure the model is, and why.

* :func:`predictive_uncertainty`: the entropy of the prediction, the
  disagreement between the generated classifiers, and how unlike the training
  data an input is.
* :func:`saliency_maps`: Grad-CAM attribution maps on each clip's own time x
  Mel-frequency grid (needs ``pip install 'skhyperdys[explain]'``).
"""

from ._saliency import saliency_maps
from ._uncertainty import predictive_uncertainty

__all__ = ["predictive_uncertainty", "saliency_maps"]
