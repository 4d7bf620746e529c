"""The command line, ``python -m skhyperdys``.

``python -m skhyperdys predict MODEL FILE... --output results.csv`` labels
recordings (files, or the audio files in folders) with a model saved by
:func:`skhyperdys.io.dump` and writes one CSV row per file: the predicted
class, its probability, how far to trust it
(:func:`skhyperdys.inspection.predictive_uncertainty`), and a ``flag`` when
the recording is unlike what the model was built for (silent, too short, far
from the training data: the rule the Python API warns by). A file that cannot
be used (missing, unreadable, ...) gets a row with an ``error`` and a message
on standard error; the other files are still labelled, and the exit status is
1. Usage errors and an unusable model exit with status 2.

Nothing heavy is imported before the arguments are read: ``--help`` and usage
errors answer at once.
"""

import argparse
import csv
import io
import os
import sys
import tempfile
import warnings

__all__ = ["main"]

PROG = "python -m skhyperdys"

COLUMNS = [
    "path",
    "predicted",
    "probability",
    "entropy",
    "mutual_information",
    "novelty",
    "flag",
    "error",
]


_PREDICT_DESCRIPTION = """\
Label audio files with a model saved by skhyperdys.io.dump (a Pipeline that
starts from audio, e.g. SpectrogramImages -> HypernetClassifier or
SpeechEncoder -> HypernetClassifier), and write one CSV row per file. A FILE
that is a folder stands for the audio files in it, in sorted order
(--recursive: and in its subfolders). A recording unlike what the model was
built for is labelled and flagged (the 'flag' column, also printed on standard
error). A file that cannot be used (missing, unreadable,
...) gets a row with an error message, also printed on standard error; the
other files are still labelled."""

_PREDICT_EPILOG = f"""\
columns:
  path                the FILE as given
  predicted           the most probable class
  probability         its probability
  entropy             uncertainty of the prediction, in nats (0 = certain)
  mutual_information  disagreement of the generated classifiers, in nats
  novelty             about 1 for recordings like the training data,
                      larger for unlike ones (noise, silence, wrong rate)
  flag                empty if the recording is what the model was built
                      for; else why its answer may mean little, any of:
                        silent, near-silent (loudest 20 ms under -60 dBFS);
                        short (under --min-duration);
                        far from the training data (novelty above the
                        model's threshold: 1.5x the 99th percentile of its
                        training recordings' own novelty)
  saliency            the image written (with --saliency)
  error               why the file was not labelled (empty if it was)

exit status:
  0  every file was labelled (flagged ones included)
  1  some files failed (their rows say why)
  2  a usage error or an unusable model file; nothing written

example:
  {PROG} predict model.safetensors recordings/*.wav --output results.csv"""


class _Failure(Exception):
    """A problem that stops the command: printed, exit status 2."""


def _parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Dysarthria detection from voice recordings with hypernetwork "
            "classifiers (skhyperdys)."
        ),
        epilog=f"Run '{PROG} COMMAND --help' for a command's options.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"skhyperdys {_own_version()}",
        help="print the version of skhyperdys and exit",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", required=True
    )
    predict = commands.add_parser(
        "predict",
        help="label audio files with a saved model; write a CSV table",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_PREDICT_DESCRIPTION,
        epilog=_PREDICT_EPILOG,
    )
    predict.add_argument(
        "model",
        metavar="MODEL",
        help="model file written by skhyperdys.io.dump",
    )
    predict.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help=(
            "audio files (wav, flac, ogg, ...; resampled to the model's rate), "
            "or folders of them"
        ),
    )
    predict.add_argument(
        "-r",
        "--recursive",
        action="store_true",
        help="take the audio files in the subfolders of a FILE folder too",
    )
    predict.add_argument(
        "-o",
        "--output",
        metavar="CSV",
        help="write the table to this file (default: standard output)",
    )
    predict.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --output file and --saliency images",
    )
    predict.add_argument(
        "--saliency",
        metavar="DIR",
        help=(
            "also write a saliency map per file, DIR/<file name>.png (needs matplotlib)"
        ),
    )
    predict.add_argument(
        "--min-duration",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=(
            "flag shorter recordings (default: the model's own, "
            "SpectrogramImages(min_duration=...), 0.25 unless set)"
        ),
    )
    predict.add_argument(
        "--device",
        metavar="DEVICE",
        help="run the model here, e.g. cpu or cuda (default: as saved)",
    )
    predict.add_argument(
        "--batch-size",
        type=_positive_int,
        default=32,
        metavar="N",
        help="files read and labelled at once (default: 32)",
    )
    predict.set_defaults(run=_predict)
    info = commands.add_parser(
        "info",
        help="print a model file's card, classes, steps and library versions",
        description=(
            "Print what a model file written by skhyperdys.io.dump says about "
            "itself: its model card (intended use, training data, evaluation, "
            "limitations, citation, and what the library recorded: classes, "
            "sample rate, settings, training size), its steps, and the "
            "versions of the libraries that wrote it, beside the ones here. "
            "The model is not loaded."
        ),
    )
    info.add_argument("model", metavar="MODEL", help="model file")
    info.add_argument(
        "--json", action="store_true", help="print it as JSON instead of text"
    )
    info.set_defaults(run=_info)
    versions = commands.add_parser(
        "versions",
        help="print the versions of skhyperdys and its dependencies (bug reports)",
        description="The output of skhyperdys.show_versions(), for bug reports.",
    )
    versions.set_defaults(run=_versions)
    return parser


