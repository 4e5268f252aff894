"""Pages of eegzoo's documentation that are generated, never written by hand.

``generate(docs_dir)`` writes, under ``docs/generated/``:

- ``api/<module>.rst``: an autosummary table of every public name of ``eegzoo`` (its
  ``__all__``), ``eegzoo.blocks``, ``eegzoo.data``, ``eegzoo.training``, ``eegzoo.sklearn``,
  ``eegzoo.benchmark`` and ``eegzoo.moabb``, grouped by kind (autodoc writes the pages of the
  names themselves);
- ``cli.md``: the command-line reference, read from ``eegzoo.apps.cli.build_parser()``;
- ``zoo/``: one page per registered architecture (``architectures/<name>.md``), per
  registered model, variant or pretrained model (``models/<name>.md``) and per dataset spec
  (``datasets/<name>.md``), and ``zoo/index.md`` with a table of each, all read from the
  registry, the generated model cards (``eegzoo.io.cards``) and, where they exist, the
  measured files ``benchmarks/results/speed.csv`` and ``benchmarks/results/benchmark.csv``
  (another folder with ``$EEGZOO_DOCS_RESULTS``); without them the pages show no measured rows.

It runs when ``conf.py`` is read, so every build starts from the current registry.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import inspect
import json
import os
import re
import shutil
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

API_MODULES = ["eegzoo", "eegzoo.blocks", "eegzoo.data", "eegzoo.training", "eegzoo.sklearn",
               "eegzoo.benchmark", "eegzoo.moabb"]
MEASUREMENTS = {"eval_b64": "eval forward, batch 64", "train_b64": "train step, batch 64",
                "eval_b1": "eval forward, batch 1"}


# ------------------------------------------------------------------ helpers
def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:  # unchanged files keep Sphinx's cache
        path.write_text(text, encoding="utf-8")


def _cell(value: Any) -> str:
    """A value for a Markdown table cell."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text.replace("|", "\\|").replace("\n", " ")


def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"``{text}``" if "`" in text else f"`{text}`"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _facts(rows: Iterable[Sequence[Any]]) -> list[str]:
    """A two-column table without a header row (what / value)."""
    lines = ["```{list-table}", ":header-rows: 0", ":widths: 1 3", ":class: zoo-facts", ""]
    for what, value in rows:
        lines += [f"* - {what}", f"  - {value}"]
    return lines + ["```", ""]


def _read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a measured-data file; none when it does not exist (yet) or is empty."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if any((v or "").strip() for v in row.values())]


def _number(text: str | None, fmt: str) -> str:
    try:
        return format(float(text), fmt)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return text or ""


# ------------------------------------------------------------------ API reference
def _kind(obj: Any) -> str:
    import pydantic
    import torch

    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        if issubclass(obj, Warning):
            return "Warnings"
        if issubclass(obj, BaseException):
            return "Exceptions"
        if issubclass(obj, torch.nn.Module):
            return "Models" if obj.__module__.startswith("eegzoo.models") else "Modules"
        if issubclass(obj, pydantic.BaseModel):
            return "Specs and parameters"
        return "Classes"
    if callable(obj):
        return "Functions"
    return "Constants"


KIND_ORDER = ["Models", "Modules", "Functions", "Classes", "Specs and parameters", "Exceptions", "Warnings",
              "Constants"]


def _documented_elsewhere(module_name: str) -> dict[int, str]:
    """Objects that a more specific module of the reference documents (``id`` -> that
    module's name): the facade links to them instead of documenting them twice."""
    found: dict[int, str] = {}
    for other in API_MODULES:
        if other == module_name or not other.startswith(module_name + "."):
            continue
        mod = importlib.import_module(other)
        for name in mod.__all__:
            found.setdefault(id(getattr(mod, name)), f"{other}.{name}")
    return found


