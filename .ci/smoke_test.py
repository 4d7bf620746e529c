"""Smoke test of an installed skhyperdys, run from a folder outside the source tree.

CI installs the built wheel into a fresh virtual environment and runs this
file there: a file missing from the package (a module, the CLI, the built-in
data) fails it. It fits a tiny pipeline, saves it with a model card, and
labels two wav files with ``python -m skhyperdys predict``; it also runs
``--version``, ``info`` and ``show_versions()``.
"""

import csv
import pathlib
import subprocess
import sys

import soundfile as sf
from sklearn.pipeline import Pipeline

import skhyperdys
from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.audit import nonspeech_control
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.io import dump, read_metadata

here = pathlib.Path.cwd()
source = pathlib.Path(skhyperdys.__file__).resolve()
assert "site-packages" in source.parts, f"not the installed package: {source}"
print(f"skhyperdys {skhyperdys.__version__} from {source.parent}")

data = make_syllable_repetitions(12, duration=(1.0, 1.5), random_state=0)
pipe = Pipeline(
    [
        ("images", SpectrogramImages(image_size=(64, 64), n_mels=32)),
        ("clf", HypernetClassifier(weights=None, max_epochs=1, random_state=0)),
    ]
).fit(data.data, data.target)
model = here / "model.safetensors"
dump(pipe, model, card={"intended_use": "CI smoke test"})
assert read_metadata(model)["card"]["intended_use"] == "CI smoke test"

clips = []
for i in (0, 11):
    path = here / f"clip{i}.wav"
    sf.write(path, data.data[i], data.sr)
    clips.append(str(path))


def cli(*args):
    done = subprocess.run(
        [sys.executable, "-m", "skhyperdys", *args], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


rows = list(csv.DictReader(cli("predict", str(model), *clips).splitlines()))
assert [row["path"] for row in rows] == clips and all(row["predicted"] for row in rows)
assert cli("--version").strip() == f"skhyperdys {skhyperdys.__version__}"
assert "CI smoke test" in cli("info", str(model))
skhyperdys.show_versions()
longer = make_syllable_repetitions(24, random_state=0)  # 3-5 s, with pauses
control = nonspeech_control(
    longer.data, longer.target, groups=longer.groups, cv=2, n_permutations=5,
    random_state=0,
)  # fmt: skip
assert 0 <= control.score <= 1
print(f"smoke test passed: predicted {[row['predicted'] for row in rows]}")
