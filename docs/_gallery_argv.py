"""Command-line arguments for the gallery's examples (sphinx-gallery's reset_argv).

Each script's own defaults are the settings a user runs; the documentation
build uses smaller ones so that it takes minutes. Every example prints the
settings it ran with.
"""

import tempfile
from pathlib import Path

SMALL = "--n-recordings 90 --epochs 6 --folds 3"
GALLERY_ARGV = {
    "quickstart.py": SMALL.split(),
    "plot_cross_validated_predictions.py": SMALL.split(),
    "plot_subject_vs_record_splits.py": SMALL.split(),
    "grid_search_context_dim.py": "--n-recordings 90 --epochs 6".split(),
    "grid_search_backbone.py": (
        "--n-recordings 90 --epochs 10 --backbones alexnet convnext_tiny".split()
    ),
    "plot_trusting_predictions.py": "--n-recordings 120 --epochs 8".split(),
    "plot_clinical_measures.py": "--n-recordings 60 --folds 3 --epochs 20".split(),
    "plot_pretrained_encoders.py": "--n-recordings 90 --folds 3 --epochs 60".split(),
    "plot_speech_or_microphone.py": (
        "--n-recordings 90 --epochs 6 --folds 3 --n-permutations 199".split()
    ),
    # six of the eleven rows (as many as before the study grew), one of each
    # kind: single task, head, features, early and late fusion
    "reproduce_paper.py": (
        "--n-recordings 40 --epochs 2 --folds 2 --image-size 64 "
        "--variants dense,single,mfcc,gmu,late".split()
    ),
}
# reproduce_paper.py writes its table as CSV and never overwrites one: give
# each build a fresh folder instead of the default results/.
OUTPUT = Path(tempfile.mkdtemp(prefix="skhyperdys-docs-")) / "paper_table.csv"
GALLERY_ARGV["reproduce_paper.py"] += ["--output", str(OUTPUT)]


def gallery_argv(gallery_conf, script_vars):
    """Return the arguments of one example script."""
    return GALLERY_ARGV.get(Path(script_vars["src_file"]).name, [])