def _api_page(module_name: str) -> str:
    module = importlib.import_module(module_name)
    groups: dict[str, list[str]] = {}
    elsewhere = _documented_elsewhere(module_name)
    linked: list[tuple[str, str, str]] = []
    for name in module.__all__:
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        kind = _kind(obj)
        if kind == "module":
            continue
        if id(obj) in elsewhere and inspect.isclass(obj):
            linked.append((name, elsewhere[id(obj)], kind))
            continue
        groups.setdefault(kind, []).append(name)
    title = f"``{module_name}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {module_name}", "   :no-members:", "",
             f".. currentmodule:: {module_name}", ""]
    for kind in KIND_ORDER:
        names = groups.get(kind)
        if not names:
            continue
        lines += [kind, "-" * len(kind), ""]
        if kind == "Constants":
            lines += [f"- ``{module_name}.{n}`` = ``{_constant(getattr(module, n))}``" for n in names] + [""]
            continue
        template = "class.rst" if kind in {"Models", "Modules", "Classes", "Specs and parameters"} else "base.rst"
        lines += [".. autosummary::", "   :toctree: stubs", f"   :template: {template}", "", *[f"   {n}" for n in names], ""]
    if linked:
        title = "Also here"
        lines += [title, "-" * len(title), "", f"Names ``{module_name}`` re-exports from the modules that document them:", ""]
        lines += [f"- ``{module_name}.{name}``: :py:class:`{target}`" for name, target, _ in linked] + [""]
    return "\n".join(lines)


def _constant(value: Any) -> str:
    text = repr(value)
    if len(text) > 160:
        text = text[:157] + "..."
    return text.replace("`", "'")


def generate_api(out: Path) -> list[str]:
    pages = []
    for module_name in API_MODULES:
        _write(out / f"{module_name}.rst", _api_page(module_name))
        pages.append(module_name)
    return pages


# ------------------------------------------------------------------ command line
def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser, str]]:
    found = []
    for action in parser._actions:  # argparse keeps sub-parsers here and nowhere public
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((name, sub, helps.get(name) or ""))
    return found


def _cli_section(parser: argparse.ArgumentParser, path: list[str], helptext: str, lines: list[str]) -> None:
    level = "#" * min(len(path) + 1, 4)
    lines += [f"{level} `{' '.join(path)}`", ""]
    if helptext:
        lines += [helptext[0].upper() + helptext[1:] + ".", ""]
    lines += ["```text", parser.format_help().rstrip(), "```", ""]
    for name, sub, subhelp in _subcommands(parser):
        _cli_section(sub, [*path, name], subhelp, lines)


def generate_cli(path: Path) -> None:
    from eegzoo.apps.cli import build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps help to the terminal width: fix it
    try:
        parser = build_parser()
        lines = ["# Command-line reference", "",
                 "Generated from the argument parser (`eegzoo.apps.cli.build_parser()`): every command's "
                 "`--help`. The [command line guide](../user_guide/cli.md) shows them in use.", ""]
        _cli_section(parser, ["eegzoo"], "", lines)
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    _write(path, "\n".join(lines))


# ------------------------------------------------------------------ the zoo
def _layer_rows(model: Any, plain: Any = None) -> list[tuple[str, str, str, str]]:
    """Name, type, output shape and trainable parameters of the model's top-level layers.
    The shapes come from one forward pass of a zero input in eval mode through ``plain``
    (the same model with ``fused=False`` where the architecture has a fused path, which
    skips layers), else through ``model``."""
    import torch

    traced = plain if plain is not None else model

    shapes: dict[str, str] = {}

    def hook(name: str):
        def record(_module: Any, _inputs: Any, output: Any) -> None:
            if isinstance(output, torch.Tensor):
                shapes[name] = "(" + ", ".join(["B", *map(str, output.shape[1:])]) + ")"
            elif isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
                shapes[name] = "(" + ", ".join(["B", *map(str, output[0].shape[1:])]) + ") ..."
        return record

    handles = [child.register_forward_hook(hook(name)) for name, child in traced.named_children()]
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced.eval()(torch.zeros(2, traced.n_chans, traced.n_times))
    except Exception:  # a layer table without shapes is still a layer table
        pass
    finally:
        for handle in handles:
            handle.remove()
    rows = []
    for name, child in model.named_children():
        n = sum(p.numel() for p in child.parameters() if p.requires_grad)
        rows.append((f"`{name}`", f"`{type(child).__name__}`", shapes.get(name, "—"), f"{n:,}"))
    return rows


