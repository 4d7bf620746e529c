"""Feature images from waveforms: log-Mel (or MFCC), delta and delta-delta.

Plain functions of arrays, used by :class:`skhyperdys.SpectrogramImages` and
usable on their own. The pipeline for one clip is::

    y ──pad_for_deltas──► spectral_matrix ──feature_stack──► (3, n_bands, n_frames)
      ──resize_image──► (3, H, W) ──scale_image──► float32 image

Channel 0 of :func:`feature_stack` is exactly
``librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, ...), top_db=top_db)``
(or ``librosa.feature.mfcc``) for the same settings; channels 1 and 2 are
``librosa.feature.delta`` of it with ``order=1`` and ``order=2``.
"""

from dataclasses import dataclass

import librosa
import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "DEFAULTS",
    "EGEMAPS_MIN_SECONDS",
    "FEATURES",
    "FLAT_SPREAD",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "SCALINGS",
    "SpectrogramSettings",
    "egemaps_functionals",
    "feature_image",
    "feature_stack",
    "make_egemaps_extractor",
    "min_clip_length",
    "pad_for_deltas",
    "resize_image",
    "scale_image",
    "spectral_matrix",
]

#: Spectral representations :func:`spectral_matrix` can compute.
FEATURES = ("logmel", "mfcc")
#: Image scalings :func:`scale_image` knows.
SCALINGS = ("imagenet", "minmax", "standard", None)
#: Per-channel mean and standard deviation of ImageNet, as used by torchvision's
#: pretrained models.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: A channel whose values span no more than this (in its own units: dB, or dB
#: per frame for the deltas) is constant to the scalings, which map it to
#: zeros: the float32 rounding of a silent clip's flat -100 dB spans about
#: 1e-5, and min-max scaling would otherwise stretch that rounding noise,
#: which differs from one CPU to another, to the full range. The channels of
#: any real recording span dB, not thousandths of one.
FLAT_SPREAD = 1e-3


@dataclass(frozen=True)
class SpectrogramSettings:
    """The feature-image settings and their defaults, in one place.

    Every function here, :mod:`skhyperdys.batched` and
    :class:`skhyperdys.SpectrogramImages` take their defaults from
    :data:`DEFAULTS`, an instance of this class. The paper gives none of
    these; they are this library's choices (see the user guide).

    Parameters
    ----------
    sr : int, default=8000
        Sample rate in Hz (VOC-ALS is recorded at 8 kHz).
    features : {"logmel", "mfcc"}, default="logmel"
        Channel 0: the log-Mel spectrogram in dB, or MFCCs.
    n_mels : int, default=128
        Mel bands.
    n_mfcc : int, default=40
        Cepstral coefficients (``features="mfcc"``).
    n_fft : int, default=512
        FFT window in samples (64 ms at 8 kHz).
    hop_length : int, default=128
        Hop between frames in samples (16 ms at 8 kHz).
    fmin : float, default=0.0
        Lowest frequency of the Mel filter bank, in Hz.
    fmax : float or None, default=None
        Highest frequency of the Mel filter bank; None means ``sr / 2``.
    top_db : float or None, default=80.0
        Dynamic range kept below each clip's peak, in dB (librosa's default).
    delta_width : int, default=9
        Frames over which the deltas are fitted (librosa's default).
    image_size : tuple of (int, int), default=(224, 224)
        Output ``(height, width)``: AlexNet's ImageNet input size.
    scaling : {"imagenet", "minmax", "standard"} or None, default="imagenet"
        Scaling of each channel after resizing.

    Examples
    --------
    >>> from skhyperdys.features import DEFAULTS
    >>> DEFAULTS.n_fft, DEFAULTS.hop_length, DEFAULTS.image_size
    (512, 128, (224, 224))
    """

    sr: int = 8000
    features: str = "logmel"
    n_mels: int = 128
    n_mfcc: int = 40
    n_fft: int = 512
    hop_length: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    top_db: float | None = 80.0
    delta_width: int = 9
    image_size: tuple = (224, 224)
    scaling: str | None = "imagenet"


#: The default settings (see :class:`SpectrogramSettings`).
DEFAULTS = SpectrogramSettings()


def min_clip_length(n_fft, hop_length, delta_width):
    """Shortest clip, in samples, for which deltas can be computed.

    With librosa's centred frames a clip of ``n`` samples has
    ``1 + n // hop_length`` frames, and ``librosa.feature.delta`` needs at
    least ``delta_width`` frames. The clip is also made at least ``n_fft``
    samples long so that the STFT does not warn.

    Parameters
    ----------
    n_fft : int
        FFT window length in samples.
    hop_length : int
        Hop between frames in samples.
    delta_width : int
        Number of frames ``librosa.feature.delta`` uses.

    Returns
    -------
    n_samples : int
        The minimum clip length in samples.

    Examples
    --------
    >>> from skhyperdys.features import min_clip_length
    >>> min_clip_length(n_fft=512, hop_length=128, delta_width=9)
    1024
    """
    return max(n_fft, (delta_width - 1) * hop_length)


