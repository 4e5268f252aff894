"""Max-norm constraint: every output unit's weight vector is kept inside an L2 ball.

EEGNet, FBCNet and other small EEG networks regularise their spatial filters and
classifiers this way (Keras' ``max_norm`` kernel constraint). As in braindecode 1.8, the
constraint is a parametrization: the stored parameter is
``<layer>.parametrizations.weight.original`` and the weight the layer uses is its
row-wise renormalisation, recomputed (and differentiated through) on every access.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize


class MaxNorm(nn.Module):
    """Parametrization ``W -> W.renorm(2, dim=0, max_norm)``: rows (output units, dim 0)
    whose L2 norm exceeds ``max_norm`` are scaled down onto the ball; others are unchanged."""

    def __init__(self, max_norm: float) -> None:
        super().__init__()
        if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or not max_norm > 0:
            raise ValueError(f"max_norm must be a positive number, got {max_norm!r}.")
        self.max_norm = max_norm

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight.renorm(p=2, dim=0, maxnorm=self.max_norm)

    def extra_repr(self) -> str:
        return f"max_norm={self.max_norm}"


def constrain_max_norm(module: nn.Module, max_norm: float, name: str = "weight") -> nn.Module:
    """Put the :class:`MaxNorm` parametrization on ``module.<name>`` (in place) and return
    ``module``. Its state_dict key becomes ``<name>`` -> ``parametrizations.<name>.original``."""
    parametrize.register_parametrization(module, name, MaxNorm(max_norm))
    return module


def max_norm_of(module: nn.Module, name: str = "weight") -> float | None:
    """The max-norm constraint on ``module.<name>``, or ``None`` when it has none."""
    if not parametrize.is_parametrized(module, name):
        return None
    for p in module.parametrizations[name]:  # type: ignore[index]
        if isinstance(p, MaxNorm):
            return p.max_norm
    return None


class MaxNormWeight:
    """Mixin for a layer whose ``weight`` may carry the :class:`MaxNorm` parametrization:
    :meth:`constrained_weight` is the weight the layer computes with, also under
    ``torch.jit.script``, where torch refuses parametrizations at run time (the stored
    parameter is renormalised directly there, the same operation). The layer sets
    ``self.max_norm`` (``None`` when unconstrained)."""

    def constrained_weight(self) -> torch.Tensor:
        if torch.jit.is_scripting():
            if hasattr(self, "parametrizations"):
                max_norm = self.max_norm
                assert max_norm is not None
                return self.parametrizations["weight"].original.renorm(2, 0, max_norm)  # type: ignore[attr-defined]
        return self.weight  # type: ignore[attr-defined]


class MaxNormLinear(MaxNormWeight, nn.Linear):
    """``nn.Linear`` whose weight rows (one per output) have L2 norm at most ``max_norm``.

    Parameters and initialisation are ``nn.Linear``'s; the state_dict keys are
    ``weight`` -> ``parametrizations.weight.original`` and ``bias`` (braindecode's
    ``LinearWithConstraint``)."""

    def __init__(self, in_features: int, out_features: int, max_norm: float = 1.0, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.max_norm = max_norm
        constrain_max_norm(self, max_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return nn.functional.linear(x, self.constrained_weight(), self.bias)
