"""Model cards built with huggingface_hub's ``ModelCard`` / ``ModelCardData`` / ``EvalResult``:
YAML metadata the Hub understands (library, license, tags, datasets, ``model-index`` with the
measured results, and the eegzoo version and spec hash that produced the card) above a
Markdown body (weights, results, architecture, input expectations, intended use, citation).

Cards are deterministic (no dates), so ``model_cards/`` can be checked for staleness."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData
from pydantic import ValidationError
from torch import nn

from eegzoo.core.errors import format_validation_error
from eegzoo.core.files import atomic_write_text
from eegzoo.core.version import __version__
from eegzoo.models.base import count_parameters, spec_of
from eegzoo.registry import build_from_spec, list_models, model_spec
from eegzoo.specs.model import ModelSpec
from eegzoo.specs.input import InputContract
from eegzoo.specs.results import MeasuredResult

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

_SPDX_TO_HUB = {"BSD-3-Clause": "bsd-3-clause", "MIT": "mit", "Apache-2.0": "apache-2.0", "CC-BY-4.0": "cc-by-4.0",
                "GPL-3.0-or-later": "gpl-3.0", "GPL-3.0-only": "gpl-3.0", "GPL-3.0": "gpl-3.0", "GPL-2.0-or-later": "gpl-2.0",
                "GPL-2.0": "gpl-2.0", "CC0-1.0": "cc0-1.0", "CC-BY-SA-4.0": "cc-by-sa-4.0", "CC-BY-NC-4.0": "cc-by-nc-4.0",
                "CC-BY-NC-SA-4.0": "cc-by-nc-sa-4.0", "ODbL-1.0": "odbl"}
#: ``details`` keys that describe the training data of saved weights (set by eegzoo train and
#: the pretraining script): the weights' license and tags follow them, not the architecture's.
DATA_LICENSE = "data license"
DATA_PARADIGM = "data paradigm"


def data_license_id(text: str) -> str | None:
    """The Hub license id of a data license stated as ``"<SPDX id>[: note]"``, else None."""
    head = text.split(":", 1)[0].split(";", 1)[0].split(" (", 1)[0].strip()
    return _SPDX_TO_HUB.get(head)


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())
_TASK_NAMES = {"eeg-classification": "EEG classification", "eeg-regression": "EEG regression"}
UNTRAINED = "untrained"
SAVED_WEIGHTS = "model.safetensors"

Result = MeasuredResult | EvalResult | Mapping[str, Any]


def as_measured_results(results: Iterable[Result] | None) -> list[MeasuredResult]:
    """Accept :class:`MeasuredResult` s, huggingface_hub ``EvalResult`` s or plain mappings
    with MeasuredResult's fields; anything else is a ``TypeError`` naming the entry."""
    out = []
    for i, result in enumerate(results or ()):
        if isinstance(result, MeasuredResult):
            out.append(result)
        elif isinstance(result, EvalResult):
            out.append(MeasuredResult(
                metric=result.metric_type, value=float(result.metric_value), dataset=result.dataset_type,
                split=result.dataset_split or "unspecified", dataset_name=result.dataset_name,
                config=result.dataset_config, metric_name=result.metric_name, task=result.task_type,
                source_name=result.source_name, source_url=result.source_url,
            ))
        elif isinstance(result, Mapping):
            try:
                out.append(MeasuredResult.model_validate(dict(result)))
            except ValidationError as err:
                raise ValueError(format_validation_error(err, f"results[{i}]")) from None
        else:
            raise TypeError(
                f"results[{i}] is a {type(result).__name__}; pass eegzoo.MeasuredResult (see "
                "eegzoo.measured_results), huggingface_hub.EvalResult or a mapping."
            )
    return out


def _eval_result(result: MeasuredResult, spec: ModelSpec) -> EvalResult:
    task = result.task or f"eeg-{spec.task}"
    return EvalResult(
        task_type=task, task_name=_TASK_NAMES.get(task, task),
        dataset_type=result.dataset, dataset_name=result.dataset_name or result.dataset,
        dataset_split=result.split, dataset_config=result.config,
        metric_type=result.metric, metric_name=result.metric_name, metric_value=result.value,
        source_name=result.source_name, source_url=result.source_url,
    )


def _weights_note(spec: ModelSpec, weights: str) -> str:
    if weights == UNTRAINED:
        return (
            f"**Untrained.** This card describes the registered variant `{spec.name}`: "
            f'`eegzoo.create_model("{spec.name}")` returns randomly initialised weights, so no '
            "results are reported. Train it (`eegzoo train`, `eegzoo.training.fit`) or load trained "
            "weights with `eegzoo.from_pretrained`."
        )
    if weights == SAVED_WEIGHTS:
        return f"Weights: `{SAVED_WEIGHTS}` beside this card (safetensors, with the config in `config.json`)."
    source = spec.pretrained
    assert source is not None
    return (
        f"Pretrained weights: `{source.repo_id}`, file `{source.filename}`"
        + (f", revision `{source.revision}`" if source.revision else "")
        + f", sha256 `{source.sha256}` (checked on download): "
        f'`eegzoo.create_model("{spec.name}", pretrained=True)`.'
    )


