"""Loader for VOC-ALS (Dubbioso et al., Scientific Data 2024)."""

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from sklearn.utils import Bunch

from ..audio import load_audio as _read_audio

__all__ = ["POPULATIONS", "TASKS", "TARGETS", "load_voc_als", "read_voc_als_metadata"]

#: Short task names and the folders VOC-ALS keeps their recordings in.
TASKS = {
    "a": "phonationA",
    "e": "phonationE",
    "i": "phonationI",
    "o": "phonationO",
    "u": "phonationU",
    "ka": "rhythmKA",
    "pa": "rhythmPA",
    "ta": "rhythmTA",
}
#: Targets :func:`load_voc_als` can build.
TARGETS = ("dysarthria", "als", "severity")
#: Who :func:`load_voc_als` keeps: everyone, or the ALS patients alone.
POPULATIONS = ("all", "als")

_SPEECH = "ALSFRS-R_SpeechSubscore"

DESCR = """\
VOC-ALS: voice recordings of ALS patients and healthy controls
--------------------------------------------------------------

153 Italian speakers (102 with ALS, IDs PZ###; 51 healthy controls, CT###), each
recorded on 8 tasks at 8 kHz: sustained vowels /a e i o u/ (phonation*) and
repetitions of /pa/, /ta/, /ka/ (rhythm*). Metadata in VOC-ALS.xlsx: category,
age, sex, ALSFRS-R scores (the speech item, 1-4, rates dysarthria: 4 is normal
speech) and acoustic features.

Dubbioso R. et al., "Voice signals database of ALS patients with different
dysarthria severity and healthy controls", Scientific Data 11, 800 (2024),
doi:10.1038/s41597-024-03597-2. Distributed on Synapse (syn53009474).
"""


