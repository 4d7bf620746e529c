"""scikit-learn transformers from recordings to feature images."""

import os
import tempfile
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse
import torch
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from . import batched
from ._flags import MIN_DURATION, audio_reasons, warn_unusual
from ._threads import single_threaded
from ._validation import (
    check_choice,
    check_images,
    check_waveforms,
    read_waveform,
)
from .backbones import make_backbone
from .features import (
    DEFAULTS,
    FEATURES,
    SCALINGS,
    egemaps_functionals,
    feature_image,
    make_egemaps_extractor,
)
from .modules import features_in_batches

__all__ = [
    "BackboneFeatures",
    "EgemapsFunctionals",
    "ImagesAndContext",
    "MultiTaskImages",
    "SpectrogramImages",
]

# Recordings handed to a joblib task at once: large enough to amortise the
# dispatch, small enough to keep every worker busy and memory bounded.
_CHUNK = 16


class SpectrogramImages(TransformerMixin, BaseEstimator):
    """Turn recordings into 3-channel log-Mel / delta / delta-delta images.

    Each recording becomes an image of shape ``(3, *image_size)``: channel 0
    is the log-Mel spectrogram in dB (or the MFCC matrix), channel 1 its
    delta, channel 2 its delta-delta, as in Ilias & Askounis (2025). Each
    channel is resized to ``image_size`` (rows are Mel bands, lowest first;
    columns are time) and scaled for an ImageNet-pretrained backbone.

    The transformer is stateless: :meth:`fit` only validates, and
    :meth:`transform` may be called without it.

    Parameters
    ----------
    sr : int, default=8000
        Sample rate in Hz. A bare array is taken to be at this rate: nothing
        in it says otherwise, so a 16 kHz recording given as an array to an
        8 kHz transformer is silently read as 8 kHz (slower and lower).
        Inputs that carry their own rate are resampled to it: audio files, and
        ``(waveform, rate)`` pairs. 8 kHz is the rate of VOC-ALS. The rate at
        :meth:`fit` is kept in ``sr_``, and transforming at another one warns.
    features : {"logmel", "mfcc"}, default="logmel"
        Channel 0: the log-Mel spectrogram,
        ``librosa.power_to_db(librosa.feature.melspectrogram(...), top_db=top_db)``,
        or ``librosa.feature.mfcc`` computed from it (the paper's MFCC
        ablation).
    n_mels : int, default=128
        Number of Mel bands.
    n_mfcc : int, default=40
        Number of MFCCs, used when ``features="mfcc"``; at most ``n_mels``.
    n_fft : int, default=512
        FFT window in samples (64 ms at 8 kHz).
    hop_length : int, default=128
        Hop between frames in samples (16 ms at 8 kHz).
    fmin : float, default=0.0
        Lowest frequency of the Mel filter bank, in Hz.
    fmax : float or None, default=None
        Highest frequency of the Mel filter bank; ``None`` means ``sr / 2``.
    top_db : float or None, default=80.0
        Dynamic range kept below each clip's peak, in dB (librosa's default).
    delta_width : int, default=9
        Odd number of frames for ``librosa.feature.delta``. Clips shorter than
        ``max(n_fft, (delta_width - 1) * hop_length)`` samples are zero-padded
        at the end, so any clip of at least one sample works.
    image_size : tuple of (int, int), default=(224, 224)
        Output ``(height, width)``; resizing is antialiased bilinear
        interpolation, as in torchvision.
    scaling : {"imagenet", "minmax", "standard"} or None, default="imagenet"
        How each channel is scaled after resizing. ``"imagenet"``: mapped to
        [0, 1] by its own min and max (like the pixels of a picture), then
        normalised with ImageNet's channel means and standard deviations, the
        input a torchvision model pretrained on ImageNet expects.
        ``"minmax"``: [0, 1] only. ``"standard"``: zero mean, unit variance
        per channel. ``None``: raw dB values and their deltas.
    dtype : {"float32", "float16"}, default="float32"
        Data type of the output. ``"float16"`` halves the memory of the
        images (for 1,000 clips at 224x224: 287 instead of 574 MiB), for
        large corpora; the images are computed in float32 and rounded once
        (relative error below 0.05 %). :class:`HypernetClassifier` and
        :class:`BackboneFeatures` take float16 images as they are and
        compute in float32 batch by batch.
    backend : {"auto", "torch", "librosa"}, default="auto"
        ``"librosa"``: one librosa call chain per clip (channel 0 is exactly
        librosa's output). ``"torch"``: the batched path of
        :mod:`skhyperdys.batched` (on the CPU in numpy and scipy: one FFT and
        one Mel product for a chunk of clips, deltas and resizing as sparse
        matrices; on a GPU in torch), equal to librosa's numbers to about
        1e-6 of each matrix's scale; 3.3-4.6x faster than librosa clip by clip
        (``benchmarks/bench_features.py``). ``"auto"``:
        ``"torch"``.
    device : str, default="cpu"
        Where the torch backend computes (``"cuda"`` for a GPU).
    output : {"numpy", "torch"}, default="numpy"
        What :meth:`transform` returns: a numpy array, or a torch tensor.
        With ``"torch"`` and a GPU ``device`` the images are made in the
        GPU's memory and stay there: :class:`HypernetClassifier` takes the
        tensor as it is, with no copy to the host and back. Not with
        ``memmap_dir``.
    min_duration : float or None, default=0.25
        Recordings shorter than this many seconds are flagged: their images
        are stretched to ``image_size`` from a few frames, unlike anything
        a model trained on longer clips has seen. :meth:`transform` warns
        once per call (:class:`~skhyperdys.inspection.UnusualInputWarning`)
        listing them, and silent or near-silent recordings (loudest 20 ms
        below -60 dBFS); the images are made all the same. ``None`` turns
        the duration check off. ``python -m skhyperdys predict`` flags by
        the same rule.
    memmap_dir : str, os.PathLike or None, default=None
        For corpora larger than memory: each :meth:`transform` writes its
        images to a new file ``images-*.npy`` in this existing folder (never
        to a file that exists) and returns it memory-mapped, copy-on-write
        (``np.load(path, mmap_mode="c")``: changes to the array stay in
        memory, the file never changes; the path is the array's
        ``filename``). :class:`HypernetClassifier` trains and predicts on
        such an array a batch at a time. With ``dtype="float16"``, 20,000
        clips at 224x224 take 6 GB of disk and little memory
        (``benchmarks/bench_corpus.py``). The files are yours to delete.
    n_jobs : int or None, default=None
        Number of threads for :meth:`transform`; ``None`` means 1 unless in
        a :func:`joblib.parallel_config` context, ``-1`` all cores. Each
        thread runs with one BLAS and one torch thread, so ``n_jobs`` threads
        use ``n_jobs`` cores.
    verbose : int, default=0
        If > 0, show a progress bar during :meth:`transform`.

    Attributes
    ----------
    sr_ : int
        The sample rate at :meth:`fit` (the rate a model downstream was
        trained at).

    See Also
    --------
    skhyperdys.features.feature_image : The same computation for one clip.
    skhyperdys.HypernetClassifier : The classifier these images feed.

    Notes
    -----
    The paper gives neither the frame settings nor the image scaling; the
    defaults here are choices, documented in the user guide.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys import SpectrogramImages
    >>> rng = np.random.default_rng(0)
    >>> waveforms = [rng.standard_normal(8000), rng.standard_normal(12000)]
    >>> images = SpectrogramImages(image_size=(64, 64)).fit_transform(waveforms)
    >>> images.shape, images.dtype
    ((2, 3, 64, 64), dtype('float32'))
    """

    def __init__(
        self,
        *,
        sr=DEFAULTS.sr,
        features=DEFAULTS.features,
        n_mels=DEFAULTS.n_mels,
        n_mfcc=DEFAULTS.n_mfcc,
        n_fft=DEFAULTS.n_fft,
        hop_length=DEFAULTS.hop_length,
        fmin=DEFAULTS.fmin,
        fmax=DEFAULTS.fmax,
        top_db=DEFAULTS.top_db,
        delta_width=DEFAULTS.delta_width,
        image_size=DEFAULTS.image_size,
        scaling=DEFAULTS.scaling,
        dtype="float32",
        backend="auto",
        device="cpu",
        min_duration=MIN_DURATION,
        memmap_dir=None,
        output="numpy",
        n_jobs=None,
        verbose=0,
    ):
        self.sr = sr
        self.features = features
        self.n_mels = n_mels
        self.n_mfcc = n_mfcc
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.delta_width = delta_width
        self.image_size = image_size
        self.scaling = scaling
        self.dtype = dtype
        self.backend = backend
        self.device = device
        self.min_duration = min_duration
        self.memmap_dir = memmap_dir
        self.output = output
        self.n_jobs = n_jobs
        self.verbose = verbose

    _parameter_constraints = {
        "sr": [Interval(Integral, 1, None, closed="left")],
        "features": [StrOptions(set(FEATURES))],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "n_fft": [Interval(Integral, 2, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "top_db": [Interval(Real, 0, None, closed="left"), None],
        "delta_width": [Interval(Integral, 3, None, closed="left")],
        "image_size": [tuple, list],
        "scaling": [StrOptions({s for s in SCALINGS if s}), None],
        "dtype": "no_validation",  # any spelling numpy reads; checked below
        "backend": [StrOptions({"auto", "torch", "librosa"})],
        "device": [str, torch.device],
        "min_duration": [Interval(Real, 0, None, closed="left"), None],
        "memmap_dir": [str, os.PathLike, None],
        "output": [StrOptions({"numpy", "torch"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def _check_params(self):
        self._validate_params()
        if self.memmap_dir is not None and not os.path.isdir(self.memmap_dir):
            raise FileNotFoundError(
                f"memmap_dir={os.fspath(self.memmap_dir)!r} is not an existing "
                "folder; create it first."
            )
        if self.features == "mfcc" and self.n_mfcc > self.n_mels:
            raise ValueError(
                f"n_mfcc={self.n_mfcc} exceeds n_mels={self.n_mels}; "
                "MFCCs are computed from the Mel bands."
            )
        if self.delta_width % 2 == 0:
            raise ValueError(f"delta_width must be odd, got {self.delta_width}.")
        nyquist = self.sr / 2
        fmax = nyquist if self.fmax is None else self.fmax
        if not self.fmin < fmax <= nyquist:
            raise ValueError(
                f"need fmin < fmax <= sr / 2 = {nyquist:g} Hz; got fmin={self.fmin}, "
                f"fmax={self.fmax}."
            )
        size = self.image_size
        if len(size) != 2 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in size
        ):
            raise ValueError(
                f"image_size must be a pair of positive integers, got {size!r}."
            )
        check_choice(_dtype_name(self.dtype), "dtype", ("float32", "float16"))

    def _image_params(self):
        return dict(
            features=self.features,
            n_mels=self.n_mels,
            n_mfcc=self.n_mfcc,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            fmin=self.fmin,
            fmax=self.fmax,
            top_db=self.top_db,
            delta_width=self.delta_width,
            image_size=tuple(self.image_size),
            scaling=self.scaling,
        )

    def fit(self, X, y=None):
        """Validate the parameters and the recordings; learn nothing.

        Parameters
        ----------
        X : sequence of 1-D array-like or audio file paths, or 2-D array
            Recordings: waveforms of any lengths (at ``sr`` Hz), paths to
            audio files (any format libsndfile reads), or a 2-D array with one
            equal-length waveform per row. Files are checked to exist but not
            read.
        y : None
            Ignored.

        Returns
        -------
        self : SpectrogramImages
            The transformer itself.

        Raises
        ------
        ValueError
            If a parameter is invalid (e.g. an even ``delta_width``, or
            ``fmax`` above ``sr / 2``), or a recording is not a finite,
            non-empty, 1-D waveform.
        TypeError
            If X is not a sequence of recordings (e.g. a single path or a
            sparse matrix), or a recording is not real-valued.
        FileNotFoundError
            If a path in X does not name an existing file.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import SpectrogramImages
        >>> SpectrogramImages(image_size=(64, 64)).fit([np.zeros(8000)])
        SpectrogramImages(image_size=(64, 64))
        >>> SpectrogramImages().fit([np.zeros(8000), []])
        Traceback (most recent call last):
            ...
        ValueError: X[1] is empty; a recording needs at least 1 sample.
        """
        self._check_params()
        check_waveforms(X)
        self.sr_ = self.sr
        return self

    def transform(self, X):
        """Compute the feature image of every recording.

        Parameters
        ----------
        X : sequence of 1-D array-like or audio file paths, or 2-D array
            Recordings, as in :meth:`fit`.

        Returns
        -------
        images : ndarray or torch.Tensor of shape (n_recordings, 3, height, width)
            In the order of ``X``; float32, or float16 with
            ``dtype="float16"``; a tensor on ``device`` with
            ``output="torch"``.

        Warns
        -----
        UnusualInputWarning
            Once, listing the recordings that are silent or near-silent
            (loudest 20 ms below -60 dBFS) or shorter than ``min_duration``.

        Raises
        ------
        ValueError
            If a parameter is invalid (as in :meth:`fit`), or a recording is
            not a finite, non-empty, 1-D waveform or an audio file that can
            be decoded; the message names its index in ``X``.
        TypeError
            If X is not a sequence of recordings, or a recording is not
            real-valued.
        FileNotFoundError
            If a path in X does not name an existing file.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> import soundfile as sf
        >>> from skhyperdys import SpectrogramImages
        >>> path = os.path.join(tempfile.mkdtemp(), "clip.wav")
        >>> sf.write(path, 0.1 * np.random.default_rng(0).standard_normal(4000), 8000)
        >>> X = [np.random.default_rng(1).standard_normal(8000), path]
        >>> SpectrogramImages(image_size=(64, 64)).transform(X).shape
        (2, 3, 64, 64)
        >>> SpectrogramImages().transform(["missing.wav"])
        Traceback (most recent call last):
            ...
        FileNotFoundError: X[0]: no such audio file: 'missing.wav'
        """
        images, reasons = self._images_and_flags(X, output=self.output)
        # 4: past scikit-learn's set_output wrapper, to the caller
        warn_unusual(reasons, type(self).__name__, stacklevel=4)
        return images

    def _images_and_flags(self, X, output="numpy"):
        """The images, and per recording the reasons it is flagged (or []).

        ``output="torch"``: a tensor, filled on ``device`` by the torch
        backend (no copy to the host), else the numpy array as a tensor.
        """
        self._check_params()
        if output == "torch" and self.memmap_dir is not None:
            raise ValueError(
                "output='torch' and memmap_dir cannot be combined: a memory-mapped "
                "corpus stays on disk as numpy; leave output='numpy'."
            )
        if getattr(self, "sr_", self.sr) != self.sr:
            warnings.warn(
                f"SpectrogramImages was fitted at sr={self.sr_} Hz and now "
                f"transforms at sr={self.sr} Hz; a model trained on the first "
                "rate's images gives wrong answers on the second's.",
                UserWarning,
                stacklevel=3,
            )
        items = check_waveforms(X)
        params = self._image_params()
        backend = "torch" if self.backend == "auto" else self.backend
        shape = (len(items), 3, *params["image_size"])
        on_device = (
            output == "torch"
            and backend == "torch"
            and torch.device(self.device).type != "cpu"
        )
        if on_device:
            dtype = getattr(torch, _dtype_name(self.dtype))
            out = torch.empty(shape, dtype=dtype, device=self.device)
        elif self.memmap_dir is None:
            out = np.empty(shape, dtype=_dtype_name(self.dtype))
        else:
            out, path = _new_memmap(self.memmap_dir, shape, _dtype_name(self.dtype))

        reasons = [[] for _ in items]

        def images(start):
            chunk = items[start : start + _CHUNK]
            clips = [
                read_waveform(item, start + i, self.sr) for i, item in enumerate(chunk)
            ]
            for i, y in enumerate(clips):
                reasons[start + i] = audio_reasons(y, self.sr, self.min_duration)
            target = out[start : start + len(chunk)]
            if backend == "torch":
                batched.feature_images(
                    clips, self.sr, device=self.device, out=target, **params
                )
            else:
                target[...] = [feature_image(y, self.sr, **params) for y in clips]
            return len(chunk)

        # Threads, not processes: the work is numpy, scipy and torch calls
        # that release the GIL, and each thread writes its images straight
        # into `out` (no copies back from worker processes). One BLAS and
        # one torch thread each, so that n_jobs threads use n_jobs cores.
        starts = range(0, len(items), _CHUNK)
        n_jobs = min(effective_n_jobs(self.n_jobs), max(len(starts), 1))
        with (
            single_threaded(),
            tqdm(
                total=len(items),
                disable=not self.verbose,
                desc="SpectrogramImages",
                unit="clip",
            ) as bar,
        ):
            if n_jobs == 1:
                done = map(images, starts)
            else:
                done = Parallel(
                    n_jobs=n_jobs, backend="threading", return_as="generator_unordered"
                )(delayed(images)(start) for start in starts)
            for n in done:
                bar.update(n)
        if output == "torch" and not on_device:
            return torch.from_numpy(out), reasons
        if self.memmap_dir is None:
            return out, reasons
        out.flush()  # the writable mapping closes when `out` goes
        # Copy-on-write: writable for torch, yet the file never changes.
        return np.load(path, mmap_mode="c"), reasons

    def __sklearn_is_fitted__(self):
        # Stateless: nothing to learn, so always ready to transform.
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A 2-D array with one waveform per row is a valid input (and lists of
        # variable-length waveforms or file paths are too).
        tags.input_tags.two_d_array = True
        tags.input_tags.string = True
        tags.requires_fit = False
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _new_memmap(folder, shape, dtype):
    """A new ``.npy`` file in ``folder`` (never an existing one), mapped for writing."""
    handle, path = tempfile.mkstemp(prefix="images-", suffix=".npy", dir=folder)
    os.close(handle)
    return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape), path


def _dtype_name(dtype):
    """``"float32"`` for float32, np.float32 or np.dtype("float32"); else as is."""
    try:
        return np.dtype(dtype).name
    except (TypeError, ValueError):
        return dtype


def _map_chunks(func, items, args, n_jobs, verbose, desc):
    """Yield ``(start, func(items[start:start + _CHUNK], start, *args))`` in order.

    Chunks run in ``n_jobs`` joblib workers; a progress bar counts recordings
    when ``verbose``. Results arrive one chunk at a time, so the caller holds
    only its output and a bounded number of chunks.
    """
    starts = range(0, len(items), _CHUNK)
    tasks = (delayed(func)(items[s : s + _CHUNK], s, *args) for s in starts)
    n_jobs = min(effective_n_jobs(n_jobs), len(starts))
    results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    with tqdm(total=len(items), disable=not verbose, desc=desc, unit="clip") as bar:
        for start, result in zip(starts, results, strict=True):
            yield start, result
            bar.update(len(result))


class MultiTaskImages(TransformerMixin, BaseEstimator):
    """Feature images of several recordings per subject, for fusion models.

    Each row of X holds one subject's recordings of several tasks (e.g. /pa/
    and /ta/, as ``load_voc_als(task=["pa", "ta"])`` returns them); each is
    turned into an image by ``images``, giving ``(n, n_tasks, 3, H, W)``, the
    input :class:`HypernetClassifier` fuses.

    Parameters
    ----------
    images : SpectrogramImages or None, default=None
        The transformer applied to each task; ``None`` means
        ``SpectrogramImages()``. Its parameters are reachable as
        ``images__<name>``.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys import MultiTaskImages, SpectrogramImages
    >>> rng = np.random.default_rng(0)
    >>> X = [(rng.standard_normal(8000), rng.standard_normal(6000))]
    >>> MultiTaskImages(SpectrogramImages(image_size=(64, 64))).fit_transform(X).shape
    (1, 2, 3, 64, 64)
    """

    def __init__(self, images=None):
        self.images = images

    def _images(self):
        return SpectrogramImages() if self.images is None else self.images

    def fit(self, X, y=None):
        """Validate X (rows of recordings); learn nothing.

        Parameters
        ----------
        X : 2-D array-like of recordings, shape (n_subjects, n_tasks)
            An object array, a DataFrame, or a list of equal-length tuples of
            waveforms or audio file paths.
        y : None
            Ignored.

        Returns
        -------
        self : MultiTaskImages
            The transformer itself.

        Raises
        ------
        TypeError
            If X is not a table of recordings (e.g. a numeric array), or as
            in :meth:`SpectrogramImages.fit` for a recording.
        ValueError
            If X has no rows or rows of different lengths, or as in
            :meth:`SpectrogramImages.fit` for a recording.
        FileNotFoundError
            If a path in X does not name an existing file.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import MultiTaskImages
        >>> rng = np.random.default_rng(0)
        >>> X = [(rng.standard_normal(8000), rng.standard_normal(6000))]
        >>> MultiTaskImages().fit(X)
        MultiTaskImages()
        """
        for column in _task_columns(X):
            clone(self._images()).fit(column)  # validates; the param stays as is
        return self

    def transform(self, X):
        """Images of every recording, task by task.

        Parameters
        ----------
        X : 2-D array-like of recordings, shape (n_subjects, n_tasks)
            As in :meth:`fit`.

        Returns
        -------
        images : ndarray of shape (n_subjects, n_tasks, 3, height, width)
            Float32 images, ``images[i, t]`` that of task ``t`` of subject
            ``i``.

        Raises
        ------
        TypeError
            If X is not a table of recordings (e.g. a numeric array), or as
            in :meth:`SpectrogramImages.fit` for a recording.
        ValueError
            If X has no rows or rows of different lengths, or as in
            :meth:`SpectrogramImages.fit` for a recording.
        FileNotFoundError
            If a path in X does not name an existing file.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from skhyperdys import MultiTaskImages, SpectrogramImages
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"pa": [rng.standard_normal(8000) for _ in range(2)],
        ...                   "ta": [rng.standard_normal(6000) for _ in range(2)]})
        >>> MultiTaskImages(SpectrogramImages(image_size=(64, 64))).transform(X).shape
        (2, 2, 3, 64, 64)
        """
        columns = _task_columns(X)
        images = self._images()
        if not hasattr(images, "_images_and_flags"):  # a transformer of one's own
            return np.stack([images.transform(c) for c in columns], axis=1)
        stacks, reasons = [], [[] for _ in columns[0]]
        for task, column in enumerate(columns):
            out, flags = images._images_and_flags(column)
            stacks.append(out)
            for row, found in enumerate(flags):
                reasons[row] += [f"task {task} {reason}" for reason in found]
        warn_unusual(reasons, type(self).__name__, stacklevel=4)
        return np.stack(stacks, axis=1)

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # a table of recordings, not numbers
        tags.requires_fit = False
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _task_columns(X):
    """Split a table of recordings (n_subjects, n_tasks) into task columns."""
    if scipy.sparse.issparse(X):
        raise TypeError(
            "sparse input is not supported: X must be a table of recordings "
            "(waveforms or audio file paths), one row per subject."
        )
    if hasattr(X, "iloc"):  # pandas DataFrame
        X = X.to_numpy(dtype=object)
    if isinstance(X, np.ndarray) and X.dtype != object:
        raise TypeError(
            "X must be a table of recordings, one row per subject and one column "
            f"per task (an object array, DataFrame or list of tuples); got a "
            f"numeric array of shape {X.shape}."
        )
    try:
        rows = [list(row) for row in X]
    except TypeError:
        raise TypeError(
            "X must be a table of recordings (n_subjects, n_tasks); got "
            f"{type(X).__name__}."
        ) from None
    if not rows:
        raise ValueError("X holds no subjects.")
    n_tasks = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != n_tasks or n_tasks == 0:
            raise ValueError(
                f"row {i} of X holds {len(row)} recordings; every row needs the "
                f"same number (row 0 has {n_tasks}), at least one."
            )
    return [[row[t] for row in rows] for t in range(n_tasks)]


class EgemapsFunctionals(TransformerMixin, BaseEstimator):
    """Extract the eGeMAPS functionals of each recording (88 values) with openSMILE.

    The context vectors of the paper's data-conditioned hypernetwork. Needs
    the optional dependency opensmile (``pip install 'skhyperdys[egemaps]'``).

    Parameters
    ----------
    sr : int, default=8000
        Sample rate of array inputs; audio files are resampled to it.
    n_jobs : int or None, default=None
        Number of joblib workers.
    verbose : int, default=0
        If > 0, show a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys import EgemapsFunctionals
    >>> y = 0.1 * np.random.default_rng(0).standard_normal(8000)
    >>> EgemapsFunctionals().fit_transform([y]).shape
    (1, 88)
    """

    _parameter_constraints = {
        "sr": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(self, *, sr=DEFAULTS.sr, n_jobs=None, verbose=0):
        self.sr = sr
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X, y=None):
        """Validate X; learn nothing.

        Parameters
        ----------
        X : sequence of 1-D array-like or audio file paths, or 2-D array
            Recordings, as for :class:`SpectrogramImages`.
        y : None
            Ignored.

        Returns
        -------
        self : EgemapsFunctionals
            The transformer itself.

        Raises
        ------
        ImportError
            If opensmile is not installed.
        ValueError
            If ``sr`` is not a positive integer, or a recording is not a
            finite, non-empty, 1-D waveform.
        TypeError
            If X is not a sequence of recordings, or a recording is not
            real-valued.
        FileNotFoundError
            If a path in X does not name an existing file.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import EgemapsFunctionals
        >>> EgemapsFunctionals(sr=16000).fit([np.zeros(16000)])
        EgemapsFunctionals(sr=16000)
        """
        self._validate_params()
        make_egemaps_extractor()  # fail early without opensmile
        check_waveforms(X)
        return self

    def transform(self, X):
        """Compute the functionals.

        Parameters
        ----------
        X : sequence of 1-D array-like or audio file paths, or 2-D array
            Recordings.

        Returns
        -------
        features : ndarray of shape (n_recordings, 88), float32
            One row per recording, in the order of ``X``; columns in the
            order of ``make_egemaps_extractor().feature_names``. Functionals
            openSMILE cannot compute (NaN) are set to 0.

        Raises
        ------
        ImportError
            If opensmile is not installed.
        ValueError
            If ``sr`` is not a positive integer, or a recording is not a
            finite, non-empty, 1-D waveform or a readable audio file.
        TypeError
            If X is not a sequence of recordings, or a recording is not
            real-valued.
        FileNotFoundError
            If a path in X does not name an existing file.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import EgemapsFunctionals
        >>> X = 0.1 * np.random.default_rng(0).standard_normal((2, 8000))
        >>> features = EgemapsFunctionals().transform(X)
        >>> features.shape, features.dtype
        ((2, 88), dtype('float32'))
        """
        self._validate_params()
        items = check_waveforms(X)
        chunks = _map_chunks(
            _functionals_for_chunk,
            items,
            (self.sr,),
            self.n_jobs,
            self.verbose,
            "eGeMAPS",
        )
        return np.concatenate([values for _, values in chunks])

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.string = True
        tags.requires_fit = False
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _functionals_for_chunk(items, start, sr):
    smile = make_egemaps_extractor()
    with single_threaded():
        return np.stack(
            [
                egemaps_functionals(read_waveform(item, start + i, sr), sr, smile)
                for i, item in enumerate(items)
            ]
        )


class ImagesAndContext(TransformerMixin, BaseEstimator):
    """Feature images together with per-recording context features.

    Makes the input of a data-conditioned :class:`HypernetClassifier`
    (``context="data"``): a dict ``{"images": (n, 3, H, W), "context": (n,
    k)}`` that skorch hands to the model. In a pipeline it reads as one step::

        Pipeline([("features", ImagesAndContext()),
                  ("clf", HypernetClassifier(context="data"))])

    Parameters
    ----------
    images : transformer or None, default=None
        Makes the images; ``None`` means ``SpectrogramImages()``.
    context : transformer or None, default=None
        Makes the context vectors; ``None`` means ``EgemapsFunctionals()``.
        Stateless ones (eGeMAPS, the clinical measures) work unfitted; one
        that learns (e.g. ``make_pipeline(DDKMeasures(), SimpleImputer())``)
        is fitted in :meth:`fit` (``context_``).

    Attributes
    ----------
    context_ : transformer
        The fitted copy of ``context`` (after :meth:`fit`).

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys import ImagesAndContext, SpectrogramImages
    >>> y = 0.1 * np.random.default_rng(0).standard_normal(8000)
    >>> features = ImagesAndContext(SpectrogramImages(image_size=(64, 64)))
    >>> out = features.fit_transform([y])
    >>> out["images"].shape, out["context"].shape
    ((1, 3, 64, 64), (1, 88))
    """

    def __init__(self, images=None, context=None):
        self.images = images
        self.context = context

    def _parts(self):
        images = SpectrogramImages() if self.images is None else self.images
        context = EgemapsFunctionals() if self.context is None else self.context
        return images, context

    def fit(self, X, y=None):
        """Validate X with both transformers; fit a copy of ``context``.

        Parameters
        ----------
        X : sequence of recordings
            As for :class:`SpectrogramImages`.
        y : None
            Ignored.

        Returns
        -------
        self : ImagesAndContext
            The transformer itself.

        Raises
        ------
        TypeError, ValueError, FileNotFoundError
            For invalid parameters or recordings, as in
            :meth:`SpectrogramImages.fit` and :meth:`EgemapsFunctionals.fit`.
        ImportError
            If ``context`` is None (eGeMAPS) and opensmile is not installed.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import ImagesAndContext, SpectrogramImages
        >>> features = ImagesAndContext(SpectrogramImages(image_size=(64, 64)))
        >>> features.fit([np.zeros(8000)])
        ImagesAndContext(images=SpectrogramImages(image_size=(64, 64)))
        """
        images, context = self._parts()
        clone(images).fit(X)  # validates; the params stay as they are
        # A context that learns (e.g. measures then an imputer) is used fitted.
        self.context_ = clone(context).fit(X)
        return self

    def transform(self, X):
        """Images and context of every recording.

        Parameters
        ----------
        X : sequence of recordings
            As for :class:`SpectrogramImages`.

        Returns
        -------
        features : dict
            ``{"images": ndarray (n, 3, H, W), "context": ndarray (n, k)}``.

        Raises
        ------
        TypeError, ValueError, FileNotFoundError
            For invalid parameters or recordings, as in
            :meth:`SpectrogramImages.fit` and :meth:`EgemapsFunctionals.fit`.
        ImportError
            If ``context`` is None (eGeMAPS) and opensmile is not installed.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import ImagesAndContext, SpectrogramImages
        >>> X = 0.1 * np.random.default_rng(0).standard_normal((3, 8000))
        >>> out = ImagesAndContext(SpectrogramImages(image_size=(64, 64))).transform(X)
        >>> sorted(out)
        ['context', 'images']
        >>> out["images"].shape, out["context"].shape
        ((3, 3, 64, 64), (3, 88))
        """
        images, context = self._parts()
        context = getattr(self, "context_", context)
        return {"images": images.transform(X), "context": context.transform(X)}

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # output is a dict, not an array
        tags.requires_fit = False
        tags.target_tags.required = False
        return tags


class BackboneFeatures(TransformerMixin, BaseEstimator):
    """Features of a fixed (pretrained) backbone, for reuse across many fits.

    Runs feature images through the backbone up to its last layer (AlexNet:
    its 4096-d penultimate layer), in evaluation mode, and returns
    ``{"features": (n, [n_tasks,] n_features)}``:
    the input of a :class:`HypernetClassifier` that trains only the new
    embedding layer and the head. Equivalent to ``freeze_backbone=True``,
    but as a pipeline step, so that ``Pipeline(memory=...)`` caches the
    features and a grid search over head parameters (``context_dim``,
    ``hyper_hidden``, ``lr``, ...) computes them once per fold instead of
    once per candidate::

        Pipeline([("images", SpectrogramImages()),
                  ("backbone", BackboneFeatures()),
                  ("clf", HypernetClassifier())], memory="cache_dir")

    A dict input ``{"images": ..., "context": ...}`` (from
    :class:`ImagesAndContext`) keeps its context.

    Parameters
    ----------
    weights : "imagenet", None, str or os.PathLike, default="imagenet"
        As in :class:`HypernetClassifier`.
    backbone : str or torch.nn.Module, default="alexnet"
        As in :class:`HypernetClassifier`: a torchvision classification model
        name or a module of your own.
    batch_size : int, default=32
        Images per forward pass.
    device : str, default="cpu"
        Where to compute.
    random_state : int or None, default=None
        Seeds the initialisation when ``weights=None``.

    Attributes
    ----------
    backbone_ : torch.nn.Module
        The frozen network, built by :meth:`fit`.
    n_features_ : int
        Width of its features (4096 for AlexNet).

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys import BackboneFeatures
    >>> images = np.zeros((2, 3, 64, 64), dtype="float32")
    >>> out = BackboneFeatures(weights=None, random_state=0).fit_transform(images)
    >>> out["features"].shape
    (2, 4096)
    """

    _parameter_constraints = {
        "weights": [str, os.PathLike, None],
        "backbone": [str, torch.nn.Module],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        weights="imagenet",
        *,
        backbone="alexnet",
        batch_size=32,
        device="cpu",
        random_state=None,
    ):
        self.weights = weights
        self.backbone = backbone
        self.batch_size = batch_size
        self.device = device
        self.random_state = random_state

    def fit(self, X, y=None):
        """Build the frozen backbone (load its weights).

        Parameters
        ----------
        X : array-like of shape (n, 3, H, W) or (n, n_tasks, 3, H, W), or dict
            Feature images, or ``{"images": ..., "context": ...}``.
        y : None
            Ignored.

        Returns
        -------
        self : BackboneFeatures
            The transformer itself, with ``backbone_``.

        Raises
        ------
        ValueError
            If ``batch_size`` is not a positive integer, the images are not of
            shape ``(n, [n_tasks,] 3, H, W)`` with finite values or smaller
            than the backbone takes, the backbone is unknown, or the weights
            do not fit it.
        TypeError
            If the images are not numeric.
        KeyError
            If X is a dict without ``"images"``.
        FileNotFoundError
            If ``weights`` is a path that does not exist.
        RuntimeError
            If ``weights="imagenet"`` and torchvision's weights are neither
            cached nor downloadable.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import BackboneFeatures
        >>> images = np.zeros((2, 3, 64, 64), dtype="float32")
        >>> features = BackboneFeatures(weights=None, random_state=0).fit(images)
        >>> type(features.backbone_).__name__
        'AlexNet'
        """
        self._validate_params()
        images = check_images(X["images"] if isinstance(X, dict) else X)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net, self.n_features_, _ = make_backbone(
                self.backbone, self.weights, image_size=images.shape[-2:]
            )
        self.backbone_ = net.requires_grad_(False).eval().to(self.device)
        return self

    def transform(self, X):
        """The backbone's features.

        Parameters
        ----------
        X : array-like of shape (n, 3, H, W) or (n, n_tasks, 3, H, W), or dict
            As in :meth:`fit`.

        Returns
        -------
        out : dict
            ``{"features": ndarray (n, [n_tasks,] n_features)}``, float32, plus
            ``"context"`` if X had one.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If :meth:`fit` has not been called.
        ValueError
            If the images are not of shape ``(n, [n_tasks,] 3, H, W)`` with
            finite values.
        TypeError
            If the images are not numeric.
        KeyError
            If X is a dict without ``"images"``.

        Examples
        --------
        >>> import numpy as np
        >>> from skhyperdys import BackboneFeatures
        >>> images = np.zeros((2, 3, 64, 64), dtype="float32")
        >>> features = BackboneFeatures(weights=None, random_state=0).fit(images)
        >>> out = features.transform({"images": images, "context": np.ones((2, 5))})
        >>> sorted(out), out["features"].shape
        (['context', 'features'], (2, 4096))
        """
        check_is_fitted(self, "backbone_")
        out = dict(X) if isinstance(X, dict) else {"images": X}
        images = check_images(out.pop("images"))
        out["features"] = features_in_batches(
            self.backbone_, images, self.batch_size, self.device
        )
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # 4-D images
        tags.target_tags.required = False
        return tags
