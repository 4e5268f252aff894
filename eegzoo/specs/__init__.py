"""Pydantic specs (torch-free): registered model variants and each architecture's hyperparameters."""

from eegzoo.specs.dataset import DatasetSpec
from eegzoo.specs.fblightconvnet import FBLightConvNetParams, FilterParameters
from eegzoo.specs.model import BlockSpec, Frozen, ModelSpec, PretrainedSource, SignalDefaults
from eegzoo.specs.recipe import PlateauSchedule, Recipe, get_recipe, list_recipes
from eegzoo.specs.sequential import SequentialParams

__all__ = [
    "BlockSpec",
    "DatasetSpec",
    "FBLightConvNetParams",
    "FilterParameters",
    "Frozen",
    "ModelSpec",
    "PlateauSchedule",
    "PretrainedSource",
    "Recipe",
    "SequentialParams",
    "SignalDefaults",
    "get_recipe",
    "list_recipes",
]