def _own_version():
    from . import __version__

    return __version__


def _versions(args):
    from ._show_versions import show_versions

    show_versions()
    return 0


def _info(args):
    import json

    from .io import CARD_FIELDS, _library_versions, read_metadata

    try:
        meta = read_metadata(args.model)
    except (OSError, ValueError) as err:
        raise _Failure(f"cannot read the model {args.model!r}: {err}") from None
    here = _library_versions()
    if args.json:
        print(json.dumps({**meta, "versions_here": here}, indent=2, default=str))
        return 0
    card = dict(meta["card"])
    facts = card.pop("model", {})
    print(f"model file: {args.model}")
    print(f"format: {meta['format_version']}")
    print("\nmodel card:")
    if not card:
        print("  (none given: skhyperdys.io.dump(..., card={...}) writes one)")
    for field in CARD_FIELDS:
        if field in card:
            _print_entry(field.replace("_", " "), card[field], indent=2)
    print("\nrecorded by skhyperdys:")
    print(f"  classes: {meta['classes']}")
    print(f"  sample rate: {meta['sample_rate']} Hz")
    for key in ("input", "training_samples"):
        if facts.get(key) is not None:
            print(f"  {key.replace('_', ' ')}: {facts[key]}")
    steps = facts.get("settings") or {
        str(name): {"class": cls} for name, cls in meta["steps"]
    }
    for name, params in steps.items():
        params = dict(params)
        cls = params.pop("class", "")
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        print(f"  step {name} ({cls}): {shown}")
    print("\nversions (written with / here):")
    for name, version in meta["versions"].items():
        now = here.get(name)
        mark = "" if now == version else "   <- differs"
        print(f"  {name}: {version} / {now}{mark}")
    return 0


def _print_entry(label, value, indent):
    pad = " " * indent
    if isinstance(value, dict):
        print(f"{pad}{label}:")
        for key, item in value.items():
            _print_entry(str(key), item, indent + 2)
    elif isinstance(value, list):
        print(f"{pad}{label}:")
        for item in value:
            print(f"{pad}  - {item}")
    else:
        print(f"{pad}{label}: {value}")


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds >= 0, got {text!r}"
        )
    return value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; ``None`` means ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 if every file was labelled, 1 if some failed, 2 for a usage error
        or an unusable model file.

    Examples
    --------
    >>> from skhyperdys.cli import main
    >>> main(["predict", "missing-model.safetensors", "clip.wav"])
    2
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except _Failure as err:
        print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
        return 2


# --- predict ---------------------------------------------------------------------