def _format(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def build_model_card(
    model_or_name: nn.Module | str,
    results: Iterable[Result] | None = None,
    details: Mapping[str, Any] | None = None,
    figures: Mapping[str, str] | None = None,
    location: str | None = None,
) -> ModelCard:
    """The card of a registered variant (by name: untrained, or its pinned weights and their
    results) or of a built model whose weights are saved beside the card.

    ``results`` (see :func:`eegzoo.measured_results`) become ``model-index`` metadata and a
    results table; ``details`` (e.g. best epoch, trial counts) a table of training facts;
    ``figures`` maps captions to image files in the folder. A trained model's card states its
    input contract and shows how to load it from ``location`` (its folder or Hub id) and
    predict with it."""
    if isinstance(model_or_name, str):
        spec_entry = model_spec(model_or_name)
        model = build_from_spec(spec_entry, {}, f"the card of '{model_or_name}'")
        weights = UNTRAINED if spec_entry.pretrained is None else spec_entry.pretrained.repo_id
    else:
        model, weights = model_or_name, SAVED_WEIGHTS
    spec: ModelSpec = spec_of(model)
    measured = as_measured_results(results)
    if weights not in (UNTRAINED, SAVED_WEIGHTS):
        pinned = spec.pretrained
        measured = [*pinned.results, *measured]  # type: ignore[union-attr]
        details = {**pinned.details, **(details or {})} or None  # type: ignore[union-attr]
        if pinned.classes is not None:  # type: ignore[union-attr]
            model.eegzoo_classes = list(pinned.classes)  # type: ignore[union-attr]
        if pinned.input is not None:  # type: ignore[union-attr]
            model.eegzoo_input = InputContract.model_validate(pinned.input)  # type: ignore[union-attr]
    if weights == UNTRAINED and measured:
        raise ValueError(f"'{spec.name}' has no pretrained weights, so its registry card cannot carry results.")

    license_text, tags = spec.license, list(spec.tags)
    if weights == SAVED_WEIGHTS:
        # trained weights carry their training data's license and paradigm, not the architecture's
        data_license = (details or {}).get(DATA_LICENSE)
        license_text = str(data_license) if data_license else (
            "unknown: the training data's license was not recorded; state it before sharing these weights")
        paradigm = (details or {}).get(DATA_PARADIGM)
        tags = [_slug(str(paradigm))] if paradigm else []
    license_id = data_license_id(license_text) if weights == SAVED_WEIGHTS else _SPDX_TO_HUB.get(license_text)
    data = ModelCardData(
        library_name="eegzoo",
        license=license_id or "other",
        license_name=None if license_id else license_text,
        tags=list(dict.fromkeys(["eeg", "eegzoo", spec.architecture, *tags])),
        pipeline_tag="other",
        datasets=list(dict.fromkeys(r.dataset for r in measured)) or None,
        metrics=list(dict.fromkeys(r.metric for r in measured)) or None,
        model_name=spec.name,
        eval_results=[_eval_result(r, spec) for r in measured] or None,
        eegzoo={
            "version": __version__,
            "model": spec.name,
            "architecture": spec.architecture,
            "spec_sha256": spec.sha256(),
            "weights": weights,
        },
    )
    body = _body(model, spec, weights, measured, details, figures, location)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}")


