"""Diadochokinetic (DDK) measures of one repetition take."""

import numpy as np

from ._praat import call, praat_sound
from ._syllables import detect_syllables

# (name, unit, description), in the order of DDKMeasures' columns.
DDK_FEATURES = (
    ("n_syllables", "count", "syllables detected"),
    ("ddk_rate", "syllables/s", "(count - 1) / (last onset - first onset)"),
    ("ioi_mean", "s", "mean interval between consecutive onsets"),
    ("ioi_sd", "s", "standard deviation of those intervals"),
    ("ioi_cv", "ratio", "ioi_sd / ioi_mean: irregularity of the rhythm"),
    ("vowel_duration", "s", "mean duration of a syllable's vowel"),
    ("gap_duration", "s", "mean time from a vowel's end to the next onset"),
    ("rate_slope", "syllables/s per s", "change of the rate over the take"),
    ("intensity_slope", "dB/s", "change of the syllables' peak level"),
    ("f0_mean", "Hz", "mean F0 over the vowels"),
    ("f0_sd", "Hz", "standard deviation of F0 over the vowels"),
)
DDK_FEATURE_NAMES = tuple(name for name, _, _ in DDK_FEATURES)

# A take whose inter-onset intervals vary more than this is no repetition.
MAX_IOI_CV = 0.5


def ddk_measures(
    y, sr, *, pitch_floor=75.0, pitch_ceiling=600.0, max_ioi_cv=MAX_IOI_CV
):
    """The DDK measures of one take, and why any of them could not be measured.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform of one repetition take.
    sr : int
        Its sample rate in Hz.
    pitch_floor, pitch_ceiling : float, default=75.0, 600.0
        F0 search range of Praat's "To Pitch..." (Hz).
    max_ioi_cv : float, default=0.5
        A take whose inter-onset intervals vary more than this (coefficient
        of variation) is not taken for a repetition: its rhythm measures are
        NaN.

    Returns
    -------
    values : ndarray of shape (len(DDK_FEATURE_NAMES),), float64
        In the order of ``DDK_FEATURE_NAMES``; NaN where not measurable.
    reasons : list of str
        Why values are NaN (empty if none is).
    """
    values = dict.fromkeys(DDK_FEATURE_NAMES, np.nan)
    reasons = []
    syl = detect_syllables(y, sr)
    n = len(syl.onsets)
    values["n_syllables"] = float(n)
    if n >= 2:
        ioi = np.diff(syl.onsets)
        cv = ioi.std(ddof=1) / ioi.mean() if n >= 3 else np.nan
        if n >= 3 and cv > max_ioi_cv:
            reasons.append(
                f"not a regular repetition (interval CV {cv:.2f} > {max_ioi_cv})"
            )
        else:
            values["ddk_rate"] = (n - 1) / (syl.onsets[-1] - syl.onsets[0])
            values["ioi_mean"] = ioi.mean()
            values["vowel_duration"] = np.mean(syl.vowel_ends - syl.vowel_starts)
            gaps = syl.onsets[1:] - syl.vowel_ends[:-1]
            values["gap_duration"] = np.mean(np.clip(gaps, 0.0, None))
            if n >= 3:
                values["ioi_sd"] = ioi.std(ddof=1)
                values["ioi_cv"] = cv
                middles = (syl.onsets[1:] + syl.onsets[:-1]) / 2
                values["rate_slope"] = np.polyfit(middles, 1.0 / ioi, 1)[0]
                values["intensity_slope"] = np.polyfit(syl.nuclei, syl.peak_db, 1)[0]
            else:
                reasons.append("two syllables: no interval spread or slopes")
    else:
        reasons.append(f"fewer than two syllables ({n} found)")
    if n:
        f0 = _vowel_f0(y, sr, syl, pitch_floor, pitch_ceiling)
        if len(f0) >= 2:
            values["f0_mean"], values["f0_sd"] = f0.mean(), f0.std(ddof=1)
        else:
            reasons.append("no voicing found in the vowels")
    return np.array([values[name] for name in DDK_FEATURE_NAMES]), reasons


def _vowel_f0(y, sr, syl, floor, ceiling):
    """Praat's F0 (Hz) of the voiced frames inside the detected vowels."""
    pitch = call(praat_sound(y, sr), "To Pitch", 0.0, floor, ceiling)
    f0 = pitch.selected_array["frequency"]
    times = pitch.xs()
    inside = np.zeros(len(times), dtype=bool)
    for start, end in zip(syl.vowel_starts, syl.vowel_ends, strict=True):
        inside |= (times >= start) & (times <= end)
    return f0[inside & (f0 > 0)]
