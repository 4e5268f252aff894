"""Deep ConvNet's conv-pool block: dropout, temporal convolution, batch norm, non-linearity,
pooling (Schirrmeister et al. 2017; Deep4Net stacks three after its first layer)."""

from __future__ import annotations

from typing import Any, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.batch_norm_folding import fold_batch_norm
from eegzoo.blocks.dilated_avg_pool import DilatedAvgPool2d
from eegzoo.blocks.shapes import shape_text

#: Non-linearities (their default instances) that never decrease: max pooling commutes with
#: them, ``max(f(a), f(b)) == f(max(a, b))``, so they may run after the pool, on fewer samples.
MONOTONE_NONLINEARITIES: Tuple[type, ...] = (
    nn.Identity, nn.ELU, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.SELU, nn.CELU, nn.Sigmoid, nn.Tanh,
    nn.Hardtanh, nn.Softplus,
)


def pool_commutes(nonlin: Any, pool_mode: str) -> bool:
    """Whether ``pool(nonlin(x)) == nonlin(pool(x))``: max pooling and a monotone
    non-linearity from :data:`MONOTONE_NONLINEARITIES` (the class, exact type, or a default
    instance of it)."""
    if isinstance(nonlin, nn.Module):
        # the parameters that could make these decreasing somewhere
        if getattr(nonlin, "negative_slope", 0) < 0 or getattr(nonlin, "alpha", 0) < 0 or getattr(nonlin, "beta", 1) <= 0:
            return False
        nonlin = type(nonlin)
    return pool_mode == "max" and isinstance(nonlin, type) and nonlin in MONOTONE_NONLINEARITIES


def make_pool(pool_mode: str, length: int, stride: int) -> nn.Module:
    """braindecode's temporal pooling layers: ``(length, 1)`` windows over ``(B, C, T, 1)``,
    with ``stride``/``dilation`` attributes that dense-prediction conversion rewrites."""
    if pool_mode == "max":  # dilation and padding as pairs: the forward reads them as such
        return nn.MaxPool2d(kernel_size=(length, 1), stride=(stride, 1), padding=(0, 0), dilation=(1, 1))
    if pool_mode == "mean":
        return DilatedAvgPool2d(kernel_size=(length, 1), stride=(stride, 1))
    raise ValueError(f"pool mode must be 'max' or 'mean', got {pool_mode!r}.")


def temporal_conv(
    x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: Tuple[int, int], dilation: Tuple[int, int]
) -> torch.Tensor:
    """A ``Conv2d`` with ``(L, 1)`` kernels (weight ``(out, in, L, 1)``, ``stride``/``dilation``
    ``(s, 1)``/``(d, 1)``, braindecode's orientation) on signals laid out ``(B, in, 1, T)``:
    ``-> (B, out, 1, T')``. Time on the last axis is the layout oneDNN's convolutions are
    fastest on, contiguous (as ``conv1d``) or, faster still, channels-last (time-major)."""
    return F.conv2d(x, weight.transpose(2, 3), bias, [1, stride[0]], [0, 0], [1, dilation[0]])


def temporal_pool(
    x: torch.Tensor, is_max: bool, kernel: Tuple[int, int], stride: Tuple[int, int], dilation: Tuple[int, int],
    padding: Tuple[int, int],
) -> torch.Tensor:
    """braindecode's ``(L, 1)`` max or mean pooling (attributes in that orientation) on
    ``(B, C, 1, T)`` signals; a dilated mean is a depthwise convolution with ``1 / L`` taps."""
    if is_max:
        return F.max_pool2d(x, [1, kernel[0]], [1, stride[0]], [0, padding[0]], [1, dilation[0]])
    if dilation[0] == 1:
        return F.avg_pool2d(x, [1, kernel[0]], [1, stride[0]], [0, padding[0]], False, True)
    taps = torch.full([x.shape[1], 1, 1, kernel[0]], 1.0 / kernel[0], dtype=x.dtype, device=x.device)
    return F.conv2d(x, taps, None, [1, stride[0]], [0, padding[0]], [1, dilation[0]], x.shape[1])


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """``F.dropout`` with its mask drawn in the logical (contiguous) element order whatever
    ``x``'s memory layout: the same random draws, so the same masks, as ``F.dropout`` on a
    contiguous tensor (a channels-last tensor's own ``F.dropout`` may draw in memory order)."""
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * torch.zeros_like(x)
    noise = torch.empty(x.shape, dtype=x.dtype, device=x.device).bernoulli_(1.0 - p)
    return x * noise.div_(1.0 - p)


