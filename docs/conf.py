"""Sphinx configuration of eegzoo's documentation site (``make -C docs html``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import eegzoo  # noqa: E402

project = "eegzoo"
author = "eegzoo contributors"
copyright = "eegzoo contributors"
release = eegzoo.__version__ if hasattr(eegzoo, "__version__") else "0.1.0"
version = release

extensions = [
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = "eegzoo"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
