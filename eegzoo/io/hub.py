"""Sharing models: ``save_pretrained`` / ``from_pretrained`` / ``push_to_hub`` on top of
huggingface_hub (``snapshot_download``, ``hf_hub_download``, ``upload_folder``).

A model folder holds ``config.json``, ``model.safetensors`` and ``README.md`` (the model
card). ``config.json`` has the architecture's constructor arguments at the top level, under
braindecode's names (so braindecode's ``from_pretrained`` reads an eegzoo folder), and
eegzoo's own record beside them under ``"eegzoo"`` (architecture, variant spec, classes,
layout version). Other tools may add keys of their own; eegzoo ignores them.

``from_pretrained`` also reads braindecode folders (braindecode's ``config.json`` +
``model.safetensors`` or ``pytorch_model.bin``), matched to the architecture whose
parameters have braindecode's names, bare braindecode state_dicts, and folders written by
eegzoo before the current layout (constructor arguments nested under ``"config"``).
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    HFValidationError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import validate_repo_id
from pydantic import ValidationError
from torch import nn

from eegzoo.core.errors import RegistryError, SpecError, format_validation_error
from eegzoo.core.jsonsafe import json_safe, plain_scalars
from eegzoo.core.version import __version__
from eegzoo.io.cards import Result, generate_model_card
from eegzoo.io.weights import (
    WeightsError,
    atomic_write_text,
    check_signal_metadata,
    check_state_dict,
    file_sha256,
    load_braindecode_bin,
    load_weights,
    read_weights,
    save_weights,
)
from eegzoo.models.base import register_hub_io, spec_of
from eegzoo.registry import (
    Architecture, build_from_spec, get_architecture, is_model, list_architectures, list_models, model_source, model_spec,
)
from eegzoo.registry.spec_files import builtin_registry_dir
from eegzoo.specs.input import InputContract
from eegzoo.specs.model import ModelSpec

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
BRAINDECODE_BIN = "pytorch_model.bin"
CARD_NAME = "README.md"
#: eegzoo's record and timm's keys, for architectures whose braindecode twin refuses any
#: config.json key that is not its constructor argument (see ``ZooModel.config_json_constructor_only``)
SIDECAR_NAME = "eegzoo.json"
_HUB_FILES = [CONFIG_NAME, SIDECAR_NAME, WEIGHTS_NAME, BRAINDECODE_BIN, CARD_NAME]

#: The key of eegzoo's own record in ``config.json``; the constructor arguments sit beside it.
EEGZOO_KEY = "eegzoo"
#: Version of the folder layout: 2 = constructor arguments at the top level.
LAYOUT_VERSION = 2
#: Keys braindecode writes that are not constructor arguments.
_BRAINDECODE_EXTRA = frozenset({"braindecode_version"})
#: Signal parameters and what to do when data differ from the saved ones.
_SIGNAL_FIX = {
    "sfreq": "resample your data to {saved} Hz (e.g. raw.resample({saved}))",
    "n_chans": "pick the {saved} channels the model was trained on, in its order",
    "chs_info": "pick and order your channels as the model's (config.json lists them)",
    "n_times": "crop or pad your trials to {saved} samples",
    "input_window_seconds": "crop or pad your trials to {saved} s",
}


# ------------------------------------------------------------------ writing
def model_config_document(model: nn.Module, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What ``config.json`` holds: the constructor arguments (``config``, default
    ``model.get_config()``) at the top level, eegzoo's record under ``"eegzoo"``, and timm's
    keys (see :func:`timm_config`)."""
    spec = spec_of(model)
    config = model.get_config() if config is None else config
    document: dict[str, Any] = dict(config)
    document[EEGZOO_KEY] = {
        "layout": LAYOUT_VERSION,
        "version": __version__,
        "architecture": spec.architecture,
        "model_name": spec.name,
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "classes": getattr(model, "eegzoo_classes", None),
    }
    contract = getattr(model, "eegzoo_input", None)
    if contract is not None:  # how the training inputs were prepared (eegzoo.specs.input.InputContract)
        document[EEGZOO_KEY]["input"] = contract.model_dump(mode="json")
    dense_axes = getattr(model, "dense_prediction_axes", None)
    if dense_axes:  # cropped decoding: from_pretrained converts the rebuilt model the same way
        document[EEGZOO_KEY]["dense_prediction_axes"] = list(dense_axes)
    document.update(timm_config(model, spec, config))
    return document


