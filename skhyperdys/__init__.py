"""skhyperdys: dysarthria detection from speech with hypernetworks.

scikit-learn compatible implementation of Ilias & Askounis (2025),
"Recognition of Dysarthria in Amyotrophic Lateral Sclerosis patients using
Hypernetworks": recordings become log-Mel / delta / delta-delta images
(:class:`SpectrogramImages`), which an AlexNet with a hypernetwork-generated
classifier head labels (:class:`HypernetClassifier`).
"""

import importlib

__version__ = "0.1.0"

# The estimators are imported on first use (PEP 562), so that ``import
# skhyperdys`` and ``python -m skhyperdys --help`` do not wait for torch.
_LAZY = {
    "BackboneFeatures": "transformers",
    "EgemapsFunctionals": "transformers",
    "HypernetClassifier": "classifier",
    "ImagesAndContext": "transformers",
    "MultiTaskImages": "transformers",
    "SpectrogramImages": "transformers",
    "show_versions": "_show_versions",
}

__all__ = [
    "BackboneFeatures",
    "EgemapsFunctionals",
    "HypernetClassifier",
    "ImagesAndContext",
    "MultiTaskImages",
    "SpectrogramImages",
    "__version__",
    "show_versions",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # once imported, a plain attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
