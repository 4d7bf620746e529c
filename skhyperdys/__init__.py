"""skhyperdys: dysarthria detection from speech with hypernetworks.

scikit-learn compatible implementation of Ilias & Askounis (2025),
"Recognition of Dysarthria in Amyotrophic Lateral Sclerosis patients using
Hypernetworks": recordings become log-Mel / delta / delta-delta images
(:class:`SpectrogramImages`), which an AlexNet with a hypernetwork-generated
classifier head labels (:class:`HypernetClassifier`).
"""

from .classifier import HypernetClassifier
from .transformers import (
    BackboneFeatures,
    EgemapsFunctionals,
    ImagesAndContext,
    MultiTaskImages,
    SpectrogramImages,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "BackboneFeatures",
    "EgemapsFunctionals",
    "HypernetClassifier",
    "ImagesAndContext",
    "MultiTaskImages",
    "SpectrogramImages",
    "__version__",
]
