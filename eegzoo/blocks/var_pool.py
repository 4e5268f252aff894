"""Variance pooling: the (log-)variance of a signal over non-overlapping time windows."""

from __future__ import annotations

import torch
from torch import nn


class VarPool(nn.Module):
    """Split the last (time) axis into windows of ``win_len`` samples and take the variance
    (or standard deviation) of each: ``(..., T) -> (..., T // win_len)``.

    Band power is what carries motor-imagery information (ERD/ERS); its logarithm makes it
    roughly Gaussian. Defaults match braindecode's ``LogVarLayer``: unbiased variance,
    clamped to ``[1e-6, 1e6]``, natural log. A remainder of ``T % win_len`` samples is
    dropped from the end.

    Args:
        win_len: samples per window.
        log: take the natural log of the (clamped) variance.
        unbiased: divide by ``win_len - 1`` (True) or ``win_len``.
        clamp: ``(min, max)`` applied before the log; ``None`` to skip (only without log).
        std: return the standard deviation (square root of the variance) instead; not
            combinable with ``log`` (the log-variance is twice the log-std).
    """

    def __init__(
        self,
        win_len: int,
        log: bool = True,
        unbiased: bool = True,
        clamp: tuple[float, float] | None = (1e-6, 1e6),
        std: bool = False,
    ) -> None:
        super().__init__()
        if isinstance(win_len, bool) or not isinstance(win_len, int) or win_len < 2:
            raise ValueError(f"VarPool: win_len must be an int >= 2 samples, got {win_len!r}.")
        if clamp is not None and not (0 < clamp[0] < clamp[1]):
            raise ValueError(f"VarPool: clamp must be (min, max) with 0 < min < max, got {clamp!r}.")
        if log and clamp is None:
            raise ValueError("VarPool: log=True needs a clamp range (log of 0 is -inf).")
        if log and std:
            raise ValueError("VarPool: choose log=True (log-variance) or std=True, not both.")
        self.win_len = win_len
        self.log = log
        self.unbiased = unbiased
        self.clamp = clamp
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_windows = x.shape[-1] // self.win_len
        if not torch.jit.is_tracing() and n_windows < 1:  # a trace records tensors, not checks
            raise ValueError(
                f"VarPool needs at least win_len={self.win_len} samples, got {x.shape[-1]}."
            )
        windows = x[..., : n_windows * self.win_len].unflatten(-1, [n_windows, self.win_len])
        divisor = self.win_len - (1 if self.unbiased else 0)
        if torch.jit.is_scripting():  # TorchScript: plain ops (autograd differentiates them)
            centred = windows - windows.mean(dim=-1, keepdim=True)
            out = torch.linalg.vecdot(centred, centred) / divisor
        else:
            out = self._variance(windows, divisor)
        if self.std:
            out = torch.sqrt(out)
        clamp = self.clamp
        if clamp is not None:
            out = out.clamp(clamp[0], clamp[1])
        return torch.log(out) if self.log else out

    @torch.jit.unused
    def _variance(self, windows: torch.Tensor, divisor: int) -> torch.Tensor:
        """Eager: the one-pass backward of :class:`_WindowVariance` when gradients flow, a
        reduction kernel when not. Traced and compiled graphs use plain ops, the same with
        and without autograd (a trace must not depend on it)."""
        graph = torch.jit.is_tracing() or torch.compiler.is_compiling()
        if windows.requires_grad and not graph:
            return _WindowVariance.apply(windows, divisor)
        centred = windows - windows.mean(dim=-1, keepdim=True)
        if windows.requires_grad or graph:
            return torch.linalg.vecdot(centred, centred) / divisor
        return torch.linalg.vector_norm(centred, dim=-1).square() / divisor  # without vecdot's product tensor

    def inference_module(self) -> nn.Module:
        """The same statistic from elementwise ops and sums, for the export forms."""
        return WindowVariance(self)

    def extra_repr(self) -> str:
        std = ", std=True" if self.std else ""
        return f"win_len={self.win_len}, log={self.log}, unbiased={self.unbiased}, clamp={self.clamp}{std}"


class _WindowVariance(torch.autograd.Function):
    """Two-pass variance over the last axis with a one-pass backward.

    ``d var / d x_i = 2 (x_i - mean) / divisor``: the mean's own gradient term vanishes
    because the centred values sum to zero, so the backward is one product with the saved
    centred values, where autograd through ``mean``/``sub``/``vecdot`` makes five passes
    over the (large) input. Eager mode only; traced and compiled graphs use plain ops."""

    @staticmethod
    def forward(ctx, windows: torch.Tensor, divisor: int) -> torch.Tensor:  # type: ignore[override]
        centred = windows - windows.mean(dim=-1, keepdim=True)
        ctx.save_for_backward(centred)
        ctx.divisor = divisor
        return torch.linalg.vector_norm(centred, dim=-1).square() / divisor

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        (centred,) = ctx.saved_tensors
        return centred * (grad * (2.0 / ctx.divisor)).unsqueeze(-1), None


class WindowVariance(nn.Module):
    """:class:`VarPool` from elementwise ops and sums (``linalg.vecdot``, which VarPool uses
    for speed, has no ONNX export): ``(..., T) -> (..., T // win_len)``."""

    def __init__(self, pool: VarPool) -> None:
        super().__init__()
        self.win_len: int = pool.win_len
        self.divisor: float = float(pool.win_len - (1 if pool.unbiased else 0))
        self.log: bool = pool.log
        self.std: bool = pool.std
        self.clamp: bool = pool.clamp is not None
        low, high = pool.clamp if pool.clamp is not None else (0.0, 0.0)
        self.low: float = float(low)
        self.high: float = float(high)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_windows = x.shape[-1] // self.win_len
        windows = x[..., : n_windows * self.win_len].reshape(list(x.shape[:-1]) + [n_windows, self.win_len])
        centred = windows - windows.mean(dim=-1, keepdim=True)
        out = (centred * centred).sum(dim=-1) / self.divisor
        if self.std:
            out = torch.sqrt(out)
        if self.clamp:
            out = torch.clamp(out, self.low, self.high)
        if self.log:
            out = torch.log(out)
        return out