def _predict(args):
    output = None if args.output in (None, "-") else args.output
    if output is not None and os.path.exists(output) and not args.overwrite:
        raise _Failure(f"{output!r} exists; pass --overwrite to replace it.")
    files = _expand(args.files, args.recursive)
    saliency = _saliency_tools() if args.saliency else None
    pngs = (
        _png_paths([p for p, _ in files], args.saliency, args.overwrite)
        if saliency
        else {}
    )
    model, head, clf, sr, min_duration = _load_model(args.model, args.device)
    if args.min_duration is not None:
        min_duration = args.min_duration
    if saliency and clf.input_spec_.kind != "images":
        raise _Failure(
            "--saliency needs a model that takes images through its own "
            f"backbone; {args.model!r} takes {clf.input_spec_.describe()}."
        )
    if args.saliency:
        os.makedirs(args.saliency, exist_ok=True)

    from ._flags import UnusualInputWarning

    rows = []
    for start in range(0, len(files), args.batch_size):
        batch = files[start : start + args.batch_size]
        chunk = [_row(path, error) for path, error in batch]
        recordings = {}
        for row in chunk:
            if row["error"]:
                continue
            try:
                recordings[row["path"]], row["flags"] = _read(
                    row["path"], sr, min_duration
                )
            except Exception as err:  # reported per file
                row["error"] = _message(err)
        good = [row for row in chunk if row["path"] in recordings]
        with warnings.catch_warnings():  # the 'flag' column says it instead
            warnings.simplefilter("ignore", UnusualInputWarning)
            _each_file(good, recordings, lambda r, x: _label(r, x, head, clf))
            if saliency:
                labelled = [row for row in good if not row["error"]]
                _each_file(
                    labelled,
                    recordings,
                    lambda r, x: _draw_saliency(saliency, model, r, x, pngs),
                    "saliency: ",
                )
        for row in chunk:
            row["flag"] = "" if row["error"] else "; ".join(row["flags"])
            if row["error"]:
                print(f"{PROG} predict: {row['path']}: {row['error']}", file=sys.stderr)
            elif row["flag"]:
                print(
                    f"{PROG} predict: {row['path']}: flagged: {row['flag']}",
                    file=sys.stderr,
                )
        rows.extend(chunk)

    columns = COLUMNS[:-1] + (["saliency"] if saliency else []) + COLUMNS[-1:]
    _write_csv(rows, columns, output, args.overwrite)
    where = "standard output" if output is None else output
    n_failed = sum(bool(row["error"]) for row in rows)
    n_flagged = sum(bool(row["flag"]) for row in rows)
    print(
        f"{PROG} predict: {len(rows) - n_failed} of {len(rows)} file(s) labelled, "
        f"written to {where}"
        + (f"; {n_flagged} flagged (see the 'flag' column)" if n_flagged else "")
        + (f"; {n_failed} failed (see the 'error' column)" if n_failed else ""),
        file=sys.stderr,
    )
    return 1 if n_failed else 0


def _expand(arguments, recursive):
    """``[(path, error)]``: each FILE, a folder replaced by its audio files.

    A folder's files come in sorted order (by their path below the folder);
    hidden files (``.name``) are left out. A folder without audio files
    becomes one row with an error.
    """
    from .audio import AUDIO_EXTENSIONS

    files = []
    for argument in arguments:
        if not os.path.isdir(argument):
            files.append((argument, ""))
            continue
        found = []
        for folder, subfolders, names in os.walk(argument):
            subfolders[:] = [] if not recursive else [
                name for name in subfolders if not name.startswith(".")
            ]
            found += [
                os.path.join(folder, name)
                for name in names
                if not name.startswith(".")
                and os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS
            ]
        if found:
            files += [(path, "") for path in sorted(found)]
        else:
            where = "in it or its subfolders" if recursive else (
                "in it (--recursive takes its subfolders too)"
            )
            files.append((argument, f"a folder with no audio files {where}"))
    return files


def _each_file(rows, recordings, step, prefix=""):
    """``step(rows, inputs)`` for the batch; on failure, file by file.

    A file whose step fails gets its message in the ``error`` column.
    """
    if not rows:
        return
    try:
        step(rows, [recordings[row["path"]] for row in rows])
    except Exception:  # find the file(s) at fault
        for row in rows:
            try:
                step([row], [recordings[row["path"]]])
            except Exception as err:  # reported per file
                row["error"] = prefix + _message(err)


def _row(path, error=""):
    return {column: "" for column in COLUMNS} | {
        "path": path,
        "error": error,
        "flags": [],
    }


def _message(err):
    text = str(err) or type(err).__name__
    if isinstance(err, (FileNotFoundError, ValueError)):
        return text
    return f"{type(err).__name__}: {text}"


def _load_model(path, device):
    """The model, its audio-to-input steps, the classifier, the rate, min_duration."""
    from sklearn.pipeline import Pipeline

    from .classifier import HypernetClassifier
    from .encoders import SpeechEncoder
    from .io import load
    from .transformers import ImagesAndContext, MultiTaskImages, SpectrogramImages

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = load(path, device=device)
    except (OSError, ValueError, TypeError, RuntimeError) as err:
        raise _Failure(f"cannot load the model {path!r}: {err}") from None
    for warning in caught:
        print(f"{PROG} predict: warning: {warning.message}", file=sys.stderr)
    if not isinstance(model, Pipeline) or not isinstance(
        model.steps[-1][1], HypernetClassifier
    ):
        raise _Failure(
            f"{path!r} holds a {type(model).__name__}, not a Pipeline from audio "
            "to a HypernetClassifier (e.g. SpectrogramImages -> "
            "HypernetClassifier); save the whole fitted pipeline with "
            "skhyperdys.io.dump."
        )
    first = model.steps[0][1]
    if isinstance(first, MultiTaskImages):
        raise _Failure(
            f"{path!r} is a multi-task model (MultiTaskImages): it needs several "
            "recordings per subject, which this command does not pair up; "
            "predict with the Pipeline in Python."
        )
    if isinstance(first, SpeechEncoder):
        # The encoder reads each file itself, at the file's rate, and
        # resamples it once to its model's (reading at its `sr` first would
        # resample twice and cut the band above sr / 2).
        return model, model[:-1], model.steps[-1][1], None, first.min_duration
    if not isinstance(first, (SpectrogramImages, ImagesAndContext)):
        raise _Failure(
            f"{path!r} is a Pipeline that starts from {type(first).__name__}, "
            "not from audio (SpectrogramImages, ImagesAndContext or "
            "SpeechEncoder)."
        )
    rates = {
        value
        for name, value in model.get_params(deep=True).items()
        if name.endswith("__sr")
    }
    sr = rates.pop() if len(rates) == 1 else None  # None: let each step read
    images = first if isinstance(first, SpectrogramImages) else first.images
    min_duration = getattr(images, "min_duration", SpectrogramImages().min_duration)
    return model, model[:-1], model.steps[-1][1], sr, min_duration


