"""Interactive frequency band mixing (IFNet): band-wise spatio-temporal filters whose
outputs are summed across bands, so that every feature map mixes all frequency bands.

Each band (branch) gets its own spatial filters (a grouped 1x1 convolution over that
band's electrode signals, then batch norm) and, per spatial filter, a depthwise temporal
filter (then batch norm). The branches' maps are added and passed through an activation:
the sum is IFNet's cross-frequency interaction (low- and high-band features of the same
map reinforce or cancel each other before the non-linearity).

The depthwise temporal filters are long (63 and 31 taps by default), and oneDNN's
depthwise convolutions are slow, backward above all; :meth:`InteractiveBandMixing.mix`
runs them through one rFFT of all maps instead, with the batch norms folded into the
kernels' spectra and the band sum done on spectra in eval mode. ``forward`` is the plain
convolutional form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import List

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.batch_norm_folding import batch_norm_affine
from eegzoo.blocks.filter_bank import fast_fft_length
from eegzoo.blocks.padded_rfft import padded_rfft
from eegzoo.blocks.spectral_product import spectral_product


class InteractiveBandMixing(nn.Module):
    """``(B, n_branches * in_per_branch, T) -> (B, n_filters, T)``: per branch, spatial
    filters + batch norm, a depthwise temporal filter per map + batch norm; the branches
    summed, then ``activation``.

    Submodules ``spatial_conv`` (``Conv1d`` kernel 1, ``groups=n_branches``),
    ``spatial_bn``, ``temporal_convs.<i>`` (``Sequential(Conv1d, BatchNorm1d)``, padding
    ``k // 2``) and ``inter_frequency`` (the activation), in braindecode's creation order
    (same keys, same-seed initialisation). An even kernel size gives one sample more than
    ``T``; the last one is dropped, so every branch gives ``T`` samples.

    Args:
        in_channels: input signals, branch-major (IFNet: ``n_bands * n_chans``, band by
            band); must be a multiple of ``len(kernel_sizes)``.
        n_filters: spatial filters per branch (= output maps).
        kernel_sizes: one temporal kernel size per branch.
        activation: ``nn.Module`` class applied to the sum.
    """

    def __init__(
        self, in_channels: int, n_filters: int, kernel_sizes: Sequence[int], activation: type[nn.Module] = nn.GELU
    ) -> None:
        super().__init__()
        kernel_sizes = [int(k) for k in kernel_sizes]
        if not kernel_sizes or any(k < 1 for k in kernel_sizes):
            raise ValueError(f"InteractiveBandMixing: kernel_sizes must be ints >= 1, got {kernel_sizes!r}.")
        n_branches = len(kernel_sizes)
        if in_channels % n_branches:
            raise ValueError(
                f"InteractiveBandMixing: {in_channels} input signals cannot be split into "
                f"{n_branches} branches (one per kernel size): give one kernel size per band."
            )
        self.n_branches: int = n_branches
        self.n_filters: int = n_filters
        self.kernel_sizes: List[int] = kernel_sizes
        self.spatial_conv = nn.Conv1d(in_channels, n_filters * n_branches, 1, groups=n_branches, bias=False)
        self.spatial_bn = nn.BatchNorm1d(n_filters * n_branches)
        self.temporal_convs = nn.ModuleList(
            nn.Sequential(
                nn.Conv1d(n_filters, n_filters, k, padding=k // 2, groups=n_filters, bias=False),
                nn.BatchNorm1d(n_filters),
            )
            for k in kernel_sizes
        )
        self.inter_frequency = activation()
        # Common frame of every branch's kernel: column c multiplies x[t + c - origin].
        self.origin: int = max(k // 2 for k in kernel_sizes)
        self.frame_width: int = max(self.origin - k // 2 + k for k in kernel_sizes)

    # ------------------------------------------------------------------ plain form
    def spatial(self, x: torch.Tensor) -> torch.Tensor:
        """Spatial filters + batch norm: ``(B, in_channels, T) -> (B, n_branches * n_filters, T)``."""
        return self.spatial_bn(self.spatial_conv(x))

    def temporal(self, maps: torch.Tensor) -> torch.Tensor:
        """The branches' temporal filters + batch norms, summed, with convolutions:
        ``(B, n_branches * n_filters, T) -> (B, n_filters, T)`` (before the activation)."""
        n_times = maps.shape[-1]
        out = torch.zeros(0)
        for i, branch in enumerate(self.temporal_convs):
            y = branch[1](branch[0](maps[:, i * self.n_filters : (i + 1) * self.n_filters])[..., :n_times])
            out = y if i == 0 else out + y
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inter_frequency(self.temporal(self.spatial(x)))

    # ------------------------------------------------------------------ FFT form
    def kernel_frame(self) -> torch.Tensor:
        """Every branch's depthwise kernels in the common frame: ``(n_branches, n_filters, width)``."""
        rows: List[torch.Tensor] = []
        for i, branch in enumerate(self.temporal_convs):
            k = self.kernel_sizes[i]
            left = self.origin - k // 2
            w = branch[0].weight.squeeze(1)  # (n_filters, k)
            rows.append(F.pad(w, (left, self.frame_width - left - k)))
        return torch.stack(rows)

    def mix(self, maps: torch.Tensor) -> torch.Tensor:
        """:meth:`temporal` through the FFT: one rFFT of all maps, a product with the
        kernels' spectra, the inverse rFFT; in eval mode the batch norms are folded into the
        spectra and the branches summed before the single inverse rFFT (of ``n_filters``
        maps instead of ``n_branches * n_filters``). Same numbers to float rounding."""
        batch, n_times = maps.shape[0], maps.shape[-1]
        n_fft = fast_fft_length(n_times + self.frame_width - 1)
        start = self.frame_width - 1 - self.origin  # correlation = convolution with the flipped frame
        spectrum = padded_rfft(maps.view(batch, self.n_branches, self.n_filters, n_times), n_fft)
        frame = self.kernel_frame().to(maps.dtype)
        if not self.training and self._running_statistics():
            scales: List[torch.Tensor] = []
            shift = torch.zeros(self.n_filters, dtype=maps.dtype, device=maps.device)
            for branch in self.temporal_convs:
                bn = branch[1]
                scale, offset = batch_norm_affine(bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
                scales.append(scale)
                shift = shift + offset
            frame = frame * torch.stack(scales).to(maps.dtype)[:, :, None]
            kernels = torch.fft.rfft(frame.flip(-1), n=n_fft)  # (G, F, K)
            mixed = (spectrum * kernels).sum(1)  # (B, F, K)
            mixed[..., 0] += shift.to(maps.dtype) * n_fft  # constant in time = DC bin
            return torch.fft.irfft(mixed, n=n_fft)[..., start : start + n_times]
        kernels = torch.fft.rfft(frame.flip(-1), n=n_fft)
        filtered = torch.fft.irfft(spectral_product(spectrum, kernels), n=n_fft)[..., start : start + n_times]  # (B, G, F, T)
        out = torch.zeros(0)
        for i, branch in enumerate(self.temporal_convs):
            y = branch[1](filtered[:, i])
            out = y if i == 0 else out + y
        return out

    def _running_statistics(self) -> bool:
        """Every temporal batch norm normalises with running statistics (eval mode)."""
        for branch in self.temporal_convs:
            if not branch[1].track_running_stats:
                return False
        return True

