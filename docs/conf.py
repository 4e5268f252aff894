"""Sphinx configuration of eegzoo's documentation site (``make -C docs html``).

Generated when this file is read (``_ext/eegzoo_docs.py``): the API tables, the command-line
reference and the zoo (a page per registered architecture, model and dataset). The examples in
``examples/`` run when the site is built (sphinx-gallery), on CPU.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in the build may download from the Hub
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the examples run on CPU, as in CI

import eegzoo  # noqa: E402
import eegzoo_docs  # noqa: E402

eegzoo_docs.generate(DOCS)

project = "eegzoo"
author = "eegzoo contributors"
copyright = "eegzoo contributors"
release = eegzoo.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "auto_examples/*.pickle", "auto_examples/*.codeobj.json"]
templates_path = ["_templates"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
autodoc_class_signature = "mixed"
autodoc_inherit_docstrings = False
napoleon_google_docstring = True
napoleon_numpy_docstring = True
add_module_names = False

# Examples: run when the site is built (CPU, a few minutes in all), their figures on the page.
sphinx_gallery_conf = {
    "examples_dirs": [str(ROOT / "examples")],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "default_thumb_file": None,
    "write_computation_times": True,
}

html_theme = "pydata_sphinx_theme"
html_title = "eegzoo"
html_static_path = ["_static"]
html_css_files = ["eegzoo.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 5,
}
html_show_sourcelink = False
html_copy_source = False

warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")

_WRAPPED_NAMES = __import__("re").compile(r"^(\s+)(?:[A-Za-z_]\w*,\s*)+$")
_NAMES_THEN_COLON = __import__("re").compile(r"^\s+(?:[A-Za-z_]\w*,\s*)*[A-Za-z_]\w*:(?:\s|$)")


def _join_wrapped_argument_names(app, what, name, obj, options, lines):
    """A Google-style ``Args:`` entry whose list of names wraps onto a second line
    (``a, b, c,`` / ``d: meaning``) is one entry: rejoin it before napoleon reads it."""
    i = 0
    while i < len(lines) - 1:
        match = _WRAPPED_NAMES.match(lines[i])
        nxt = lines[i + 1]
        if match and _NAMES_THEN_COLON.match(nxt) and len(nxt) - len(nxt.lstrip()) >= len(match.group(1)):
            lines[i:i + 2] = [lines[i].rstrip() + " " + nxt.strip()]
            continue
        i += 1


def setup(app):
    app.connect("autodoc-process-docstring", _join_wrapped_argument_names, priority=100)
