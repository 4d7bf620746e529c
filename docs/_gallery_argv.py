"""Command-line arguments for the gallery's examples (sphinx-gallery's reset_argv).

Each script's own defaults are the settings a user runs; the documentation
build uses smaller ones so that it takes minutes. Every example prints the
settings it ran with.
"""

from pathlib import Path

GALLERY_ARGV = {
    "quickstart.py": ["--n-recordings", "60", "--epochs", "4", "--folds", "3"],
    "plot_cross_validated_predictions.py": [
        "--n-recordings",
        "60",
        "--epochs",
        "5",
        "--folds",
        "3",
    ],
    "grid_search_context_dim.py": ["--n-recordings", "60", "--epochs", "3"],
    "reproduce_paper.py": [
        "--n-recordings",
        "40",
        "--epochs",
        "2",
        "--folds",
        "2",
        "--image-size",
        "64",
    ],
}


def gallery_argv(gallery_conf, script_vars):
    """Return the arguments of one example script."""
    return GALLERY_ARGV.get(Path(script_vars["src_file"]).name, [])
