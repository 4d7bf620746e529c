"""Syllable detection in repetition tasks (/pa/, /ta/, /ka/, /pataka/).

A syllable of a diadochokinetic (DDK) task is a release burst followed by a
vowel: the loudness of the speech band rises at the burst, peaks in the vowel
and falls in the closure before the next burst. The detector follows that
contour (after de Jong & Wempe's intensity-peak method for syllable nuclei,
2009): a nucleus is a voiced (periodic) peak of the smoothed speech-band
level that stands out from the dips on both sides by ``min_prominence`` dB and
from the recording's noise floor by ``min_height`` dB; its onset is where the
level, coming out of the dip before it, first climbs a quarter of the way up
to the peak; its vowel is the span around the peak within ``vowel_drop`` dB of
it.
"""

import numpy as np
import scipy.signal
from sklearn.utils import Bunch

# Analysis frames: 10 ms windows every 2.5 ms.
FRAME = 0.010
HOP = 0.0025
# The speech band, Hz: above mains hum and breath, below the top of a phone line.
BAND = (150.0, 4000.0)
# Fastest repetition rate taken for a syllable rate (s): the shortest gap
# between two nuclei. Healthy adults repeat /pa/ at up to ~8 syllables/s.
MIN_SPACING = 0.070
# A nucleus is voiced: the normalised autocorrelation of the 40 ms around it
# reaches this at a lag of one period of 60-500 Hz (de Jong & Wempe keep
# voiced peaks only); bursts, frication and clicks do not.
VOICING = 0.45
VOICING_WINDOW = 0.040
F0_RANGE = (60.0, 500.0)


def is_voiced(y, sr, centre):
    """Whether the 40 ms of ``y`` around ``centre`` (s) are periodic (voiced)."""
    half = int(VOICING_WINDOW * sr / 2)
    c = int(round(centre * sr))
    frame = np.asarray(y[max(c - half, 0) : c + half], dtype=np.float64)
    frame = frame - frame.mean()
    shortest, longest = int(sr / F0_RANGE[1]), int(sr / F0_RANGE[0])
    if len(frame) <= longest + 1:
        return False
    spectrum = np.fft.rfft(frame, 2 * len(frame))
    acf = np.fft.irfft(np.abs(spectrum) ** 2)[: len(frame)]
    if acf[0] <= 0:
        return False
    # unbiased: each lag's sum over the overlapping samples only
    acf = acf / acf[0] * len(frame) / (len(frame) - np.arange(len(frame)))
    return bool(acf[shortest : longest + 1].max() >= VOICING)


def speech_band_level(y, sr):
    """The level of the speech band in dB, one value every ``HOP`` seconds.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform.
    sr : int
        Its sample rate in Hz.

    Returns
    -------
    level : ndarray of shape (n_frames,)
        Band power in dB (re 1), frame ``k`` centred at ``k * HOP`` seconds.
    """
    hop = max(int(round(HOP * sr)), 1)
    win = max(int(round(FRAME * sr)), 2)
    n_fft = 1 << (win - 1).bit_length()
    y = np.asarray(y, dtype=np.float64)
    padded = np.pad(y, (n_fft // 2, n_fft // 2))
    n_frames = 1 + (len(y) - 1) // hop
    starts = np.arange(n_frames) * hop + (n_fft - win) // 2
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[starts]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(win), n_fft)) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    band = (freqs >= BAND[0]) & (freqs <= min(BAND[1], sr / 2))
    power = spectrum[:, band].sum(axis=1) / win
    return 10 * np.log10(power + 1e-12)


def detect_syllables(
    y, sr, *, min_prominence=4.0, min_height=12.0, vowel_drop=6.0, smoothing=0.030
):
    """Find the syllables of a repetition task.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform of one take.
    sr : int
        Its sample rate in Hz.
    min_prominence : float, default=4.0
        How far (dB) a nucleus must stand above the higher of the dips on its
        two sides.
    min_height : float, default=12.0
        How far (dB) a nucleus must stand above the recording's noise floor
        (the 5th percentile of the level).
    vowel_drop : float, default=6.0
        The vowel of a syllable is the span around its peak within this many
        dB of it.
    smoothing : float, default=0.030
        Length (s) of the moving average applied to the level before peaks
        are sought.

    Returns
    -------
    syllables : :class:`~sklearn.utils.Bunch`
        ``onsets``, ``nuclei``, ``vowel_starts``, ``vowel_ends`` (s, one per
        syllable, in time order), ``peak_db`` (level of each nucleus, dB),
        and ``floor_db`` (the noise floor, dB).
    """
    level = speech_band_level(y, sr)
    width = max(int(round(smoothing / HOP)), 1)
    smooth = np.convolve(level, np.ones(width) / width, mode="same")
    floor = float(np.percentile(level, 5))
    peaks, props = scipy.signal.find_peaks(
        smooth,
        height=floor + min_height,
        prominence=min_prominence,
        distance=max(int(MIN_SPACING / HOP), 1),
    )
    voiced = [is_voiced(y, sr, peak * HOP) for peak in peaks]
    peaks = peaks[voiced]
    props = {key: value[voiced] for key, value in props.items()}
    onsets, starts, ends = [], [], []
    for k, peak in enumerate(peaks):
        left = int(props["left_bases"][k])
        if k:  # the dip between this nucleus and the one before it
            left = max(left, peaks[k - 1] + int(np.argmin(smooth[peaks[k - 1] : peak])))
        dip = smooth[left:peak].min() if peak > left else smooth[peak]
        rise = dip + 0.25 * (smooth[peak] - dip)
        above = np.flatnonzero(level[left : peak + 1] >= rise)
        onsets.append((left + (above[0] if len(above) else peak - left)) * HOP)
        right = peaks[k + 1] if k + 1 < len(peaks) else len(smooth) - 1
        near = smooth >= smooth[peak] - vowel_drop
        start = peak
        while start > left and near[start - 1]:
            start -= 1
        end = peak
        while end < right and near[end + 1]:
            end += 1
        starts.append(start * HOP)
        ends.append(end * HOP)
    return Bunch(
        onsets=np.asarray(onsets, dtype=float),
        nuclei=peaks * HOP,
        vowel_starts=np.asarray(starts, dtype=float),
        vowel_ends=np.asarray(ends, dtype=float),
        peak_db=smooth[peaks],
        floor_db=floor,
    )
