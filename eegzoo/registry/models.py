"""The zoo: architectures (Python builders) and registered variants (declarative spec files).

Spec files are found in eegzoo's built-in ``registry/`` folder and in plugins. A plugin is a
package with an entry point in the group ``eegzoo.models`` naming a zero-argument callable
(or a module). Loading it may call :func:`register_model`; the callable may return spec
file paths or folders to add. Discovery is lazy (first query) and isolated: a plugin that
fails to import, raises, or ships an invalid spec is reported as an
:class:`EEGZooPluginWarning` naming the plugin and skipped. A variant name registered by two
sources is refused by :func:`create_model` with an error naming both.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from eegzoo.core.errors import RegistryError, SpecError, format_validation_error, unknown_names_message
from eegzoo.core.jsonsafe import plain_scalars
from eegzoo.registry.plugins import EEGZooPluginWarning, PluginRecord, load_entry_points, register_plugin_group
from eegzoo.registry.spec_files import as_paths, builtin_registry_dir, read_named_spec_file, spec_files
import eegzoo.specs
from eegzoo.specs.model import ArchitectureParams, ModelSpec, SignalDefaults

if TYPE_CHECKING:
    from torch import nn

ENTRY_POINT_GROUP = "eegzoo.models"
BUILTIN = "eegzoo (built-in)"
Builder = Callable[[Any, ModelSpec], "nn.Module"]


@dataclass(frozen=True)
class Architecture:
    """A builder turning validated parameters (an instance of ``params_model``) into a module."""

    name: str
    build: Builder
    params_model: type[BaseModel]
    source: str
    standalone: bool = True  # False: builds only from a variant's spec (e.g. its block list)

    def params_model_for(self, spec: ModelSpec | None) -> type[BaseModel]:
        """The parameters model of one variant: block-sequence specs declare their own
        hyperparameters (see :meth:`eegzoo.specs.ArchitectureParams.for_spec`)."""
        for_spec = getattr(self.params_model, "for_spec", None)
        return for_spec(spec) if spec is not None and for_spec is not None else self.params_model


@dataclass(frozen=True)
class RegisteredSpec:
    spec: ModelSpec
    source: str  # file path or plugin name


class _Zoo:
    def __init__(self) -> None:
        self.architectures: dict[str, Architecture] = {}
        self.specs: dict[str, RegisteredSpec] = {}
        self.conflicts: dict[str, list[str]] = {}
        self.invalid: dict[str, SpecError] = {}  # variant name -> why its spec file was skipped
        self.discovered = False
        self.lock = threading.RLock()


_ZOO = _Zoo()


# ------------------------------------------------------------------ architectures
def register_model(
    name: str,
    builder: Builder | None = None,
    *,
    params_model: type[BaseModel],
    source: str | None = None,
    standalone: bool = True,
) -> Any:
    """Register an architecture; usable as ``@register_model("name", params_model=P)``.

    ``builder(params, spec)`` receives the validated ``params_model`` instance and the
    variant's :class:`ModelSpec` and returns an ``nn.Module``. ``standalone=False`` says it
    builds only from a variant's spec (a block list, say), not from hyperparameters alone.
    """

    def _register(fn: Builder) -> Builder:
        origin = source or getattr(fn, "__module__", "unknown")
        with _ZOO.lock:
            existing = _ZOO.architectures.get(name)
            if existing is not None and existing.build is not fn:
                raise RegistryError(
                    f"Architecture '{name}' is already registered by {existing.source}; "
                    f"{origin} cannot register it again. Rename one of them."
                )
            _ZOO.architectures[name] = Architecture(name, fn, params_model, origin, standalone)
        return fn

    return _register(builder) if builder is not None else _register


def list_architectures() -> list[str]:
    """Names of the registered architectures (built-in and from plugins), sorted."""
    _ensure_discovered()
    return sorted(_ZOO.architectures)


def get_architecture(name: str) -> Architecture:
    _ensure_discovered()
    arch = _ZOO.architectures.get(name)
    if arch is None:
        raise RegistryError(unknown_names_message([name], list(_ZOO.architectures), "architecture"))
    return arch


def _class_builder(model_class: str) -> Builder:
    """A builder that imports ``"module:Class"`` only when a model is built, so listing and
    validating specs never loads torch."""

    def build(params: Any, spec: ModelSpec) -> nn.Module:
        module, _, name = model_class.partition(":")
        return getattr(importlib.import_module(module), name).from_params(params, spec)

    build.__qualname__ = f"build<{model_class}>"
    return build


def builtin_parameter_classes() -> list[type[ArchitectureParams]]:
    """The parameters classes in :mod:`eegzoo.specs` that name an architecture and its model
    class (see :class:`~eegzoo.specs.model.ArchitectureParams`), sorted by architecture."""
    found: dict[str, type[ArchitectureParams]] = {}
    for info in pkgutil.iter_modules(eegzoo.specs.__path__, "eegzoo.specs."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, ArchitectureParams)
                    and value.__module__ == info.name and value.architecture and value.model_class):
                found[value.architecture] = value
    return [found[name] for name in sorted(found)]


def _register_builtin_architectures() -> None:
    for params_model in builtin_parameter_classes():
        register_model(
            params_model.architecture,  # type: ignore[arg-type]
            _class_builder(params_model.model_class),  # type: ignore[arg-type]
            params_model=params_model,
            source=BUILTIN,
            standalone=params_model.standalone,
        )


_register_builtin_architectures()


# ------------------------------------------------------------------ spec files
def validate_params(
    arch: Architecture, arguments: dict[str, Any], source: str, spec: ModelSpec | None = None, point_at_spec: bool = True
) -> BaseModel:
    """Validate constructor arguments with the parameters model of ``spec``'s variant.
    Numpy scalars (``np.int64(22)``, what arrays and mne give) count as Python numbers."""
    try:
        return arch.params_model_for(spec).model_validate(plain_scalars(arguments))
    except ValidationError as err:
        message = format_validation_error(err, source)
        if spec is not None and point_at_spec:  # point at the table the user wrote the value in
            for key in spec.params:
                message = message.replace(f"field '{key}", f"field 'params.{key}")
            for key in SignalDefaults.model_fields:
                message = message.replace(f"field '{key}'", f"field 'signal.{key}'")
        raise SpecError(message) from None


def load_spec(data: dict[str, Any] | str | Path, source: str | None = None, dry_build: bool = True) -> ModelSpec:
    """Parse and validate one spec (a file path or a dict): the spec itself, its architecture,
    and its default hyperparameters. ``dry_build`` also builds a block-sequence spec once to
    check its chain (with every RNG left as it was); discovery skips it so that listing the
    zoo never loads torch, and the chain is then checked when the model is created."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        source = source or str(path)
        raw = read_named_spec_file(path)
    else:
        raw, source = data, source or "spec dict"
    try:
        spec = ModelSpec.model_validate(raw)
    except ValidationError as err:
        raise SpecError(format_validation_error(err, source)) from None
    arch = _ZOO.architectures.get(spec.architecture)
    if arch is None:
        raise SpecError(
            f"Invalid spec in {source}:\n  field 'architecture': "
            + unknown_names_message([spec.architecture], list(_ZOO.architectures), "architecture")
        )
    params = validate_params(arch, spec.default_arguments(), source, spec)
    if spec.blocks is not None:
        if spec.architecture != "sequential":
            raise SpecError(f"{source}: field 'blocks' is only used by architecture 'sequential'.")
        if dry_build:
            import torch

            try:  # checks block types, arguments and chaining
                with torch.random.fork_rng(devices=[]):
                    arch.build(params, spec)
            except SpecError as err:
                raise SpecError(f"{source}: {err}") from None
    elif spec.architecture == "sequential":
        raise SpecError(f"{source}: field 'blocks': architecture 'sequential' needs a list of blocks.")
    return spec


