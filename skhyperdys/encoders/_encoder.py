"""SpeechEncoder: recordings to the embeddings of a pretrained speech encoder."""

import os
from numbers import Integral, Real

import librosa
import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from .._flags import MIN_DURATION, audio_reasons, warn_unusual
from .._precision import PRECISIONS, compute_dtype
from .._validation import check_waveforms, read_waveform
from ._cache import EmbeddingCache
from ._loading import load_encoder
from ._pooling import POOLINGS, chunk_bounds, pool_sums

__all__ = ["SpeechEncoder"]

# Recordings read, encoded and pooled at once: their clips are sorted by
# length into batches, and only this many waveforms are in memory.
_BLOCK = 128


class SpeechEncoder(TransformerMixin, BaseEstimator):
    """Embed recordings with a pretrained speech encoder.

    Each recording becomes one vector: the hidden states of a pretrained
    encoder (wav2vec 2.0, HuBERT, WavLM, data2vec-audio, Whisper's encoder
    and other Hugging Face ``transformers`` audio models) pooled over the
    recording's frames, or the GE2E speaker embedding whose weights ship in
    the Resemblyzer wheel (``model="ge2e"``). The input of
    :class:`~skhyperdys.HypernetClassifier` (the paper's hypernetwork head on
    the embeddings), of a logistic regression, or of any scikit-learn
    estimator::

        Pipeline([("encoder", SpeechEncoder("facebook/hubert-base-ls960", layer=6)),
                  ("clf", HypernetClassifier())])

    The encoder learns nothing from the data; :meth:`fit` loads it and
    records its name, revision and a fingerprint of its weights.

    Parameters
    ----------
    model : str, os.PathLike or transformers.PreTrainedModel, default="ge2e"
        The encoder:

        * ``"ge2e"``: the GE2E speaker encoder (Wan et al., 2018) of
          Resemblyzer, whose weights are in its wheel, so that it works with
          no download (``pip install 'skhyperdys[encoders]'``); the same
          embeddings as Resemblyzer's ``preprocess_wav`` then
          ``embed_utterance``. 256 values, L2-normalised. A speaker
          embedding: it describes the voice, not what is said.
        * a folder holding a model and its feature extractor in
          ``save_pretrained`` layout;
        * a Hugging Face model id (``"facebook/wav2vec2-base"``,
          ``"microsoft/wavlm-base-plus"``, ``"openai/whisper-small"``, ...),
          resolved in the local Hugging Face cache only: weights are never
          downloaded at run time, and a model that is not there fails at
          once with a message saying how to get it (transformers' offline
          convention, ``local_files_only=True``; ``HF_HOME`` /
          ``HF_HUB_CACHE`` say where the cache is);
        * a loaded ``transformers`` model (copied at each fit; model files
          record its ``name_or_path``, so prefer a folder or an id).
    layer : int, list of int, "last" or "all", default="last"
        Which hidden states to pool. An int indexes transformers'
        ``hidden_states``: 0 is the input of the first transformer layer, i
        the output of layer i, negative values count from the end.
        ``"last"``: the model's ``last_hidden_state`` (after the final layer
        norm, in the models that have one). A list or ``"all"``: a stack of
        those states, ``(n, n_layers, d)``, the input of
        :class:`~skhyperdys.HypernetClassifier`'s learnt softmax weighting of
        layers (SUPERB's). Layer choice matters for pathological speech
        (about 12 points of balanced accuracy in arXiv 2402.01796); middle
        layers often do best. Only the layers up to the deepest one asked
        for are computed.
    pooling : {"mean", "mean_std"}, default="mean"
        Over the recording's real frames (padding never counts): their mean,
        or their mean and standard deviation concatenated (``2 * d``
        values).
    sr : int, default=8000
        Sample rate of bare 1-D arrays (as for
        :class:`~skhyperdys.SpectrogramImages`). Every recording is resampled
        to the rate of the model's feature extractor (16 kHz for all of the
        above): files and ``(waveform, rate)`` pairs from their own rate.
    chunk_duration : float, default=30.0
        Recordings longer than this many seconds are encoded in the fewest
        equal chunks no longer than it, and all their frames pooled
        together (Whisper's encoder takes 30 s at most; attention costs
        grow with the square of the length).
    revision : str or None, default=None
        Branch, tag or commit of a model id, as in ``from_pretrained``.
    feature_extractor : None, str, os.PathLike or feature extractor, default=None
        The model's own feature extractor if None (from its folder or id);
        else this one (or the one in this folder or id).
    batch_size : int, default=4
        Clips per forward pass, at most. Clips of similar lengths are
        batched; see the user guide for which models take clips of
        different lengths together. On a 2-core CPU 2-4 was fastest (larger
        batches of base-size models were slower); on a GPU, raise it.
    device : str or torch.device, default="cpu"
        Where the encoder runs (``"cuda"`` for a GPU).
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Autocast the encoder to a reduced precision, where the hardware has
        a fast path for it (otherwise float32, with a warning). Embeddings
        are float32 either way.
    memory : str, os.PathLike or None, default=None
        A folder (created if missing) where each recording's embedding is
        kept, keyed by the encoder's weights, these settings and the
        recording's samples: a recording is encoded once, whatever the
        number of folds and candidates of a grid search. The files are yours
        to delete.
    min_duration : float or None, default=0.25
        Recordings shorter than this many seconds are flagged, as are silent
        or near-silent ones (:class:`~skhyperdys.inspection.UnusualInputWarning`,
        once per :meth:`transform`); they are embedded all the same.
    n_jobs : int or None, default=None
        Threads encoding batches side by side during :meth:`transform`, each
        with one torch thread (as :class:`~skhyperdys.SpectrogramImages`), so
        that ``n_jobs`` threads use ``n_jobs`` cores; ``-1``: all cores.
        None: one, with torch's own thread setting. On a CPU, clips side by
        side beat one clip on all cores (``benchmarks/bench_encoders.py``).
    verbose : int, default=0
        If > 0, show a progress bar during :meth:`transform`.

    Attributes
    ----------
    model_name_ : str
        The id, folder (absolute path) or ``"ge2e"`` the encoder came from.
    model_revision_ : str or None
        The cache commit of a model id (None for a folder), or the
        Resemblyzer version for GE2E.
    fingerprint_ : str
        A hash of the encoder's weights; a saved model refuses to run with
        other weights under the same name.
    sampling_rate_ : int
        The rate recordings are resampled to.
    sr_ : int
        ``sr`` at :meth:`fit`.
    n_layers_ : int or None
        Transformer layers of the model (None for GE2E).
    layers_ : list of (int or "last") or None
        The hidden states pooled, indices made non-negative.
    n_features_out_ : int
        Width of each pooled vector.

    See Also
    --------
    skhyperdys.HypernetClassifier : The paper's head, on the embeddings.
    skhyperdys.encoders.pool_frames : The pooling, for one recording.

    Notes
    -----
    Random initialisation trains poorly on a few hundred recordings: on
    held-out real recordings of patients and controls, the image pipeline
    from scratch scored 0.567 balanced accuracy against 0.70 for a
    pretrained speaker encoder with a logistic regression. A pretrained
    encoder is the field's answer (see the user guide, "Pretrained speech
    encoders").

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.encoders import SpeechEncoder
    >>> rng = np.random.default_rng(0)
    >>> X = [0.1 * rng.standard_normal(16000), 0.1 * rng.standard_normal(24000)]
    >>> encoder = SpeechEncoder("ge2e", sr=16000).fit(X)
    >>> embeddings = encoder.transform(X)
    >>> embeddings.shape, embeddings.dtype
    ((2, 256), dtype('float32'))
    >>> bool(np.allclose(np.linalg.norm(embeddings, axis=1), 1))
    True
    """

    _parameter_constraints = {
        "model": [str, os.PathLike, torch.nn.Module],
        "layer": [Integral, list, tuple, StrOptions({"last", "all"})],
        "pooling": [StrOptions(set(POOLINGS))],
        "sr": [Interval(Integral, 1, None, closed="left")],
        "chunk_duration": [Interval(Real, 0, None, closed="neither")],
        "revision": [str, None],
        "feature_extractor": "no_validation",  # checked when it is loaded
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "precision": [StrOptions(set(PRECISIONS))],
        "memory": [str, os.PathLike, None],
        "min_duration": [Interval(Real, 0, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        model="ge2e",
        *,
        layer="last",
        pooling="mean",
        sr=8000,
        chunk_duration=30.0,
        revision=None,
        feature_extractor=None,
        batch_size=4,
        device="cpu",
        precision="float32",
        memory=None,
        min_duration=MIN_DURATION,
        n_jobs=None,
        verbose=0,
    ):
        self.model = model
        self.layer = layer
        self.pooling = pooling
        self.sr = sr
        self.chunk_duration = chunk_duration
        self.revision = revision
        self.feature_extractor = feature_extractor
        self.batch_size = batch_size
        self.device = device
        self.precision = precision
        self.memory = memory
        self.min_duration = min_duration
        self.n_jobs = n_jobs
        self.verbose = verbose

    # --- parameters -------------------------------------------------------------

    def _is_ge2e(self):
        return isinstance(self.model, str) and self.model == "ge2e"

    def _check_params(self):
        self._validate_params()
        if self._is_ge2e():
            defaults = dict(
                layer="last",
                pooling="mean",
                chunk_duration=30.0,
                revision=None,
                feature_extractor=None,
                precision="float32",
            )
            changed = [
                name
                for name, default in defaults.items()
                if not _same(getattr(self, name), default)
            ]
            if changed:
                raise ValueError(
                    "model='ge2e' has one output, Resemblyzer's L2-normalised "
                    "utterance embedding, computed as Resemblyzer does: "
                    f"{', '.join(changed)} would do nothing. Leave "
                    f"{'it' if len(changed) == 1 else 'them'} at the default, or "
                    "use a transformers model."
                )
        layer = self.layer
        if isinstance(layer, (list, tuple)):
            if not layer or not all(_is_int(v) for v in layer):
                raise ValueError(
                    "layer must be an int, a non-empty list of ints, 'last' or "
                    f"'all'; got {layer!r}."
                )
        elif not isinstance(layer, str) and not _is_int(layer):
            raise ValueError(
                f"layer must be an int, a list, 'last' or 'all'; got {layer!r}."
            )

    def _sources(self, encoder):
        """The hidden states to pool (non-negative indices or "last")."""
        if encoder.kind == "ge2e":
            return None
        layer, n = self.layer, encoder.n_layers
        if isinstance(layer, str):
            return ["last"] if layer == "last" else list(range(n + 1))
        wanted = list(layer) if isinstance(layer, (list, tuple)) else [layer]
        bad = [v for v in wanted if not -(n + 1) <= v <= n]
        if bad:
            raise ValueError(
                f"layer={layer!r}: {bad} out of range; {encoder.name or 'the model'} "
                f"has {n} layers, so hidden states 0 to {n} (or -{n + 1} to -1)."
            )
        return [int(v) % (n + 1) for v in wanted]

    def _stacked(self):
        return isinstance(self.layer, (list, tuple)) or self.layer == "all"

    # --- the encoder ------------------------------------------------------------

    def _encoder(self):
        """The loaded encoder, checked against the fitted fingerprint."""
        encoder = self.__dict__.get("_loaded")
        if encoder is None:
            model = self.model
            fitted_name = getattr(self, "model_name_", None)
            if not isinstance(model, (str, os.PathLike)) and fitted_name:
                model = fitted_name  # e.g. a model object saved by name
            encoder = load_encoder(
                model,
                revision=self.revision,
                feature_extractor=self.feature_extractor,
                device=self.device,
            )
            expected = getattr(self, "fingerprint_", None)
            if expected is not None and encoder.fingerprint != expected:
                raise ValueError(
                    f"the encoder {encoder.name!r} loaded here has other weights "
                    f"(fingerprint {encoder.fingerprint}) than the one this model "
                    f"was fitted with ({expected}, revision "
                    f"{getattr(self, 'model_revision_', None)}); its embeddings "
                    "would not be what the rest of the pipeline learnt from. Put "
                    "the original weights there, or fit again."
                )
            self.__dict__["_loaded"] = encoder
        return encoder

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_loaded", None)  # loaded again where unpickled, never pickled
        return state

    # --- fit and transform ------------------------------------------------------

    def fit(self, X, y=None):
        """Load the encoder and validate the recordings; learn nothing.

        Parameters
        ----------
        X : sequence of recordings
            1-D waveforms (at ``sr`` Hz), ``(waveform, rate)`` pairs, audio
            file paths, a 2-D array with one waveform per row, or a one-column
            table of these, as for :class:`~skhyperdys.SpectrogramImages`.
            Files are checked to exist but not read.
        y : None
            Ignored.

        Returns
        -------
        self : SpeechEncoder
            The transformer, with the encoder's name, revision and
            fingerprint recorded.

        Raises
        ------
        FileNotFoundError
            If the weights are not on this machine (the message says how to
            get them), or a path in X does not exist.
        ImportError
            If transformers (or, for ``"ge2e"``, Resemblyzer) is missing.
        ValueError
            If a parameter is invalid (a layer out of range, a setting GE2E
            does not have), the model is not an audio encoder, or a recording
            is not a finite, non-empty, 1-D waveform.
        TypeError
            If X is not a sequence of recordings, or ``model`` not a model.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys.encoders import SpeechEncoder
        >>> encoder = SpeechEncoder("ge2e").fit([np.zeros(8000)])
        >>> encoder.model_name_, encoder.sampling_rate_
        ('ge2e', 16000)
        >>> SpeechEncoder("no/such-model").fit([np.zeros(8000)])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
            ...
        FileNotFoundError: 'no/such-model' is neither a folder nor a model in the ...
        """
        self._check_params()
        check_waveforms(X)
        self.__dict__.pop("_loaded", None)
        for name in ("fingerprint_", "model_name_"):
            self.__dict__.pop(name, None)
        encoder = self._encoder()
        self.layers_ = self._sources(encoder)
        self.model_name_ = encoder.name
        self.model_revision_ = encoder.revision
        self.fingerprint_ = encoder.fingerprint
        self.sampling_rate_ = encoder.sampling_rate
        self.n_layers_ = getattr(encoder, "n_layers", None)
        self.n_features_out_ = self._width(encoder)
        self.sr_ = self.sr
        return self

    def _width(self, encoder):
        """Values per pooled vector: the encoder's width, twice with mean_std."""
        return encoder.hidden_size * (2 if self.pooling == "mean_std" else 1)

    def transform(self, X):
        """The embedding of every recording.

        Parameters
        ----------
        X : sequence of recordings
            As in :meth:`fit`.

        Returns
        -------
        embeddings : ndarray of shape (n, d) or (n, n_layers, d), float32
            In the order of X: one vector per recording, or a stack of one
            per layer with a list or ``"all"`` as ``layer``; ``d`` is
            ``n_features_out_``.

        Warns
        -----
        UnusualInputWarning
            Once, listing the recordings that are silent or near-silent or
            shorter than ``min_duration``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If :meth:`fit` has not been called.
        ValueError
            If a recording is not a finite, non-empty, 1-D waveform or a
            readable audio file (the message names its index), or the
            encoder found under the fitted name has other weights.
        TypeError, FileNotFoundError
            As in :meth:`fit`.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys.encoders import SpeechEncoder
        >>> y = 0.1 * np.random.default_rng(0).standard_normal(8000)
        >>> encoder = SpeechEncoder("ge2e").fit([y])
        >>> encoder.transform([y, (y, 8000)]).shape  # a pair: y at 8000 Hz
        (2, 256)
        """
        check_is_fitted(self, "fingerprint_")
        self._check_params()
        items = check_waveforms(X)
        encoder = self._encoder()
        sources = self._sources(encoder)  # the settings now, as fit would
        width = self._width(encoder)
        shape = (len(items), len(sources), width) if self._stacked() else (
            len(items), width
        )
        out = np.empty(shape, dtype=np.float32)
        cache = None if self.memory is None else EmbeddingCache(self.memory)
        settings = self._settings_key(encoder, sources)
        reasons = []
        with tqdm(
            total=len(items),
            disable=not self.verbose,
            desc="SpeechEncoder",
            unit="clip",
        ) as bar:
            for start in range(0, len(items), _BLOCK):
                block = items[start : start + _BLOCK]
                clips = [
                    self._read(item, start + i, encoder.sampling_rate)
                    for i, item in enumerate(block)
                ]
                reasons += [
                    audio_reasons(c, encoder.sampling_rate, self.min_duration)
                    for c in clips
                ]
                keys = [None] * len(clips)
                todo = list(range(len(clips)))
                if cache is not None:
                    keys = [cache.key(settings, clip) for clip in clips]
                    todo = []
                    for i, key in enumerate(keys):
                        found = cache.get(key)
                        if found is None or found.shape != out.shape[1:]:
                            todo.append(i)
                        else:
                            out[start + i] = found
                if todo:
                    embedded = self._embed(encoder, [clips[i] for i in todo], sources)
                    for i, vector in zip(todo, embedded, strict=True):
                        out[start + i] = vector.reshape(out.shape[1:])
                        if cache is not None:
                            cache.put(keys[i], out[start + i])
                bar.update(len(block))
        # 4: past scikit-learn's set_output wrapper, to the caller
        warn_unusual(reasons, type(self).__name__, stacklevel=4)
        return out

    def _read(self, item, index, rate):
        """One recording at the encoder's rate."""
        if isinstance(item, np.ndarray):  # a bare waveform, at sr
            if self.sr == rate:
                return np.asarray(item, dtype=np.float32)
            return librosa.resample(
                np.asarray(item, dtype=np.float32), orig_sr=self.sr, target_sr=rate
            )
        return np.asarray(read_waveform(item, index, rate), dtype=np.float32)

    def _embed(self, encoder, clips, sources):
        """Embeddings of clips at the encoder's rate: (n, [k,] d)."""
        if encoder.kind == "ge2e":
            return encoder.embed(clips, n_jobs=self.n_jobs)
        longest = int(self.chunk_duration * encoder.sampling_rate)
        if encoder.max_samples is not None:
            longest = min(longest, encoder.max_samples)
        chunks, owners = [], []
        for i, clip in enumerate(clips):
            for begin, end in chunk_bounds(len(clip), max(longest, 1)):
                chunks.append(clip[begin:end])
                owners.append(i)
        shape = (len(clips), len(sources), encoder.hidden_size)
        counts = np.zeros(len(clips), dtype=np.int64)
        totals, squares = np.zeros(shape), np.zeros(shape)
        dtype = compute_dtype(self.precision, self.device)
        for j, count, total, square in encoder.frame_sums(
            chunks, sources, dtype=dtype, batch_size=self.batch_size, n_jobs=self.n_jobs
        ):
            owner = owners[j]
            counts[owner] += count
            totals[owner] += total
            squares[owner] += square
        return np.stack(
            [
                pool_sums(counts[i], totals[i], squares[i], self.pooling)
                for i in range(len(clips))
            ]
        )

    def _settings_key(self, encoder, sources):
        """What an embedding depends on besides the recording, as text."""
        dtype = None if encoder.kind == "ge2e" else compute_dtype(
            self.precision, self.device
        )
        return repr(
            (
                _CACHE_FORMAT,
                encoder.kind,
                encoder.fingerprint,
                encoder.sampling_rate,
                sources,
                self.pooling,
                float(self.chunk_duration),
                str(dtype),
            )
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``mean_0 ... [std_0 ...]`` or ``ge2e_0 ...``.

        Parameters
        ----------
        input_features : None
            Ignored (a recording has no named input features).

        Returns
        -------
        names : ndarray of str of shape (n_features,)
            For the 2-D output; for :meth:`set_output` (``"pandas"``).

        Raises
        ------
        ValueError
            For a stack of layers, which is 3-D and has no column names.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys.encoders import SpeechEncoder
        >>> SpeechEncoder().fit([np.zeros(8000)]).get_feature_names_out()[:2]
        array(['ge2e_0', 'ge2e_1'], dtype=object)
        """
        check_is_fitted(self, "n_features_out_")
        if self._stacked():
            raise ValueError(
                "a stack of layers (layer=list or 'all') is 3-D and has no column "
                "names; choose one layer for a table."
            )
        if self.layers_ is None:
            names = [f"ge2e_{j}" for j in range(self.n_features_out_)]
        else:
            width = self.n_features_out_ // (2 if self.pooling == "mean_std" else 1)
            names = [f"mean_{j}" for j in range(width)]
            if self.pooling == "mean_std":
                names += [f"std_{j}" for j in range(width)]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True  # one waveform per row
        tags.input_tags.string = True  # audio file paths
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = False
        return tags


# Bump when a change makes cached embeddings differ from new ones.
_CACHE_FORMAT = 1


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _same(value, default):
    if isinstance(default, float):
        return isinstance(value, Real) and float(value) == default
    return value == default if isinstance(value, str) or value is None else False
