"""Registered datasets: declarative spec files found in eegzoo's ``registry/datasets/``
folder, in the folders of the ``EEGZOO_DATASET_PATH`` environment variable (a user's own
specs, no Python needed), and in plugins of the entry-point group ``eegzoo.datasets`` (a
zero-argument callable, or a module with ``EEGZOO_DATASET_SPECS``, giving spec file paths or
folders). Discovery is lazy; a plugin that fails or ships an invalid spec is skipped with an
:class:`EEGZooPluginWarning`; a name given by two sources is refused, naming both."""

from __future__ import annotations

import fnmatch
import os
import threading
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from eegzoo.core.errors import RegistryError, SpecError, format_validation_error, unknown_names_message
from eegzoo.registry.plugins import EEGZooPluginWarning, PluginRecord, load_entry_points, register_plugin_group
from eegzoo.registry.spec_files import as_paths, builtin_registry_dir, read_named_spec_file, spec_files
from eegzoo.specs.dataset import DatasetSpec

DATASET_ENTRY_POINT_GROUP = "eegzoo.datasets"
DATASET_PATH_ENV = "EEGZOO_DATASET_PATH"


@dataclass(frozen=True)
class RegisteredDataset:
    spec: DatasetSpec
    source: str  # file path or plugin


class _Datasets:
    def __init__(self) -> None:
        self.entries: dict[str, RegisteredDataset] = {}
        self.conflicts: dict[str, list[str]] = {}
        self.discovered = False
        self.lock = threading.RLock()


_DATASETS = _Datasets()


def builtin_datasets_dir() -> Path:
    return builtin_registry_dir() / "datasets"


