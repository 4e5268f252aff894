"""Sharing models: ``save_pretrained`` / ``from_pretrained`` / ``push_to_hub`` on top of
huggingface_hub (``snapshot_download``, ``hf_hub_download``, ``upload_folder``).

A model directory holds ``config.json`` (architecture, spec and JSON-safe constructor
config), ``model.safetensors`` and ``README.md`` (the model card). ``from_pretrained`` also
reads braindecode directories (braindecode's ``config.json`` + ``model.safetensors`` or
``pytorch_model.bin``) and bare braindecode state_dicts.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError
from torch import nn

from eegzoo.models.base import register_hub_io, spec_of
from eegzoo.core.errors import SpecError
from eegzoo.registry import build_from_spec, get_architecture, list_architectures, list_models
from eegzoo.specs.model import ModelSpec
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

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
BRAINDECODE_BIN = "pytorch_model.bin"
CARD_NAME = "README.md"
_HUB_FILES = [CONFIG_NAME, WEIGHTS_NAME, BRAINDECODE_BIN, CARD_NAME]


def model_config_document(model: nn.Module) -> dict[str, Any]:
    """What ``config.json`` holds."""
    spec = spec_of(model)
    return {
        "eegzoo_version": __version__,
        "architecture": spec.architecture,
        "model_name": spec.name,
        "config": model.get_config(),
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "classes": getattr(model, "eegzoo_classes", None),
    }


def save_pretrained(
    model: nn.Module,
    save_directory: str | os.PathLike,
    card: bool = True,
    results: Iterable[Result] | None = None,
    details: Mapping[str, Any] | None = None,
    figures: Mapping[str, str] | None = None,
) -> Path:
    """Write ``config.json``, ``model.safetensors`` and (by default) a ``README.md`` model
    card into ``save_directory``; every file is written atomically. ``results`` (measured
    metrics with their dataset and split, see :func:`eegzoo.measured_results`) become the
    card's ``model-index``; ``details`` (training facts) and ``figures`` (caption -> file
    name in the folder) go into the card's text."""
    directory = Path(save_directory)
    directory.mkdir(parents=True, exist_ok=True)
    document = model_config_document(model)
    save_weights(model, directory / WEIGHTS_NAME)
    atomic_write_text(directory / CONFIG_NAME, json.dumps(document, indent=2, sort_keys=True) + "\n")
    if card:
        text = generate_model_card(model, results=results, details=details, figures=figures)
        atomic_write_text(directory / CARD_NAME, text)
    return directory


def _resolve_location(
    location: str | os.PathLike, revision: str | None, cache_dir: str | None, local_files_only: bool, token: str | None
) -> Path:
    path = Path(location)
    if path.exists():
        return path
    repo_id = str(location)
    if repo_id.count("/") != 1:
        raise FileNotFoundError(
            f"{repo_id!r} is neither an existing file/folder nor a Hub repo id ('owner/name')."
        )
    try:
        return Path(
            snapshot_download(
                repo_id, revision=revision, cache_dir=cache_dir, local_files_only=local_files_only,
                token=token, allow_patterns=_HUB_FILES,
            )
        )
    except LocalEntryNotFoundError as err:
        raise FileNotFoundError(
            f"{repo_id} (revision {revision or 'main'}) is not in the local Hub cache and cannot "
            "be downloaded (offline: HF_HUB_OFFLINE=1 or no network). Download it once online, "
            "or pass a local folder."
        ) from err


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


def _braindecode_architecture(
    config: Mapping[str, Any], state: Mapping[str, torch.Tensor], overrides: Mapping[str, Any],
    source: str, architecture: str | None,
) -> str:
    """Which architecture a braindecode checkpoint is (braindecode's config.json does not say).

    Candidates are the architectures whose parameters include every key of the config and
    of the given arguments; when several remain, each is built (random state untouched) and
    the one whose state_dict keys are the checkpoint's is chosen. ``architecture`` skips the
    guess."""
    keys = (set(config) | set(overrides)) - {"braindecode_version"}
    if architecture is not None:
        fields = set(get_architecture(architecture).params_model.model_fields)
        extra = sorted(keys - fields)
        if extra:
            raise WeightsError(
                f"{source} is a braindecode config with keys {architecture} does not have ({extra})."
            )
        return architecture
    names = [n for n in list_architectures() if keys <= set(get_architecture(n).params_model.model_fields)]
    if len(names) > 1:
        fitting = []
        for name in names:
            try:
                with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    candidate = _build(name, config, None, overrides, source)
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
    return names[0]


