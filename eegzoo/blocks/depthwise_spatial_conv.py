"""Depthwise spatial convolution: every input map gets its own spatial filters."""

from __future__ import annotations

import torch

from torch import nn

from eegzoo.blocks.shapes import shape_text
from eegzoo.blocks.max_norm import MaxNormWeight, constrain_max_norm


class DepthwiseSpatialConv(MaxNormWeight, nn.Conv2d):
    """``depth`` spatial filters over all electrodes for each of ``n_maps`` input maps,
    without mixing the maps: ``(B, n_maps, n_chans, T) -> (B, n_maps * depth, 1, T)``.

    The maps are temporal filters (EEGNet: a frequency-specific spatial pattern per
    learned temporal filter) or frequency bands (FBCNet: CSP-like filters per band). Output
    map ``m * depth + d`` is filter ``d`` of input map ``m``. It is a grouped ``Conv2d``
    with kernel ``(n_chans, 1)``: ``weight`` ``(n_maps * depth, 1, n_chans, 1)``, as
    braindecode's ``conv_spatial`` (EEGNet) and ``spatial_conv.0`` (FBCNet).

    Args:
        n_maps: input maps (groups).
        n_chans: electrodes.
        depth: spatial filters per map (EEGNet's ``D``, FBCNet's ``n_filters_spat``).
        bias: learn a bias per output map.
        max_norm: if given, each filter's weight vector is kept within this L2 norm
            (see :mod:`eegzoo.blocks.max_norm`).
    """

    def __init__(self, n_maps: int, n_chans: int, depth: int, bias: bool = False, max_norm: float | None = None) -> None:
        for name, value in (("n_maps", n_maps), ("n_chans", n_chans), ("depth", depth)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"DepthwiseSpatialConv: {name} must be a positive int, got {value!r}.")
        super().__init__(n_maps, n_maps * depth, kernel_size=(n_chans, 1), groups=n_maps, bias=bias)
        self.n_chans = n_chans
        self.depth = depth
        self.max_norm = max_norm
        # Xavier initialisation, drawn after Conv2d's own (same random stream as braindecode).
        nn.init.xavier_uniform_(self.weight, gain=1)
        if max_norm is not None:
            constrain_max_norm(self, max_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[2] != self.n_chans:
            raise ValueError(
                "DepthwiseSpatialConv expects (batch, n_maps, n_chans, n_times) = "
                f"(B, {self.in_channels}, {self.n_chans}, T), got {shape_text(x)}."
            )
        return self._conv_forward(x, self.constrained_weight(), self.bias)

    def filters(self) -> torch.Tensor:
        """The effective (constrained) weights as ``(n_maps, depth, n_chans)``."""
        return self.weight.view(self.in_channels, self.depth, self.n_chans)