def _split_card(card: str) -> tuple[str, str]:
    """(YAML metadata, Markdown body) of a model card."""
    if card.startswith("---\n"):
        end = card.index("\n---\n", 4)
        return card[4:end], card[end + 5:]
    return "", card


def _speed_rows(rows: list[dict[str, str]], architecture: str) -> list[list[str]]:
    out = []
    for row in rows:
        if (row.get("model") or "").strip().lower() != architecture:
            continue
        measurement = row.get("measurement", "")
        out.append([MEASUREMENTS.get(measurement, measurement), _number(row.get("eegzoo_ms"), ".2f"),
                    _number(row.get("braindecode_ms"), ".2f"), _ratio(row.get("speedup")),
                    _cell(row.get("cpu", "")), _cell(row.get("torch", ""))])
    return out


def _ratio(text: str | None) -> str:
    value = _number(text, ".1f")
    return f"{value}x" if value else ""


def _benchmark_rows(rows: list[dict[str, str]], method: str, datasets: Iterable[str] = ()) -> list[list[str]]:
    """Rows of ``benchmark.csv`` for ``method``; a dataset with a page here is linked."""
    out = []
    datasets = set(datasets)
    for row in rows:
        if (row.get("method") or "").strip() != method:
            continue
        significant = (row.get("significant") or "").strip().lower() in {"true", "1", "yes"}
        dataset = (row.get("dataset") or "").strip()
        out.append([
            f"[{dataset}](../datasets/{dataset}.md)" if dataset in datasets else _code(dataset) if dataset else "",
            f"{_number(row.get('accuracy_mean'), '.3f')} ± {_number(row.get('accuracy_sd'), '.3f')}",
            f"{_number(row.get('kappa_mean'), '.3f')} ± {_number(row.get('kappa_sd'), '.3f')}",
            _number(row.get("chance"), ".3f"),
            _number(row.get("p_value"), ".1e") + (" ✓" if significant else ""),
            _number(row.get("fit_seconds_per_fold"), ".2f"),
            f"{row.get('seeds', '')} × {row.get('subjects', '')}",
        ])
    return out


BENCHMARK_HEADER = ["dataset", "accuracy", "kappa", "chance", "p (binomial)", "fit s/fold", "seeds × subjects"]