def load_voc_als(
    root,
    task="pa",
    *,
    target="dysarthria",
    population="all",
    load_audio=False,
    sr=8000,
    layout="wide",
    on_missing="warn",
    metadata="VOC-ALS.xlsx",
):
    """Load VOC-ALS recordings, labels and subject ids, as distributed.

    The dataset must be downloaded first (Synapse, syn53009474, needs a free
    account). ``root`` is the folder holding ``VOC-ALS.xlsx`` and one folder
    per task (``rhythmPA/PZ012_rhythmPA.wav``, ...).

    Parameters
    ----------
    root : str or os.PathLike
        The dataset folder.
    task : str or list of str, default="pa"
        ``"pa"``, ``"ta"``, ``"ka"``, ``"a"``, ``"e"``, ``"i"``, ``"o"``,
        ``"u"`` or the folder names (``"rhythmPA"``, ``"phonationA"``, ...), or
        a list of them for multi-task use (see ``layout``).
    target : {"dysarthria", "als", "severity"}, default="dysarthria"
        ``"dysarthria"``: 1 if the ALSFRS-R speech item is below 4 (a patient
        with impaired speech), else 0 (patients with normal speech and all
        controls). ``"als"``: 1 for ALS, 0 for healthy controls (column
        ``Category``). ``"severity"``: the speech item, 1 (severe) to 4
        (normal), controls counted as 4, coded 0 to 3 as scikit-learn
        datasets code their classes: ``target`` is the speech item minus 1
        and ``target_names`` is ``["1", "2", "3", "4"]``, so
        ``target_names[target]`` is the item (``target + 1`` its value).

        The paper (Ilias & Askounis, 2025) does not name its label column. Its
        title and framing ("recognition of dysarthria"), its binary classifier
        and its remark that it did *not* predict severity levels point to
        dysarthria present vs absent, so that is the default; ``"als"`` is
        the other plausible reading.
    population : {"all", "als"}, default="all"
        Who is in the data set. ``"all"``: the ALS patients and the healthy
        controls (IDs ``CT###``), who count as speakers without dysarthria
        (item 4) for ``target="dysarthria"`` and ``"severity"``. ``"als"``:
        the ALS patients alone (``Category`` ``ALS``, about 102 subjects),
        the controls left out without a warning.

        The paper can be read both ways: its title and its framing on the
        ALSFRS-R speech item (which controls do not have) point to patients
        only, dysarthric or not; its data set description includes the 51
        controls, which as negatives make the classes more balanced and the
        task easier. ``"all"`` keeps the behaviour of earlier versions.
        ``target="als"`` needs ``"all"`` (with patients only it has one
        class).
    load_audio : bool, default=False
        ``False``: ``data`` holds file paths, which
        :class:`~skhyperdys.SpectrogramImages` reads when needed (little
        memory). ``True``: ``data`` holds the waveforms at ``sr`` Hz.
    sr : int, default=8000
        Sample rate for ``load_audio=True``.
    layout : {"wide", "long"}, default="wide"
        Only for several tasks. ``"wide"``: one row per subject, one column
        per task (``data`` has shape ``(n_subjects, n_tasks)``; the input of
        fusion models). ``"long"``: one row per recording, subjects repeated
        (``groups`` keeps them apart in cross-validation); rows sorted by
        subject ID, each subject's recordings together in the order of
        ``task``.
    on_missing : {"warn", "raise"}, default="warn"
        What to do with subjects that lack a recording of a requested task,
        recordings whose ID is not in the metadata, unreadable audio files, and
        patients without the speech score a target needs. ``"warn"``: leave
        them out and warn, naming each. ``"raise"``: raise a ValueError naming
        them. Labels and audio are matched by subject ID, never by position.
        With ``layout="long"`` a subject lacking some of the tasks keeps the
        rows of the others, and the warning says so; a subject lacking all
        of them is left out.
    metadata : str, default="VOC-ALS.xlsx"
        Name of the metadata spreadsheet in ``root``.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : list, or object ndarray of shape (n_subjects, n_tasks)
            Paths (or waveforms, ``load_audio=True``), sorted by subject ID
            (then by task, in the order of ``task``, for ``layout="long"``):
            a list, one item per row, for one task or ``layout="long"``; a
            table, one column per task, for several tasks and
            ``layout="wide"``.
        target : ndarray of int of shape (n_rows,)
            The label of each row, as chosen by ``target``: a class code from
            0 to ``len(target_names) - 1``.
        groups : ndarray of str of shape (n_rows,)
            Subject IDs; split by them.
        tasks : list of str, or ndarray of str of shape (n_rows,)
            The task folders: the column names as a list (one task, or
            ``layout="wide"``), or the task of each row (``layout="long"``).
        frame : pandas.DataFrame
            The metadata row of each row of ``data``.
        target_names : ndarray of str of shape (n_classes,)
            The name of each class code: ``target_names[target]`` names the
            label of every row. ``["no dysarthria", "dysarthria"]``,
            ``["HC", "ALS"]`` or ``["1", "2", "3", "4"]`` (the speech item).
        sr : int
            Sample rate of the waveforms (``load_audio=True``).
        DESCR : str
            Description of the dataset.

    Raises
    ------
    FileNotFoundError
        If ``root``, the spreadsheet or a task folder is missing.
    ValueError
        For an unknown task, target, layout or ``on_missing``, a spreadsheet
        without the needed columns, duplicated IDs, a ``Category`` other than
        ``ALS`` or ``HC``, no subject with all requested tasks, an unknown
        ``population``, ``target="als"`` with ``population="als"`` (one
        class), or anything left out under ``on_missing="raise"``.
    ImportError
        If openpyxl, needed to read the spreadsheet, is not installed.

    See Also
    --------
    read_voc_als_metadata : Read the spreadsheet alone.

    Examples
    --------
    A tiny folder shaped like VOC-ALS: the spreadsheet (a title row, blank
    here, then the header) and a /pa/ recording of each subject.

    >>> import os, tempfile
    >>> import numpy as np
    >>> import pandas as pd
    >>> import soundfile as sf
    >>> from skhyperdys.datasets import load_voc_als
    >>> root = tempfile.mkdtemp()
    >>> meta = pd.DataFrame({"ID": ["CT001", "PZ001", "PZ002"],
    ...                      "Category": ["HC", "ALS", "ALS"],
    ...                      "ALSFRS-R_SpeechSubscore": [None, 4, 2]})
    >>> meta.to_excel(os.path.join(root, "VOC-ALS.xlsx"), index=False, startrow=1)
    >>> os.mkdir(os.path.join(root, "rhythmPA"))
    >>> for sid in meta["ID"]:
    ...     sf.write(os.path.join(root, "rhythmPA", f"{sid}_rhythmPA.wav"),
    ...              np.zeros(4000), 8000)
    >>> ds = load_voc_als(root, task="pa")
    >>> ds.groups.tolist(), ds.target.tolist()
    (['CT001', 'PZ001', 'PZ002'], [0, 0, 1])
    >>> ds.target_names[ds.target].tolist()
    ['no dysarthria', 'no dysarthria', 'dysarthria']
    >>> severity = load_voc_als(root, task="pa", target="severity")
    >>> severity.target.tolist(), severity.target_names[severity.target].tolist()
    ([3, 3, 1], ['4', '4', '2'])
    >>> os.path.basename(ds.data[0])
    'CT001_rhythmPA.wav'

    The ALS patients alone (dysarthric or not):

    >>> load_voc_als(root, task="pa", population="als").groups.tolist()
    ['PZ001', 'PZ002']
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"VOC-ALS folder not found: {str(root)!r}")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}.")
    if population not in POPULATIONS:
        raise ValueError(
            f"population must be one of {POPULATIONS}, got {population!r}."
        )
    if target == "als" and population == "als":
        raise ValueError(
            "target='als' with population='als' has a single class (every "
            "subject has ALS); use population='all' (ALS vs controls) or "
            "target='dysarthria' or 'severity' for the patients alone."
        )
    if layout not in ("wide", "long"):
        raise ValueError(f"layout must be 'wide' or 'long', got {layout!r}.")
    if on_missing not in ("warn", "raise"):
        raise ValueError(f"on_missing must be 'warn' or 'raise', got {on_missing!r}.")
    folders = _resolve_tasks(task)
    problems = []

    frame = read_voc_als_metadata(root / metadata)
    # every metadata ID counts as known, so that the recordings of a subject
    # left out on purpose (a control with population="als") or for a missing
    # score are not reported as lacking metadata
    known = set(frame["ID"])
    if population == "als":
        frame = frame[frame["Category"] == "ALS"]
    labels, unlabeled = _make_target(frame, target)
    if unlabeled:
        problems.append(
            f"no usable {_SPEECH} for target={target!r}: {', '.join(unlabeled)}"
        )
    frame = frame[frame["ID"].isin(labels.index)]

    files = {}
    for folder in folders:
        files[folder], unknown, unreadable = _scan_folder(root / folder, folder, known)
        if unknown:
            problems.append(f"{folder}: recordings without metadata: {unknown}")
        if unreadable:
            problems.append(f"{folder}: unreadable audio files: {unreadable}")
    ids = sorted(frame["ID"])
    long = layout == "long" and len(folders) > 1
    # long layout: a subject lacking only some tasks keeps the others' rows
    kept = []
    if long:
        without_any = [i for i in ids if not any(i in files[f] for f in folders)]
        if without_any:
            problems.append(
                f"subjects without a recording of any of {folders}: {without_any}"
            )
    for folder in folders:
        lacking = [i for i in ids if i not in files[folder]]
        if long:
            lacking = [i for i in lacking if i not in without_any]
        if lacking:
            (kept if long else problems).append(
                f"{folder}: subjects without a recording: {lacking}"
            )
    ids = [i for i in ids if (any if long else all)(i in files[f] for f in folders)]

    if problems or kept:
        if on_missing == "raise":
            raise ValueError("VOC-ALS: found: " + "; ".join(problems + kept))
        parts = []
        if problems:
            parts.append("left out of the dataset: " + "; ".join(problems))
        if kept:
            parts.append(
                "absent recordings (layout='long': these subjects keep the rows "
                "of their other tasks): " + "; ".join(kept)
            )
        warnings.warn("VOC-ALS: " + ". ".join(parts), UserWarning, stacklevel=2)
    if not ids:
        raise ValueError(f"VOC-ALS: no subject has recordings of {folders}.")

    def read(path):
        return _read_audio(path, sr) if load_audio else path

    frame = frame.set_index("ID", drop=False)
    if not long:
        rows = [(i, None) for i in ids]
        data = [[read(files[f][i]) for f in folders] for i in ids]
        if len(folders) == 1:
            data = [row[0] for row in data]
        else:
            table = np.empty((len(ids), len(folders)), dtype=object)
            for r, row in enumerate(data):
                for c, item in enumerate(row):
                    table[r, c] = item
            data = table
        task_info = list(folders)
    else:
        rows = [(i, f) for i in ids for f in folders if i in files[f]]
        data = [read(files[f][i]) for i, f in rows]
        task_info = np.asarray([f for _, f in rows])
    groups = np.asarray([i for i, _ in rows])
    return Bunch(
        data=data,
        target=labels.loc[groups].to_numpy(),
        groups=groups,
        tasks=task_info,
        frame=frame.loc[groups].reset_index(drop=True),
        target_names=np.asarray(_TARGET_NAMES[target]),
        sr=sr,
        DESCR=DESCR,
    )


_TARGET_NAMES = {
    "dysarthria": ["no dysarthria", "dysarthria"],
    "als": ["HC", "ALS"],
    "severity": ["1", "2", "3", "4"],
}


def read_voc_als_metadata(path):
    """Read ``VOC-ALS.xlsx``: a title row, then the header row.

    Parameters
    ----------
    path : str or os.PathLike
        The spreadsheet.

    Returns
    -------
    frame : pandas.DataFrame
        One row per subject (rows without an ID dropped), column names
        stripped, ``ID`` as str and ``Category`` upper-case, both stripped.

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    ValueError
        If it lacks the ``ID`` or ``Category`` column or repeats an ID.
    ImportError
        If openpyxl is not installed.

    See Also
    --------
    load_voc_als : Load the recordings with their labels.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> from skhyperdys.datasets import read_voc_als_metadata
    >>> path = os.path.join(tempfile.mkdtemp(), "VOC-ALS.xlsx")
    >>> table = pd.DataFrame({"ID": ["CT001", "PZ001"], "Category": ["HC", "als"],
    ...                       "Age (years)": [61, 58]})
    >>> table.to_excel(path, index=False, startrow=1)  # row 1 left for the title
    >>> read_voc_als_metadata(path)
          ID Category  Age (years)
    0  CT001       HC           61
    1  PZ001      ALS           58
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"VOC-ALS metadata not found: {str(path)!r}")
    try:
        frame = pd.read_excel(path, header=1)
    except ImportError as err:
        raise ImportError(
            f"reading {path.name} needs openpyxl: pip install openpyxl ({err})"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = {"ID", "Category"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"{path.name}: no column(s) {sorted(missing)} in the header (expected "
            "on the second row, below a title row); found "
            f"{list(frame.columns)[:8]}..."
        )
    frame = frame.dropna(subset=["ID"]).copy()
    frame["ID"] = frame["ID"].astype(str).str.strip()
    frame["Category"] = frame["Category"].astype(str).str.strip().str.upper()
    duplicated = frame["ID"][frame["ID"].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"{path.name}: IDs listed more than once: {duplicated}")
    return frame.reset_index(drop=True)


def _resolve_tasks(task):
    names = [task] if isinstance(task, str) else list(task)
    if not names:
        raise ValueError("task: give at least one task.")
    by_folder = {folder.lower(): folder for folder in TASKS.values()}
    folders = []
    for name in names:
        key = str(name).strip().lower()
        folder = TASKS.get(key) or by_folder.get(key)
        if folder is None:
            raise ValueError(
                f"unknown task {name!r}; use one of {sorted(TASKS)} or "
                f"{sorted(TASKS.values())}."
            )
        if folder in folders:
            raise ValueError(f"task {name!r} is given twice.")
        folders.append(folder)
    return folders


def _make_target(frame, target):
    """Labels indexed by ID, and the IDs that cannot be labelled."""
    category = frame["Category"]
    bad_category = frame["ID"][~category.isin(["ALS", "HC"])].tolist()
    if bad_category:
        raise ValueError(f"Category must be 'ALS' or 'HC'; not so for {bad_category}")
    is_als = (category == "ALS").to_numpy()
    if target == "als":
        return pd.Series(is_als.astype(int), index=frame["ID"]), []
    if _SPEECH not in frame.columns:
        raise ValueError(f"target={target!r} needs the column {_SPEECH!r}.")
    speech = pd.to_numeric(frame[_SPEECH], errors="coerce").to_numpy()
    speech = np.where(is_als, speech, 4.0)  # controls speak normally
    usable = np.isin(speech, [1, 2, 3, 4])
    unlabeled = frame["ID"][~usable].tolist()
    speech = speech[usable].astype(int)
    ids = frame["ID"][usable]
    # class codes 0..n_classes-1, indexing _TARGET_NAMES[target]
    values = (speech < 4).astype(int) if target == "dysarthria" else speech - 1
    return pd.Series(values, index=ids), unlabeled


def _scan_folder(folder, name, known):
    """Map ID -> path for ``<ID>_<name>.wav`` files in ``folder`` (IDs in ``known``).

    Names are matched whatever their case (``pz012_RHYTHMPA.WAV`` is
    ``PZ012``'s): archives unpacked on other systems change it.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"VOC-ALS task folder not found: {str(folder)!r}")
    pattern = re.compile(rf"^(?P<id>.+)_{re.escape(name)}\.wav$", re.IGNORECASE)
    by_key = {subject.upper(): subject for subject in known}
    found, unknown, unreadable = {}, [], []
    for entry in sorted(os.listdir(folder)):
        match = pattern.match(entry)
        if not match:
            continue
        subject = by_key.get(match.group("id").strip().upper())
        path = folder / entry
        if subject is None:
            unknown.append(entry)
            continue
        if subject in found:
            raise ValueError(
                f"{str(folder)!r} holds two recordings of {subject}: "
                f"{os.path.basename(found[subject])!r} and {entry!r} (their names "
                "differ in case only); keep one."
            )
        try:
            info = sf.info(path)
            if info.frames == 0:
                raise ValueError("no samples")
        except (sf.LibsndfileError, RuntimeError, ValueError):
            unreadable.append(entry)
            continue
        found[subject] = str(path)
    return found, unknown, unreadable
