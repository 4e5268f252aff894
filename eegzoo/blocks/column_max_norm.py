"""Soft max-norm on a linear layer's weight columns (braindecode 1.8's ``MaxNormLinear``).

braindecode's ``MaxNormLinear`` (the classifier of EEG-TCNet, ATCNet, EEG-ITNet) constrains
the L2 norm of each weight *column* (one per input feature, ``dim=0`` of the ``(out, in)``
weight), not each row as :class:`eegzoo.blocks.max_norm.MaxNorm` does: the norm is clamped
into ``[max_norm / 2, max_norm]`` and the column scaled by ``clamped / (clamped_low + eps)``.
Checkpoints trained with it only reproduce their logits under the same map, so it is kept
as is.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrize


def column_scale(weight: torch.Tensor, max_norm: float, eps: float) -> torch.Tensor:
    """The factor :class:`ColumnMaxNorm` multiplies each column of ``weight`` by."""
    low = weight.norm(2, dim=0, keepdim=True).clamp(min=max_norm / 2)
    return low.clamp(max=max_norm) / (low + eps)


class ColumnMaxNorm(nn.Module):
    """Parametrization ``W -> W * min(max(n, m/2), m) / (max(n, m/2) + eps)`` with ``n``
    the L2 norm of each column of ``W`` and ``m = max_norm``; ``right_inverse`` divides by
    the same factor (registration stores ``W / scale``, as braindecode does)."""

    def __init__(self, max_norm: float = 2.0, eps: float = 1e-5) -> None:
        super().__init__()
        if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or not max_norm > 0:
            raise ValueError(f"max_norm must be a positive number, got {max_norm!r}.")
        self.max_norm = float(max_norm)
        self.eps = float(eps)

    def scale(self, weight: torch.Tensor) -> torch.Tensor:
        return column_scale(weight, self.max_norm, self.eps)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight * self.scale(weight)

    def right_inverse(self, weight: torch.Tensor) -> torch.Tensor:
        return weight / self.scale(weight)

    def extra_repr(self) -> str:
        return f"max_norm={self.max_norm}, eps={self.eps}"


class ColumnMaxNormLinear(nn.Linear):
    """``nn.Linear`` under :class:`ColumnMaxNorm`: state_dict keys ``bias`` and
    ``parametrizations.weight.original``, initialised as ``nn.Linear`` then stored through
    ``right_inverse`` (braindecode's ``MaxNormLinear(in, out, max_norm_val=...)``)."""

    def __init__(self, in_features: int, out_features: int, max_norm: float = 2.0, eps: float = 1e-5, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.max_norm = float(max_norm)
        self.eps = float(eps)
        parametrize.register_parametrization(self, "weight", ColumnMaxNorm(max_norm, eps))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if torch.jit.is_scripting():  # TorchScript refuses parametrizations at run time: the same map, by hand
            original = self.parametrizations["weight"].original  # type: ignore[index]
            weight = original * column_scale(original, self.max_norm, self.eps)
        else:
            weight = self.weight
        return F.linear(x, weight, self.bias)