class Zoo:
    def __init__(self, root: Path, out: Path) -> None:
        import eegzoo
        from eegzoo.registry.models import get_architecture, list_architectures

        self.root, self.out = root, out
        self.models = eegzoo.list_models()
        self.specs = {name: eegzoo.model_spec(name) for name in self.models}
        self.architectures = {name: get_architecture(name) for name in list_architectures()}
        self.datasets = {name: eegzoo.dataset_spec(name) for name in eegzoo.list_datasets()}
        results = Path(os.environ.get("EEGZOO_DOCS_RESULTS", root / "benchmarks" / "results"))
        self.speed = _read_csv(results / "speed.csv")
        self.benchmark = _read_csv(results / "benchmark.csv")
        self.info: dict[str, dict[str, Any]] = {}

    # models -------------------------------------------------------------
    def model_page(self, name: str) -> str:
        import eegzoo
        from eegzoo.io.cards import generate_model_card
        from eegzoo.models.base import count_parameters

        import torch

        spec = self.specs[name]
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = eegzoo.create_model(name)
        n_params = count_parameters(model)
        plain = None
        if getattr(model, "fused", None):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    plain = eegzoo.create_model(name, fused=False)
            except Exception:  # an architecture without a plain twin
                plain = None
        self.info[name] = {"parameters": n_params, "n_chans": model.n_chans, "n_times": model.n_times,
                           "sfreq": model.sfreq, "n_outputs": model.n_outputs}
        metadata, body = _split_card(generate_model_card(name))
        body_lines = body.strip("\n").splitlines()
        title_at = next(i for i, line in enumerate(body_lines) if line.startswith("# "))
        first_section = next((i for i, line in enumerate(body_lines) if line.startswith("## ")), len(body_lines))
        head, card_sections = body_lines[title_at + 1:first_section], body_lines[first_section:]

        arch = self.architectures.get(spec.architecture)
        model_class = type(model)
        class_ref = (f"{{py:class}}`eegzoo.{model_class.__name__}`"
                     if getattr(importlib.import_module("eegzoo"), model_class.__name__, None) is model_class
                     else f"`{model_class.__module__}.{model_class.__qualname__}`")
        lines = [f"({_label('model', name)})=", f"# {name}", *head, ""]
        overview = [
            ("architecture", f"[{spec.architecture}](../architectures/{spec.architecture}.md)"),
            ("class", class_ref),
            ("trainable parameters", f"{n_params:,}"),
            ("input", f"`(batch, {model.n_chans}, {model.n_times})`"
                      + (f" at {float(model.sfreq):g} Hz" if model.sfreq else "")),
            ("output", f"{model.n_outputs} logits ({spec.task})"),
            ("weights", "pretrained (`create_model(..., pretrained=True)`)" if spec.pretrained else "untrained"),
            ("tags", ", ".join(f"`{t}`" for t in spec.tags) or "—"),
            ("license", _cell(spec.license) if spec.license else "—"),
            ("source", _cell(_model_source(name))),
        ]
        if spec.paper:
            overview.insert(2, ("paper", _cell(spec.paper)))
        lines += _facts(overview)
        lines += ["```python", "import eegzoo", "",
                  f"model = eegzoo.create_model({name!r}" + (", pretrained=True" if spec.pretrained else "") + ")",
                  "```", ""]

        lines += ["## Signal", "", "The default signal of the spec; every value can be overridden in "
                  "`create_model` (a trained model keeps the signal it was trained on).", ""]
        signal = spec.signal.model_dump(exclude_none=True) if spec.signal is not None else {}
        lines += _table(["argument", "value"], [(f"`{k}`", _code(v)) for k, v in signal.items()]) if signal else ["(none)", ""]

        lines += ["## Hyperparameters", ""]
        if spec.params:
            lines += ["Set by this spec (the architecture's defaults otherwise, see "
                      f"[{spec.architecture}](../architectures/{spec.architecture}.md)):", ""]
            lines += _table(["parameter", "value"], [(f"`{k}`", _code(v)) for k, v in spec.params.items()])
        else:
            lines += [f"The architecture's defaults (see [{spec.architecture}](../architectures/{spec.architecture}.md)).", ""]
        if spec.blocks:
            lines += ["Blocks, in order:", ""]
            lines += _table(["#", "block", "arguments"],
                            [(i, f"`{b.type}`", _code(b.args)) for i, b in enumerate(spec.blocks)])

        lines += ["## Layers", "", f"Top-level layers of `create_model({name!r})` with their output shape for a "
                  "batch `B` (eval mode; with `fused=False` where the "
                  "architecture has a fused path, whose forward skips some layers) and trainable parameters. "
                  "—: the layer is not called as a module in that forward pass.", ""]
        lines += _table(["layer", "type", "output", "parameters"], _layer_rows(model, plain))
        lines += [f"Total: **{n_params:,}** trainable parameters.", ""]

        speed = _speed_rows(self.speed, spec.architecture) if arch is not None else []
        if speed:
            lines += ["## Speed against braindecode", "",
                      f"Measured for the architecture `{spec.architecture}` at its defaults "
                      "(`benchmarks/results/speed.csv`; medians, same weights):", ""]
            lines += _table(["measurement", "eegzoo (ms)", "braindecode (ms)", "speed-up", "CPU", "torch"], speed)
        bench = _benchmark_rows(self.benchmark, name, self.datasets)
        if bench:
            lines += ["## Benchmark", "", f"`{name}` in the measured benchmark (`benchmarks/results/benchmark.csv`; "
                      "see the [benchmark guide](../../../user_guide/benchmark.md) for the protocol). "
                      "✓: above chance as the run that measured the row marks it (one-sided binomial test, "
                      "Bonferroni over that run's table).", ""]
            lines += _table(BENCHMARK_HEADER, bench)

        lines += ["## Model card", "", f"The generated card (`eegzoo card {name}`, `model_cards/{name}.md`).", ""]
        lines += _demote(card_sections, 1)
        lines += ["", "### Card metadata", "", "```yaml", metadata.rstrip(), "```", ""]
        return "\n".join(lines)

    # architectures ------------------------------------------------------
    def architecture_page(self, name: str) -> str:
        arch = self.architectures[name]
        params_model = arch.params_model
        variants = [m for m in self.models if self.specs[m].architecture == name]
        lines = [f"({_label('architecture', name)})=", f"# {name}", ""]
        model_class = getattr(params_model, "model_class", None) if params_model is not None else None
        cls_obj = None
        if model_class:
            module, _, cls = model_class.partition(":")
            cls_obj = getattr(importlib.import_module(module), cls, None)
        doc = inspect.getdoc(cls_obj) if cls_obj is not None else None
        if doc:
            lines += [_first_paragraph(doc), ""]
        elif name == "sequential":
            lines += ["A model declared in its spec as a sequence of blocks (`[[blocks]]`), each from "
                      "`eegzoo.blocks`; see [Models, specs and blocks](../../../user_guide/models.md).", ""]
        overview = [("registered by", _cell(arch.source))]
        if cls_obj is not None:
            public = getattr(importlib.import_module("eegzoo"), cls_obj.__name__, None) is cls_obj
            overview.append(("class", f"{{py:class}}`eegzoo.{cls_obj.__name__}`" if public
                             else f"`{cls_obj.__module__}.{cls_obj.__qualname__}`"))
        if params_model is not None:
            public = getattr(importlib.import_module("eegzoo"), params_model.__name__, None) is params_model
            overview.append(("parameters class", f"{{py:class}}`eegzoo.{params_model.__name__}`" if public
                             else f"`{params_model.__module__}.{params_model.__qualname__}`"))
        if name in self.info:
            overview.append(("trainable parameters (defaults)", f"{self.info[name]['parameters']:,}"))
        papers = sorted({self.specs[v].paper for v in variants if self.specs[v].paper})
        if papers:
            overview.append(("paper", "; ".join(_cell(p) for p in papers)))
        lines += _facts(overview)

        lines += ["## Registered models", ""]
        lines += _table(["model", "description", "parameters", "weights"], [
            (f"[{v}](../models/{v}.md)", _cell(_short(self.specs[v].description)),
             f"{self.info[v]['parameters']:,}" if v in self.info else "—",
             "pretrained" if self.specs[v].pretrained else "untrained") for v in variants])

        if params_model is not None and getattr(params_model, "model_fields", None):
            lines += ["## Arguments", "", "Every argument `create_model` and the class take, with its default "
                      "(validated by the parameters class).", ""]
            rows = []
            documented = _docstring_arguments(inspect.getdoc(cls_obj) if cls_obj is not None else None)
            for field, info in params_model.model_fields.items():
                default = "required" if info.is_required() else _code(_plain(info.get_default(call_default_factory=True)))
                rows.append((f"`{field}`", _cell(_annotation(info.annotation)), default,
                             _cell(info.description or documented.get(field, ""))))
            lines += _table(["argument", "type", "default", "description"], rows)

        speed = _speed_rows(self.speed, name)
        if speed:
            lines += ["## Speed against braindecode", "", "`benchmarks/results/speed.csv` (medians, same weights, "
                      "the architecture's defaults):", ""]
            lines += _table(["measurement", "eegzoo (ms)", "braindecode (ms)", "speed-up", "CPU", "torch"], speed)
        citations = []
        for v in variants:
            c = self.specs[v].citation
            if c and c not in citations:
                citations.append(c)
        if citations:
            lines += ["## Citation", "", "```bibtex", "\n\n".join(c.strip() for c in citations), "```", ""]
        return "\n".join(lines)

    # datasets -----------------------------------------------------------
    def dataset_page(self, name: str) -> str:
        spec = self.datasets[name]
        d = spec.model_dump(mode="json", exclude_none=True)
        lines = [f"({_label('dataset', name)})=", f"# {name}", "", d.get("description", ""), ""]
        rec = d.get("recording", {})
        events = d.get("events", {})
        classes = list(dict.fromkeys(events.values())) if isinstance(events, dict) else []
        files = d.get("files", [])
        try:
            subjects = list(spec.subjects)
        except Exception:  # a local spec whose files are not there: the pinned entries say
            subjects = sorted({f.get("subject") for f in files if f.get("subject") is not None})
        overview = [
            ("paradigm", _cell(d.get("paradigm", "—"))),
            ("license", _cell(d.get("license", "—"))),
            ("classes", ", ".join(f"`{c}`" for c in classes) or "—"),
            ("channels", f"{len(rec.get('ch_names', []))} @ {rec.get('sfreq', '?'):g} Hz" if rec.get("ch_names") and isinstance(rec.get("sfreq"), (int, float)) else "—"),
            ("subjects", ", ".join(map(str, subjects)) if subjects else "—"),
            ("tags", ", ".join(f"`{t}`" for t in d.get("tags", [])) or "—"),
        ]
        lines += _facts(overview)
        lines += ["```python", "import eegzoo", "", f"data = eegzoo.load_dataset({name!r})   # {{subject: {{split: mne.Epochs}}}}",
                  "```", ""]
        lines += ["## Source", ""]
        source = d.get("source", {})
        lines += _table(["field", "value"], [(f"`{k}`", _code(v)) for k, v in source.items()])
        if files:
            lines += ["Files:", ""]
            lines += _table(["path", "subject", "split", "sha256"], [
                (_code(f.get("path", "")), f.get("subject", ""), _cell(str(f.get("split", ""))),
                 f"`{f['sha256'][:16]}…`" if f.get("sha256") else "—") for f in files])
        lines += ["## Recording", ""]
        lines += _table(["field", "value"], [(f"`{k}`", _code(v)) for k, v in rec.items()])
        lines += ["## Events", "", "Event (code, annotation or label) → class:", ""]
        lines += _table(["event", "class"], [(_code(k), f"`{v}`") for k, v in events.items()]) if events else ["(none)", ""]
        if d.get("epochs"):
            lines += ["## Epochs", ""]
            lines += _table(["field", "value"], [(f"`{k}`", _code(v)) for k, v in d["epochs"].items()])
        protocol = dict(d.get("protocol", {}))
        lines += ["## Protocol", ""]
        if protocol.get("description"):
            lines += [protocol.pop("description"), ""]
        lines += _table(["field", "value"], [(f"`{k}`", _code(v)) for k, v in protocol.items() if v not in ([], None, "")])
        if d.get("caveats"):
            lines += ["## Caveats", "", *[f"- {_cell(c)}" for c in d["caveats"]], ""]
        bench = [r for r in self.benchmark if (r.get("dataset") or "").strip() == name]
        if bench:
            lines += ["## Benchmark", "", "Measured rows for this dataset (`benchmarks/results/benchmark.csv`). "
                      "✓: above chance as the run that measured the row marks it (one-sided binomial test, "
                      "Bonferroni over that run's table).", ""]
            lines += _table(["method", *BENCHMARK_HEADER[1:]], [
                [_model_link(r.get("method", ""), self.models), *_benchmark_rows([r], r.get("method", ""))[0][1:]]
                for r in bench])
        if d.get("citation"):
            lines += ["## Citation", "", "```bibtex", d["citation"].strip(), "```", ""]
        return "\n".join(lines)

    # index --------------------------------------------------------------
    def index_page(self) -> str:
        lines = ["(zoo)=", "# The zoo", "",
                 "Every registered architecture, model (variants and pretrained weights included) and dataset, "
                 "generated from the registry (`eegzoo.list_models()`, `registry/*.toml`, "
                 "`registry/datasets/*.toml`) when the documentation is built.", ""]
        lines += ["## Models", "", f"{len(self.models)} registered models.", ""]
        lines += ["```{list-table}", ":header-rows: 1", ":class: zoo-models", "",
                  "* - model", "  - architecture", "  - input", "  - outputs", "  - parameters", "  - weights", "  - tags"]
        for m in self.models:
            spec, info = self.specs[m], self.info[m]
            rate = f" @ {float(info['sfreq']):g} Hz" if info["sfreq"] else ""
            lines += [f"* - [{m}](models/{m}.md)", f"  - [{spec.architecture}](architectures/{spec.architecture}.md)",
                      f"  - {info['n_chans']} × {info['n_times']}{rate}", f"  - {info['n_outputs']}",
                      f"  - {info['parameters']:,}", f"  - {'pretrained' if spec.pretrained else 'untrained'}",
                      f"  - {', '.join(spec.tags) or '—'}"]
        lines += ["```", ""]
        lines += ["## Architectures", ""]
        header = ["architecture", "class", "registered models", "parameters (defaults)"]
        rows = [[f"[{a}](architectures/{a}.md)", _class_name(self.architectures[a]),
                 len([m for m in self.models if self.specs[m].architecture == a]),
                 f"{self.info[a]['parameters']:,}" if a in self.info else "—"] for a in self.architectures]
        if self.speed:  # measured speed-ups against braindecode, where benchmarks/results/speed.csv has them
            for measurement, label in MEASUREMENTS.items():
                header.append(f"speed-up, {label}")
                for a, row in zip(self.architectures, rows):
                    found = [r for r in self.speed if (r.get("model") or "").strip().lower() == a
                             and r.get("measurement") == measurement]
                    row.append(_ratio(found[-1].get("speedup")) if found else "—")
        lines += _table(header, rows)
        lines += ["## Datasets", ""]
        rows = []
        for n, spec in self.datasets.items():
            d = spec.model_dump(mode="json", exclude_none=True)
            rec, src = d.get("recording", {}), d.get("source", {})
            classes = list(dict.fromkeys(d.get("events", {}).values()))
            sfreq = rec.get("sfreq")
            rows.append((f"[{n}](datasets/{n}.md)", _cell(f"{src.get('registry', '')} {src.get('package', '')}".strip()),
                         f"{len(rec.get('ch_names', []))} @ {sfreq:g} Hz" if isinstance(sfreq, (int, float)) else "—",
                         ", ".join(classes), _cell(d.get("protocol", {}).get("kind", "")),
                         _cell(_short(d.get("license", ""), 60))))
        lines += _table(["dataset", "source", "channels", "classes", "protocol", "license"], rows)
        for caption, entries in (("Architectures", [f"architectures/{a}" for a in self.architectures]),
                                 ("Models", [f"models/{m}" for m in self.models]),
                                 ("Datasets", [f"datasets/{n}" for n in self.datasets])):
            lines += ["```{toctree}", ":hidden:", ":maxdepth: 1", f":caption: {caption}", "", *entries, "```", ""]
        return "\n".join(lines)

    def generate(self) -> None:
        if self.out.exists():
            stale = {p for p in self.out.rglob("*.md")}
        else:
            stale = set()
        written = set()
        for name in self.models:
            path = self.out / "models" / f"{name}.md"
            _write(path, self.model_page(name))
            written.add(path)
        for name in self.architectures:
            path = self.out / "architectures" / f"{name}.md"
            _write(path, self.architecture_page(name))
            written.add(path)
        for name in self.datasets:
            path = self.out / "datasets" / f"{name}.md"
            _write(path, self.dataset_page(name))
            written.add(path)
        path = self.out / "index.md"
        _write(path, self.index_page())
        written.add(path)
        for old in stale - written:  # a model or dataset no longer registered
            old.unlink()