def pad_for_deltas(y, n_fft, hop_length, delta_width):
    """Zero-pad a clip at its end to :func:`min_clip_length` samples.

    Clips already long enough are returned unchanged (the same object).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform.
    n_fft, hop_length, delta_width : int
        Frame settings, as in :func:`min_clip_length`.

    Returns
    -------
    y_padded : ndarray of shape (max(n_samples, min_clip_length),)
        The waveform, padded with zeros at the end if it was too short.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.features import pad_for_deltas
    >>> pad_for_deltas(np.ones(10), n_fft=512, hop_length=128, delta_width=9).shape
    (1024,)
    """
    n_min = min_clip_length(n_fft, hop_length, delta_width)
    if y.shape[-1] >= n_min:
        return y
    return np.pad(y, (0, n_min - y.shape[-1]))


def spectral_matrix(
    y,
    sr,
    *,
    features=DEFAULTS.features,
    n_mels=DEFAULTS.n_mels,
    n_mfcc=DEFAULTS.n_mfcc,
    n_fft=DEFAULTS.n_fft,
    hop_length=DEFAULTS.hop_length,
    fmin=DEFAULTS.fmin,
    fmax=DEFAULTS.fmax,
    top_db=DEFAULTS.top_db,
):
    """Log-Mel spectrogram (in dB) or MFCC matrix of one clip.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Waveform, floating point.
    sr : int
        Sample rate of ``y`` in Hz.
    features : {"logmel", "mfcc"}, default="logmel"
        ``"logmel"``: ``librosa.power_to_db`` of the power Mel spectrogram
        (``ref=1.0``, clipped at ``top_db`` below the peak). ``"mfcc"``:
        ``librosa.feature.mfcc`` computed from that same log-Mel spectrogram.
    n_mels : int, default=128
        Number of Mel bands.
    n_mfcc : int, default=40
        Number of cepstral coefficients (``features="mfcc"`` only).
    n_fft : int, default=512
        FFT window length in samples.
    hop_length : int, default=128
        Hop between frames in samples.
    fmin, fmax : float, default=0.0, None
        Frequency range of the Mel filter bank; ``fmax=None`` means ``sr / 2``.
    top_db : float or None, default=80.0
        Dynamic range kept below the peak, in dB; ``None`` keeps everything.

    Returns
    -------
    S : ndarray of shape (n_mels or n_mfcc, n_frames)
        The matrix, with ``n_frames = 1 + n_samples // hop_length``.

    Raises
    ------
    ValueError
        If ``features`` is not one of :data:`FEATURES`.

    See Also
    --------
    feature_stack : This matrix with its delta and delta-delta.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.features import spectral_matrix
    >>> y = np.random.default_rng(0).standard_normal(8000)
    >>> spectral_matrix(y, 8000, n_mels=64).shape
    (64, 63)
    """
    mel = dict(n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmin=fmin, fmax=fmax)
    S = librosa.power_to_db(
        librosa.feature.melspectrogram(y=y, sr=sr, **mel), top_db=top_db
    )
    if features == "mfcc":
        S = librosa.feature.mfcc(S=S, sr=sr, n_mfcc=n_mfcc)
    elif features != "logmel":
        raise ValueError(f"features must be one of {FEATURES}, got {features!r}.")
    return S