def load_dataset_spec(data: dict[str, Any] | str | Path, source: str | None = None) -> DatasetSpec:
    """Parse and validate one dataset spec (a file path or a dict). The file name is the
    dataset name."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        source = source or str(path)
        if not path.is_file():
            raise SpecError(f"{path}: no such dataset spec file.")
        raw = read_named_spec_file(path)
    else:
        raw, source = data, source or "dataset spec dict"
    try:
        spec = DatasetSpec.model_validate(raw)
    except ValidationError as err:
        raise SpecError(format_validation_error(err, source)) from None
    # a local/BIDS root relative to the spec file is resolved against the file's folder
    return spec.with_spec_dir(Path(data).parent if isinstance(data, (str, Path)) else None)


def _add(spec: DatasetSpec, source: str) -> bool:
    """Add a dataset; a name clash is recorded (and refused at load), returning False."""
    existing = _DATASETS.entries.get(spec.name)
    if existing is not None and existing.source != source:
        _DATASETS.conflicts.setdefault(spec.name, [existing.source]).append(source)
        warnings.warn(
            f"Dataset name '{spec.name}' is registered by both {existing.source} and {source}; "
            "loading it is refused until one is renamed or removed.",
            EEGZooPluginWarning,
            stacklevel=3,
        )
        return False
    _DATASETS.entries[spec.name] = RegisteredDataset(spec, source)
    return True


def _load_plugin(entry_point: metadata.EntryPoint, record: PluginRecord) -> dict[str, list[str]]:
    """Run one plugin of the ``eegzoo.datasets`` group (all its specs or none)."""
    target = entry_point.load()
    returned = target() if callable(target) else getattr(target, "EEGZOO_DATASET_SPECS", None)
    specs = [load_dataset_spec(path, f"{path} [{record.label}]") for loc in as_paths(returned) for path in spec_files(loc)]
    added = []
    for spec in specs:
        if _add(spec, record.label):
            added.append(spec.name)
        else:
            record.notes.append(f"dataset '{spec.name}' not added: also registered by {_DATASETS.conflicts[spec.name][0]}")
    return {"datasets": added}


def _user_spec_dirs() -> list[Path]:
    value = os.environ.get(DATASET_PATH_ENV, "")
    return [Path(p) for p in value.split(os.pathsep) if p]


def _ensure_discovered() -> None:
    if _DATASETS.discovered:
        return
    with _DATASETS.lock:
        if _DATASETS.discovered:
            return
        _DATASETS.discovered = True
        builtin = builtin_datasets_dir()
        if builtin.is_dir():
            for path in spec_files(builtin):
                _add(load_dataset_spec(path), f"registry/datasets/{path.name}")
        for location in _user_spec_dirs():
            if not location.exists():
                warnings.warn(f"{DATASET_PATH_ENV} names {location}, which does not exist.", EEGZooPluginWarning, stacklevel=3)
                continue
            for path in spec_files(location):
                try:
                    _add(load_dataset_spec(path), str(path))
                except SpecError as err:
                    warnings.warn(f"eegzoo skipped {path} ({DATASET_PATH_ENV}): {err}", EEGZooPluginWarning, stacklevel=3)
        load_entry_points(DATASET_ENTRY_POINT_GROUP, _load_plugin, kind="dataset plugin")


register_plugin_group(DATASET_ENTRY_POINT_GROUP, lambda: _ensure_discovered())


def reload_datasets() -> None:
    """Forget discovered dataset specs and discover them again."""
    with _DATASETS.lock:
        _DATASETS.entries.clear()
        _DATASETS.conflicts.clear()
        _DATASETS.discovered = False
    _ensure_discovered()


def register_dataset(spec: DatasetSpec | dict[str, Any] | str | Path, source: str | None = None) -> DatasetSpec:
    """Add a dataset from a spec (object, dict or file) for this process."""
    _ensure_discovered()
    with _DATASETS.lock:
        if isinstance(spec, DatasetSpec):
            source = source or "register_dataset()"
        else:
            source = source or (str(spec) if isinstance(spec, (str, Path)) else "register_dataset()")
            spec = load_dataset_spec(spec, source)
        _add(spec, source)
        return spec


def list_datasets(pattern: str = "*", tag: str | None = None, registry: str | None = None) -> list[str]:
    """Registered dataset names matching an fnmatch ``pattern`` (case-insensitive),
    optionally only those carrying ``tag`` or coming from ``registry`` ("pypi", "debian",
    "moabb", "local", "bids"); sorted."""
    _ensure_discovered()
    names = []
    for name, entry in _DATASETS.entries.items():
        if name in _DATASETS.conflicts or not fnmatch.fnmatchcase(name, pattern.lower()):
            continue
        if tag is not None and tag not in entry.spec.tags:
            continue
        if registry is not None and entry.spec.source.registry != registry:
            continue
        names.append(name)
    return sorted(names)


def _is_spec_path(name: str | os.PathLike) -> bool:
    return str(name).endswith((".toml", ".json")) and Path(name).is_file()


def _entry(name: str | os.PathLike) -> RegisteredDataset:
    if _is_spec_path(name):
        return RegisteredDataset(load_dataset_spec(name), str(name))
    _ensure_discovered()
    name = str(name)
    key = name.lower()
    if key in _DATASETS.conflicts:
        raise RegistryError(
            f"Dataset name '{key}' is registered by both {' and '.join(_DATASETS.conflicts[key])}; "
            "remove or rename one of them."
        )
    entry = _DATASETS.entries.get(key)
    if entry is None:
        raise RegistryError(
            unknown_names_message([key], list(_DATASETS.entries), "dataset")
            + " See eegzoo.list_datasets(), or pass the path of a dataset spec file."
        )
    return entry


def dataset_spec(name: str) -> DatasetSpec:
    """The validated :class:`DatasetSpec` of a registered dataset (name, case-insensitive,
    or the path of a spec file)."""
    return _entry(name).spec


def dataset_source(name: str) -> str:
    """Where a dataset's spec came from (file or plugin)."""
    return _entry(name).source


def is_dataset(name: str) -> bool:
    """Whether ``name`` is a registered dataset or a dataset spec file."""
    if _is_spec_path(name):
        return True
    _ensure_discovered()
    return name.lower() in _DATASETS.entries and name.lower() not in _DATASETS.conflicts
