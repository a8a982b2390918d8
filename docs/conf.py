"""Sphinx configuration of the sklearn-ser documentation.

The build is offline: no intersphinx inventories are fetched (references to scikit-learn,
NumPy or Keras objects render as plain code), and the gallery examples are not executed
unless ``SKLEARN_SER_GALLERY=1`` is set (``make html-gallery``), because training their
models takes minutes.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))
sys.path.insert(0, str(DOCS.parent))  # the package itself, when it is not installed

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_ser

project = "sklearn-ser"
author = "the sklearn-ser developers"
copyright = "the sklearn-ser developers, BSD-3-Clause"
release = sklearn_ser.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "ser_docs",
    "corpus_tables",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip"]
default_role = "literal"

# --- API reference -------------------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc sections already document the types
autodoc_default_options = {"member-order": "bysource"}
# autosummary pages list the members; numpydoc's own member tables would duplicate them
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# --- gallery ---------------------------------------------------------------------------------
_EXECUTE_GALLERY = os.environ.get("SKLEARN_SER_GALLERY", "0") == "1"
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "ser_docs.ExampleOrder",
    "plot_gallery": _EXECUTE_GALLERY,
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    # "Examples using ..." on the API pages
    "doc_module": ("sklearn_ser",),
    "backreferences_dir": "generated/backreferences",
    "capture_repr": (),
    "min_reported_time": 1,
    # the test suite runs the examples with SKLEARN_SER_QUICK=1; the docs show full settings
    "reset_modules": ("matplotlib",),
}

# --- HTML --------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-ser {release}"
html_static_path = []
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "icon_links": [],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
