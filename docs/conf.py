"""Sphinx configuration of the skhyperdys documentation.

Build it with ``sphinx-build -W -b html docs docs/_build/html`` (``pip install
'.[docs]'`` first). The gallery runs every script in ``examples/`` with the
small settings in ``_gallery_argv.py`` so that the build takes minutes; pass
``-D plot_gallery=0`` to skip running them while writing prose.
"""

import sys
from pathlib import Path

import skhyperdys

sys.path.insert(0, str(Path(__file__).parent))  # for _gallery_argv

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
    "myst_parser",  # CHANGELOG.md in whats_new.rst
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
default_role = "py:obj"

# API reference: one page per public name, from the numpydoc docstrings.
autosummary_generate = True
# The set_*_request methods are scikit-learn's metadata-routing boilerplate,
# generated on every estimator class; their docstrings link into sklearn's docs.
autodoc_default_options = {
    "exclude-members": ",".join(
        f"set_{method}_request"
        for method in ("fit", "partial_fit", "score", "transform", "predict")
    )
}
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

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",
    # small settings for the examples: docs/_gallery_argv.py
    "reset_argv": "_gallery_argv.gallery_argv",
    "doc_module": ("skhyperdys",),
    "backreferences_dir": "gen_modules/backreferences",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
}
