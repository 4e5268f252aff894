"""eegzoo: a declarative model zoo for EEG deep learning."""

from eegzoo.blocks import FilterBank, LightweightAttention, SpatialConv, VarPool, spectral_spatial_filter
from eegzoo.models import FBLightConvNet
from eegzoo.signal import TruncationWarning

__version__ = "0.1.0"

__all__ = [
    "FBLightConvNet",
    "FilterBank",
    "LightweightAttention",
    "SpatialConv",
    "TruncationWarning",
    "VarPool",
    "spectral_spatial_filter",
    "__version__",
]
