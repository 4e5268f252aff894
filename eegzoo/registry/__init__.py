"""Names → specs: discovery of spec files and plugins, lookup, validation and building.
Imports no torch; a model's torch module is imported only when it is built."""

from eegzoo.registry.models import (
    BUILTIN,
    ENTRY_POINT_GROUP,
    Architecture,
    EEGZooPluginWarning,
    build_from_spec,
    builtin_registry_dir,
    get_architecture,
    is_model,
    list_models,
    load_spec,
    model_source,
    model_spec,
    register_model,
    register_spec,
    reload_registry,
    resolve_arguments,
    validate_params,
)

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "Architecture",
    "EEGZooPluginWarning",
    "build_from_spec",
    "builtin_registry_dir",
    "get_architecture",
    "is_model",
    "list_models",
    "load_spec",
    "model_source",
    "model_spec",
    "register_model",
    "register_spec",
    "reload_registry",
    "resolve_arguments",
    "validate_params",
]
