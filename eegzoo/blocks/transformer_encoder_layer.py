"""One transformer encoder layer (self-attention + feed-forward, each with a residual
connection and a layer norm), laid out as the reference models lay theirs out so their
``state_dict`` keys carry over."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from eegzoo.blocks.multi_head_attention import MultiHeadAttention


class ResidualBranch(nn.Sequential):
    """``x -> post(branch(x) + x)``: the first ``n_branch`` children form the branch, the
    rest (a post-norm, or nothing) run after the sum. A ``Sequential`` so that the children
    keep the names the model gives them and a scripted forward still reaches them."""

    def __init__(self, branch: OrderedDict[str, nn.Module], post: OrderedDict[str, nn.Module] | None = None) -> None:
        super().__init__(OrderedDict(list(branch.items()) + list((post or {}).items())))
        self.n_branch = len(branch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        i = 0
        for layer in self:
            if i == self.n_branch:
                out = out + x
            out = layer(out)
            i += 1
        if i == self.n_branch:
            out = out + x
        return out


class TransformerEncoderLayer(nn.Sequential):
    """``(B, S, emb_size) -> (B, S, emb_size)``: multi-head self-attention then a two-layer
    feed-forward network (``emb_size -> forward_expansion * emb_size -> emb_size``), each
    added back to its input.

    Args:
        emb_size, num_heads: token features and attention heads
            (:class:`eegzoo.blocks.multi_head_attention.MultiHeadAttention`, braindecode's names).
        dropout: dropout on the attention weights and on each branch's output.
        forward_expansion: hidden width of the feed-forward network, in multiples of ``emb_size``.
        forward_dropout: dropout inside the feed-forward network (``None``: ``dropout``).
        activation: the feed-forward network's activation class (GELU).
        norm_first: ``True`` (pre-norm, ViT and EEGConformer): ``x + drop(f(norm(x)))``;
            children ``<names[0]>.fn.{0: norm, 1: attention, 2: dropout}`` and
            ``<names[1]>.fn.{0: norm, 1: {0: linear, 1: activation, 2: dropout, 3: linear},
            2: dropout}``. ``False`` (post-norm, CTNet): ``norm(x + drop(f(x)))``; children
            ``<names[0]>.{module.0: attention, drop, layernorm}`` and ``<names[1]>.{module.0:
            feed-forward, drop, layernorm}``.
        names: the two residual blocks' names (default ``("0", "1")`` pre-norm,
            ``("attention", "feed_forward")`` post-norm).
        layer_norm_eps: the layer norms' epsilon.

    Layers are created in the reference order (attention projections keys, queries,
    values, projection; then the feed-forward layers), so the same seed gives the same
    initialisation.
    """

    def __init__(
        self,
        emb_size: int,
        num_heads: int,
        dropout: float = 0.5,
        forward_expansion: int = 4,
        forward_dropout: float | None = None,
        activation: type[nn.Module] = nn.GELU,
        norm_first: bool = True,
        names: tuple[str, str] | None = None,
        layer_norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        if isinstance(forward_expansion, bool) or not isinstance(forward_expansion, int) or forward_expansion < 1:
            raise ValueError(f"TransformerEncoderLayer: forward_expansion must be a positive int, got {forward_expansion!r}.")
        forward_dropout = dropout if forward_dropout is None else forward_dropout
        if names is None:
            names = ("0", "1") if norm_first else ("attention", "feed_forward")
        self.emb_size = emb_size
        self.norm_first = norm_first
        hidden = forward_expansion * emb_size

        def feed_forward() -> nn.Sequential:
            return nn.Sequential(
                nn.Linear(emb_size, hidden), activation(), nn.Dropout(forward_dropout), nn.Linear(hidden, emb_size)
            )

        def norm() -> nn.LayerNorm:
            return nn.LayerNorm(emb_size, eps=layer_norm_eps)

        if norm_first:
            attention = nn.Sequential(norm(), MultiHeadAttention(emb_size, num_heads, dropout), nn.Dropout(dropout))
            self.add_module(names[0], ResidualBranch(OrderedDict(fn=attention)))
            ff = nn.Sequential(norm(), feed_forward(), nn.Dropout(dropout))
            self.add_module(names[1], ResidualBranch(OrderedDict(fn=ff)))
        else:
            attention = nn.Sequential(MultiHeadAttention(emb_size, num_heads, dropout))
            self.add_module(names[0], ResidualBranch(
                OrderedDict(module=attention, drop=nn.Dropout(dropout)), OrderedDict(layernorm=norm())
            ))
            ff = nn.Sequential(feed_forward())
            self.add_module(names[1], ResidualBranch(
                OrderedDict(module=ff, drop=nn.Dropout(dropout)), OrderedDict(layernorm=norm())
            ))
