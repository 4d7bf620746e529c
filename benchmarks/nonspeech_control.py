"""How long the non-speech control takes, and what it finds, on VOC-ALS-sized data.

``nonspeech_control`` with its defaults (energy detector, 0.25 s clips
0.15 s from speech, log-Mel statistics + logistic regression, 5 subject-wise
folds, 1000 permutations) on the built-in data of 153 speakers (VOC-ALS's
count), clean and with a channel confound, with 1 recording per speaker (one
VOC-ALS task) and 8 (every VOC-ALS task). Target: under 5 minutes on this
project's 2-core CPU.

Run: ``python benchmarks/nonspeech_control.py [--recordings-per-subject 1 8]``.
"""

import argparse
import time
import warnings

from _machine import describe

from skhyperdys.audit import ChannelConfoundWarning, nonspeech_control
from skhyperdys.datasets import make_syllable_repetitions


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=153)
    parser.add_argument(
        "--recordings-per-subject", type=int, nargs="+", default=[1, 8]
    )
    parser.add_argument("--n-permutations", type=int, default=1000)
    parser.add_argument("--n-jobs", type=int, default=None)
    args = parser.parse_args(argv)
    describe()
    for per in args.recordings_per_subject:
        for confound in (False, True):
            ds = make_syllable_repetitions(
                args.subjects * per,
                recordings_per_subject=per,
                channel_confound=confound,
                random_state=0,
            )
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ChannelConfoundWarning)
                result = nonspeech_control(
                    ds.data,
                    ds.target,
                    groups=ds.groups,
                    n_permutations=args.n_permutations,
                    random_state=0,
                    n_jobs=args.n_jobs,
                )
            seconds = time.perf_counter() - start
            label = "channel confound" if confound else "clean (speech differs)"
            print(
                f"{args.subjects} speakers x {per} recording(s), {label}: "
                f"balanced accuracy {result.score:.2f} (chance "
                f"{result.chance:.2f}), p = {result.pvalue:.4f}, "
                f"{len(result.used)} used, {len(result.left_out)} left out; "
                f"{seconds:.1f} s ({'under' if seconds < 300 else 'OVER'} the "
                "5-minute target)",
                flush=True,
            )


if __name__ == "__main__":
    main()
