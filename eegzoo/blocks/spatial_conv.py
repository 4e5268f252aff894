"""Spatial convolution: learned mixing of (band, electrode) signals into spatial filters."""

from __future__ import annotations

import torch
from torch import nn

from eegzoo.blocks.shapes import shape_text


class SpatialConv(nn.Conv2d):
    """Mix all bands and electrodes into ``n_filters`` virtual channels, per time sample.

    ``(B, n_bands, n_chans, T) -> (B, n_filters, T)``. It is a ``Conv2d`` with kernel
    ``(n_chans, 1)`` whose input channels are the bands, so its parameters (``weight``
    ``(n_filters, n_bands, n_chans, 1)``, ``bias`` ``(n_filters,)``) and initialisation are
    exactly those of braindecode's ``spatial_conv.0``.
    """

    def __init__(self, n_bands: int, n_chans: int, n_filters: int, bias: bool = True) -> None:
        for name, value in (("n_bands", n_bands), ("n_chans", n_chans), ("n_filters", n_filters)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SpatialConv: {name} must be a positive int, got {value!r}.")
        super().__init__(n_bands, n_filters, kernel_size=(n_chans, 1), bias=bias)
        self.n_chans = n_chans

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if not torch.jit.is_tracing() and (x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[2] != self.n_chans):
            raise ValueError(
                "SpatialConv expects (batch, n_bands, n_chans, n_times) = "
                f"(B, {self.in_channels}, {self.n_chans}, T), got {shape_text(x)}."
            )
        return self._conv_forward(x, self.weight, self.bias).squeeze(2)  # super() does not script
