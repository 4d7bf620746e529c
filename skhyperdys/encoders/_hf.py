"""A Hugging Face ``transformers`` speech encoder, run on many clips at once.

What a plain loop does for one clip, ``model(**feature_extractor(clip),
output_hidden_states=True)``, this module does for many, with the same
numbers for every clip (to float rounding). How clips share a forward pass
depends on the model family, because padding changes some models' output:

* **wav2vec 2.0, HuBERT, WavLM** (``PADDED``): the convolutional feature
  encoder runs clip by clip (its group normalisation, in the base models,
  normalises over the whole clip, so padding would change it; and clip by
  clip its large activations stay in a CPU's cache), then the transformer
  runs on the padded batch of their frames with the attention mask. The
  encoders zero padded frames before their positional convolution, so the
  real frames do not see the padding.
* **data2vec-audio** (``EQUAL_FRAMES``): its positional embedding stacks
  several convolutions, through which padding reaches the last real frames;
  only clips with the same number of frames share a batch.
* **Whisper** (``WINDOWED``): every clip is a 30-second window of log-Mel
  features, padded by the feature extractor as Whisper expects, so any clips
  share a batch; the real frames are the encoder frames over the clip.
* any other ``transformers`` audio model that takes ``input_values``: one
  clip at a time, through its own forward pass.

The model is never changed: a pass that starts from frames computed already,
or stops after the deepest layer asked for, runs a view of it that shares all
its weights (:meth:`HFEncoder._view`), so threads can run passes side by side.
The tests compare every family against its own plain forward pass.
"""

import contextlib
import copy
import hashlib
import math
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from joblib import effective_n_jobs
from torch import nn

from .._threads import single_threaded

__all__ = ["HFEncoder", "weights_fingerprint"]

PADDED = ("wav2vec2", "hubert", "wavlm")
EQUAL_FRAMES = ("data2vec-audio",)
WINDOWED = ("whisper",)
#: Model types tested against their own forward pass.
FAMILIES = PADDED + EQUAL_FRAMES + WINDOWED


def weights_fingerprint(module):
    """A short hash of a module's parameters and buffers (names, shapes, values).

    Recorded when an encoder is fitted and checked when a saved model loads
    it again: other weights under the same name are refused.

    Parameters
    ----------
    module : torch.nn.Module
        The encoder.

    Returns
    -------
    fingerprint : str
        16 hexadecimal digits of a SHA-256.

    Examples
    --------
    >>> from torch import nn
    >>> from skhyperdys.encoders._hf import weights_fingerprint
    >>> layer = nn.Linear(2, 2)
    >>> len(weights_fingerprint(layer))
    16
    >>> before = weights_fingerprint(layer)
    >>> _ = layer.weight.data.add_(1)
    >>> weights_fingerprint(layer) == before
    False
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.view(torch.uint8).numpy())
    return digest.hexdigest()[:16]


class _Precomputed(nn.Module):
    """Stands in for a model's feature encoder: returns frames computed already."""

    def __init__(self, features):
        super().__init__()
        self.features = features

    def forward(self, input_values):
        return self.features


def _encoder_of(model):
    """The encoder of a transformers model (the base model; Whisper's encoder)."""
    base = getattr(model, "base_model", model)
    if getattr(base.config, "model_type", None) in WINDOWED and hasattr(
        base, "get_encoder"
    ):
        base = base.get_encoder()
    return base


def _layer_list(encoder):
    """The encoder's list of transformer layers (for stopping early), or None."""
    for owner in (getattr(encoder, "encoder", None), encoder):
        layers = getattr(owner, "layers", None)
        if isinstance(layers, nn.ModuleList):
            return owner, layers
    return None, None


def _receptive_field(config):
    """Samples the convolutional feature encoder needs for one frame."""
    kernels = getattr(config, "conv_kernel", None)
    strides = getattr(config, "conv_stride", None)
    if not kernels or not strides:
        return 1
    field, jump = 1, 1
    for kernel, stride in zip(kernels, strides, strict=True):
        field += (kernel - 1) * jump
        jump *= stride
    return field