def _braindecode_config_to_params(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "braindecode_version"}


def _build(architecture: str, config: Mapping[str, Any], spec: ModelSpec | None, overrides: Mapping[str, Any], source: str) -> nn.Module:
    get_architecture(architecture)  # clear error for unknown architectures
    spec = spec or ModelSpec(name=architecture, architecture=architecture)
    # The saved config is complete: it replaces the spec's defaults.
    spec = spec.model_copy(update={"params": {}, "signal": type(spec.signal)()})
    return build_from_spec(spec, {**config, **overrides}, source)


def from_pretrained(
    location: str | os.PathLike | Mapping[str, torch.Tensor],
    revision: str | None = None,
    n_outputs: int | None = None,
    cache_dir: str | None = None,
    local_files_only: bool = False,
    token: str | None = None,
    architecture: str | None = None,
    **overrides: Any,
) -> nn.Module:
    """Load a model from a local folder, a Hub repo id (through the Hub cache; works
    offline when cached), a braindecode folder, or a bare braindecode state_dict (a file or
    a mapping, with the constructor arguments as ``overrides``). braindecode checkpoints
    do not name their model: the architecture is recognised from the config keys and the
    state_dict keys, or given as ``architecture`` (e.g. ``"eegnet"``).

    ``n_outputs=k`` keeps the trained body and puts a freshly initialised ``k``-class head
    on it. Other ``overrides`` replace saved constructor arguments (e.g. ``fused=False``);
    weights must still fit, strictly.
    """
    if isinstance(location, Mapping):
        state, meta, source, document = dict(location), {}, "the given state_dict", None
    else:
        path = _resolve_location(location, revision, cache_dir, local_files_only, token)
        if path.is_file():
            document = None
            state, meta, source = _read_state_file(path)
        else:
            config_path = path / CONFIG_NAME
            if not config_path.is_file():
                raise FileNotFoundError(f"{path} has no {CONFIG_NAME}; is it a saved model folder?")
            document = json.loads(config_path.read_text())
            state, meta, source = _load_state(path)

    if document is not None and "eegzoo_version" in document:
        spec = ModelSpec.model_validate(document["spec"]) if "spec" in document else None
        config = dict(document["config"])
        architecture = document["architecture"]
    else:  # braindecode folder, or bare state_dict + constructor kwargs
        config = _braindecode_config_to_params(document or {})
        if n_outputs is not None:
            config["n_outputs"] = n_outputs
        architecture = _braindecode_architecture(config, state, overrides, source, architecture)
        spec = None
    if n_outputs is not None:
        config["n_outputs"] = n_outputs
    model = _build(architecture, config, spec, overrides, f"from_pretrained({source})")
    if document is not None and document.get("classes") and n_outputs is None:
        model.eegzoo_classes = list(document["classes"])

    head = f"{getattr(model, 'head_name', 'final_layer')}."
    saved_outputs = next((v.shape[0] for k, v in state.items() if k.startswith(head) and k.endswith("bias")), None)
    replace_head = n_outputs is not None and saved_outputs is not None and saved_outputs != n_outputs
    head_prefix = (head,) if replace_head else ()
    check_state_dict(model, state, source, ignore=head_prefix)
    if not replace_head:
        check_signal_metadata(model, meta, source)
    body = {k: v for k, v in state.items() if not k.startswith(head_prefix)}
    model.load_state_dict(body, strict=not replace_head)
    return model


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
    and ``details`` on the card) in one commit."""
    api = api or HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    with tempfile.TemporaryDirectory() as tmp:
        save_pretrained(model, tmp, results=results, details=details)
        return api.upload_folder(
            repo_id=repo_id, folder_path=tmp, commit_message=commit_message, revision=revision,
            create_pr=create_pr, repo_type="model",
        )


def load_pretrained_source(model: nn.Module, spec: ModelSpec, cache_dir: str | None = None) -> nn.Module:
    """Load the weights a spec pins (Hub repo + revision + file + sha256) into ``model``,
    through the Hub cache (works offline with ``HF_HUB_OFFLINE=1`` once cached)."""
    source = spec.pretrained
    if source is None:
        raise ValueError(
            f"Model '{spec.name}' has no pretrained weights. Models with weights: "
            f"{list_models(pretrained=True) or 'none registered yet'}."
        )
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
            f"'{spec.name}'; the download is corrupt or the repo changed. Delete the cached "
            "file and download again, or update the spec's sha256 if the change is intended."
        )
    return load_weights(model, path)


register_hub_io(sys.modules[__name__])  # model classes' save/from_pretrained use this module
