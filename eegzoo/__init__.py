"""eegzoo: a declarative model zoo for EEG deep learning."""

from eegzoo.blocks import FilterBank, LightweightAttention, SpatialConv, VarPool, spectral_spatial_filter
from eegzoo.models import FBLightConvNet
from eegzoo.registry import (
    EEGZooPluginWarning,
    RegistryError,
    create_model,
    is_model,
    list_models,
    model_spec,
    register_model,
    register_spec,
    reload_registry,
)
from eegzoo.signal import TruncationWarning
from eegzoo.specs import FBLightConvNetParams, ModelSpec, SpecError

__version__ = "0.1.0"

__all__ = [
    "EEGZooPluginWarning",
    "FBLightConvNet",
    "FBLightConvNetParams",
    "FilterBank",
    "LightweightAttention",
    "ModelSpec",
    "RegistryError",
    "SpatialConv",
    "SpecError",
    "TruncationWarning",
    "VarPool",
    "__version__",
    "create_model",
    "is_model",
    "list_models",
    "model_spec",
    "register_model",
    "register_spec",
    "reload_registry",
    "spectral_spatial_filter",
]
