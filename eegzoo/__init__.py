"""eegzoo: a declarative model zoo for EEG deep learning."""

from eegzoo import data, train
from eegzoo.blocks import FilterBank, LightweightAttention, SpatialConv, VarPool, spectral_spatial_filter
from eegzoo.export import InferenceFBLightConvNet, export_model, inference_module
from eegzoo.hub import from_pretrained, push_to_hub, save_pretrained
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
    "InferenceFBLightConvNet",
    "LightweightAttention",
    "ModelSpec",
    "RegistryError",
    "SpatialConv",
    "SpecError",
    "TruncationWarning",
    "VarPool",
    "__version__",
    "create_model",
    "data",
    "export_model",
    "from_pretrained",
    "inference_module",
    "is_model",
    "list_models",
    "model_spec",
    "push_to_hub",
    "register_model",
    "register_spec",
    "reload_registry",
    "save_pretrained",
    "spectral_spatial_filter",
    "train",
]