def _read(path, sr, min_duration):
    """The recording as the model's first step reads it, and its flags."""
    import soundfile as sf

    from ._flags import audio_reasons
    from .audio import check_audio_path, load_audio

    if sr is None:  # steps at several rates: each reads the file itself
        check_audio_path(path)
        try:
            rate = sf.info(path).samplerate
        except (sf.LibsndfileError, RuntimeError) as err:
            raise ValueError(f"could not read {path!r} as audio: {err}") from None
        return path, audio_reasons(load_audio(path, rate), rate, min_duration)
    recording = load_audio(path, sr)
    return recording, audio_reasons(recording, sr, min_duration)


def _label(rows, inputs, head, clf):
    """Fill in the prediction columns of ``rows``."""
    from ._flags import novelty_reasons
    from .inspection import predictive_uncertainty

    result = predictive_uncertainty(clf, head.transform(inputs))
    codes = result.proba.argmax(axis=1)
    flags = novelty_reasons(result.novelty, result.novelty_threshold)
    for i, row in enumerate(rows):
        row["predicted"] = str(clf.classes_[codes[i]])
        row["probability"] = f"{result.proba[i, codes[i]]:.6f}"
        for name in ("entropy", "mutual_information", "novelty"):
            row[name] = f"{result[name][i]:.6f}"
        row["flags"] = row["flags"] + flags[i]


def _write_csv(rows, columns, output, overwrite):
    if output is None:
        writer = csv.DictWriter(
            sys.stdout, columns, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        return
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    folder = os.path.dirname(os.path.abspath(output))
    handle, temporary = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(output)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
            file.write(text.getvalue())
        if overwrite:
            os.replace(temporary, output)
        elif os.path.exists(output):
            raise _Failure(f"{output!r} appeared meanwhile; not replaced.")
        else:
            os.replace(temporary, output)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# --- saliency --------------------------------------------------------------------


def _saliency_tools():
    """``(saliency_maps, plot_saliency, pyplot)``, or a clear error."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise _Failure(
            "--saliency needs matplotlib: pip install 'skhyperdys[plot]'."
        ) from None
    try:
        from .inspection import saliency_maps
        from .plotting import plot_saliency
    except ImportError:
        raise _Failure(
            "--saliency needs skhyperdys.inspection.saliency_maps and "
            "skhyperdys.plotting.plot_saliency, which this version of skhyperdys "
            "does not have."
        ) from None
    return saliency_maps, plot_saliency, plt


def _png_paths(files, folder, overwrite):
    """A distinct DIR/<name>.png per file; existing ones refused unless overwrite."""
    paths, taken = {}, set()
    for path in files:
        stem = os.path.splitext(os.path.basename(path))[0] or "recording"
        name, k = f"{stem}.png", 1
        while name in taken:
            k += 1
            name = f"{stem}-{k}.png"
        taken.add(name)
        paths[path] = os.path.join(folder, name)
    existing = [p for p in paths.values() if os.path.exists(p)]
    if existing and not overwrite:
        raise _Failure(
            f"{len(existing)} saliency image(s) exist already, e.g. "
            f"{existing[0]!r}; pass --overwrite to replace them."
        )
    return paths


def _draw_saliency(tools, model, rows, inputs, pngs):
    """Write the saliency image of each of ``rows``; fill in their column."""
    saliency_maps, plot_saliency, plt = tools
    maps = saliency_maps(model, inputs)
    for row, result in zip(rows, maps, strict=True):
        ax = plot_saliency(result)
        ax.set_title(f"{os.path.basename(row['path'])}: {ax.get_title()}")
        try:
            ax.figure.savefig(pngs[row["path"]], dpi=100)
        finally:
            plt.close(ax.figure)
        row["saliency"] = pngs[row["path"]]
