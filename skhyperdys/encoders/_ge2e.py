"""The GE2E speaker encoder whose weights ship in the Resemblyzer wheel.

Resemblyzer (Resemble AI, Apache-2.0) packs a pretrained GE2E speaker encoder
(Wan et al., 2018: a 3-layer LSTM over 40 Mel bands, 256-d embeddings) in its
wheel, so it works with no download. This module reads that weights file
(``resemblyzer/pretrained.pt``, loaded with ``weights_only=True``) and
repeats Resemblyzer's own steps, ``preprocess_wav`` then
``VoiceEncoder.embed_utterance``:

1. the recording at 16 kHz, its volume raised (never lowered) to -30 dBFS;
2. silences longer than 0.2 s shortened (webrtcvad, 30 ms windows,
   aggressiveness 3, an 8-window moving average, dilated by 6 windows);
3. partial utterances of 1.6 s (160 frames of a 40-band Mel spectrogram,
   25 ms windows every 10 ms), 1.3 per second, the last kept if it covers
   75 % of its length;
4. the LSTM's last hidden state, through a linear layer and a ReLU,
   L2-normalised, per partial; their mean, L2-normalised.

The partials of many recordings share one LSTM pass here (Resemblyzer runs
one recording at a time), with the same numbers. Resemblyzer itself is not
imported: its ``audio`` module needs scipy's deprecated
``scipy.ndimage.morphology``; only ``webrtcvad`` is (the ``webrtcvad-wheels``
distribution provides it prebuilt).
"""

import hashlib
import importlib.metadata
import importlib.util
import math
import os
from concurrent.futures import ThreadPoolExecutor

import librosa
import numpy as np
import torch
from joblib import effective_n_jobs
from scipy.ndimage import binary_dilation
from torch import nn

from .._threads import single_threaded

__all__ = ["GE2EEncoder", "resemblyzer_weights"]

SAMPLING_RATE = 16000
N_MELS = 40
WINDOW_MS, STEP_MS = 25, 10
PARTIAL_FRAMES = 160  # 1.6 s
PARTIAL_RATE, MIN_COVERAGE = 1.3, 0.75
VAD_WINDOW_MS, VAD_AVERAGE, VAD_MAX_SILENCE = 30, 8, 6
TARGET_DBFS = -30
INT16_MAX = 2**15 - 1

_INSTALL = (
    "pip install 'skhyperdys[encoders]' (Resemblyzer's wheel carries the "
    "weights; webrtcvad-wheels its voice-activity detector). Where "
    "Resemblyzer's own dependency webrtcvad does not build, "
    "pip install --no-deps resemblyzer webrtcvad-wheels is enough: skhyperdys "
    "reads the weights without importing Resemblyzer."
)


def resemblyzer_weights():
    """The path of Resemblyzer's ``pretrained.pt``, found without importing it.

    Returns
    -------
    path : str
        The weights file inside the installed Resemblyzer package.

    Raises
    ------
    ImportError
        If Resemblyzer is not installed; the message says how to install it.
    """
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"model='ge2e' needs Resemblyzer's weights: {_INSTALL}")
    folder = list(spec.submodule_search_locations)[0]
    path = os.path.join(folder, "pretrained.pt")
    if not os.path.isfile(path):
        raise ImportError(
            f"Resemblyzer is installed at {folder!r} but has no pretrained.pt; "
            f"reinstall it: {_INSTALL}"
        )
    return path