def feature_stack(
    y,
    sr,
    *,
    features=DEFAULTS.features,
    n_mels=DEFAULTS.n_mels,
    n_mfcc=DEFAULTS.n_mfcc,
    n_fft=DEFAULTS.n_fft,
    hop_length=DEFAULTS.hop_length,
    fmin=DEFAULTS.fmin,
    fmax=DEFAULTS.fmax,
    top_db=DEFAULTS.top_db,
    delta_width=DEFAULTS.delta_width,
):
    """Spectral matrix with its delta and delta-delta, before resizing.

    Clips shorter than :func:`min_clip_length` are zero-padded at the end
    first, so any clip of at least one sample works.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Waveform, floating point.
    sr : int
        Sample rate of ``y`` in Hz.
    features, n_mels, n_mfcc, n_fft, hop_length, fmin, fmax, top_db
        As in :func:`spectral_matrix`.
    delta_width : int, default=9
        Odd number of frames over which ``librosa.feature.delta`` fits its
        local slope.

    Returns
    -------
    stack : ndarray of shape (3, n_bands, n_frames)
        ``[S, delta(S), delta(S, order=2)]``, in the dtype of ``y``.

    Raises
    ------
    ValueError
        If ``features`` is not one of :data:`FEATURES`.

    See Also
    --------
    skhyperdys.batched.feature_stacks : The same for many clips at once.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.features import feature_stack
    >>> y = np.random.default_rng(0).standard_normal(8000)
    >>> feature_stack(y, 8000, n_mels=64).shape
    (3, 64, 63)
    """
    y = pad_for_deltas(y, n_fft, hop_length, delta_width)
    S = spectral_matrix(
        y,
        sr,
        features=features,
        n_mels=n_mels,
        n_mfcc=n_mfcc,
        n_fft=n_fft,
        hop_length=hop_length,
        fmin=fmin,
        fmax=fmax,
        top_db=top_db,
    )
    d1 = librosa.feature.delta(S, width=delta_width, order=1)
    d2 = librosa.feature.delta(S, width=delta_width, order=2)
    return np.stack([S, d1, d2])


def resize_image(image, size):
    """Resize each channel of an image with antialiased bilinear interpolation.

    Uses ``torch.nn.functional.interpolate(mode="bilinear", antialias=True)``,
    the resampling torchvision applies to images.

    Parameters
    ----------
    image : ndarray of shape (n_channels, h, w)
        The image.
    size : tuple of (int, int)
        Output ``(height, width)``.

    Returns
    -------
    resized : ndarray of shape (n_channels, height, width), float32
        The resized image (a float32 copy of ``image`` if it already has
        that size).

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.features import resize_image
    >>> resize_image(np.ones((3, 64, 300)), (224, 224)).shape
    (3, 224, 224)
    """
    t = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))
    if tuple(t.shape[-2:]) == tuple(size):
        return t.numpy()
    out = F.interpolate(
        t[None], size=tuple(size), mode="bilinear", align_corners=False, antialias=True
    )
    return out[0].numpy()


def scale_image(image, scaling=DEFAULTS.scaling):
    """Scale each channel of an image for a CNN backbone.

    Parameters
    ----------
    image : ndarray of shape (3, H, W)
        The image; not modified.
    scaling : {"imagenet", "minmax", "standard"} or None, default="imagenet"
        ``"minmax"``: each channel mapped to [0, 1] by its own minimum and
        maximum, like the pixel intensities of a picture. ``"imagenet"``: the
        same, then normalised with ImageNet's per-channel mean and standard
        deviation (:data:`IMAGENET_MEAN`, :data:`IMAGENET_STD`), which is what a
        torchvision model pretrained on ImageNet expects. ``"standard"``: each
        channel to zero mean and unit variance. ``None``: unchanged.
        A constant channel (e.g. the deltas of silence), one whose values span
        at most :data:`FLAT_SPREAD`, becomes all zeros before the ImageNet
        shift.

    Returns
    -------
    scaled : ndarray of shape (3, H, W), float32
        The scaled image, a new array.

    Raises
    ------
    ValueError
        If ``scaling`` is not one of :data:`SCALINGS`.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.features import scale_image
    >>> img = np.arange(12.0).reshape(3, 2, 2)
    >>> scale_image(img, "minmax")[0]
    array([[0.        , 0.33333334],
           [0.6666667 , 1.        ]], dtype=float32)
    """
    image = np.asarray(image, dtype=np.float32)
    if scaling is None:
        return image.copy()
    axes = (-2, -1)
    if scaling == "standard":
        centred = image - image.mean(axis=axes, keepdims=True)
        std = centred.std(axis=axes, keepdims=True)
        flat = std <= FLAT_SPREAD
        return np.divide(centred, std, out=np.zeros_like(centred), where=~flat)
    if scaling not in ("minmax", "imagenet"):
        raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}.")
    lo = image.min(axis=axes, keepdims=True)
    span = image.max(axis=axes, keepdims=True) - lo
    flat = span <= FLAT_SPREAD
    scaled = np.divide(image - lo, span, out=np.zeros_like(image), where=~flat)
    if scaling == "imagenet":
        mean = np.asarray(IMAGENET_MEAN, dtype=np.float32)[:, None, None]
        std = np.asarray(IMAGENET_STD, dtype=np.float32)[:, None, None]
        scaled = (scaled - mean) / std
    return scaled


