"""Voice-quality measures of a sustained vowel, computed by Praat.

Every number is Praat's own (through praat-parselmouth), with the settings of
Praat's dialogues (Praat 6.1); nothing is reimplemented here.
"""

import numpy as np

from ._praat import call, praat_sound

# (name, unit, Praat command), in the order of VoiceMeasures' columns.
VOICE_FEATURES = (
    ("f0_mean", "Hz", "Pitch: Get mean"),
    ("f0_sd", "Hz", "Pitch: Get standard deviation"),
    ("f0_min", "Hz", "Pitch: Get minimum (Parabolic)"),
    ("f0_max", "Hz", "Pitch: Get maximum (Parabolic)"),
    ("jitter_local", "ratio", "PointProcess: Get jitter (local)"),
    ("jitter_local_absolute", "s", "PointProcess: Get jitter (local, absolute)"),
    ("jitter_rap", "ratio", "PointProcess: Get jitter (rap)"),
    ("jitter_ppq5", "ratio", "PointProcess: Get jitter (ppq5)"),
    ("shimmer_local", "ratio", "Sound & PointProcess: Get shimmer (local)"),
    ("shimmer_local_db", "dB", "Sound & PointProcess: Get shimmer (local_dB)"),
    ("shimmer_apq3", "ratio", "Sound & PointProcess: Get shimmer (apq3)"),
    ("shimmer_apq5", "ratio", "Sound & PointProcess: Get shimmer (apq5)"),
    ("shimmer_apq11", "ratio", "Sound & PointProcess: Get shimmer (apq11)"),
    ("hnr", "dB", "Harmonicity (cc): Get mean"),
    ("cpps", "dB", "PowerCepstrogram: Get CPPS"),
    ("f1_mean", "Hz", "Formant (burg): Get mean 1"),
    ("f2_mean", "Hz", "Formant (burg): Get mean 2"),
    ("f3_mean", "Hz", "Formant (burg): Get mean 3"),
)
VOICE_FEATURE_NAMES = tuple(name for name, _, _ in VOICE_FEATURES)

# Jitter and shimmer: shortest and longest period (s), maximum period factor,
# maximum amplitude factor (Praat's defaults).
PERIOD_RANGE = (0.0001, 0.02, 1.3)
AMPLITUDE_FACTOR = 1.6
# Fewer glottal pulses than this: no jitter, shimmer or F0 statistics.
MIN_PULSES = 6


def voice_measures(y, sr, *, pitch_floor=75.0, pitch_ceiling=600.0, max_formant=5500.0):
    """Praat's voice measures of one sustained vowel.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The waveform.
    sr : int
        Its sample rate in Hz.
    pitch_floor, pitch_ceiling : float, default=75.0, 600.0
        F0 range (Hz) of the pitch, pulse and harmonicity analyses.
    max_formant : float, default=5500.0
        Formant ceiling (Hz) of "To Formant (burg)..." (5000 for men).

    Returns
    -------
    values : ndarray of shape (len(VOICE_FEATURE_NAMES),), float64
        In the order of ``VOICE_FEATURE_NAMES``; NaN where not measurable.
    reasons : list of str
        Why values are NaN (empty if none is).
    """
    values = dict.fromkeys(VOICE_FEATURE_NAMES, np.nan)
    sound = praat_sound(y, sr)
    if sound.duration < 3.0 / pitch_floor:
        # Praat's analyses need three periods of the pitch floor per window.
        return np.full(len(VOICE_FEATURE_NAMES), np.nan), [
            f"too short ({sound.duration:.3f} s) for a pitch floor of "
            f"{pitch_floor:g} Hz"
        ]
    pitch = call(sound, "To Pitch", 0.0, pitch_floor, pitch_ceiling)
    pulses = call(sound, "To PointProcess (periodic, cc)", pitch_floor, pitch_ceiling)
    n_pulses = call(pulses, "Get number of points")
    if n_pulses < MIN_PULSES:
        return np.full(len(VOICE_FEATURE_NAMES), np.nan), [
            f"unvoiced ({n_pulses} glottal pulses, under {MIN_PULSES})"
        ]
    values["f0_mean"] = call(pitch, "Get mean", 0, 0, "Hertz")
    values["f0_sd"] = call(pitch, "Get standard deviation", 0, 0, "Hertz")
    values["f0_min"] = call(pitch, "Get minimum", 0, 0, "Hertz", "Parabolic")
    values["f0_max"] = call(pitch, "Get maximum", 0, 0, "Hertz", "Parabolic")
    for kind in ("local", "local, absolute", "rap", "ppq5"):
        name = "jitter_" + kind.replace(", ", "_")
        values[name] = call(pulses, f"Get jitter ({kind})", 0, 0, *PERIOD_RANGE)
    for kind in ("local", "local_dB", "apq3", "apq5", "apq11"):
        values["shimmer_" + kind.lower()] = call(
            [sound, pulses],
            f"Get shimmer ({kind})",
            0,
            0,
            *PERIOD_RANGE,
            AMPLITUDE_FACTOR,
        )
    harmonicity = call(sound, "To Harmonicity (cc)", 0.01, pitch_floor, 0.1, 1.0)
    values["hnr"] = call(harmonicity, "Get mean", 0, 0)
    cepstrogram = call(sound, "To PowerCepstrogram", 60.0, 0.002, 5000.0, 50.0)
    values["cpps"] = call(
        cepstrogram,
        "Get CPPS",
        "yes",
        0.02,
        0.0005,
        60.0,
        330.0,
        0.05,
        "Parabolic",
        0.001,
        0.0,
        "Straight",
        "Robust",
    )
    formants = call(sound, "To Formant (burg)", 0.0, 5.0, max_formant, 0.025, 50.0)
    for k in (1, 2, 3):
        values[f"f{k}_mean"] = call(formants, "Get mean", k, 0, 0, "hertz")
    out = np.array([values[name] for name in VOICE_FEATURE_NAMES], dtype=float)
    undefined = [
        name
        for name, value in zip(VOICE_FEATURE_NAMES, out, strict=True)
        if not np.isfinite(value)
    ]
    reasons = ["Praat left undefined: " + ", ".join(undefined)] if undefined else []
    return out, reasons
