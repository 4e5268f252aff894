"""Pydantic specs (torch-free): registered model variants and each architecture's hyperparameters."""

from eegzoo.specs.atcnet import ATCNetParams
from eegzoo.specs.ctnet import CTNetParams
from eegzoo.specs.dataset import DatasetSpec
from eegzoo.specs.deep4net import Deep4NetParams
from eegzoo.specs.eegconformer import EEGConformerParams
from eegzoo.specs.eegnet import EEGNetParams
from eegzoo.specs.eegnex import EEGNeXParams
from eegzoo.specs.eegtcnet import EEGTCNetParams
from eegzoo.specs.fbcnet import FBCNetParams
from eegzoo.specs.fblightconvnet import FBLightConvNetParams, FilterParameters
from eegzoo.specs.ifnet import IFNetParams
from eegzoo.specs.input import InputContract
from eegzoo.specs.model import ArchitectureParams, BlockSpec, Frozen, ModelSpec, PretrainedSource, SignalDefaults
from eegzoo.specs.recipe import PlateauSchedule, Recipe, get_recipe, list_recipes
from eegzoo.specs.results import MeasuredResult, measured_results
from eegzoo.specs.sequential import SequentialParams
from eegzoo.specs.shallowfbcspnet import ShallowFBCSPNetParams
from eegzoo.specs.tcformer import TCFormerParams

__all__ = [
    "ATCNetParams",
    "ArchitectureParams",
    "BlockSpec",
    "CTNetParams",
    "DatasetSpec",
    "Deep4NetParams",
    "EEGConformerParams",
    "EEGNeXParams",
    "EEGNetParams",
    "EEGTCNetParams",
    "FBCNetParams",
    "FBLightConvNetParams",
    "FilterParameters",
    "Frozen",
    "IFNetParams",
    "InputContract",
    "MeasuredResult",
    "ModelSpec",
    "PlateauSchedule",
    "PretrainedSource",
    "Recipe",
    "SequentialParams",
    "ShallowFBCSPNetParams",
    "SignalDefaults",
    "TCFormerParams",
    "get_recipe",
    "list_recipes",
    "measured_results",
]
