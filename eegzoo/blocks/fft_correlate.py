"""Depthwise temporal filtering through the FFT: each signal correlated with its own kernel.

oneDNN's depthwise convolutions (one kernel per map, as in EEGNet's temporal and separable
convolutions) run far below the CPU's arithmetic throughput, forward and backward; one
rFFT per signal, a product with the kernels' spectra and one inverse rFFT compute the same
zero-padded correlation, and autograd differentiates through it (kernels included).

The spectra's product is :func:`eegzoo.blocks.spectral_product.spectral_product` (safe under
``torch.compile``).
"""

from __future__ import annotations

import torch

from eegzoo.blocks.filter_bank import fast_fft_length
from eegzoo.blocks.padded_rfft import padded_rfft
from eegzoo.blocks.spectral_product import spectral_product


def fft_correlate(x: torch.Tensor, kernels: torch.Tensor, padding: int) -> torch.Tensor:
    """``out[..., t] = sum_k kernels[..., k] * x[..., t + k - padding]`` with zeros outside
    ``x``: what ``F.conv1d(x, kernels, padding=padding, groups=channels)`` computes, with
    ``kernels`` broadcast against ``x``'s leading axes (e.g. ``x`` ``(B, 1, C, T)`` and
    ``kernels`` ``(F, 1, K)`` give ``(B, F, C, T + 2 * padding - K + 1)``).
    """
    n_times, n_taps = x.shape[-1], kernels.shape[-1]
    if not 0 <= padding < n_taps:
        raise ValueError(f"fft_correlate: padding must be in [0, {n_taps}), got {padding}.")
    n_out = n_times + 2 * padding - n_taps + 1
    if n_out < 1:
        raise ValueError(f"fft_correlate: {n_times} samples are too few for {n_taps} taps with padding {padding}.")
    n_fft = fast_fft_length(n_times + n_taps - 1)
    # Correlation is convolution with the reversed kernel; output t sits at lag t + K - 1 - padding.
    spectrum = spectral_product(padded_rfft(x, n_fft), torch.fft.rfft(kernels.flip(-1), n=n_fft))
    start = n_taps - 1 - padding
    return torch.fft.irfft(spectrum, n=n_fft)[..., start : start + n_out]
