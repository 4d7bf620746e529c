"""Sphinx configuration of the skhyperdys documentation.

Build it with ``sphinx-build -W -b html docs docs/_build/html`` (``pip install
'.[docs]'`` first). The gallery runs every script in ``examples/`` with the
small settings in ``GALLERY_ARGV`` so that the build takes minutes; pass
``-D plot_gallery=0`` to skip running them while writing prose.
"""

from pathlib import Path

import skhyperdys

project = "skhyperdys"
author = "skhyperdys developers"
copyright = "2026, skhyperdys developers"
version = release = skhyperdys.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
default_role = "py:obj"

# API reference: one page per public name, from the numpydoc docstrings.
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# Pictures in the user guide made at build time (``.. plot::``).
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]

html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_title = f"skhyperdys {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}

# Small settings for the gallery's examples; each script's own defaults are
# the ones a user runs (the gallery pages print which settings were used).
GALLERY_ARGV = {
    "quickstart.py": ["--n-recordings", "60", "--epochs", "4", "--folds", "3"],
    "grid_search_context_dim.py": ["--n-recordings", "60", "--epochs", "3"],
    "reproduce_paper.py": [
        "--n-recordings", "40", "--epochs", "2", "--folds", "2", "--image-size", "64",
    ],
    "plot_training_history.py": ["--epochs", "6"],
}


def gallery_argv(gallery_conf, script_vars):
    """Command-line arguments of one gallery example (sphinx-gallery hook)."""
    return GALLERY_ARGV.get(Path(script_vars["src_file"]).name, [])


sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",
    "reset_argv": gallery_argv,
    "doc_module": ("skhyperdys",),
    "backreferences_dir": "gen_modules/backreferences",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
}
