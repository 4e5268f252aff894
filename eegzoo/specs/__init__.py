"""Pydantic specs (torch-free): registered model variants and each architecture's hyperparameters."""

from eegzoo.specs.dataset import DatasetSpec
from eegzoo.specs.eegnet import EEGNetParams
from eegzoo.specs.fbcnet import FBCNetParams
from eegzoo.specs.fblightconvnet import FBLightConvNetParams, FilterParameters
from eegzoo.specs.input import InputContract
from eegzoo.specs.model import ArchitectureParams, BlockSpec, Frozen, ModelSpec, PretrainedSource, SignalDefaults
from eegzoo.specs.recipe import PlateauSchedule, Recipe, get_recipe, list_recipes
from eegzoo.specs.results import MeasuredResult, measured_results
from eegzoo.specs.sequential import SequentialParams
from eegzoo.specs.shallowfbcspnet import ShallowFBCSPNetParams

__all__ = [
    "ArchitectureParams",
    "BlockSpec",
    "DatasetSpec",
    "EEGNetParams",
    "FBCNetParams",
    "FBLightConvNetParams",
    "FilterParameters",
    "InputContract",
    "Frozen",
    "MeasuredResult",
    "ModelSpec",
    "PlateauSchedule",
    "PretrainedSource",
    "Recipe",
    "SequentialParams",
    "ShallowFBCSPNetParams",
    "SignalDefaults",
    "get_recipe",
    "list_recipes",
    "measured_results",
]
