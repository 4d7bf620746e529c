"""Embeddings kept on disk, one file per recording and encoder setting."""

import hashlib
import os
import tempfile

import numpy as np

__all__ = ["EmbeddingCache"]


class EmbeddingCache:
    """A folder of ``.npy`` files, one per (encoder settings, recording).

    The key is a SHA-256 of the settings (the encoder's weights fingerprint,
    layers, pooling, chunking, precision) and of the recording's samples at
    the encoder's rate, so the same recording, given as a file, a pair or an
    array, is found again, and another recording or setting never is. Files
    are written under a temporary name and renamed: a cache read while it is
    written (folds in parallel) finds whole files or none.

    Parameters
    ----------
    folder : str or os.PathLike
        Created if missing.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from skhyperdys.encoders._cache import EmbeddingCache
    >>> cache = EmbeddingCache(tempfile.mkdtemp())
    >>> key = cache.key("settings", np.zeros(10))
    >>> cache.get(key) is None
    True
    >>> cache.put(key, np.ones(3, dtype=np.float32))
    >>> cache.get(key)
    array([1., 1., 1.], dtype=float32)
    """

    def __init__(self, folder):
        self.folder = os.fspath(folder)
        os.makedirs(self.folder, exist_ok=True)

    def key(self, settings, waveform):
        """The file name stem for ``settings`` (text) and a waveform."""
        digest = hashlib.sha256(settings.encode())
        samples = np.ascontiguousarray(waveform, dtype=np.float32)
        digest.update(samples.view(np.uint8))
        return digest.hexdigest()

    def _path(self, key):
        return os.path.join(self.folder, f"{key}.npy")

    def get(self, key):
        """The stored embedding, or None (absent or unreadable)."""
        try:
            return np.load(self._path(key), allow_pickle=False)
        except (OSError, ValueError):
            return None

    def put(self, key, value):
        """Store an embedding (atomically)."""
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                np.save(file, np.asarray(value, dtype=np.float32), allow_pickle=False)
            os.replace(temporary, self._path(key))
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
