"""Square non-linearity: the power of a band-passed signal."""

from __future__ import annotations

import torch
from torch import nn


class Square(nn.Module):
    """``x -> x * x``. After a (learned) band-pass and spatial filter, squaring then
    averaging over time gives the band power, the quantity filter-bank CSP classifies
    (ShallowConvNet's ``conv_nonlin``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * x
