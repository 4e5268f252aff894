"""Batch norm as arithmetic, for the fused paths that never run the ``nn.BatchNorm*`` module.

Several models compute a batch norm's statistics without the map it normalises (from the
input's second-order statistics, or the band covariances) and fold the normalisation into
the filters before it. They all need the same two pieces, kept here once: the running
statistics' update of training mode, and the batch norm as a per-channel ``scale * y +
shift`` (alone, or folded into the convolution before it).
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import nn


def update_running_buffers(
    running_mean: Optional[torch.Tensor], running_var: Optional[torch.Tensor],
    num_batches_tracked: Optional[torch.Tensor], momentum: Optional[float],
    mean: torch.Tensor, var: torch.Tensor, count: int,
) -> None:
    """What ``nn.BatchNorm*`` does to its running statistics in training mode, given the
    batch ``mean`` and biased ``var`` over ``count`` values per channel (unbiased variance;
    ``momentum=None``: cumulative average). Takes the buffers, not the module, so that
    TorchScript compiles the callers."""
    assert running_mean is not None and running_var is not None and num_batches_tracked is not None
    with torch.no_grad():
        num_batches_tracked.add_(1)
        factor = 1.0 / float(num_batches_tracked) if momentum is None else momentum
        running_mean.mul_(1 - factor).add_(mean.detach().to(running_mean.dtype), alpha=factor)
        unbiased = var.detach().to(running_var.dtype) * (count / (count - 1))
        running_var.mul_(1 - factor).add_(unbiased, alpha=factor)


def update_running_stats(bn: nn.BatchNorm1d | nn.BatchNorm2d, mean: torch.Tensor, var: torch.Tensor, count: int) -> None:
    """:func:`update_running_buffers` of ``bn`` (eager callers)."""
    update_running_buffers(bn.running_mean, bn.running_var, bn.num_batches_tracked, bn.momentum, mean, var, count)


def batch_norm_affine(
    running_mean: Optional[torch.Tensor],
    running_var: Optional[torch.Tensor],
    weight: Optional[torch.Tensor],
    bias: Optional[torch.Tensor],
    eps: float,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Batch norm with the given statistics as ``scale * x + shift`` per channel
    (``scale = weight / sqrt(var + eps)``, ``shift = bias - mean * scale``)."""
    assert running_var is not None and running_mean is not None
    scale = torch.rsqrt(running_var + eps)
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return scale, shift


def composed_batch_norm_affine(
    mean: torch.Tensor, var: torch.Tensor, eps: float, weight: Optional[torch.Tensor], bias: Optional[torch.Tensor]
) -> Tuple[torch.Tensor, torch.Tensor]:
    """:func:`batch_norm_affine` rounded the other way: the normalisation's own
    ``(scale, shift)`` first, then composed with the affine ``weight``/``bias`` (applied
    only when both are set). The models that use it keep their outputs to the bit."""
    scale, shift = batch_norm_affine(mean, var, None, None, eps)
    if weight is not None and bias is not None:
        scale, shift = scale * weight, shift * weight + bias
    return scale, shift


def fold_batch_norm(
    weight: torch.Tensor, bias: Optional[torch.Tensor], running_mean: Optional[torch.Tensor],
    running_var: Optional[torch.Tensor], bn_weight: Optional[torch.Tensor], bn_bias: Optional[torch.Tensor],
    eps: float,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of ``batchnorm_eval(conv(x))`` as one convolution: the output
    channel ``o`` is scaled by ``gamma / sqrt(var + eps)`` and shifted. ``weight`` is
    ``(out, ...)``; the batch norm must track running statistics."""
    assert running_mean is not None and running_var is not None, "batch norm without running statistics"
    scale, shift = batch_norm_affine(running_mean, running_var, bn_weight, None, eps)
    if bias is not None:
        shift = shift + bias * scale
    if bn_bias is not None:
        shift = shift + bn_bias
    shape = [-1] + [1] * (weight.dim() - 1)
    return weight * scale.reshape(shape), shift