def _add_spec(spec: ModelSpec, source: str) -> str | None:
    """Add a variant; on a name clash record it and return the other source."""
    existing = _ZOO.specs.get(spec.name)
    if existing is not None and existing.source != source:
        _ZOO.conflicts.setdefault(spec.name, [existing.source]).append(source)
        warnings.warn(
            f"Model name '{spec.name}' is registered by both {existing.source} and {source}; "
            "creating it is refused until one is renamed or uninstalled.",
            EEGZooPluginWarning,
            stacklevel=3,
        )
        return existing.source
    _ZOO.specs[spec.name] = RegisteredSpec(spec, source)
    return None


def register_spec(spec: ModelSpec | dict[str, Any] | str | Path, source: str | None = None) -> ModelSpec:
    """Add a variant from a spec (object, dict or file). Clashing names are recorded and
    refused at creation, naming both sources."""
    _ensure_discovered()
    with _ZOO.lock:
        if isinstance(spec, ModelSpec):
            spec = load_spec(spec.model_dump(), source or "register_spec()")
            source = source or "register_spec()"
        else:
            source = source or (str(spec) if isinstance(spec, (str, Path)) else "register_spec()")
            spec = load_spec(spec, source)
        _add_spec(spec, source)
        return spec


# ------------------------------------------------------------------ discovery
def _load_plugin(entry_point: EntryPoint, record: PluginRecord) -> dict[str, list[str]]:
    """Run one plugin of the ``eegzoo.models`` group: a callable (called; it may call
    :func:`register_model`/:func:`register_spec` and may return spec paths) or a module
    (its ``EEGZOO_SPECS``). All or nothing: a failure undoes what it registered."""
    label = record.label
    before_arch, before_specs = set(_ZOO.architectures), set(_ZOO.specs)
    try:
        target = entry_point.load()
        returned = target() if callable(target) else getattr(target, "EEGZOO_SPECS", None)
        specs = [
            load_spec(path, f"{path} [{label}]", dry_build=False)
            for location in as_paths(returned)
            for path in spec_files(location)
        ]
    except Exception:
        for name in set(_ZOO.architectures) - before_arch:
            del _ZOO.architectures[name]
        for name in set(_ZOO.specs) - before_specs:
            del _ZOO.specs[name]
        raise
    for spec in specs:
        clash = _add_spec(spec, label)
        if clash is not None:
            record.notes.append(f"model '{spec.name}' not added: also registered by {clash}")
    return {
        "architectures": sorted(set(_ZOO.architectures) - before_arch),
        "models": sorted(set(_ZOO.specs) - before_specs),
    }


