"""A task whose class cue sits in a known time-frequency box (explanations)."""

import numpy as np
from scipy.signal import butter, sosfilt
from sklearn.utils import Bunch, check_random_state

from .._validation import check_int

DESCR = """\
A planted cue in a known time-frequency box, built into skhyperdys
------------------------------------------------------------------

Noise clips of 1.5-2.5 s at a random level. Class 1 adds a band-limited
noise burst 26 dB above the noise, in ``band`` (Hz) during ``window`` (s);
class 0 does not. Every clip of both classes also holds a loud 400 Hz tone at
1.2-1.4 s, which sets the per-image scaling of the feature images, so that
the classes differ in the box only (without it the burst would set the
scaling, class-1 images would have a darker background, and a model may, and
measurably does, learn the class from the background).

A model that tells the classes apart must use the box, so an explanation of
it (:func:`skhyperdys.inspection.saliency_maps`) should put its mass there:
the test of a saliency method. It is not speech.
"""


def make_planted_cue(
    n_recordings=48,
    *,
    band=(2000.0, 3000.0),
    window=(0.3, 0.8),
    sr=8000,
    random_state=None,
):
    """Clips whose class is a noise burst in a known time-frequency box.

    For checking that an explanation points where the evidence is; see
    ``DESCR``. Classes alternate (0, 1, 0, ...).

    Parameters
    ----------
    n_recordings : int, default=48
        Number of clips.
    band : tuple of (float, float), default=(2000.0, 3000.0)
        Frequencies of the burst in Hz, below ``sr / 2``.
    window : tuple of (float, float), default=(0.3, 0.8)
        When the burst sounds, in seconds, within the first 1.5 s.
    sr : int, default=8000
        Sample rate in Hz.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (list of float64 waveforms), ``target`` (0 or 1),
        ``band``, ``window``, ``sr`` and ``DESCR``.

    Raises
    ------
    ValueError
        If ``band`` or ``window`` is not an increasing pair inside the
        clip's frequencies and duration.

    Examples
    --------
    >>> from skhyperdys.datasets import make_planted_cue
    >>> cue = make_planted_cue(4, random_state=0)
    >>> cue.target.tolist(), cue.band, cue.window
    ([0, 1, 0, 1], (2000.0, 3000.0), (0.3, 0.8))
    """
    check_int(n_recordings, "n_recordings")
    low, high = band
    if not 0 < low < high < sr / 2:
        raise ValueError(f"band must be (low, high) Hz below sr / 2; got {band!r}.")
    start, stop = window
    if not 0 <= start < stop <= 1.5:
        raise ValueError(f"window must be (start, stop) within 1.5 s; got {window!r}.")
    rng = check_random_state(random_state)
    sos = butter(6, band, btype="bandpass", fs=sr, output="sos")
    target = np.arange(n_recordings) % 2
    data = []
    for label in target:
        level = 10 ** rng.uniform(-2.5, -1.5)
        x = level * rng.standard_normal(int(rng.uniform(1.5, 2.5) * sr))
        a, b = int(1.2 * sr), int(1.4 * sr)
        x[a:b] += 30 * level * np.sin(2 * np.pi * 400 * np.arange(b - a) / sr)
        if label:
            a, b = int(start * sr), int(stop * sr)
            # 26 dB above the noise: at 20 dB, 1 training run in 6 stalled
            x[a:b] += 20 * level * sosfilt(sos, rng.standard_normal(b - a))
        data.append(x)
    return Bunch(
        data=data,
        target=target,
        band=(float(low), float(high)),
        window=(float(start), float(stop)),
        sr=sr,
        DESCR=DESCR,
    )