class GE2ENetwork(nn.Module):
    """Resemblyzer's ``VoiceEncoder`` network: LSTM, linear, ReLU, L2 norm."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, 256)

    def forward(self, mels):
        """Embeddings ``(n, 256)`` of partials ``(n, 160, 40)``."""
        _, (hidden, _) = self.lstm(mels)
        raw = torch.relu(self.linear(hidden[-1]))
        # (clamped: an all-zero partial gives zeros, not NaN as in Resemblyzer)
        return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-12)


def normalize_volume(wav):
    """Raise the level of ``wav`` to -30 dBFS (never lower it), as Resemblyzer."""
    rms = np.sqrt(np.mean((wav * INT16_MAX) ** 2))
    if rms == 0:  # silence stays silence (Resemblyzer would give NaN)
        return wav
    change = TARGET_DBFS - 20 * np.log10(rms / INT16_MAX)
    if change < 0:
        return wav
    return wav * (10 ** (change / 20))


def trim_long_silences(wav):
    """Resemblyzer's ``trim_long_silences``: pauses over 0.2 s shortened."""
    try:
        import webrtcvad
    except ImportError:
        raise ImportError(
            f"model='ge2e' trims silences with webrtcvad, as Resemblyzer: {_INSTALL}"
        ) from None
    window = VAD_WINDOW_MS * SAMPLING_RATE // 1000
    wav = wav[: len(wav) - len(wav) % window]
    pcm = np.round(wav * INT16_MAX).astype(np.int16).tobytes()
    vad = webrtcvad.Vad(3)
    flags = np.array(
        [
            vad.is_speech(pcm[start * 2 : (start + window) * 2], SAMPLING_RATE)
            for start in range(0, len(wav), window)
        ]
    )
    padded = np.concatenate(
        (np.zeros((VAD_AVERAGE - 1) // 2), flags, np.zeros(VAD_AVERAGE // 2))
    )
    summed = np.cumsum(padded, dtype=float)
    summed[VAD_AVERAGE:] = summed[VAD_AVERAGE:] - summed[:-VAD_AVERAGE]
    mask = np.round(summed[VAD_AVERAGE - 1 :] / VAD_AVERAGE).astype(bool)
    mask = binary_dilation(mask, np.ones(VAD_MAX_SILENCE + 1))
    return wav[np.repeat(mask, window)]


def preprocess(wav):
    """Resemblyzer's ``preprocess_wav`` for a waveform at 16 kHz.

    A recording whose every window is silence to the detector keeps its
    samples (Resemblyzer would be left with none).
    """
    wav = normalize_volume(np.asarray(wav, dtype=np.float32))
    trimmed = trim_long_silences(wav)
    return trimmed if len(trimmed) else wav


def partial_mels(wav):
    """The Mel spectrograms ``(n_partials, 160, 40)`` of one preprocessed clip."""
    step = SAMPLING_RATE * STEP_MS // 1000
    n_frames = int(np.ceil((len(wav) + 1) / step))
    frame_step = int(np.round((SAMPLING_RATE / PARTIAL_RATE) / step))
    steps = max(1, n_frames - PARTIAL_FRAMES + frame_step + 1)
    starts = list(range(0, steps, frame_step))
    last = starts[-1] * step
    coverage = (len(wav) - last) / (PARTIAL_FRAMES * step)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts = starts[:-1]
    stop = (starts[-1] + PARTIAL_FRAMES) * step
    if stop >= len(wav):
        wav = np.pad(wav, (0, stop - len(wav)))
    mel = librosa.feature.melspectrogram(
        y=wav,
        sr=SAMPLING_RATE,
        n_fft=SAMPLING_RATE * WINDOW_MS // 1000,
        hop_length=step,
        n_mels=N_MELS,
    )
    mel = mel.astype(np.float32).T
    return np.stack([mel[s : s + PARTIAL_FRAMES] for s in starts])


class GE2EEncoder:
    """The GE2E speaker encoder of Resemblyzer, for many recordings at once.

    Parameters
    ----------
    device : str or torch.device
        Where the LSTM runs.
    """

    kind = "ge2e"
    sampling_rate = SAMPLING_RATE
    hidden_size = 256
    name = "ge2e"

    def __init__(self, device="cpu"):
        path = resemblyzer_weights()
        state = torch.load(path, map_location="cpu", weights_only=True)
        weights = {
            k: v for k, v in state["model_state"].items() if not k.startswith("sim")
        }
        self.network = GE2ENetwork()
        self.network.load_state_dict(weights)
        self.device = torch.device(device)
        self.network.eval().to(self.device)
        with open(path, "rb") as file:
            self.fingerprint = hashlib.sha256(file.read()).hexdigest()[:16]
        try:
            version = importlib.metadata.version("resemblyzer")
        except importlib.metadata.PackageNotFoundError:
            version = "unknown"
        self.revision = f"resemblyzer {version}"

    def embed(self, clips, batch_size=64, n_jobs=None):
        """The utterance embeddings ``(n, 256)`` of clips at 16 kHz.

        Parameters
        ----------
        clips : list of ndarray
            Waveforms at 16 kHz, as recorded (preprocessing is done here).
        batch_size : int, default=64
            Partial utterances per LSTM pass.
        n_jobs : int or None, default=None
            Threads, each embedding its share of the clips with one torch
            thread; None: one, with torch's own thread setting.

        Returns
        -------
        embeddings : ndarray of shape (n, 256), float32
            L2-normalised.
        """
        workers = 1 if n_jobs is None else min(effective_n_jobs(n_jobs), len(clips))
        if workers <= 1:
            return self._embed(clips, batch_size)
        shares = np.array_split(np.arange(len(clips)), workers)
        with single_threaded(), ThreadPoolExecutor(workers) as pool:
            parts = pool.map(
                lambda share: self._embed([clips[i] for i in share], batch_size),
                shares,
            )
            return np.concatenate(list(parts))

    def _embed(self, clips, batch_size):
        partials = [partial_mels(preprocess(clip)) for clip in clips]
        stacked = np.concatenate(partials)
        out = []
        with torch.inference_mode():
            for start in range(0, len(stacked), batch_size):
                mels = torch.from_numpy(stacked[start : start + batch_size])
                out.append(self.network(mels.to(self.device)).cpu().numpy())
        embedded = np.concatenate(out)
        bounds = np.cumsum([0] + [len(p) for p in partials])
        result = np.empty((len(clips), self.hidden_size), dtype=np.float32)
        for i in range(len(clips)):
            raw = embedded[bounds[i] : bounds[i + 1]].mean(axis=0)
            norm = np.linalg.norm(raw, 2)
            result[i] = raw / norm if norm > 0 and math.isfinite(norm) else raw
        return result
