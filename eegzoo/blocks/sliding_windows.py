"""Overlapping windows over the time axis, as a view (no copy).

ATCNet encodes ``n_windows`` shifted windows of its convolutional feature sequence with
separate attention + TCN branches and averages (or concatenates) their outputs: an ensemble
over nearby temporal contexts. The windows start ``stride`` samples apart and together span
the whole sequence, so each is ``T - (n_windows - 1) * stride`` samples long.
"""

from __future__ import annotations

import torch
from torch import nn

from eegzoo.blocks.shapes import shape_text


def sliding_window_length(n_times: int, n_windows: int, stride: int = 1) -> int:
    """Samples per window when ``n_windows`` windows ``stride`` apart span ``n_times``."""
    return n_times - (n_windows - 1) * stride


class SlidingWindows(nn.Module):
    """``(..., T) -> (..., n_windows, T - (n_windows - 1) * stride)``: window ``w`` is
    ``x[..., w * stride : w * stride + length]``. A strided view of the input
    (``Tensor.unfold``), so it costs nothing and gradients flow back to the overlaps."""

    def __init__(self, n_windows: int, stride: int = 1) -> None:
        super().__init__()
        for name, value in (("n_windows", n_windows), ("stride", stride)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SlidingWindows: {name} must be a positive int, got {value!r}.")
        self.n_windows = n_windows
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        length = sliding_window_length(x.shape[-1], self.n_windows, self.stride)
        if x.dim() < 1 or length < 1:
            raise ValueError(
                "SlidingWindows: " + str(self.n_windows) + " windows " + str(self.stride)
                + " samples apart need more than " + str((self.n_windows - 1) * self.stride)
                + " samples, got " + shape_text(x) + "."
            )
        return x.unfold(-1, length, self.stride)

    def extra_repr(self) -> str:
        return f"n_windows={self.n_windows}, stride={self.stride}"