def _model_link(method: str, models: Sequence[str]) -> str:
    """A benchmark method: a link to its model page (from a dataset page) when it is a model."""
    method = method.strip()
    return f"[{method}](../models/{method}.md)" if method in models else _code(method)


def _model_source(name: str) -> str:
    from eegzoo.registry import model_source

    source = model_source(name)
    root = str(Path(__file__).resolve().parents[2])
    return source.replace(root + os.sep, "") if isinstance(source, str) else str(source)


def _class_name(arch: Any) -> str:
    model_class = getattr(arch.params_model, "model_class", None) if arch.params_model is not None else None
    if not model_class:
        return "— (blocks from the spec)"
    return f"`{model_class.partition(':')[2]}`"


def _label(kind: str, name: str) -> str:
    return f"zoo-{kind}-" + re.sub(r"[^a-z0-9]+", "-", name.lower())


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _docstring_arguments(doc: str | None) -> dict[str, str]:
    """``name -> meaning`` from a Google-style ``Args:`` section (names listed together share
    their meaning; a name list may wrap onto the next line)."""
    if not doc:
        return {}
    lines = doc.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Args:")
    except StopIteration:
        return {}
    base = len(lines[start]) - len(lines[start].lstrip())
    entries: list[list[str]] = []
    entry_indent = None
    for line in lines[start + 1:]:
        if not line.strip():
            if entries:
                break
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= base:
            break
        if entry_indent is None:
            entry_indent = indent
        if indent == entry_indent and not (entries and entries[-1][-1].rstrip().endswith(",") and ":" not in entries[-1][-1]):
            entries.append([line.strip()])
        elif entries:
            entries[-1].append(line.strip())
    found: dict[str, str] = {}
    for entry in entries:
        text = " ".join(entry)
        names, sep, meaning = text.partition(": ")
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*(?:,\s*[A-Za-z_]\w*)*", names.strip()):
            continue
        meaning = re.sub(r":(?:func|class|meth|mod|attr|obj|data|exc):`~?([^`]+)`", r"``\1``", meaning.strip())
        for n in names.split(","):
            found.setdefault(n.strip(), meaning)
    return found