def feature_image(
    y,
    sr,
    *,
    image_size=DEFAULTS.image_size,
    scaling=DEFAULTS.scaling,
    delta_width=DEFAULTS.delta_width,
    **spectral_params,
):
    """Three-channel feature image of one clip, ready for a CNN.

    :func:`feature_stack`, then :func:`resize_image`, then :func:`scale_image`.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Waveform, floating point, at least one sample.
    sr : int
        Sample rate of ``y`` in Hz.
    image_size : tuple of (int, int), default=(224, 224)
        Output ``(height, width)``: height indexes Mel bands (row 0 is the
        lowest band), width indexes time.
    scaling : {"imagenet", "minmax", "standard"} or None, default="imagenet"
        See :func:`scale_image`.
    delta_width : int, default=9
        See :func:`feature_stack`.
    **spectral_params
        Passed to :func:`spectral_matrix`.

    Returns
    -------
    image : ndarray of shape (3, height, width), float32
        Channels: the spectral matrix, its delta and its delta-delta.

    Raises
    ------
    ValueError
        If ``features`` is not one of :data:`FEATURES` or ``scaling`` not one
        of :data:`SCALINGS`.

    See Also
    --------
    skhyperdys.SpectrogramImages : This computation as a scikit-learn
        transformer.
    skhyperdys.batched.feature_images : The same for many clips at once.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.features import feature_image
    >>> y = np.random.default_rng(0).standard_normal(8000)
    >>> feature_image(y, 8000, image_size=(96, 96)).shape
    (3, 96, 96)
    """
    stack = feature_stack(y, sr, delta_width=delta_width, **spectral_params)
    return scale_image(resize_image(stack, image_size), scaling)


#: Shortest clip, in seconds, openSMILE's eGeMAPS functionals are computed on;
#: shorter clips are zero-padded (openSMILE returns NaN for very short input).
EGEMAPS_MIN_SECONDS = 0.5


def egemaps_functionals(y, sr, smile=None):
    """The 88 eGeMAPSv02 functionals of a clip, computed by openSMILE.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Waveform. Clips shorter than :data:`EGEMAPS_MIN_SECONDS` are
        zero-padded at the end.
    sr : int
        Sample rate in Hz.
    smile : opensmile.Smile or None, default=None
        A configured extractor (made once and reused when given).

    Returns
    -------
    features : ndarray of shape (88,), float32
        Functionals openSMILE cannot compute (NaN) are set to 0.

    Raises
    ------
    ImportError
        If ``smile`` is None and opensmile is not installed
        (``pip install 'skhyperdys[egemaps]'``).

    See Also
    --------
    make_egemaps_extractor : The extractor to reuse across clips.
    skhyperdys.EgemapsFunctionals : This computation as a scikit-learn
        transformer.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.features import egemaps_functionals
    >>> y = 0.1 * np.random.default_rng(0).standard_normal(8000)
    >>> values = egemaps_functionals(y, 8000)
    >>> values.shape, values.dtype
    ((88,), dtype('float32'))
    """
    smile = make_egemaps_extractor() if smile is None else smile
    n_min = int(np.ceil(EGEMAPS_MIN_SECONDS * sr))
    if len(y) < n_min:
        y = np.pad(y, (0, n_min - len(y)))
    values = smile.process_signal(np.asarray(y, dtype=np.float32), sr).to_numpy()[0]
    return np.nan_to_num(values.astype(np.float32), nan=0.0)


def make_egemaps_extractor():
    """Make an ``opensmile.Smile`` that computes the eGeMAPSv02 functionals.

    Building the extractor takes a fraction of a second; make it once and pass
    it to :func:`egemaps_functionals` for every clip.

    Returns
    -------
    smile : opensmile.Smile
        Extractor of the 88 functionals of the eGeMAPSv02 feature set
        (``feature_set=eGeMAPSv02``, ``feature_level=Functionals``).

    Raises
    ------
    ImportError
        If opensmile is not installed (``pip install 'skhyperdys[egemaps]'``).

    See Also
    --------
    egemaps_functionals : The functionals of one clip.

    Examples
    --------
    >>> import numpy as np
    >>> from skhyperdys.features import egemaps_functionals, make_egemaps_extractor
    >>> smile = make_egemaps_extractor()
    >>> len(smile.feature_names)
    88
    >>> smile.feature_names[0]
    'F0semitoneFrom27.5Hz_sma3nz_amean'
    >>> clips = 0.1 * np.random.default_rng(0).standard_normal((2, 8000))
    >>> np.stack([egemaps_functionals(y, 8000, smile) for y in clips]).shape
    (2, 88)
    """
    try:
        import opensmile
    except ImportError:
        raise ImportError(
            "eGeMAPS context features need opensmile: "
            "pip install 'skhyperdys[egemaps]' (or pip install opensmile)."
        ) from None
    return opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02,
        feature_level=opensmile.FeatureLevel.Functionals,
    )
