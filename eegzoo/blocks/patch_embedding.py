"""ShallowConvNet-style convolutional tokeniser: temporal + spatial convolution, batch norm,
activation, average pooling into time patches, then a per-token linear projection
(EEGConformer's patch embedding)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.shapes import shape_text


class PatchEmbedding(nn.Module):
    """``(B, n_chans, T) -> (B, S, n_filters)`` tokens, ``S = (T - filter_time_length + 1 -
    pool_time_length) // pool_time_stride + 1``.

    Parameters are braindecode's (EEGConformer's ``_PatchEmbedding``):
    ``shallownet.0`` temporal ``Conv2d(1, F, (1, filter_time_length))``, ``shallownet.1``
    spatial ``Conv2d(F, F, (n_chans, 1))``, ``shallownet.2`` ``BatchNorm2d(F)``, then the
    activation, ``AvgPool2d((1, pool_time_length), (1, pool_time_stride))``, dropout, and
    ``projection.0`` a ``1 x 1`` convolution.

    With ``fused=True`` the two convolutions, both linear, run as one ``conv1d`` over the
    electrodes whose kernel ``(F, n_chans, filter_time_length)`` is built from the two
    factors on every call (gradients reach both), and in eval mode the batch norm is folded
    into it: about ``1 + F / filter_time_length`` times fewer multiply-adds than the
    temporal-then-spatial pair. ``fused=False`` runs the reference's operations one by one.
    Same numbers to float rounding.
    """

    def __init__(
        self,
        n_chans: int,
        n_filters_time: int = 40,
        filter_time_length: int = 25,
        pool_time_length: int = 75,
        pool_time_stride: int = 15,
        drop_prob: float = 0.5,
        activation: type[nn.Module] = nn.ELU,
        fused: bool = True,
    ) -> None:
        super().__init__()
        for name, value in (
            ("n_chans", n_chans), ("n_filters_time", n_filters_time), ("filter_time_length", filter_time_length),
            ("pool_time_length", pool_time_length), ("pool_time_stride", pool_time_stride),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"PatchEmbedding: {name} must be a positive int, got {value!r}.")
        self.n_chans = n_chans
        self.n_filters = n_filters_time
        self.filter_time_length = filter_time_length
        self.pool_time_length = pool_time_length
        self.pool_time_stride = pool_time_stride
        self.fused = fused
        self.shallownet = nn.Sequential(
            nn.Conv2d(1, n_filters_time, (1, filter_time_length), (1, 1)),
            nn.Conv2d(n_filters_time, n_filters_time, (n_chans, 1), (1, 1)),
            nn.BatchNorm2d(n_filters_time),
            activation(),
            nn.AvgPool2d(kernel_size=(1, pool_time_length), stride=(1, pool_time_stride)),
            nn.Dropout(p=drop_prob),
        )
        self.projection = nn.Sequential(nn.Conv2d(n_filters_time, n_filters_time, (1, 1), stride=(1, 1)))

    def n_tokens(self, n_times: int) -> int:
        """Tokens (time patches) for ``n_times`` input samples (< 1: too short)."""
        return (n_times - self.filter_time_length + 1 - self.pool_time_length) // self.pool_time_stride + 1

    def merged_conv(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(weight (F, n_chans, filter_time_length), bias (F,))`` of the single convolution
        equal to the temporal then the spatial one."""
        temporal = self.shallownet[0]
        spatial = self.shallownet[1]
        time_w = temporal.weight[:, 0, 0, :]  # (F, L)
        spat_w = spatial.weight[:, :, :, 0]  # (F_out, F, C)
        weight = torch.einsum("ofc,fl->ocl", spat_w, time_w)
        time_b, spat_b = temporal.bias, spatial.bias
        assert time_b is not None and spat_b is not None  # both convolutions have biases
        bias = spat_w.sum(-1) @ time_b + spat_b
        return weight, bias

    def _conv_norm(self, x: torch.Tensor) -> torch.Tensor:
        """Both convolutions and the batch norm: ``(B, C, T) -> (B, F, 1, T - L + 1)``."""
        bn = self.shallownet[2]
        if not self.fused:
            return bn(self.shallownet[1](self.shallownet[0](x.unsqueeze(1))))
        weight, bias = self.merged_conv()
        mean, var = bn.running_mean, bn.running_var
        if bn.training or mean is None or var is None:
            return bn(F.conv1d(x, weight, bias).unsqueeze(2))
        scale = torch.rsqrt(var + bn.eps)
        shift = -mean * scale
        gamma, beta = bn.weight, bn.bias
        if gamma is not None and beta is not None:
            scale = scale * gamma
            shift = shift * gamma + beta
        return F.conv1d(x, weight * scale[:, None, None], bias * scale + shift).unsqueeze(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] != self.n_chans:
            raise ValueError(
                "PatchEmbedding expects (batch, n_chans, n_times) = (B, " + str(self.n_chans) + ", T), got "
                + shape_text(x) + "."
            )
        if self.n_tokens(x.shape[2]) < 1:
            raise ValueError(
                "PatchEmbedding needs at least filter_time_length + pool_time_length - 1 = "
                + str(self.filter_time_length + self.pool_time_length - 1) + " samples, got "
                + str(x.shape[2]) + "."
            )
        x = self._conv_norm(x)
        x = self.shallownet[5](self.shallownet[4](self.shallownet[3](x)))  # activation, pool, dropout
        proj = self.projection[0]
        return F.linear(x[:, :, 0, :].transpose(1, 2), proj.weight[:, :, 0, 0], proj.bias)  # (B, S, F)
