"""Pretrained speech encoders as scikit-learn transformers.

:class:`SpeechEncoder` embeds recordings with a pretrained encoder: the
hidden states of a Hugging Face ``transformers`` model (wav2vec 2.0, HuBERT,
WavLM, data2vec-audio, Whisper's encoder, ...) pooled over each recording's
real frames, or the GE2E speaker embedding of Resemblyzer (``"ge2e"``, its
weights in the wheel). Weights come from a folder or the local Hugging Face
cache, never from the network at run time. The embeddings feed
:class:`~skhyperdys.HypernetClassifier` (the paper's hypernetwork head) or
any scikit-learn estimator. Needs ``pip install 'skhyperdys[encoders]'``.
"""

from ._encoder import SpeechEncoder
from ._loading import clear_cache
from ._pooling import POOLINGS, pool_frames

__all__ = ["POOLINGS", "SpeechEncoder", "clear_cache", "pool_frames"]