class DeepConvPool(nn.Module):
    """``(B, in_filters, T) -> (B, out_filters, T')``: dropout, ``out_filters`` temporal
    filters of ``filter_length`` samples over all input maps, batch norm, non-linearity,
    pooling, pool non-linearity. Stacked, it is the Deep ConvNet (Schirrmeister et al. 2017):
    each block widens the maps and shortens the time axis by the pool stride.

    Layers and ``state_dict`` keys are braindecode's Deep4Net block without its ``_<n>``
    suffix (``conv.weight`` ``(out, in, L, 1)``, ``bnorm.*``; the convolution has a bias
    only without batch norm), built in braindecode's order, so the same seed gives the same
    weights. ``conv``/``pool`` keep their ``stride``/``dilation`` attributes and the forward
    reads them, so dense-prediction conversion (strides 1, later layers dilated) applies.

    ``fused`` (same numbers to float rounding): signals run in channels-last (time-major)
    memory, where oneDNN's convolutions are fastest (dropout masks are drawn in the logical
    element order all the same, :func:`dropout`); in eval the batch norm is folded into the
    convolution; a monotone non-linearity (:data:`MONOTONE_NONLINEARITIES`) after max
    pooling runs after the pool instead, on ``1/stride`` of the samples (same output; in
    training the gradient differs only between samples the non-linearity maps to the same
    value).
    """

    def __init__(
        self,
        in_filters: int,
        out_filters: int,
        filter_length: int = 10,
        pool_length: int = 3,
        pool_stride: int = 3,
        conv_stride: int = 1,
        pool_mode: str = "max",
        nonlin: Any = nn.ELU,
        pool_nonlin: Any = nn.Identity,
        batch_norm: bool = True,
        batch_norm_alpha: float = 0.1,
        drop_prob: float = 0.5,
        fused: bool = True,
        init_weights: bool = True,
    ) -> None:
        super().__init__()
        for name, value in (
            ("in_filters", in_filters), ("out_filters", out_filters), ("filter_length", filter_length),
            ("pool_length", pool_length), ("pool_stride", pool_stride), ("conv_stride", conv_stride),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"DeepConvPool: {name} must be a positive int, got {value!r}.")
        self.in_filters = in_filters
        self.pool_first = pool_commutes(nonlin, pool_mode)
        self.is_max = pool_mode == "max"
        self.fused = fused
        # braindecode's order (drop, conv, bnorm, nonlin, pool, pool_nonlin): the seed draws match
        self.drop = nn.Dropout(p=drop_prob)
        self.conv = nn.Conv2d(in_filters, out_filters, (filter_length, 1), stride=(conv_stride, 1), bias=not batch_norm)
        if batch_norm:
            self.bnorm = nn.BatchNorm2d(out_filters, momentum=batch_norm_alpha, affine=True, eps=1e-5)
        self.nonlin = _layer(nonlin)
        self.pool = make_pool(pool_mode, pool_length, pool_stride)
        self.pool_nonlin = _layer(pool_nonlin)
        if init_weights:
            self.init_weights()

    def init_weights(self) -> None:
        """braindecode's initialisation: Xavier-uniform filters, zero bias, batch norm
        ``(1, 0)``. (Deep4Net builds its blocks with ``init_weights=False`` and calls this
        after building its classifier, braindecode's order of random draws.)"""
        nn.init.xavier_uniform_(self.conv.weight, gain=1)
        if self.conv.bias is not None:
            nn.init.zeros_(self.conv.bias)
        bnorm = getattr(self, "bnorm", None)
        if bnorm is not None:
            nn.init.ones_(bnorm.weight)
            nn.init.zeros_(bnorm.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] != self.in_filters:
            raise ValueError(
                "DeepConvPool expects (batch, in_filters, n_times) = (B, " + str(self.in_filters)
                + ", T), got " + shape_text(x) + "."
            )
        x = x.unsqueeze(2)
        if self.fused:
            x = x.contiguous(memory_format=torch.channels_last)
        x = dropout(x, self.drop.p, self.drop.training)
        fold = self.fused and not self.training and hasattr(self, "bnorm")
        weight, bias = self.conv.weight, self.conv.bias
        if fold:
            weight, bias = fold_batch_norm(
                weight, bias, self.bnorm.running_mean, self.bnorm.running_var, self.bnorm.weight,
                self.bnorm.bias, self.bnorm.eps,
            )
        x = temporal_conv(x, weight, bias, self.conv.stride, self.conv.dilation)
        if hasattr(self, "bnorm") and not fold:
            x = self.bnorm(x)
        kernel, stride, dilation, padding = self.pool.kernel_size, self.pool.stride, self.pool.dilation, self.pool.padding
        if self.pool_first and self.fused:
            x = self.nonlin(temporal_pool(x, self.is_max, kernel, stride, dilation, padding))
        else:
            x = temporal_pool(self.nonlin(x), self.is_max, kernel, stride, dilation, padding)
        x = x.squeeze(2)
        return self.pool_nonlin(x)


def _layer(activation: Any) -> nn.Module:
    if isinstance(activation, nn.Module):
        return activation
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation()
    raise ValueError(
        f"DeepConvPool: a non-linearity must be an nn.Module class or instance, got {activation!r}."
    )
