"""Training-mode batch norm of band-wise spatial filters, folded into the filters.

``BatchNorm1d(DepthwiseSpatialConv(FilterBank(x)))`` in training mode normalises each output
map with its batch mean and variance. The maps are linear in the band-filtered signals, so
those statistics follow from the band signals' means and ``n_chans x n_chans`` covariances
(a batched matrix product, small next to the maps): ``mean_o = w_o . m_b + bias_o`` and
``var_o = w_o^T C_b w_o``. The normalisation then folds into the spatial filters, and the
maps are produced already normalised: no separate batch-norm pass over them, forward or
backward (FBCNet: ``(64, 288, 1000)`` maps). Autograd differentiates through the statistics,
so gradients are those of the two-step computation.
"""

from __future__ import annotations

import torch
from torch import nn

from eegzoo.blocks.batch_norm_folding import batch_norm_affine, update_running_stats
from eegzoo.blocks.filter_bank import FilterBank


def bandwise_filter_batch_norm(
    x: torch.Tensor, bank: FilterBank, weight: torch.Tensor, bias: torch.Tensor | None, bn: nn.BatchNorm1d,
) -> torch.Tensor:
    """``bn(DepthwiseSpatialConv(bank(x)))`` for a training-mode ``bn`` that tracks running
    statistics: ``(B, n_chans, T) -> (B, n_bands * depth, T)``; ``bn``'s running statistics
    move exactly as ``nn.BatchNorm1d`` moves them.

    ``weight``: ``(n_bands * depth, 1, n_chans, 1)`` or ``(n_bands, depth, n_chans)``;
    ``bias``: ``(n_bands * depth,)`` or ``None``. The covariances are accumulated in float64
    across trials (a DC offset would otherwise cancel digits away)."""
    batch, n_chans, n_times = x.shape
    n_bands = bank.n_bands
    weight = weight.reshape(n_bands, -1, n_chans)
    depth = weight.shape[1]
    filtered = bank(x).reshape(batch, n_bands, n_chans, n_times)
    count = batch * n_times
    band_mean = filtered.sum(-1).sum(0, dtype=torch.float64) / count  # (nb, C); no float64 copy of the signals
    flat = filtered.reshape(batch * n_bands, n_chans, n_times)
    second = torch.bmm(flat, flat.transpose(1, 2)).view(batch, n_bands, n_chans, n_chans)
    second = second.sum(0, dtype=torch.float64) / count
    covariance = second - band_mean[:, :, None] * band_mean[:, None, :]  # (nb, C, C)
    w64 = weight.to(torch.float64)
    mean = torch.einsum("bdc,bc->bd", w64, band_mean).reshape(-1)
    var = torch.einsum("bdc,bce,bde->bd", w64, covariance, w64).reshape(-1).clamp_min(0)
    if bias is not None:
        mean = mean + bias.to(torch.float64)
    update_running_stats(bn, mean, var, count)
    gamma, beta = bn.weight, bn.bias
    scale, shift = batch_norm_affine(
        mean, var, None if gamma is None else gamma.to(torch.float64), None if beta is None else beta.to(torch.float64),
        bn.eps,
    )
    if bias is not None:
        shift = shift + bias.to(torch.float64) * scale
    folded = (weight * scale.to(x.dtype).view(n_bands, depth, 1)).reshape(n_bands, depth, n_chans)
    folded = folded.expand(batch, n_bands, depth, n_chans).reshape(batch * n_bands, depth, n_chans)
    shift = shift.to(x.dtype).view(1, n_bands, depth, 1).expand(batch, n_bands, depth, 1)
    out = torch.baddbmm(shift.reshape(batch * n_bands, depth, 1), folded, flat)
    return out.reshape(batch, n_bands * depth, n_times)