def _ensure_discovered() -> None:
    if _ZOO.discovered:
        return
    with _ZOO.lock:
        if _ZOO.discovered:
            return
        _ZOO.discovered = True
        for path in spec_files(builtin_registry_dir()):
            try:
                _add_spec(load_spec(path, dry_build=False), str(path.relative_to(path.parent.parent)))
            except SpecError as err:  # one bad file must not hide the rest of the zoo
                _ZOO.invalid[path.stem] = err
                warnings.warn(f"eegzoo skipped an invalid spec file: {err}", EEGZooPluginWarning, stacklevel=3)
        load_entry_points(ENTRY_POINT_GROUP, _load_plugin)


register_plugin_group(ENTRY_POINT_GROUP, lambda: _ensure_discovered())


def reload_registry() -> None:
    """Forget discovered specs and plugins and discover them again (after installing a plugin)."""
    with _ZOO.lock:
        for name in [n for n, a in _ZOO.architectures.items() if a.source != BUILTIN]:
            del _ZOO.architectures[name]
        _ZOO.specs.clear()
        _ZOO.conflicts.clear()
        _ZOO.invalid.clear()
        _ZOO.discovered = False
    _ensure_discovered()


# ------------------------------------------------------------------ public queries
def list_models(pattern: str = "*", pretrained: bool = False, tag: str | None = None) -> list[str]:
    """Registered variant names matching an fnmatch ``pattern`` (e.g. ``"*lightconv*"``),
    optionally only those with pretrained weights or carrying ``tag``; sorted."""
    _ensure_discovered()
    names = []
    for name, entry in _ZOO.specs.items():
        if name in _ZOO.conflicts or not fnmatch.fnmatchcase(name, pattern.lower()):
            continue
        if pretrained and entry.spec.pretrained is None:
            continue
        if tag is not None and tag not in entry.spec.tags:
            continue
        names.append(name)
    return sorted(names)


def _entry(name: str) -> RegisteredSpec:
    _ensure_discovered()
    if name in _ZOO.conflicts:
        sources = " and ".join(_ZOO.conflicts[name])
        raise RegistryError(
            f"Model name '{name}' is registered by both {sources}; uninstall or rename one of them."
        )
    entry = _ZOO.specs.get(name)
    if entry is None and name in _ZOO.invalid:
        raise SpecError(f"Model '{name}' cannot be created: {_ZOO.invalid[name]}")
    if entry is None:
        raise RegistryError(unknown_names_message([name], list(_ZOO.specs), "model") + " See eegzoo.list_models().")
    return entry


def is_model(name: str) -> bool:
    """Whether ``name`` is a registered (and unambiguous) variant."""
    _ensure_discovered()
    return name in _ZOO.specs and name not in _ZOO.conflicts


def model_spec(name: str) -> ModelSpec:
    """The validated :class:`ModelSpec` of a registered variant."""
    return _entry(name).spec


def model_source(name: str) -> str:
    """Where a variant's spec came from (file or plugin)."""
    return _entry(name).source


def resolve_arguments(spec: ModelSpec, overrides: dict[str, Any]) -> dict[str, Any]:
    """Spec defaults overlaid with user overrides. Passing ``input_window_seconds`` without
    ``n_times`` (or ``chs_info`` without ``n_chans``) replaces the spec's default for it."""
    args = spec.default_arguments()
    if "input_window_seconds" in overrides and "n_times" not in overrides:
        args.pop("n_times", None)
    if "chs_info" in overrides and "n_chans" not in overrides:
        args.pop("n_chans", None)
    return {**args, **overrides}


def build_from_spec(spec: ModelSpec, overrides: dict[str, Any], source: str) -> nn.Module:
    """Validate ``overrides`` against the spec's architecture and build the module."""
    arch = get_architecture(spec.architecture)
    fields = list(arch.params_model_for(spec).model_fields)
    unknown = [k for k in overrides if k not in fields]
    if unknown:
        raise SpecError(f"{source}: " + unknown_names_message(unknown, fields, "argument"))
    params = validate_params(arch, resolve_arguments(spec, overrides), source, spec=spec, point_at_spec=False)
    model = arch.build(params, spec)
    model.eegzoo_spec = spec  # type: ignore[assignment]
    model.eegzoo_params = params  # type: ignore[assignment]
    return model