def _first_paragraph(doc: str) -> str:
    return " ".join(doc.strip().split("\n\n")[0].split())


def _annotation(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = text or str(annotation)
    text = re.sub(r"typing\.|Annotated\[(\w+), [^\]]*\]|collections\.abc\.", lambda m: m.group(1) or "", text)
    text = re.sub(r"Optional\[(.*)\]$", r"\1 | None", text)
    return text.replace("NoneType", "None")


def _plain(value: Any) -> Any:
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    try:
        json.dumps(value)
        return value
    except TypeError:
        return repr(value)


def _demote(lines: list[str], by: int) -> list[str]:
    out, fence = [], False
    for line in lines:
        if line.lstrip().startswith("```"):
            fence = not fence
        elif not fence and re.match(r"^#{1,5} ", line):
            line = "#" * by + line
        out.append(line)
    return out


# ------------------------------------------------------------------ entry point
def generate(docs_dir: str | os.PathLike) -> None:
    docs = Path(docs_dir)
    out = docs / "generated"
    root = docs.parent
    generate_api(out / "api")
    generate_cli(out / "cli.md")
    Zoo(root, out / "zoo").generate()  # models first: architecture pages show their parameter counts


def clean(docs_dir: str | os.PathLike) -> None:
    shutil.rmtree(Path(docs_dir) / "generated", ignore_errors=True)
