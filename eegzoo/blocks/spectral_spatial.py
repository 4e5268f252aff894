"""Fused spectral-spatial operator: a FIR filter bank followed by a spatial conv, in one step.

Both stages are linear and time-invariant, so together they are one multichannel filter:
``y_f = bias_f + sum_c g_{f,c} * x_c`` with ``g_{f,c} = sum_b W[f, b, c] h_b``. In the
frequency domain that is a per-frequency ``(n_chans -> n_filters)`` complex matrix
product: one rFFT of the input, one batched matmul, one inverse rFFT. The
``(B, n_bands, n_chans, T)`` filter-bank output is never materialised.

Speed details (CPU): the complex product runs as one real ``bmm`` over frequencies on
interleaved (re, im) pairs (complex ``bmm`` is several times slower), the bias is added at
the DC bin (a constant in time is ``bias * n_fft`` at frequency 0), and the filters'
spectra are cached by the :class:`~eegzoo.blocks.FilterBank`. The spatial weights stay
trainable: the mixing matrix is rebuilt from them on every call unless the caller passes a
precomputed one (eval-time caching).
"""

from __future__ import annotations

from typing import Optional

import torch

from eegzoo.blocks.filter_bank import FilterBank


def mixing_from_spectra(parts: torch.Tensor, weight: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Real form of the per-frequency mixing ``M[k] = sum_b W[:, b, :] H_b[k]``.

    ``parts``: the bands' kernel spectra as (re, im) pairs ``(n_bands, K, 2)``
    (:meth:`FilterBank.spectra`); ``weight``: ``(n_filters, n_bands, n_chans)`` or the Conv2d
    form with a trailing 1. Returns ``(K, 2 * n_chans, 2 * n_filters)`` such that, with the
    input spectrum laid out as interleaved (re, im) pairs ``(K, B, 2 * n_chans)``, ``bmm``
    gives the output spectrum as interleaved pairs ``(K, B, 2 * n_filters)``.
    """
    if weight.dim() == 4:
        weight = weight.squeeze(-1)
    w = weight.to(dtype)
    parts = parts.to(dtype)
    real = torch.einsum("fbc,bk->kcf", w, parts[..., 0])
    imag = torch.einsum("fbc,bk->kcf", w, parts[..., 1])
    # (re_c, im_c) -> (re_f, im_f): re_f = re_c*real - im_c*imag, im_f = re_c*imag + im_c*real
    block = torch.stack([torch.stack([real, imag], dim=-1), torch.stack([-imag, real], dim=-1)], dim=2)
    n_freqs, n_chans, n_filters = real.shape[0], real.shape[1], real.shape[2]
    return block.reshape(n_freqs, 2 * n_chans, 2 * n_filters)


def spectral_mixing_matrix(bank: FilterBank, weight: torch.Tensor, n_fft: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """:func:`mixing_from_spectra` for ``bank``'s kernels at length ``n_fft``."""
    return mixing_from_spectra(bank.spectra(n_fft, dtype), weight, dtype)


def apply_spectral_mixing(x: torch.Tensor, mixing: torch.Tensor, n_fft: int, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``(B, n_chans, T) -> (B, n_filters, T)``: one rFFT, the per-frequency ``bmm`` with
    ``mixing`` (:func:`mixing_from_spectra`), one inverse rFFT, plus ``bias``."""
    batch, n_chans, n_times = x.shape[0], x.shape[1], x.shape[2]
    n_filters = mixing.shape[2] // 2
    n_freqs = n_fft // 2 + 1
    spectrum = torch.fft.rfft(x, n=n_fft)  # (B, C, K)
    pairs = torch.view_as_real(spectrum).permute(2, 0, 1, 3).reshape(n_freqs, batch, 2 * n_chans)
    mixed = torch.bmm(pairs, mixing)  # (K, B, 2F)
    # Without autograd, the bias goes into the real part of the DC bin (no pass over the
    # signal); with autograd that in-place write would make the backward clone the whole
    # spectrum, so the bias is added in time instead (and while tracing, so that the traced
    # graph does not depend on whether gradients were on).
    bias_in_time = bias
    if bias is not None and not mixed.requires_grad and not torch.jit.is_tracing():
        mixed[0, :, 0::2] += bias.to(mixed.dtype) * n_fft
        bias_in_time = None
    out_spectrum = torch.view_as_complex(mixed.view(n_freqs, batch, n_filters, 2))
    out = torch.fft.irfft(out_spectrum.permute(1, 2, 0), n=n_fft)[..., :n_times]
    if bias_in_time is not None:
        out = out + bias_in_time.to(out.dtype)[:, None]
    return out


def spectral_spatial_filter(
    x: torch.Tensor,
    bank: FilterBank,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    mixing: torch.Tensor | None = None,
) -> torch.Tensor:
    """``SpatialConv(FilterBank(x))`` computed in the frequency domain.

    Args:
        x: ``(B, n_chans, T)`` signal.
        bank: a FIR :class:`FilterBank` (zero-phase or causal).
        weight: spatial weights ``(n_filters, n_bands, n_chans)`` or the Conv2d form
            ``(n_filters, n_bands, n_chans, 1)``.
        bias: optional ``(n_filters,)``.
        mixing: optional precomputed :func:`spectral_mixing_matrix` for this ``T``.

    Returns:
        ``(B, n_filters, T)``; equal to the two-step path up to float rounding.
    """
    if not bank.is_fir:
        raise ValueError("The fused operator needs a FIR filter bank; IIR banks run unfused.")
    n_fft = bank.fft_length_for(x)
    if mixing is None:
        mixing = spectral_mixing_matrix(bank, weight, n_fft, x.dtype)
    return apply_spectral_mixing(x, mixing, n_fft, bias)


def spectral_bandwise_filter(
    x: torch.Tensor,
    bank: FilterBank,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """``DepthwiseSpatialConv(FilterBank(x))``, band-wise spatial filters (FBCNet), from one
    rFFT of the input.

    Output map ``b * depth + d`` is ``h_b * (w_{b,d} . x)``: the band filter and that band's
    spatial filter commute, so the spatial filters are applied to the input spectrum once,
    each band's kernel spectrum multiplies its own maps, and the inverse rFFT runs over
    ``n_bands * depth`` maps. When there are more output maps than (band, electrode) pairs,
    inverting ``n_bands * n_chans`` filtered signals and mixing them in time is cheaper, and
    is done instead. Both orders give the two-step result up to float rounding.

    Args:
        x: ``(B, n_chans, T)`` signal.
        bank: a FIR :class:`FilterBank`.
        weight: ``(n_bands * depth, 1, n_chans, 1)`` (the grouped ``Conv2d`` layout) or
            ``(n_bands, depth, n_chans)``.
        bias: optional ``(n_bands * depth,)``.

    Returns:
        ``(B, n_bands * depth, T)``.
    """
    if not bank.is_fir:
        raise ValueError("The fused operator needs a FIR filter bank; IIR banks run unfused.")
    batch, n_chans, n_times = x.shape
    n_bands = bank.n_bands
    weight = weight.reshape(n_bands, -1, n_chans)
    depth = weight.shape[1]
    if depth <= n_chans:
        n_fft = bank.fft_length(n_times)
        n_freqs = n_fft // 2 + 1
        spectrum = torch.view_as_real(torch.fft.rfft(x, n=n_fft)).reshape(batch, n_chans, 2 * n_freqs)
        mixed = torch.matmul(weight.reshape(n_bands * depth, n_chans), spectrum)  # (B, O, 2K) real
        mixed = torch.view_as_complex(mixed.view(batch, n_bands, depth, n_freqs, 2))
        kernels = bank.kernel_spectra(n_fft, x.device, mixed.dtype)  # (nb, K)
        mixed = mixed * kernels[:, None, :]
        # Without autograd the bias goes into the DC bin (a constant in time is bias * n_fft
        # there), saving a pass over the output; with autograd it is added in time.
        bias_at_dc = bias is not None and not mixed.requires_grad and not torch.jit.is_tracing()
        if bias_at_dc:
            mixed[..., 0] += bias.to(x.dtype).view(n_bands, depth) * n_fft
        out = torch.fft.irfft(mixed, n=n_fft)[..., :n_times].reshape(batch, n_bands * depth, n_times)
        if bias is not None and not bias_at_dc:
            out = out + bias.to(out.dtype)[:, None]
        return out
    filtered = bank(x).reshape(batch * n_bands, n_chans, n_times)
    weight = weight.expand(batch, n_bands, depth, n_chans).reshape(batch * n_bands, depth, n_chans)
    if bias is None:
        out = torch.bmm(weight, filtered)
    else:  # the bias rides along in the matrix product (no extra pass over the output)
        bias = bias.to(x.dtype).view(1, n_bands, depth, 1).expand(batch, n_bands, depth, 1)
        out = torch.baddbmm(bias.reshape(batch * n_bands, depth, 1), weight, filtered)
    return out.reshape(batch, n_bands * depth, n_times)
