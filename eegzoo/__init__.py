"""eegzoo: a declarative model zoo for EEG deep learning.

The package is layered (lowest first): ``core`` → ``specs`` → ``blocks`` → ``models`` →
``registry`` → ``data`` → ``io`` → ``api`` → ``training`` → ``apps``; each layer imports only
layers below it (checked by ``tests/test_layers.py``). This facade imports nothing heavy up
front: each public name is loaded on first use (PEP 562), so ``eegzoo list`` and
``eegzoo --help`` never import torch, mne or scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from eegzoo.core.version import __version__

# public name -> module that defines it
_PUBLIC: dict[str, str] = {
    # names and specs (torch-free)
    "EEGZooPluginWarning": "eegzoo.registry",
    "InputContract": "eegzoo.specs",
    "InputContractWarning": "eegzoo.core.errors",
    "RegistryError": "eegzoo.core.errors",
    "SpecError": "eegzoo.core.errors",
    "TruncationWarning": "eegzoo.core.signal",
    "ModelSpec": "eegzoo.specs",
    "FBLightConvNetParams": "eegzoo.specs",
    "EEGNetParams": "eegzoo.specs",
    "ShallowFBCSPNetParams": "eegzoo.specs",
    "FBCNetParams": "eegzoo.specs",
    "ATCNetParams": "eegzoo.specs",
    "CTNetParams": "eegzoo.specs",
    "Deep4NetParams": "eegzoo.specs",
    "EEGConformerParams": "eegzoo.specs",
    "EEGNeXParams": "eegzoo.specs",
    "EEGTCNetParams": "eegzoo.specs",
    "IFNetParams": "eegzoo.specs",
    "TCFormerParams": "eegzoo.specs",
    "MeasuredResult": "eegzoo.specs",
    "measured_results": "eegzoo.specs",
    "is_model": "eegzoo.registry",
    "list_models": "eegzoo.registry",
    "model_spec": "eegzoo.registry",
    "plugin_report": "eegzoo.registry",
    "register_model": "eegzoo.registry",
    "register_spec": "eegzoo.registry",
    "reload_registry": "eegzoo.registry",
    # datasets (spec lookup is torch-free; loading needs mne)
    "DatasetError": "eegzoo.core.errors",
    "DatasetSpec": "eegzoo.specs",
    "dataset_spec": "eegzoo.registry",
    "list_datasets": "eegzoo.registry",
    "register_dataset": "eegzoo.registry",
    "fetch_dataset": "eegzoo.data",
    "load_dataset": "eegzoo.data",
    # blocks and models
    "FilterBank": "eegzoo.blocks",
    "LightweightAttention": "eegzoo.blocks",
    "SpatialConv": "eegzoo.blocks",
    "VarPool": "eegzoo.blocks",
    "spectral_spatial_filter": "eegzoo.blocks",
    "FBLightConvNet": "eegzoo.models",
    "EEGNet": "eegzoo.models",
    "ShallowFBCSPNet": "eegzoo.models",
    "FBCNet": "eegzoo.models",
    "ATCNet": "eegzoo.models",
    "CTNet": "eegzoo.models",
    "Deep4Net": "eegzoo.models",
    "EEGConformer": "eegzoo.models",
    "EEGNeX": "eegzoo.models",
    "EEGTCNet": "eegzoo.models",
    "IFNet": "eegzoo.models",
    "TCFormer": "eegzoo.models",
    # files, Hub, deployment
    "InferenceFBLightConvNet": "eegzoo.models.inference",
    "export_model": "eegzoo.io.export",
    "inference_module": "eegzoo.io.export",
    "create_model": "eegzoo.api",
    "from_pretrained": "eegzoo.api",
    "predict": "eegzoo.api",
    "predict_proba": "eegzoo.api",
    "push_to_hub": "eegzoo.api",
    "save_pretrained": "eegzoo.api",
}
_SUBMODULES = {"data": "eegzoo.data", "training": "eegzoo.training"}

__all__ = sorted([*_PUBLIC, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    if name not in _PUBLIC:
        raise AttributeError(f"module 'eegzoo' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # static analysers see the real names
    from eegzoo.api import create_model, from_pretrained, predict, predict_proba, push_to_hub, save_pretrained
    from eegzoo.blocks import FilterBank, LightweightAttention, SpatialConv, VarPool, spectral_spatial_filter
    from eegzoo.core.errors import DatasetError, InputContractWarning, RegistryError, SpecError
    from eegzoo.data import fetch_dataset, load_dataset
    from eegzoo.core.signal import TruncationWarning
    from eegzoo.io.export import export_model, inference_module
    from eegzoo.models.inference import InferenceFBLightConvNet
    from eegzoo.models import (
        ATCNet, CTNet, Deep4Net, EEGConformer, EEGNet, EEGNeX, EEGTCNet, FBCNet, FBLightConvNet, IFNet,
        ShallowFBCSPNet, TCFormer,
    )
    from eegzoo.registry import (
        EEGZooPluginWarning,
        dataset_spec,
        list_datasets,
        register_dataset,
        is_model,
        list_models,
        model_spec,
        plugin_report,
        register_model,
        register_spec,
        reload_registry,
    )
    from eegzoo.specs import (
        DatasetSpec,
        ATCNetParams,
        CTNetParams,
        Deep4NetParams,
        EEGConformerParams,
        EEGNetParams,
        EEGNeXParams,
        EEGTCNetParams,
        IFNetParams,
        TCFormerParams,
        FBCNetParams,
        FBLightConvNetParams,
        InputContract,
        MeasuredResult,
        ModelSpec,
        ShallowFBCSPNetParams,
        measured_results,
    )
