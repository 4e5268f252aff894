"""Grouped-query self-attention with rotary position embeddings (TCFormer, Altaheri et al. 2025).

Grouped-query attention lets several query heads share one key/value head: fewer key/value
projections than multi-head attention at the same number of attention maps. Rotary
embeddings rotate queries and keys by position-dependent angles, so the attention scores
depend on the relative position of two tokens, with no learned position table (any
sequence length works).
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn


def rotary_tables(
    head_dim: int, seq_len: int, dtype: torch.dtype, device: Optional[torch.device] = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(cos, sin)``, each ``(seq_len, head_dim)``: the angles ``t * 10000^(-2j / head_dim)``
    of token ``t``, frequency ``j < head_dim / 2``, laid out as ``[freqs, freqs]`` (computed in
    float32, returned in ``dtype``), as braindecode's and the reference TCFormer code's cache.

    Paired with :func:`rotate_pairs` (which rotates adjacent pairs ``(2m, 2m+1)``), element
    ``2m`` uses frequency ``2m mod head_dim/2``, not ``m``: that is the reference code's
    (published, trained) mix of two rotary conventions, kept for weight compatibility."""
    theta = 1.0 / torch.pow(10000.0, torch.arange(0, head_dim, 2, device=device).float() / head_dim)
    freqs = torch.outer(torch.arange(seq_len, device=device).float(), theta)
    angles = torch.cat((freqs, freqs), dim=-1)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def rotate_pairs(x: torch.Tensor) -> torch.Tensor:
    """``(x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)`` along the last axis."""
    even = x[..., 0::2]
    odd = x[..., 1::2]
    return torch.stack((-odd, even), dim=-1).flatten(-2)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding of ``x`` ``(..., seq, head_dim)`` with tables ``(seq, head_dim)``."""
    return x * cos + rotate_pairs(x) * sin


class GroupedQueryAttention(nn.Module):
    """Self-attention ``(B, S, d_model) -> (B, S, d_model)`` with ``q_heads`` query heads
    sharing ``kv_heads`` key/value heads (query head ``h`` uses key/value head
    ``h // (q_heads // kv_heads)``), rotary positions on queries and keys, dropout on the
    attention weights, no biases.

    Submodules (braindecode's TCFormer keys): ``query_proj`` (``d_model -> d_model``),
    ``key_value_proj`` (``d_model -> 2 * kv_heads * head_dim``, features laid out as
    ``(kv_heads, 2, head_dim)``: key then value per head), ``out_proj``, ``drop``.
    ``head_dim = d_model // q_heads`` must be even (rotations act on pairs).
    """

    def __init__(self, d_model: int, q_heads: int, kv_heads: int, drop_prob: float = 0.0) -> None:
        super().__init__()
        for name, value in (("d_model", d_model), ("q_heads", q_heads), ("kv_heads", kv_heads)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GroupedQueryAttention: {name} must be a positive int, got {value!r}.")
        if d_model % q_heads:
            raise ValueError(f"GroupedQueryAttention: d_model={d_model} must be divisible by q_heads={q_heads}.")
        if q_heads % kv_heads:
            raise ValueError(f"GroupedQueryAttention: q_heads={q_heads} must be a multiple of kv_heads={kv_heads}.")
        if (d_model // q_heads) % 2:
            raise ValueError(
                f"GroupedQueryAttention: head_dim = d_model // q_heads = {d_model // q_heads} must be "
                "even for rotary embeddings."
            )
        self.q_heads = q_heads
        self.kv_heads = kv_heads
        self.head_dim = d_model // q_heads
        self.scale = self.head_dim ** -0.5
        self.query_proj = nn.Linear(d_model, d_model, bias=False)
        self.key_value_proj = nn.Linear(d_model, 2 * kv_heads * self.head_dim, bias=False)
        self.out_proj = nn.Linear(d_model, d_model, bias=False)
        self.drop = nn.Dropout(drop_prob)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, S, d_model)``; ``cos``/``sin`` from :func:`rotary_tables` (at least ``S`` rows)."""
        batch, seq = x.shape[0], x.shape[1]
        cos, sin = cos[:seq], sin[:seq]
        repeats = self.q_heads // self.kv_heads
        # queries grouped by the key/value head they share: (B, kv_heads, repeats, S, head_dim)
        query = self.query_proj(x).view(batch, seq, self.kv_heads, repeats, self.head_dim).permute(0, 2, 3, 1, 4)
        kv = self.key_value_proj(x).view(batch, seq, self.kv_heads, 2, self.head_dim).permute(3, 0, 2, 1, 4)
        key = apply_rotary(kv[0], cos, sin).unsqueeze(2)  # (B, kv_heads, 1, S, head_dim), shared
        value = kv[1].unsqueeze(2)
        query = apply_rotary(query, cos, sin)
        scores = torch.matmul(query, key.transpose(-1, -2)) * self.scale
        weights = self.drop(scores.softmax(dim=-1).reshape(batch, self.q_heads, seq, seq))
        context = torch.matmul(weights.view(batch, self.kv_heads, repeats, seq, seq), value)
        return self.out_proj(context.permute(0, 3, 1, 2, 4).reshape(batch, seq, self.q_heads * self.head_dim))

    def extra_repr(self) -> str:
        return f"q_heads={self.q_heads}, kv_heads={self.kv_heads}, head_dim={self.head_dim}"
