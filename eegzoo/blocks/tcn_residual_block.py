"""Residual block of a temporal convolutional network (TCN, Bai et al. 2018): two dilated
causal convolutions and a skip connection.

Causal (each output sample sees only the present and the past) and dilated (stacking blocks
with dilations 1, 2, 4, ... grows the receptive field exponentially at a fixed parameter
count), it is the sequence model of EEG-TCNet, ATCNet and TCFormer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from eegzoo.blocks.max_norm import constrain_max_norm


class CausalConv1d(nn.Conv1d):
    """``nn.Conv1d`` with ``(kernel_size - 1) * dilation`` zeros on the left only: output
    sample ``t`` sees inputs ``<= t`` and the length is kept. ``max_norm`` (optional) keeps
    each output filter within that L2 norm, as a parametrization (keys
    ``parametrizations.weight.original``) that also runs under TorchScript."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1, groups: int = 1,
        bias: bool = True, max_norm: Optional[float] = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation, groups=groups, bias=bias)
        self.left_padding = (kernel_size - 1) * dilation
        self.max_norm = max_norm
        if max_norm is not None:
            constrain_max_norm(self, max_norm)

    def constrained_weight(self) -> torch.Tensor:
        if torch.jit.is_scripting():  # TorchScript refuses parametrizations at run time: renorm by hand
            if hasattr(self, "parametrizations"):
                max_norm = self.max_norm
                assert max_norm is not None
                return self.parametrizations["weight"].original.renorm(2, 0, max_norm)  # type: ignore[index]
        return self.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if self.left_padding > 0:
            x = F.pad(x, [self.left_padding, 0])
        return F.conv1d(x, self.constrained_weight(), self.bias, 1, 0, self.dilation, self.groups)


class TCNResidualBlock(nn.Module):
    """``act(residual(x) + unit2(unit1(x)))``, each unit ``dropout(act(bn(causal_conv(.))))``:
    ``(B, in_channels, T) -> (B, out_channels, T)``.

    The causal convolution (:class:`CausalConv1d`) left-pads ``(kernel_size - 1) * dilation`` zeros, so output
    sample ``t`` depends on inputs ``<= t`` only and the length is kept (what braindecode's
    ``CausalConv1d`` and ``Conv1d + Chomp1d`` compute, without padding the right end and
    cutting it off again).

    Submodules (state_dict keys) are ``conv1``, ``bn1``, ``drop1``, ``conv2``, ``bn2``,
    ``drop2``, ``activation`` (one instance, applied three times) and ``reshaping_conv``
    (the 1x1 convolution of the skip path when ``in_channels != out_channels``, else
    ``nn.Identity``): braindecode's ATCNet ``_TCNResidualBlock`` names. Without batch norm,
    ``bn1``/``bn2`` are ``nn.Identity`` (no keys).

    Args:
        in_channels, out_channels: feature maps in and out.
        kernel_size: taps of each causal convolution.
        dilation: spacing of the taps (1, 2, 4, ... along a stack).
        dropout: dropout probability after each unit.
        activation: activation class (ELU), instantiated once.
        batch_norm: batch norm after each convolution.
        bias: bias on the two causal convolutions (redundant before a batch norm, but kept
            for checkpoints that have it).
        groups: grouped causal convolutions (``in_channels`` and ``out_channels`` divisible).
        batch_norm_momentum, batch_norm_eps: the batch norms' settings.
        residual_bias: bias on the skip path's 1x1 convolution.
        residual: a module to use as the skip path instead of building one (a model that
            builds it earlier, in its own parameter order); ``max_norm`` constrains it too
            when it is a :class:`CausalConv1d`.
        max_norm: if given, each output filter of the convolutions (skip path included) is
            kept within this L2 norm (:mod:`eegzoo.blocks.max_norm`; keys
            ``conv1.parametrizations.weight.original``, ...).
        weight_init: called on each causal convolution's weight right after it is built
            (e.g. ``nn.init.kaiming_uniform_``); ``None`` keeps ``nn.Conv1d``'s.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        dilation: int = 1,
        dropout: float = 0.0,
        activation: type[nn.Module] = nn.ELU,
        batch_norm: bool = True,
        bias: bool = True,
        groups: int = 1,
        batch_norm_momentum: float = 0.1,
        batch_norm_eps: float = 1e-5,
        residual_bias: bool = True,
        residual: Optional[nn.Module] = None,
        max_norm: Optional[float] = None,
        weight_init: Optional[Callable[[torch.Tensor], object]] = None,
    ) -> None:
        super().__init__()
        for name, value in (
            ("in_channels", in_channels), ("out_channels", out_channels),
            ("kernel_size", kernel_size), ("dilation", dilation), ("groups", groups),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TCNResidualBlock: {name} must be a positive int, got {value!r}.")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"TCNResidualBlock: groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}."
            )
        if not 0 <= dropout < 1:
            raise ValueError(f"TCNResidualBlock: dropout must be in [0, 1), got {dropout!r}.")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.dilation = dilation

        self.activation = activation()
        self.conv1 = CausalConv1d(in_channels, out_channels, kernel_size, dilation, groups, bias)
        if weight_init is not None:
            weight_init(self.conv1.weight)
        self.bn1 = self._norm(batch_norm, out_channels, batch_norm_momentum, batch_norm_eps)
        self.drop1 = nn.Dropout(dropout)
        self.conv2 = CausalConv1d(out_channels, out_channels, kernel_size, dilation, groups, bias)
        if weight_init is not None:
            weight_init(self.conv2.weight)
        self.bn2 = self._norm(batch_norm, out_channels, batch_norm_momentum, batch_norm_eps)
        self.drop2 = nn.Dropout(dropout)
        if residual is not None:
            self.reshaping_conv = residual
        elif in_channels != out_channels:
            self.reshaping_conv = CausalConv1d(in_channels, out_channels, 1, bias=residual_bias)
        else:
            self.reshaping_conv = nn.Identity()
        if max_norm is not None:  # after all weights are drawn (braindecode's order)
            for conv in (self.conv1, self.conv2, self.reshaping_conv):
                if isinstance(conv, CausalConv1d):
                    conv.max_norm = max_norm
                    constrain_max_norm(conv, max_norm)

    @staticmethod
    def _norm(on: bool, n: int, momentum: float, eps: float) -> nn.Module:
        return nn.BatchNorm1d(n, momentum=momentum, eps=eps) if on else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.drop1(self.activation(self.bn1(self.conv1(x))))
        out = self.drop2(self.activation(self.bn2(self.conv2(out))))
        return self.activation(self.reshaping_conv(x) + out)

    def extra_repr(self) -> str:
        return f"{self.in_channels} -> {self.out_channels}, kernel_size={self.kernel_size}, dilation={self.dilation}"
