"""Temporal then spatial convolution, merged into one convolution (ShallowConvNet's first
layer)."""

from __future__ import annotations

from typing import Optional, Tuple

import torch

import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.shapes import shape_text


class TemporalSpatialConv(nn.Module):
    """``n_filters_time`` temporal filters of ``filter_time_length`` samples, then
    ``n_filters_spat`` spatial filters over (temporal filter, electrode) pairs:
    ``(B, n_chans, T) -> (B, n_filters_spat, T - filter_time_length + 1)`` ("valid").

    Factorising the first layer into a temporal and a spatial step (Schirrmeister et al.
    2017) regularises it, but both steps are linear, so they run as one convolution whose
    kernel ``(n_filters_spat, n_chans, filter_time_length)`` is built from the two factors
    on every call (gradients reach both). Parameters are braindecode's ``CombinedConv``:
    ``conv_time.weight`` ``(n_filters_time, 1, filter_time_length, 1)``, ``conv_time.bias``,
    ``conv_spat.weight`` ``(n_filters_spat, n_filters_time, 1, n_chans)``, ``conv_spat.bias``.
    The temporal bias passes through the spatial filters into the output bias.
    """

    def __init__(
        self,
        n_chans: int,
        n_filters_time: int = 40,
        n_filters_spat: int = 40,
        filter_time_length: int = 25,
        bias_time: bool = True,
        bias_spat: bool = True,
    ) -> None:
        super().__init__()
        for name, value in (
            ("n_chans", n_chans), ("n_filters_time", n_filters_time),
            ("n_filters_spat", n_filters_spat), ("filter_time_length", filter_time_length),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TemporalSpatialConv: {name} must be a positive int, got {value!r}.")
        self.n_chans = n_chans
        self.filter_time_length = filter_time_length
        self.conv_time = nn.Conv2d(1, n_filters_time, (filter_time_length, 1), bias=bias_time)
        self.conv_spat = nn.Conv2d(n_filters_time, n_filters_spat, (1, n_chans), bias=bias_spat)

    def merged_kernel(self) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``(weight (n_filters_spat, n_chans, filter_time_length), bias or None)`` of the
        equivalent single convolution."""
        time_w = self.conv_time.weight[:, 0, :, 0]  # (Ft, L)
        spat_w = self.conv_spat.weight[:, :, 0, :]  # (Fs, Ft, C)
        weight = torch.einsum("stc,tl->scl", spat_w, time_w)
        bias: Optional[torch.Tensor] = None
        time_bias = self.conv_time.bias
        if time_bias is not None:
            bias = spat_w.sum(-1) @ time_bias
        spat_bias = self.conv_spat.bias
        if spat_bias is not None:
            bias = spat_bias if bias is None else bias + spat_bias
        return weight, bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] != self.n_chans:
            raise ValueError(
                f"TemporalSpatialConv expects (batch, n_chans, n_times) = (B, {self.n_chans}, T), "
                f"got {shape_text(x)}."
            )
        if x.shape[2] < self.filter_time_length:
            raise ValueError(
                f"TemporalSpatialConv needs at least filter_time_length={self.filter_time_length} "
                f"samples, got {x.shape[2]}."
            )
        weight, bias = self.merged_kernel()
        return F.conv1d(x, weight, bias)
