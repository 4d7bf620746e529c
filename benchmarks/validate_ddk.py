"""Accuracy of the DDK syllable detector, on synthetic takes and real voices.

Not a speed benchmark: prints how often :class:`skhyperdys.measures.DDKMeasures`
counts the syllables of a take exactly and within one, and the median error
of the detected onsets, against the true onsets that
``make_syllable_repetitions(return_onsets=True)`` returns, across the
syllables /pa/ /ta/ /ka/, severities, noise floors (``channel_confound`` 0,
0.5 and 1: the room noise 0, 6 and 12 dB louder, with mains hum and a band
limit), the lead-in and trailing silences and long intervals of the
generator, and sample rates of 8-48 kHz. Targets: exact >= 90 %, within one
>= 98 %, median onset error <= 20 ms.

With a real-speech folder (``../shared/data/real-speech``, Free Spoken Digit
Dataset), it also counts syllables in real voices: the single recordings of
each digit (one syllable, two for "zero" and "seven"), and takes made of a
speaker's five recordings of one digit, end to end with 150 ms of faint noise
(-60 dB) between them (5 or 10 syllables). Real digits are words, not DDK
syllables: this checks the detector on real voices, not its clinical accuracy.

    python benchmarks/validate_ddk.py [REAL_SPEECH_DIR] [--takes 60]
"""

import argparse
import os
import time

import numpy as np
import pandas as pd

from skhyperdys.audio import load_audio
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.measures import syllable_onsets

# Syllables of each digit's English name.
SYLLABLES = {0: 2, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 2, 8: 1, 9: 1}


def synthetic(n_takes):
    rows = []
    for sr in (8000, 16000, 48000):
        for confound in (0.0, 0.5, 1.0):
            for syllable in ("pa", "ta", "ka"):
                ds = make_syllable_repetitions(
                    n_takes,
                    syllable=syllable,
                    channel_confound=confound,
                    sr=sr,
                    return_onsets=True,
                    random_state=11,
                )
                for y, true, severity in zip(
                    ds.data, ds.onsets, ds.severity, strict=True
                ):
                    found = syllable_onsets(y, sr)
                    errors = (
                        np.abs(true[:, None] - found[None]).min(axis=1)
                        if len(found)
                        else np.full(len(true), np.nan)
                    )
                    rows.append(
                        dict(
                            sr=sr,
                            confound=confound,
                            syllable=syllable,
                            severity=severity,
                            error=len(found) - len(true),
                            onset_ms=1000 * np.nanmedian(errors),
                        )
                    )
    return pd.DataFrame(rows)


def summary(table, by):
    return table.groupby(by).agg(
        takes=("error", "size"),
        exact=("error", lambda e: np.mean(e == 0)),
        within_one=("error", lambda e: np.mean(np.abs(e) <= 1)),
        median_onset_ms=("onset_ms", "median"),
    )


def real(folder):
    table = pd.read_csv(os.path.join(folder, "fsdd", "labels.csv"))
    rng = np.random.default_rng(0)
    singles, takes = [], []
    for (_, digit), part in table.groupby(["speaker", "digit"]):
        paths = [os.path.join(folder, "fsdd", p) for p in part["path"]]
        clips = [load_audio(path, 8000) for path in paths]
        expected = SYLLABLES[digit]
        singles += [len(syllable_onsets(c, 8000)) - expected for c in clips]
        gaps = [1e-3 * rng.standard_normal(1200) for _ in clips]
        take = np.concatenate(
            [np.concatenate(pair) for pair in zip(clips, gaps, strict=True)]
        )
        takes.append(len(syllable_onsets(take, 8000)) - expected * len(clips))
    return np.asarray(singles), np.asarray(takes)


def _counts(errors):
    return {
        int(k): int(v)
        for k, v in zip(*np.unique(errors, return_counts=True), strict=True)
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("real_speech", nargs="?", help="the real-speech folder")
    parser.add_argument("--takes", type=int, default=60, help="takes per condition")
    args = parser.parse_args()
    start = time.perf_counter()
    table = synthetic(args.takes)
    pd.set_option("display.width", 120)
    print(f"Synthetic takes: {len(table)} ({args.takes} per condition)")
    print(summary(table.assign(all="all"), "all").round(3).to_string())
    print(summary(table, "sr").round(3).to_string())
    print(summary(table, "confound").round(3).to_string())
    print(summary(table, "syllable").round(3).to_string())
    bins = pd.cut(table["severity"], [-0.01, 0.0, 0.5, 0.75, 1.0])
    print(summary(table.assign(severity=bins), "severity").round(3).to_string())
    exact = np.mean(table["error"] == 0)
    within = np.mean(np.abs(table["error"]) <= 1)
    onset = table["onset_ms"].median()
    met = exact >= 0.90 and within >= 0.98 and onset <= 20
    print(
        f"\nexact {exact:.3f} (>= 0.90), within one {within:.3f} (>= 0.98), "
        f"median onset error {onset:.1f} ms (<= 20): {'met' if met else 'NOT met'}"
    )
    if args.real_speech:
        singles, takes = real(args.real_speech)
        print(
            f"\nReal voices (FSDD): single digits counted exactly in "
            f"{np.mean(singles == 0):.3f} of {len(singles)} (found - true: "
            f"{_counts(singles)}); five-digit takes exact in "
            f"{np.mean(takes == 0):.3f}, "
            f"within one in {np.mean(np.abs(takes) <= 1):.3f} of {len(takes)} "
            f"(found - true: {_counts(takes)})"
        )
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
