"""The real FFT of zero-padded signals, with a backward pass of one inverse real FFT.

The FFT paths (depthwise filters, band mixing) take ``rfft(x, n)`` of feature maps that
need gradients. torch differentiates ``rfft`` by rebuilding the full two-sided spectrum
(a zero-filled complex tensor of length ``n``) and running a complex FFT on it: twice the
work of a real FFT, plus the fill. The gradient is a real inverse FFT of the incoming
gradient with the interior bins halved (each stands for itself and its mirror image), cut
to the signal's length.
"""

from __future__ import annotations

import torch


class _PaddedRFFT(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, n_fft: int) -> torch.Tensor:  # type: ignore[override]
        ctx.n_times = x.shape[-1]
        ctx.n_fft = n_fft
        return torch.fft.rfft(x, n=n_fft)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        n_fft = ctx.n_fft
        # grad_x[t] = Re(sum_k grad[k] e^{2 pi i k t / n}) over the one-sided bins; irfft
        # (unnormalised) counts every interior bin twice, so those are halved first.
        weights = torch.full((grad.shape[-1],), 0.5, dtype=grad.real.dtype, device=grad.device)
        weights[0] = 1.0
        if n_fft % 2 == 0:
            weights[-1] = 1.0
        grad_x = torch.fft.irfft(grad * weights, n=n_fft, norm="forward")
        return grad_x[..., : ctx.n_times], None


def padded_rfft(x: torch.Tensor, n_fft: int) -> torch.Tensor:
    """``torch.fft.rfft(x, n=n_fft)`` (``n_fft >= x.shape[-1]``: zero-padded) with the cheap
    backward above when ``x`` needs gradients; the same values and gradients."""
    if torch.jit.is_scripting() or not x.requires_grad:
        return torch.fft.rfft(x, n=n_fft)
    return _differentiable_padded_rfft(x, n_fft)


@torch.jit.unused
def _differentiable_padded_rfft(x: torch.Tensor, n_fft: int) -> torch.Tensor:
    if n_fft < x.shape[-1]:
        raise ValueError(f"padded_rfft: n_fft={n_fft} is shorter than the signals ({x.shape[-1]} samples).")
    return _PaddedRFFT.apply(x, n_fft)
