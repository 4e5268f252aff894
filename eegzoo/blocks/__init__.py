"""Reusable building blocks of zoo models; each works alone on tensors."""

from eegzoo.blocks.filter_bank import DEFAULT_BANDS, FilterBank, resolve_bands
from eegzoo.blocks.lightweight_attention import LightweightAttention
from eegzoo.blocks.spatial_conv import SpatialConv
from eegzoo.blocks.spectral_spatial import spectral_spatial_filter
from eegzoo.blocks.var_pool import VarPool

__all__ = [
    "DEFAULT_BANDS",
    "FilterBank",
    "LightweightAttention",
    "SpatialConv",
    "VarPool",
    "resolve_bands",
    "spectral_spatial_filter",
]
