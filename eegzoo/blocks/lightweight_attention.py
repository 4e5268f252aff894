"""Lightweight multi-head temporal attention over window features."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.shapes import shape_text
from eegzoo.core.bands import divisors


class LightweightAttention(nn.Module):
    """Weigh the ``n_windows`` features of every channel and sum them: ``(B, C, W) -> (B, C)``.

    Each of ``heads`` heads owns one weight vector over the windows (softmax-normalised
    when ``weight_softmax``), learning which moments of the trial matter. Channels are
    assigned to heads *interleaved*: channel ``c`` uses head ``c % heads`` (as in
    LightConvNet and braindecode, whose ``x.view(-1, heads, W)`` implies it). Parameters
    match braindecode's ``attn_conv``: ``weight`` ``(heads, 1, W)`` and optional ``bias``
    ``(C,)``.
    """

    def __init__(
        self,
        n_channels: int,
        n_windows: int,
        heads: int = 8,
        weight_softmax: bool = True,
        bias: bool = False,
    ) -> None:
        super().__init__()
        for name, value in (("n_channels", n_channels), ("n_windows", n_windows), ("heads", heads)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"LightweightAttention: {name} must be a positive int, got {value!r}.")
        if n_channels % heads != 0:
            raise ValueError(
                f"heads={heads} must divide the number of channels/spatial filters "
                f"({n_channels}); choose heads among {divisors(n_channels)}."
            )
        self.n_channels = n_channels
        self.n_windows = n_windows
        #: braindecode's name for the window count (its ``_LightweightConv1d.kernel_size``).
        self.kernel_size = n_windows
        self.heads = heads
        self.weight_softmax = weight_softmax
        self.weight = nn.Parameter(torch.empty(heads, 1, n_windows))
        self.bias = nn.Parameter(torch.zeros(n_channels)) if bias else None
        nn.init.xavier_uniform_(self.weight)

    def head_weights(self) -> torch.Tensor:
        """The effective ``(heads, n_windows)`` window weights."""
        weight = self.weight.squeeze(1)
        return F.softmax(weight, dim=-1) if self.weight_softmax else weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_tracing() and (x.dim() != 3 or x.shape[1] != self.n_channels or x.shape[2] != self.n_windows):
            raise ValueError(
                "LightweightAttention expects (batch, channels, windows) = "
                f"(B, {self.n_channels}, {self.n_windows}), got {shape_text(x)}."
            )
        batch = x.shape[0]
        grouped = x.reshape(batch, self.n_channels // self.heads, self.heads, self.n_windows)
        out = (grouped * self.head_weights()).sum(-1).reshape(batch, self.n_channels)
        if self.bias is not None:
            out = out + self.bias
        return out

    def extra_repr(self) -> str:
        return (
            f"n_channels={self.n_channels}, n_windows={self.n_windows}, heads={self.heads}, "
            f"weight_softmax={self.weight_softmax}, bias={self.bias is not None}"
        )