class HFEncoder:
    """A transformers audio encoder and its feature extractor, for many clips.

    Parameters
    ----------
    model : transformers.PreTrainedModel
        The model (for Whisper, the whole model or its encoder); used in
        evaluation mode.
    feature_extractor : transformers.SequenceFeatureExtractor
        Its feature extractor (sampling rate, normalisation, log-Mel).
    name : str
        The model id or folder it was loaded from.
    revision : str or None
        The commit of the Hugging Face cache it came from, if known.
    device : str or torch.device
        Where it runs.
    """

    kind = "transformers"

    def __init__(self, model, feature_extractor, *, name, revision, device):
        encoder = _encoder_of(model)
        config = encoder.config
        self.family = getattr(config, "model_type", type(encoder).__name__)
        if encoder.main_input_name == "input_features" and self.family not in (
            WINDOWED
        ):
            raise ValueError(
                f"model type {self.family!r} takes input features of its own "
                "kind; SpeechEncoder runs wav2vec 2.0, HuBERT, WavLM, "
                "data2vec-audio, Whisper and other models that take waveforms "
                "(input_values)."
            )
        if encoder.main_input_name not in ("input_values", "input_features"):
            raise ValueError(
                f"{name!r} is a {type(model).__name__} (model type "
                f"{self.family!r}), not an audio encoder: it takes "
                f"{encoder.main_input_name!r}, not a waveform."
            )
        rate = getattr(feature_extractor, "sampling_rate", None)
        if not isinstance(rate, int) or rate < 1:
            raise ValueError(
                f"the feature extractor of {name!r} "
                f"({type(feature_extractor).__name__}) has no sampling_rate; pass "
                "an audio feature extractor."
            )
        self.encoder = encoder.eval().to(device)
        self.feature_extractor = feature_extractor
        self.device = torch.device(device)
        self.sampling_rate = rate
        self.name = name
        self.revision = revision
        self.n_layers = int(
            getattr(config, "num_hidden_layers", None)
            or config.encoder_layers
        )
        self.hidden_size = int(
            getattr(config, "hidden_size", None) or config.d_model
        )
        self.min_samples = _receptive_field(config)
        if self.family in WINDOWED:
            self.max_samples = int(feature_extractor.n_samples)
        else:
            self.max_samples = None
        self.fingerprint = weights_fingerprint(self.encoder)
        _install_output_hooks(self.encoder)

    # --- one pass ---------------------------------------------------------------

    def frame_sums(self, clips, sources, dtype=None, batch_size=8, n_jobs=None):
        """Sums over each clip's real frames of the chosen hidden states.

        Parameters
        ----------
        clips : list of ndarray
            Waveforms at ``sampling_rate``, each at most ``max_samples`` long.
        sources : list of int or "last"
            The hidden states to pool: an index into ``hidden_states``, from
            0 (the input of the first transformer layer) to ``n_layers`` (i:
            the output of layer i), or ``"last"``: ``last_hidden_state``.
        dtype : torch.dtype or None, default=None
            Autocast to it (bfloat16, float16); None: float32.
        batch_size : int, default=8
            Clips per forward pass, at most.
        n_jobs : int or None, default=None
            Threads running batches side by side, each with one torch
            thread; None: one, with torch's own thread setting.

        Yields
        ------
        index, count, total, squares
            For each clip (in any order): its index in ``clips``, its number
            of frames, and the sums over them of each source's vectors and
            of their squares, ``(len(sources), hidden_size)`` float64.
        """
        values = [self._input_values(clip) for clip in clips]
        batches = self._batches(values, batch_size)

        def run(batch):
            return self._run(batch, [values[i] for i in batch], sources, dtype)

        workers = 1 if n_jobs is None else min(effective_n_jobs(n_jobs), len(batches))
        if workers <= 1:
            for batch in batches:
                yield from run(batch)
            return
        # Threads, as in SpectrogramImages: torch releases the GIL, and one
        # torch thread each keeps n_jobs threads on n_jobs cores (on a CPU,
        # clips side by side beat one clip on all cores: 1.17x on 2 cores).
        with single_threaded(), ThreadPoolExecutor(workers) as pool:
            for result in pool.map(run, batches):
                yield from result

    def _input_values(self, clip):
        """The feature extractor's input for one clip (Whisper: the clip)."""
        if self.family in WINDOWED:
            return np.asarray(clip, dtype=np.float32)
        inputs = self.feature_extractor(
            clip, sampling_rate=self.sampling_rate, return_tensors="np"
        )
        values = np.asarray(inputs["input_values"][0], dtype=np.float32)
        if len(values) < self.min_samples:  # too short for one frame
            values = np.pad(values, (0, self.min_samples - len(values)))
        return values

    def _batches(self, values, batch_size):
        """Lists of clip indices that may share a forward pass."""
        order = np.argsort([len(v) for v in values], kind="stable")
        if self.family in PADDED or self.family in WINDOWED:
            return [
                order[s : s + batch_size].tolist()
                for s in range(0, len(order), batch_size)
            ]
        if self.family in EQUAL_FRAMES:
            frames = [self._n_frames(len(v)) for v in values]
            batches, current = [], []
            for i in order:
                if current and (
                    frames[i] != frames[current[0]] or len(current) == batch_size
                ):
                    batches.append(current)
                    current = []
                current.append(int(i))
            return batches + ([current] if current else [])
        return [[int(i)] for i in order]

    def _n_frames(self, n_samples):
        config = self.encoder.config
        for kernel, stride in zip(config.conv_kernel, config.conv_stride, strict=True):
            n_samples = math.floor((n_samples - kernel) / stride) + 1
        return n_samples

    def _run(self, batch, values, sources, dtype):
        """The frame sums of one batch, as a list (computed in this thread)."""
        wanted = [s for s in sources if s != "last"]
        hidden = bool(wanted)
        # Stop after the deepest layer asked for (one layer on: the last
        # entry of hidden_states may be normalised, as last_hidden_state).
        stop = None
        if "last" not in sources and wanted:
            deepest = max(wanted)
            stop = deepest + 1 if deepest + 1 < self.n_layers else None
        autocast = (
            torch.autocast(self.device.type, dtype=dtype)
            if dtype is not None
            else contextlib.nullcontext()
        )
        results = []
        with torch.inference_mode(), autocast, warnings.catch_warnings():
            # WavLM's attention mixes a boolean padding mask with its float
            # position bias, which torch calls deprecated at every call.
            warnings.filterwarnings(
                "ignore", message="Support for mismatched key_padding_mask"
            )
            outputs, frames = self._forward(values, hidden, stop)
            states = [
                outputs.last_hidden_state if s == "last" else outputs.hidden_states[s]
                for s in sources
            ]
            for j, index in enumerate(batch):
                stack = torch.stack([state[j, : frames[j]] for state in states], 1)
                stack = stack.double()  # (frames, sources, d)
                total = stack.sum(dim=0).cpu().numpy()
                squares = stack.square().sum(dim=0).cpu().numpy()
                results.append((index, int(frames[j]), total, squares))
        return results

    def _forward(self, values, hidden, stop):
        """The model's outputs for one batch, and each clip's number of frames."""
        device = self.device
        if self.family in WINDOWED:
            inputs = self.feature_extractor(
                values,
                sampling_rate=self.sampling_rate,
                return_tensors="pt",
                return_attention_mask=True,
            )
            mel_frames = inputs["attention_mask"].sum(dim=-1)
            features = inputs["input_features"].to(device)
            outputs = self._view(stop)(features, output_hidden_states=hidden)
            return outputs, ((mel_frames + 1) // 2).tolist()
        if self.family in PADDED or self.family in EQUAL_FRAMES:
            return self._forward_frames(values, hidden, stop)
        waveform = torch.as_tensor(values[0])[None].to(device)
        outputs = self._view(stop)(waveform, output_hidden_states=hidden)
        return outputs, [outputs.last_hidden_state.shape[1]]

    def _forward_frames(self, values, hidden, stop):
        """Feature encoder clip by clip, transformer on the padded batch."""
        device = self.device
        frames = [
            self.encoder.feature_extractor(torch.as_tensor(v)[None].to(device))[0]
            for v in values
        ]
        lengths = [f.shape[-1] for f in frames]
        padded = frames[0].new_zeros(len(frames), frames[0].shape[0], max(lengths))
        for j, f in enumerate(frames):
            padded[j, :, : f.shape[-1]] = f
        n_samples = [len(v) for v in values]
        waveform = torch.zeros(len(values), max(n_samples), device=device)
        mask = None
        if len(set(lengths)) > 1:
            mask = torch.zeros(len(values), max(n_samples), dtype=torch.bool)
            for j, n in enumerate(n_samples):
                mask[j, :n] = True
            mask = mask.to(device)
        model = self._view(stop, frames=padded)
        outputs = model(waveform, attention_mask=mask, output_hidden_states=hidden)
        return outputs, lengths

    def _view(self, stop=None, frames=None):
        """The encoder, or a view of it sharing every weight: its feature
        encoder replaced by ``frames`` computed already, its transformer cut
        after ``stop`` layers. The encoder itself is never changed, so threads
        may run views side by side."""
        if stop is None and frames is None:
            return self.encoder
        view = _shallow(self.encoder)
        if frames is not None:
            view.feature_extractor = _Precomputed(frames)
        if stop is not None:
            owner, layers = _layer_list(view)
            if owner is not None:
                if owner is not view:
                    owner = _shallow(owner)
                    view.encoder = owner
                owner.layers = nn.ModuleList(list(layers)[:stop])
        return view


def _shallow(module):
    """A copy of ``module`` that shares its parameters and submodules."""
    view = copy.copy(module)
    view._modules = dict(module._modules)  # its own list of submodules
    return view


def _install_output_hooks(encoder):
    """Install transformers' output-capturing hooks on the encoder itself, once.

    transformers 5 records hidden states with hooks on the layers, installed
    on the first call that asks for them and marked on the model; a view
    (:meth:`HFEncoder._view`) made before that would install a second set.
    """
    try:
        from transformers.utils.output_capturing import maybe_install_capturing_hooks
    except ImportError:  # transformers without hooks: nothing to install
        return
    try:
        maybe_install_capturing_hooks(encoder)
    except (AttributeError, TypeError):  # a model class without recorders
        pass