def _body(
    model: nn.Module, spec: ModelSpec, weights: str, measured: Sequence[MeasuredResult],
    details: Mapping[str, Any] | None, figures: Mapping[str, str] | None, location: str | None = None,
) -> str:
    chs = model._chs_info if hasattr(model, "_chs_info") else getattr(model, "chs_info", None)
    ch_line = ", ".join(c["ch_name"] for c in chs) if chs else "any order, consistent between training and use"
    describe = getattr(model, "describe", None)
    architecture = describe() if describe else [f"{i + 1}. `{type(m).__name__}`" for i, m in enumerate(model.children())]
    lines = [
        f"# {spec.name}",
        "",
        spec.description or f"A `{spec.architecture}` model from eegzoo.",
        "",
        "## Weights",
        "",
        _weights_note(spec, weights),
        "",
    ]
    if measured:
        lines += ["## Results", "", "| dataset | split | metric | value |", "|---|---|---|---|"]
        for r in measured:
            dataset = (r.dataset_name or r.dataset) + (f" ({r.config})" if r.config else "")
            lines.append(f"| {dataset} | {r.split} | {r.metric_name or r.metric} | {r.value:.4f} |")
        lines.append("")
    elif weights == SAVED_WEIGHTS:
        lines += ["No measured results were recorded with these weights.", ""]
    lines += [
        "## Architecture",
        "",
        *architecture,
        "",
        f"Trainable parameters: **{count_parameters(model):,}**.",
        "",
        "## Input expectations",
        "",
        *_input_table(model, spec, ch_line),
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
    ]
    if weights == UNTRAINED:
        lines.append(f'model = eegzoo.create_model("{spec.name}")')
    elif weights == SAVED_WEIGHTS:
        lines.append(f'model = eegzoo.from_pretrained("{location or "path/to/this/folder"}")'
                     + ("" if location else '  # or its Hub repo id, "owner/name"'))
    else:
        lines.append(f'model = eegzoo.create_model("{spec.name}", pretrained=True)')
    if getattr(model, "eegzoo_input", None) is not None:
        lines += [
            "labels = eegzoo.predict(model, epochs)        # class names, from mne Epochs (in volts)",
            "probs = eegzoo.predict_proba(model, epochs)   # (n_trials, n_classes)",
            "# also eegzoo.predict(model, raw, events=events), or (array, sfreq=..., ch_names=[...])",
            "```",
            "",
            "`eegzoo.predict` applies the preparation in *Input expectations* (channels, resampling, window, "
            "unit, standardisation); calling the model directly needs inputs prepared exactly so.",
            "",
        ]
    else:
        lines += ["```", ""]
    classes = getattr(model, "eegzoo_classes", None)
    if classes:
        lines += ["## Classes", "", "Output index -> class: " + ", ".join(f"{i}: {c}" for i, c in enumerate(classes)) + ".", ""]
    if details:
        lines += ["## Training details", "", "| what | value |", "|---|---|"]
        lines += [f"| {k} | {_format(v)} |" for k, v in details.items()]
        lines.append("")
    if figures:
        lines += ["## Figures", ""] + [f"![{caption}]({name})" for caption, name in figures.items()] + [""]
    if spec.paper:
        lines += ["## Paper", "", spec.paper, ""]
    lines += ["## Citation", "", "```bibtex"]
    if spec.citation:
        lines += [spec.citation.strip(), ""]
    lines += [BRAINDECODE_BIBTEX, "```", "", "## License", ""]
    if weights == SAVED_WEIGHTS:
        data_license = (details or {}).get(DATA_LICENSE)
        lines += [f"Weights: {data_license if data_license else 'unknown (the training data’s license was not recorded)'} "
                  "(the license of the data they were trained on).", "",
                  f"Architecture and code (eegzoo): {spec.license}.", ""]
    else:
        lines += [f"{spec.license}.", ""]
    return "\n".join(lines)


def generate_model_card(
    model_or_name: nn.Module | str,
    results: Iterable[Result] | None = None,
    details: Mapping[str, Any] | None = None,
    figures: Mapping[str, str] | None = None,
    location: str | None = None,
) -> str:
    """The card's text (YAML metadata + Markdown); see :func:`build_model_card`."""
    return str(build_model_card(model_or_name, results=results, details=details, figures=figures, location=location))


def _input_table(model: nn.Module, spec: ModelSpec, ch_line: str) -> list[str]:
    """The input expectations: a trained model's recorded input contract, else the signal
    parameters it was built for."""
    contract = getattr(model, "eegzoo_input", None)
    n_chans, sfreq, n_times = model.n_chans, model.sfreq, model.n_times
    rows = [("channels", str(n_chans))]
    if contract is not None:
        rows += contract.summary()
        unit = {"uV": "µV"}.get(contract.unit or "", contract.unit) if contract.scale is not None and contract.standardize is None else "the prepared unit"
        rows.append(("input tensor", f"float32, shape (batch, {n_chans}, {n_times}), in {unit}; "
                                     "`eegzoo.predict` prepares mne data so"))
    else:
        rows += [
            ("channel order", ch_line),
            ("sampling rate", f"{float(sfreq):g} Hz" if sfreq else "not set (the model does not depend on it; use the training data's)"),
            ("window", f"{n_times} samples ({n_times / float(sfreq):g} s)" if sfreq else f"{n_times} samples"),
            ("input tensor", "float, shape (batch, channels, samples), in volts or microvolts consistently with training"),
        ]
    rows.append(("output", f"{model.n_outputs} raw logits ({spec.task})"))
    return ["| what | value |", "|---|---|", *[f"| {what} | {value} |" for what, value in rows]]


def write_model_cards(out_dir: str | os.PathLike = "model_cards") -> list[Path]:
    """(Re)generate the card of every registered model into ``out_dir``."""
    out = Path(out_dir)
    return [atomic_write_text(out / f"{name}.md", generate_model_card(name)) for name in list_models()]
