"""Reusable building blocks of zoo models; each works alone on tensors."""

from eegzoo.blocks.depthwise_spatial_conv import DepthwiseSpatialConv
from eegzoo.blocks.depthwise_temporal_conv import DepthwiseTemporalConv
from eegzoo.blocks.filter_bank import DEFAULT_BANDS, FilterBank, resolve_bands
from eegzoo.blocks.lightweight_attention import LightweightAttention
from eegzoo.blocks.max_norm import MaxNorm, MaxNormLinear, constrain_max_norm
from eegzoo.blocks.safe_log import SafeLog
from eegzoo.blocks.spatial_conv import SpatialConv
from eegzoo.blocks.spectral_spatial import spectral_bandwise_filter, spectral_spatial_filter
from eegzoo.blocks.square import Square
from eegzoo.blocks.temporal_spatial_conv import TemporalSpatialConv
from eegzoo.blocks.var_pool import VarPool

__all__ = [
    "DEFAULT_BANDS",
    "DepthwiseSpatialConv",
    "DepthwiseTemporalConv",
    "FilterBank",
    "LightweightAttention",
    "MaxNorm",
    "MaxNormLinear",
    "SafeLog",
    "SpatialConv",
    "Square",
    "TemporalSpatialConv",
    "VarPool",
    "constrain_max_norm",
    "resolve_bands",
    "spectral_bandwise_filter",
    "spectral_spatial_filter",
]
