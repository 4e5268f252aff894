"""Multi-head self-attention over a token sequence, with the projection layers' names chosen by
the model (so each architecture keeps its reference implementation's ``state_dict`` keys)."""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.shapes import shape_text

#: braindecode's ``MultiHeadAttention`` (EEGConformer, CTNet): role -> submodule name, in the
#: order the layers are created (which fixes the same-seed initialisation).
BRAINDECODE_NAMES: dict[str, str] = {"key": "keys", "query": "queries", "value": "values", "output": "projection"}

_ROLES = ("query", "key", "value", "output")


class MultiHeadAttention(nn.Sequential):
    """Self-attention ``(B, S, emb_size) -> (B, S, out_size)``: query/key/value projections to
    ``num_heads`` heads of ``head_dim``, softmax(``q k^T / sqrt(head_dim)``) ``v``, output
    projection.

    Args:
        emb_size: input features per token.
        num_heads: attention heads.
        dropout: dropout on the attention weights (training only), as braindecode's
            ``MultiHeadAttention``.
        head_dim: features per head (``None``: ``emb_size // num_heads``, which must divide).
        out_size: output features (``None``: ``emb_size``).
        out_dropout: dropout on the output (after the projection; ATCNet's placement).
        names: role (``query``, ``key``, ``value``, ``output``) -> submodule name; the
            mapping's order is the order the layers are created (and so initialised).
            Default: braindecode's ``keys``, ``queries``, ``values``, ``projection``.

    The three input projections run as one matrix product (their weights concatenated on
    each call, gradients reach each layer) and the attention as
    ``F.scaled_dot_product_attention``, which computes and draws its dropout mask exactly as
    braindecode's module does. The layers are ``nn.Linear`` (with bias) reachable by name
    (``attn.queries.weight``); the container is a ``Sequential`` (with its own forward) only so that a scripted
    forward can reach layers whose names the model chose.
    """

    def __init__(
        self,
        emb_size: int,
        num_heads: int,
        dropout: float = 0.0,
        *,
        head_dim: int | None = None,
        out_size: int | None = None,
        out_dropout: float = 0.0,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        for label, value in (("emb_size", emb_size), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MultiHeadAttention: {label} must be a positive int, got {value!r}.")
        if head_dim is None:
            if emb_size % num_heads != 0:
                raise ValueError(
                    f"emb_size ({emb_size}) must be divisible by num_heads ({num_heads}): "
                    "choose num_heads among its divisors or pass head_dim."
                )
            head_dim = emb_size // num_heads
        for label, p in (("dropout", dropout), ("out_dropout", out_dropout)):
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
                raise ValueError(f"MultiHeadAttention: {label} must be a probability in [0, 1), got {p!r}.")
        names = dict(BRAINDECODE_NAMES if names is None else names)
        if sorted(names) != sorted(_ROLES) or len(set(names.values())) != 4:
            raise ValueError(
                f"MultiHeadAttention: names must map each of {list(_ROLES)} to a distinct submodule "
                f"name, got {names!r}."
            )
        self.emb_size = emb_size
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.inner_size = head_dim * num_heads
        self.out_size = emb_size if out_size is None else out_size
        self.att_drop = float(dropout)
        self.out_drop = float(out_dropout)
        self.names = names
        sizes = {"query": (emb_size, self.inner_size), "key": (emb_size, self.inner_size),
                 "value": (emb_size, self.inner_size), "output": (self.inner_size, self.out_size)}
        layers = {role: nn.Linear(*sizes[role]) for role in names}  # creation order = names' order
        for role in _ROLES:  # list order = the order forward uses them
            self.add_module(names[role], layers[role])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[-1] != self.emb_size:
            raise ValueError(
                "MultiHeadAttention expects (batch, tokens, emb_size) = (B, S, " + str(self.emb_size)
                + "), got " + shape_text(x) + "."
            )
        weights: list[torch.Tensor] = []
        biases: list[torch.Tensor] = []
        for layer in self:
            weights.append(layer.weight)
            biases.append(layer.bias)
        batch, tokens = x.shape[0], x.shape[1]
        qkv = F.linear(x, torch.cat(weights[:3]), torch.cat(biases[:3]))
        qkv = qkv.view(batch, tokens, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        p = self.att_drop if self.training else 0.0
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], dropout_p=p)
        out = out.transpose(1, 2).reshape(batch, tokens, self.inner_size)
        out = F.linear(out, weights[3], biases[3])
        if self.out_drop > 0.0:
            out = F.dropout(out, self.out_drop, self.training)
        return out

    def extra_repr(self) -> str:
        return (
            f"emb_size={self.emb_size}, num_heads={self.num_heads}, head_dim={self.head_dim}, "
            f"dropout={self.att_drop:g}, out_dropout={self.out_drop:g}"
        )
