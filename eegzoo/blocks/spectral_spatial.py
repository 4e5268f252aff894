"""Fused spectral-spatial operator: a FIR filter bank followed by a spatial conv, in one step.

Both stages are linear and time-invariant, so together they are one multichannel filter:
``y_f = bias_f + sum_c g_{f,c} * x_c`` with ``g_{f,c} = sum_b W[f, b, c] h_b``. In the
frequency domain that is a per-frequency ``(n_chans -> n_filters)`` complex matrix
product: one rFFT of the input, one batched matmul, one inverse rFFT. The filters' spectra
are cached by the :class:`~eegzoo.blocks.FilterBank`; the spatial weights stay trainable
(the mixing matrix is rebuilt from them on every call, so gradients flow). The
``(B, n_bands, n_chans, T)`` filter-bank output is never materialised.
"""

from __future__ import annotations

import torch

from eegzoo.blocks.filter_bank import FilterBank


def spectral_spatial_filter(
    x: torch.Tensor,
    bank: FilterBank,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """``SpatialConv(FilterBank(x))`` computed in the frequency domain.

    Args:
        x: ``(B, n_chans, T)`` signal.
        bank: a FIR :class:`FilterBank` (zero-phase or causal).
        weight: spatial weights ``(n_filters, n_bands, n_chans)`` or the Conv2d form
            ``(n_filters, n_bands, n_chans, 1)``.
        bias: optional ``(n_filters,)``.

    Returns:
        ``(B, n_filters, T)``; equal to the two-step path up to float rounding.
    """
    if not bank.is_fir:
        raise ValueError("The fused operator needs a FIR filter bank; IIR banks run unfused.")
    if weight.dim() == 4:
        weight = weight.squeeze(-1)
    n_times = x.shape[-1]
    n_fft = bank.fft_length(n_times)
    spectrum = torch.fft.rfft(x, n=n_fft)  # (B, C, K)
    kernels = bank.kernel_spectra(n_fft, x.device, spectrum.dtype)  # (nb, K)
    w = weight.to(kernels.real.dtype)
    # Mixing per frequency: M[k, c, f] = sum_b W[f, b, c] H_b[k]; real weights times the
    # real and imaginary parts keep the weight gradient real.
    mixing = torch.complex(
        torch.einsum("fbc,bk->kcf", w, kernels.real),
        torch.einsum("fbc,bk->kcf", w, kernels.imag),
    )
    mixed = torch.matmul(spectrum.permute(2, 0, 1), mixing)  # (K, B, F)
    out = torch.fft.irfft(mixed.permute(1, 2, 0), n=n_fft)[..., :n_times]
    if bias is not None:
        out = out + bias.to(out.dtype)[:, None]
    return out.to(x.dtype)
