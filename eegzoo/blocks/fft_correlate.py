"""Depthwise temporal filtering through the FFT: each signal correlated with its own kernel.

oneDNN's depthwise convolutions (one kernel per map, as in EEGNet's temporal and separable
convolutions) run far below the CPU's arithmetic throughput, forward and backward; one
rFFT per signal, a product with the kernels' spectra and one inverse rFFT compute the same
zero-padded correlation, and autograd differentiates through it (kernels included).

Under ``torch.compile`` the spectra are multiplied in real arithmetic: autograd saves
``conj(a)`` for the gradient of a complex product ``a * b``, and torch 2.13's inductor,
when it lays that saved tensor out in another memory order (channels-last, for a
convolution that follows, as EEGNet's pointwise one), copies it without the conjugate bit:
the kernels' gradient came out silently wrong. Real and imaginary parts as real tensors
give it nothing to lose; eager keeps the (faster) complex product.
"""

from __future__ import annotations

import torch

from eegzoo.blocks.filter_bank import fast_fft_length
from eegzoo.blocks.padded_rfft import padded_rfft


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
    spectrum = _spectral_product(padded_rfft(x, n_fft), torch.fft.rfft(kernels.flip(-1), n=n_fft))
    start = n_taps - 1 - padding
    return torch.fft.irfft(spectrum, n=n_fft)[..., start : start + n_out]


def _spectral_product(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a * b`` of complex spectra (broadcast); in real arithmetic under ``torch.compile``
    (see the module's docstring)."""
    if torch.compiler.is_compiling():
        return _real_arithmetic_product(a, b)
    return a * b


def _real_arithmetic_product(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a * b`` from the real and imaginary parts (``view_as_real``), so that autograd saves
    real tensors only, no conjugate views."""
    a_parts, b_parts = torch.view_as_real(a), torch.view_as_real(b)
    a_re, a_im = a_parts[..., 0], a_parts[..., 1]
    b_re, b_im = b_parts[..., 0], b_parts[..., 1]
    return torch.complex(a_re * b_re - a_im * b_im, a_re * b_im + a_im * b_re)