def read_input_contract(document: Mapping[str, Any], model: nn.Module, source: str) -> InputContract | None:
    """The input contract saved with the model (``"eegzoo": {"input": ...}``), checked
    against the model it describes; ``None`` for folders saved without one."""
    record = document.get(EEGZOO_KEY)
    saved = record.get("input") if isinstance(record, dict) else document.get("eegzoo_input")
    if not saved:
        return None
    try:
        contract = InputContract.model_validate(saved)
    except ValidationError as err:
        raise WeightsError(format_validation_error(err, f"{source}: '{EEGZOO_KEY}.input'")) from None
    problems = contract.mismatches(model.n_chans, model.n_times, model.sfreq)
    if problems:
        raise WeightsError(
            f"{source}: '{EEGZOO_KEY}.input' contradicts the model ({'; '.join(problems)}); "
            "the file was edited or mixed up: restore it from the saved folder."
        )
    return contract


def timm_config(model: nn.Module, spec: ModelSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """timm's keys, so ``timm.create_model("local-dir:DIR")`` / ``"hf-hub:owner/repo"`` (after
    ``import eegzoo.timm``) rebuild the model: ``architecture`` is the variant name that
    eegzoo.timm registers, ``model_args`` the constructor arguments."""
    pretrained_cfg: dict[str, Any] = {
        "num_classes": model.n_outputs,
        "classifier": getattr(model, "head_name", None),
        "license": spec.license.lower(),
        "description": spec.description or None,
        "label_names": getattr(model, "eegzoo_classes", None),
    }
    return {
        "architecture": spec.name,
        "num_classes": model.n_outputs,
        "pretrained_cfg": {k: v for k, v in pretrained_cfg.items() if v is not None},
        "model_args": dict(config),
    }


def save_pretrained(
    model: nn.Module,
    save_directory: str | os.PathLike,
    card: bool = True,
    results: Iterable[Result] | None = None,
    details: Mapping[str, Any] | None = None,
    figures: Mapping[str, str] | None = None,
    location: str | None = None,
) -> Path:
    """Write ``config.json``, ``model.safetensors`` and (by default) a ``README.md`` model
    card into ``save_directory``; every file is written atomically. ``results`` (measured
    metrics with their dataset and split, see :func:`eegzoo.measured_results`) become the
    card's ``model-index``; ``details`` (training facts) and ``figures`` (caption -> file
    name in the folder) go into the card's text; ``location`` is how the card's usage loads
    the model (default: the folder's path)."""
    directory = Path(save_directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = model.get_config()
    document = model_config_document(model, config)
    save_weights(model, directory / WEIGHTS_NAME)
    sidecar = directory / SIDECAR_NAME
    if getattr(model, "config_json_constructor_only", False):
        runtime = getattr(getattr(model, "params_model", None), "runtime_options", frozenset())
        arguments = {k: v for k, v in config.items() if k not in runtime}
        rest = {k: v for k, v in document.items() if k not in arguments}
        atomic_write_text(directory / CONFIG_NAME, json.dumps(arguments, indent=2, sort_keys=True) + "\n")
        atomic_write_text(sidecar, json.dumps(rest, indent=2, sort_keys=True) + "\n")
    else:
        atomic_write_text(directory / CONFIG_NAME, json.dumps(document, indent=2, sort_keys=True) + "\n")
        if sidecar.is_file():  # left by an earlier save of a model of the other layout
            sidecar.unlink()
    if card:
        text = generate_model_card(model, results=results, details=details, figures=figures,
                                   location=location or str(save_directory))
        atomic_write_text(directory / CARD_NAME, text)
    return directory


# ------------------------------------------------------------------ finding the files
def _is_unreachable(err: BaseException) -> bool:
    """Whether ``err`` means the Hub could not be reached: offline mode, or a connection or
    timeout error of the HTTP client huggingface_hub uses (httpx, httpx2 or requests),
    recognised by class name so that none of them has to be imported."""
    if isinstance(err, (OfflineModeIsEnabled, ConnectionError, TimeoutError)):
        return True
    for cls in type(err).__mro__:
        module = cls.__module__.split(".")[0]
        if module.startswith("httpx") and cls.__name__ == "TransportError":
            return True
        if module == "requests" and cls.__name__ in ("ConnectionError", "Timeout"):
            return True
    return False


def _hub_unreachable(what: str, err: BaseException, retry: str) -> ConnectionError:
    offline = isinstance(err, OfflineModeIsEnabled)
    reason = "offline mode is on (HF_HUB_OFFLINE=1)" if offline else f"{type(err).__name__}: {err}"
    return ConnectionError(
        f"The Hugging Face Hub is unreachable ({reason}), so {what}. "
        + ("Unset HF_HUB_OFFLINE" if offline else "Check the network connection (and a proxy, if any)")
        + f", then {retry}."
    )


def _looks_like_a_path(text: str) -> bool:
    """Hub ids are ``owner/name``; anything else, or ``a/b`` where ``a`` is a local folder,
    is a local path."""
    if text.startswith((".", "/", "~")) or "\\" in text or text.count("/") != 1 or text.endswith("/"):
        return True
    if Path(text.split("/")[0]).is_dir():
        return True
    try:
        validate_repo_id(text)
    except HFValidationError:
        return True
    return False


def _no_such_path(text: str) -> FileNotFoundError:
    path = Path(text).expanduser()
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    message = f"No such file or folder: '{text}'."
    if ancestor.is_dir():
        missing = path.relative_to(ancestor).parts[0] if path != ancestor else ""
        close = difflib.get_close_matches(missing, [p.name for p in ancestor.iterdir()], n=1)
        where = f"'{ancestor}'" if str(ancestor) != "." else "the current folder"
        if close:
            message += f" {where} has no '{missing}'; did you mean '{ancestor / close[0]}'?"
    if text.count("/") == 1 and not text.startswith((".", "/", "~")):
        message += " (A name whose first part is a local folder is read as a local path, not a Hub repo id.)"
    return FileNotFoundError(message)


def _resolve_location(
    location: str | os.PathLike, revision: str | None, cache_dir: str | None, local_files_only: bool,
    token: str | None, force_download: bool = False,
) -> Path:
    path = Path(location).expanduser()
    if path.exists():
        return path
    text = str(location)
    if not isinstance(location, str) or _looks_like_a_path(text):
        raise _no_such_path(text)
    try:
        return Path(
            snapshot_download(
                text, revision=revision, cache_dir=cache_dir, local_files_only=local_files_only,
                token=token, allow_patterns=_HUB_FILES, force_download=force_download,
            )
        )
    except LocalEntryNotFoundError as err:
        raise FileNotFoundError(
            f"'{text}' is not a local folder, and the Hub repo {text} (revision {revision or 'main'}) "
            "is not in the local Hub cache and cannot be downloaded now (offline: HF_HUB_OFFLINE=1 "
            "or no network). Download it once online, or pass a local folder."
        ) from err
    except (RepositoryNotFoundError, RevisionNotFoundError) as err:
        raise FileNotFoundError(
            f"'{text}' is neither a local folder nor a Hub repo (revision {revision or 'main'}) "
            f"that you can access: {type(err).__name__}. Check the name, or log in for a private repo."
        ) from err
    except Exception as err:  # noqa: BLE001 - only connection failures are translated
        if not _is_unreachable(err):
            raise
        raise _hub_unreachable(f"{text} cannot be downloaded", err, "try again, or pass a local folder") from err


# ------------------------------------------------------------------ reading config.json
@dataclass
class SavedConfig:
    """What a folder's ``config.json`` says: the architecture, its constructor arguments,
    the registered variant (eegzoo folders only) and the class names."""

    architecture: Architecture
    config: dict[str, Any]
    spec: ModelSpec | None
    classes: list[str] | None
    source: str


def read_config(path: Path) -> dict[str, Any]:
    """``config.json`` as a dict; unreadable or invalid JSON is an error naming the file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise WeightsError(
            f"{path} is not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}); "
            "fix the edit, or save the model again with save_pretrained."
        ) from None
    except UnicodeDecodeError as err:
        raise WeightsError(f"{path} is not a UTF-8 text file ({err}).") from None
    if not isinstance(document, dict):
        raise WeightsError(f"{path} must hold a JSON object, got a {type(document).__name__}.")
    return document


def _architecture(name: Any, source: str) -> Architecture:
    if not isinstance(name, str):
        raise WeightsError(f"{source}: 'architecture' must be a registered architecture name, got {name!r}.")
    try:
        return get_architecture(name)
    except RegistryError as err:
        raise RegistryError(f"{source}: {err} (is the plugin that provides it installed?)") from None


def _constructor_arguments(document: Mapping[str, Any], arch: Architecture, spec: ModelSpec | None, source: str) -> dict[str, Any]:
    """The top-level keys that are constructor arguments; a key that looks like a misspelt
    argument is an error (other tools' keys are left alone)."""
    fields = list(arch.params_model_for(spec).model_fields)
    for key in document:
        if key in fields or key == EEGZOO_KEY:
            continue
        close = difflib.get_close_matches(key, fields, n=1, cutoff=0.8)
        if close:
            raise WeightsError(
                f"{source}: '{key}' is not an argument of {arch.name} (did you mean '{close[0]}'?); "
                "fix the key, or save the model again with save_pretrained."
            )
    return {k: document[k] for k in fields if k in document}


def match_braindecode_architecture(
    arguments: Mapping[str, Any], state: Mapping[str, torch.Tensor], source: str
) -> Architecture:
    """Which architecture a braindecode checkpoint is (braindecode's config.json does not say).

    Candidates are the architectures whose parameters include every given argument (the
    config's keys and the caller's); when several remain, each is built (random state
    untouched) and the one whose state_dict keys are the checkpoint's is chosen."""
    names = [n for n in list_architectures() if set(arguments) <= set(get_architecture(n).params_model.model_fields)]
    if len(names) > 1:
        fitting = []
        for name in names:
            spec = ModelSpec(name=name, architecture=name)
            try:
                with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    candidate = build_from_spec(spec, dict(arguments), source)
            except (ValueError, TypeError, SpecError):
                continue
            if set(candidate.state_dict()) == set(state):
                fitting.append(name)
        names = fitting
    if len(names) != 1:
        found = f"several architectures fit ({', '.join(names)})" if names else "no architecture fits its keys"
        raise WeightsError(
            f"Cannot tell which architecture {source} holds: {found}. Pass architecture=<name> "
            f"(one of {', '.join(list_architectures())}) and its constructor arguments."
        )
    return get_architecture(names[0])


def parse_config(
    document: Mapping[str, Any] | None, source: str, state: Mapping[str, torch.Tensor], state_source: str,
    overrides: Mapping[str, Any], architecture: str | None = None, n_outputs: int | None = None,
) -> SavedConfig:
    """Read an eegzoo config (current or nested layout), a braindecode config, or none (bare
    state_dict: the arguments are the overrides). ``source`` names the config, ``state_source``
    the weights."""
    document = dict(document or {})
    if EEGZOO_KEY in document:
        record = document[EEGZOO_KEY]
        if not isinstance(record, dict) or "architecture" not in record:
            raise WeightsError(f"{source}: '{EEGZOO_KEY}' must be an object with at least 'architecture'.")
        try:
            spec = ModelSpec.model_validate(record["spec"]) if record.get("spec") is not None else None
        except ValidationError as err:
            raise WeightsError(f"{source}: '{EEGZOO_KEY}.spec' is not a valid spec: {err}") from None
        arch = _architecture(record["architecture"], source)
        config = _constructor_arguments(document, arch, spec, source)
        return SavedConfig(arch, config, spec, record.get("classes"), source)
    if "eegzoo_version" in document and isinstance(document.get("config"), dict):  # layout 1
        spec = ModelSpec.model_validate(document["spec"]) if document.get("spec") is not None else None
        arch = _architecture(document.get("architecture"), source)
        return SavedConfig(arch, dict(document["config"]), spec, document.get("classes"), source)
    config = {k: v for k, v in document.items() if k not in _BRAINDECODE_EXTRA}
    if architecture is not None:
        arch = _architecture(architecture, source)
        unknown = sorted(set(config) - set(arch.params_model.model_fields))
        if unknown:
            raise WeightsError(f"{source} has arguments {unknown} that {arch.name} does not take.")
    else:
        requested = {} if n_outputs is None else {"n_outputs": n_outputs}
        arch = match_braindecode_architecture({**config, **overrides, **requested}, state, state_source)
    return SavedConfig(arch, config, None, None, source)


def _same(value: Any, saved: Any) -> bool:
    if isinstance(value, type):  # a class, e.g. activation=nn.ELU: compare its dotted path
        value = f"{value.__module__}.{value.__qualname__}"
    return json_safe(plain_scalars(value)) == json_safe(saved)


def check_overrides(saved: SavedConfig, overrides: Mapping[str, Any]) -> None:
    """Loading may change only runtime options (and ``n_outputs``, a new head): any other
    argument changes what the weights mean."""
    runtime = getattr(saved.architecture.params_model, "runtime_options", frozenset())
    for key, value in overrides.items():
        old = saved.config.get(key)
        if key in runtime or old is None or _same(value, old):
            continue
        if key == "chs_info":
            names = [c.get("ch_name") for c in old] if isinstance(old, list) else old
            raise WeightsError(
                f"These weights were saved for the channels {names}; chs_info cannot change when "
                f"loading them: {_SIGNAL_FIX['chs_info']}."
            )
        if key in _SIGNAL_FIX:
            raise WeightsError(
                f"These weights were saved for {key}={old}, not {key}={value}: "
                f"{_SIGNAL_FIX[key].format(saved=old)} and load them without {key}, or train a "
                f"new model for {key}={value}."
            )
        allowed = ", ".join(sorted(runtime)) or "none"
        raise WeightsError(
            f"These weights were saved with {key}={old!r}; loading cannot change it to {value!r}. "
            f"Only n_outputs (a new head) and runtime options ({allowed}) may differ from the "
            "saved configuration."
        )


def check_config_matches_weights(saved: SavedConfig, meta: Mapping[str, str], weights_source: str) -> None:
    """The weights file records the configuration it was saved with: a ``config.json`` that
    differs (hand-edited) would build a different model around the same weights."""
    if "config" not in meta:
        return
    recorded = json.loads(meta["config"])
    runtime = getattr(saved.architecture.params_model, "runtime_options", frozenset())
    problems = []
    for key, value in recorded.items():
        if key in runtime:
            continue
        if key not in saved.config:
            problems.append(f"'{key}' is missing (the weights were saved with {key}={value!r})")
        elif not _same(saved.config[key], value):
            problems.append(f"{key}={saved.config[key]!r} there, but the weights were saved with {key}={value!r}")
    if problems:
        raise WeightsError(
            f"{saved.source} does not match {weights_source} (was it edited?): "
            + "; ".join(problems)
            + ". Restore the saved values, or save the model again with save_pretrained."
        )


def check_classes(saved: SavedConfig) -> list[str] | None:
    classes = saved.classes
    if classes is None:
        return None
    n_outputs = saved.config.get("n_outputs")
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise WeightsError(f"{saved.source}: 'classes' must be a list of class names, got {classes!r}.")
    if n_outputs is not None and len(classes) != n_outputs:
        raise WeightsError(
            f"{saved.source}: 'classes' lists {len(classes)} names {classes} but the model has "
            f"n_outputs={n_outputs}: give one name per output, in output order."
        )
    return list(classes)


# ------------------------------------------------------------------ loading
def _read_state_file(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str], str]:
    """(tensors, metadata, source) of a safetensors file or a braindecode pickle state_dict."""
    if path.suffix == ".safetensors":
        tensors, meta = read_weights(path)
        return tensors, meta, str(path)
    return load_braindecode_bin(path), {}, str(path)


def _load_state(directory: Path) -> tuple[dict[str, torch.Tensor], dict[str, str], str]:
    for name in (WEIGHTS_NAME, BRAINDECODE_BIN):  # safetensors preferred
        if (directory / name).is_file():
            return _read_state_file(directory / name)
    raise FileNotFoundError(f"{directory} has no {WEIGHTS_NAME} (or braindecode {BRAINDECODE_BIN}).")


def _build(saved: SavedConfig, overrides: Mapping[str, Any], source: str) -> nn.Module:
    name = saved.architecture.name
    spec = saved.spec or ModelSpec(name=name, architecture=name)
    # The saved config is complete: it replaces the spec's signal defaults.
    spec = spec.model_copy(update={"signal": type(spec.signal)()})
    return build_from_spec(spec, {**saved.config, **overrides}, source)


def from_pretrained(
    location: str | os.PathLike | Mapping[str, torch.Tensor],
    revision: str | None = None,
    n_outputs: int | None = None,
    cache_dir: str | None = None,
    local_files_only: bool = False,
    token: str | None = None,
    architecture: str | None = None,
    force_download: bool = False,
    **overrides: Any,
) -> nn.Module:
    """Load a model from a local folder, a Hub repo id (through the Hub cache; works
    offline when cached), a braindecode folder, or a bare braindecode state_dict (a file or
    a mapping, with the constructor arguments as ``overrides``).

    ``n_outputs=k`` keeps the trained body and puts a freshly initialised ``k``-class head
    on it. Other ``overrides`` may change only runtime options (e.g. ``fused=False``): a
    different ``sfreq``, channel set, window or hyperparameter is refused, since the weights
    would not mean the same. ``architecture`` picks the architecture of a braindecode folder
    or state_dict when its arguments do not identify it.
    """
    overrides = plain_scalars(overrides)
    if isinstance(location, str) and not Path(location).expanduser().exists() and is_model(location):
        return _registered_pretrained(location, n_outputs, cache_dir, overrides)
    document: dict[str, Any] | None = None
    config_source = "the given arguments"
    if isinstance(location, Mapping):
        state, meta, source = dict(location), {}, "the given state_dict"
    else:
        path = _resolve_location(location, revision, cache_dir, local_files_only, token, force_download)
        if path.is_file():
            state, meta, source = _read_state_file(path)
        else:
            config_path = path / CONFIG_NAME
            if not config_path.is_file():
                raise FileNotFoundError(f"{path} has no {CONFIG_NAME}; is it a saved model folder?")
            document, config_source = read_config(config_path), str(config_path)
            if (path / SIDECAR_NAME).is_file():  # eegzoo's record kept beside a braindecode-only config.json
                sidecar = read_config(path / SIDECAR_NAME)
                clash = sorted(set(sidecar) & set(document))
                if clash:
                    raise WeightsError(
                        f"{path}: {SIDECAR_NAME} and {CONFIG_NAME} both set {clash}; the folder was "
                        "edited or mixed up: save the model again with save_pretrained."
                    )
                document = {**document, **sidecar}
            state, meta, source = _load_state(path)

    saved = parse_config(document, config_source, state, source, overrides, architecture, n_outputs)
    if document is not None:
        check_overrides(saved, overrides)
        check_config_matches_weights(saved, meta, source)
    classes = check_classes(saved)
    if n_outputs is not None:
        saved.config["n_outputs"] = n_outputs
    model = _build(saved, overrides, f"from_pretrained({source})")
    record = (document or {}).get(EEGZOO_KEY)
    dense_axes = record.get("dense_prediction_axes") if isinstance(record, dict) else None
    if dense_axes:  # saved after to_dense_prediction_model(): same layers, so the same weights
        model.to_dense_prediction_model(tuple(dense_axes))
    if classes and (n_outputs is None or n_outputs == len(classes)):
        model.eegzoo_classes = classes

    head = f"{getattr(model, 'head_name', 'final_layer')}."
    saved_outputs = next((v.shape[0] for k, v in state.items() if k.startswith(head) and k.endswith("bias")), None)
    replace_head = n_outputs is not None and saved_outputs is not None and saved_outputs != n_outputs
    head_prefix = (head,) if replace_head else ()
    if not replace_head:
        check_signal_metadata(model, meta, source)
    check_state_dict(model, state, source, ignore=head_prefix)
    body = {k: v for k, v in state.items() if not k.startswith(head_prefix)}
    model.load_state_dict(body, strict=not replace_head)
    if document is not None:
        model.eegzoo_input = read_input_contract(document, model, config_source)
    return model


def _registered_pretrained(name: str, n_outputs: int | None, cache_dir: str | None, overrides: Mapping[str, Any]) -> nn.Module:
    """A registered variant with pinned weights (``"fblightconvnet.graz-sample"``), as
    ``create_model(name, pretrained=True)``; ``n_outputs`` puts a fresh head on it."""
    spec = model_spec(name)
    if spec.pretrained is None:
        with_weights = ", ".join(list_models(pretrained=True)) or "none"
        raise FileNotFoundError(
            f"'{name}' is a registered model without pretrained weights: build it untrained with "
            f"eegzoo.create_model('{name}'), or load one that has weights ({with_weights})."
        )
    model = build_from_spec(spec, dict(overrides), f"from_pretrained('{name}')")
    load_pretrained_source(model, spec, cache_dir)
    if n_outputs is not None and n_outputs != model.n_outputs:  # type: ignore[attr-defined]
        model.reset_head(n_outputs)  # type: ignore[operator]
    return model


# ------------------------------------------------------------------ the Hub
def push_to_hub(
    model: nn.Module,
    repo_id: str,
    commit_message: str = "Upload eegzoo model",
    private: bool | None = None,
    token: str | None = None,
    revision: str | None = None,
    create_pr: bool = False,
    api: HfApi | None = None,
    results: Iterable[Result] | None = None,
    details: Mapping[str, Any] | None = None,
) -> Any:
    """Create the repo if needed and upload ``save_pretrained``'s files (with ``results``
    and ``details`` on the card) in one commit. An unreachable Hub is a ``ConnectionError``
    that says so (nothing is uploaded then)."""
    api = api or HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        with tempfile.TemporaryDirectory() as tmp:
            save_pretrained(model, tmp, results=results, details=details, location=repo_id)
            return api.upload_folder(
                repo_id=repo_id, folder_path=tmp, commit_message=commit_message, revision=revision,
                create_pr=create_pr, repo_type="model",
            )
    except Exception as err:  # noqa: BLE001 - only connection failures are translated
        if not _is_unreachable(err):
            raise
        raise _hub_unreachable(
            f"nothing was uploaded to {repo_id}", err,
            "call push_to_hub again (save_pretrained(model, folder) keeps a local copy meanwhile)",
        ) from err


def load_pretrained_source(model: nn.Module, spec: ModelSpec, cache_dir: str | None = None) -> nn.Module:
    """Load the weights a spec pins (Hub repo + revision + file + sha256) into ``model``: the
    file in the Hub cache when it is there, else the copy bundled beside the spec (offline,
    no network), else a download through the Hub cache. Every file is checked against the
    pinned sha256. The model learns its class names and input contract from the spec."""
    source = spec.pretrained
    if source is None:
        raise ValueError(
            f"Model '{spec.name}' has no pretrained weights. Models with weights: "
            f"{list_models(pretrained=True) or 'none registered yet'}."
        )
    path = _cached_hub_file(source, cache_dir) or _bundled_file(spec)
    if path is None:
        try:
            path = hf_hub_download(source.repo_id, source.filename, revision=source.revision, cache_dir=cache_dir)
        except LocalEntryNotFoundError as err:
            raise FileNotFoundError(
                f"The weights of '{spec.name}' ({source.repo_id}/{source.filename}) are not in the "
                "Hub cache and cannot be downloaded now; download them once online."
            ) from err
    actual = file_sha256(path)
    if actual != source.sha256:
        raise WeightsError(
            f"{path}: sha256 {actual} differs from the {source.sha256} pinned by the spec of "
            f"'{spec.name}'; the file is corrupt or the repo changed. Delete the cached "
            "file and download again (reinstall eegzoo for a bundled file), or update the spec's "
            "sha256 if the change is intended."
        )
    load_weights(model, path)
    if source.classes is not None:
        model.eegzoo_classes = list(source.classes)
    if source.input is not None:
        model.eegzoo_input = InputContract.model_validate(source.input)
    return model


def _cached_hub_file(source: Any, cache_dir: str | None) -> str | None:
    """The pinned file when the Hub cache holds it (no network access)."""
    try:
        return hf_hub_download(source.repo_id, source.filename, revision=source.revision, cache_dir=cache_dir,
                               local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None


def _bundled_file(spec: ModelSpec) -> str | None:
    """The copy shipped beside the spec file (``[pretrained] bundled``), when present."""
    if spec.pretrained is None or spec.pretrained.bundled is None:
        return None
    try:
        source = Path(model_source(spec.name))
    except (KeyError, LookupError):
        return None
    builtin = builtin_registry_dir()
    if not source.is_absolute() and source.parts[:1] == (builtin.name,):  # built-in specs are named relative to it
        source = builtin.joinpath(*source.parts[1:])
    path = source.parent / spec.pretrained.bundled
    return str(path) if path.is_file() else None


register_hub_io(sys.modules[__name__])  # model classes' save/from_pretrained use this module
