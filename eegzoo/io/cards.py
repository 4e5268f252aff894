"""Model cards (Markdown with Hugging Face YAML metadata), generated from specs.

Cards are deterministic (no dates), so ``model_cards/`` can be checked for staleness."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from torch import nn

from eegzoo.core.files import atomic_write_text
from eegzoo.models.base import count_parameters, spec_of
from eegzoo.registry import build_from_spec, list_models, model_spec
from eegzoo.specs.model import ModelSpec

BRAINDECODE_BIBTEX = """@article{schirrmeister2017deep,
  title   = {Deep learning with convolutional neural networks for {EEG} decoding and visualization},
  author  = {Schirrmeister, Robin Tibor and Springenberg, Jost Tobias and Fiederer, Lukas Dominique Josef and Glasstetter, Martin and Eggensperger, Katharina and Tangermann, Michael and Hutter, Frank and Burgard, Wolfram and Ball, Tonio},
  journal = {Human Brain Mapping},
  volume  = {38},
  number  = {11},
  pages   = {5391--5420},
  year    = {2017},
  doi     = {10.1002/hbm.23730}
}"""

_SPDX_TO_HUB = {"BSD-3-Clause": "bsd-3-clause", "MIT": "mit", "Apache-2.0": "apache-2.0", "CC-BY-4.0": "cc-by-4.0"}


def generate_model_card(
    model_or_name: nn.Module | str,
    metrics: Mapping[str, float] | None = None,
    figures: Mapping[str, str] | None = None,
) -> str:
    """Render the card of a registered model (by name) or of a built model (its spec).
    ``metrics`` (e.g. accuracy, kappa) adds a results table."""
    if isinstance(model_or_name, str):
        model = build_from_spec(model_spec(model_or_name), {}, f"the card of '{model_or_name}'")
    else:
        model = model_or_name
    spec: ModelSpec = spec_of(model)
    license_id = _SPDX_TO_HUB.get(spec.license, "other")
    tags = ["eeg", "eegzoo", spec.architecture, *spec.tags]
    front = ["---", "library_name: eegzoo", f"license: {license_id}", "tags:"]
    front += [f"- {t}" for t in dict.fromkeys(tags)]
    front += ["pipeline_tag: other", "---", ""]
    n_chans, sfreq, n_times = model.n_chans, model.sfreq, model.n_times
    chs = model._chs_info if hasattr(model, "_chs_info") else getattr(model, "chs_info", None)
    ch_line = ", ".join(c["ch_name"] for c in chs) if chs else "any order, consistent between training and use"
    lines = [
        f"# {spec.name}",
        "",
        spec.description or f"A `{spec.architecture}` model from eegzoo.",
        "",
        "## Architecture",
        "",
        *model.describe(),
        "",
        f"Trainable parameters: **{count_parameters(model):,}**.",
        "",
        "## Input expectations",
        "",
        "| what | value |",
        "|---|---|",
        f"| channels | {n_chans} |",
        f"| channel order | {ch_line} |",
        f"| sampling rate | {float(sfreq):g} Hz |" if sfreq else "| sampling rate | not set (the model does not depend on it; use the training data's) |",
        f"| window | {n_times} samples ({n_times / float(sfreq):g} s) |" if sfreq else f"| window | {n_times} samples |",
        "| input tensor | float, shape (batch, channels, samples), in volts or microvolts consistently with training |",
        f"| output | {model.n_outputs} raw logits ({spec.task}) |",
        "",
        "## Intended use",
        "",
        "Research on EEG decoding (e.g. motor-imagery brain-computer interfaces). Not a medical",
        "device: do not use it for diagnosis or for decisions about a person's care. Decoding",
        "accuracy varies strongly between people and sessions; validate on your own data.",
        "",
        "## Usage",
        "",
        "```python",
        "import eegzoo",
        f'model = eegzoo.create_model("{spec.name}")',
        "```",
        "",
    ]
    classes = getattr(model, "eegzoo_classes", None)
    if classes:
        lines += ["## Classes", "", "Output index -> class: " + ", ".join(f"{i}: {c}" for i, c in enumerate(classes)) + ".", ""]
    if metrics:
        lines += ["## Results", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in metrics.items()]
        lines.append("")
    if figures:
        lines += ["## Figures", ""] + [f"![{caption}]({name})" for caption, name in figures.items()] + [""]
    if spec.paper:
        lines += ["## Paper", "", spec.paper, ""]
    lines += ["## Citation", "", "```bibtex"]
    if spec.citation:
        lines += [spec.citation.strip(), ""]
    lines += [BRAINDECODE_BIBTEX, "```", "", "## License", "", f"{spec.license}.", ""]
    return "\n".join(front + lines)


def write_model_cards(out_dir: str | os.PathLike = "model_cards") -> list[Path]:
    """(Re)generate the card of every registered model into ``out_dir``."""
    out = Path(out_dir)
    return [atomic_write_text(out / f"{name}.md", generate_model_card(name)) for name in list_models()]
