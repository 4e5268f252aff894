"""Reusable building blocks of zoo models; each works alone on tensors."""

from eegzoo.blocks.bandwise_batch_norm import bandwise_filter_batch_norm
from eegzoo.blocks.column_max_norm import ColumnMaxNormLinear
from eegzoo.blocks.deep_conv_pool import DeepConvPool
from eegzoo.blocks.depthwise_spatial_conv import DepthwiseSpatialConv
from eegzoo.blocks.depthwise_temporal_conv import DepthwiseTemporalConv
from eegzoo.blocks.dilated_avg_pool import DilatedAvgPool2d
from eegzoo.blocks.filter_bank import DEFAULT_BANDS, FilterBank, resolve_bands
from eegzoo.blocks.grouped_query_attention import GroupedQueryAttention
from eegzoo.blocks.interactive_band_mixing import InteractiveBandMixing
from eegzoo.blocks.lightweight_attention import LightweightAttention
from eegzoo.blocks.max_norm import MaxNorm, MaxNormLinear, constrain_max_norm
from eegzoo.blocks.multi_head_attention import MultiHeadAttention
from eegzoo.blocks.patch_embedding import PatchEmbedding
from eegzoo.blocks.safe_log import SafeLog
from eegzoo.blocks.sliding_windows import SlidingWindows
from eegzoo.blocks.spatial_conv import SpatialConv
from eegzoo.blocks.spectral_spatial import spectral_bandwise_filter, spectral_spatial_filter
from eegzoo.blocks.square import Square
from eegzoo.blocks.tcn_residual_block import CausalConv1d, TCNResidualBlock
from eegzoo.blocks.temporal_spatial_conv import TemporalSpatialConv
from eegzoo.blocks.transformer_encoder_layer import TransformerEncoderLayer
from eegzoo.blocks.var_pool import VarPool

__all__ = [
    "CausalConv1d",
    "ColumnMaxNormLinear",
    "DEFAULT_BANDS",
    "DeepConvPool",
    "DepthwiseSpatialConv",
    "DepthwiseTemporalConv",
    "DilatedAvgPool2d",
    "FilterBank",
    "GroupedQueryAttention",
    "InteractiveBandMixing",
    "LightweightAttention",
    "MaxNorm",
    "MaxNormLinear",
    "MultiHeadAttention",
    "PatchEmbedding",
    "SafeLog",
    "SlidingWindows",
    "SpatialConv",
    "Square",
    "TCNResidualBlock",
    "TemporalSpatialConv",
    "TransformerEncoderLayer",
    "VarPool",
    "bandwise_filter_batch_norm",
    "constrain_max_norm",
    "resolve_bands",
    "spectral_bandwise_filter",
    "spectral_spatial_filter",
]
