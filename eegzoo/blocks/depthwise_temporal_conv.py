"""Depthwise temporal convolution: one short temporal kernel per feature map."""

from __future__ import annotations

import torch

from torch import nn

from eegzoo.blocks.shapes import shape_text


class DepthwiseTemporalConv(nn.Conv2d):
    """Filter each of ``n_maps`` maps in time with its own kernel of ``kernel_length``
    samples: ``(B, n_maps, H, T) -> (B, n_maps, H, T')``, zero-padded by
    ``kernel_length // 2`` on both sides (``T' = T + 1`` for even kernels, ``T`` for odd).

    The depthwise half of EEGNet's separable convolution (followed by a 1x1 pointwise
    mixing): it summarises each map over a short window at few parameters. Weight
    ``(n_maps, 1, 1, kernel_length)``, braindecode's ``conv_separable_depth``.
    """

    def __init__(self, n_maps: int, kernel_length: int, bias: bool = False) -> None:
        for name, value in (("n_maps", n_maps), ("kernel_length", kernel_length)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"DepthwiseTemporalConv: {name} must be a positive int, got {value!r}.")
        super().__init__(
            n_maps, n_maps, (1, kernel_length), groups=n_maps, bias=bias, padding=(0, kernel_length // 2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"DepthwiseTemporalConv expects (batch, {self.in_channels}, height, n_times), "
                f"got {shape_text(x)}."
            )
        return self._conv_forward(x, self.weight, self.bias)
