"""Logarithm that never returns -inf: log of a power clamped away from zero."""

from __future__ import annotations

import torch
from torch import nn


class SafeLog(nn.Module):
    """``x -> log(max(x, eps))``. The log makes band powers roughly Gaussian; the clamp
    keeps silent (zero-power) stretches finite (ShallowConvNet's ``pool_nonlin``)."""

    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
            raise ValueError(f"SafeLog: eps must be a positive number, got {eps!r}.")
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.clamp(x, min=self.eps))

    def extra_repr(self) -> str:
        return f"eps={self.eps}"
