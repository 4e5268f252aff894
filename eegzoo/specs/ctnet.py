"""Validated hyperparameters of CTNet: every braindecode 1.8 constructor argument, typed,
and the size arithmetic the model and its specs share."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.signal_arguments import SignalArguments, class_as_path

#: Rows of the learned positional encoding when the sequence is short (the original code's
#: ``length=100``; a braindecode checkpoint's ``position.encoding`` has this many).
DEFAULT_ENCODING_LENGTH = 100


def resolve_ctnet_dims(
    depth_multiplier: Optional[int], n_filters_time: Optional[int], embed_dim: Optional[int]
) -> tuple[int, int, int]:
    """``(depth_multiplier, n_filters_time, embed_dim)`` with ``embed_dim = depth_multiplier *
    n_filters_time``: two of them given, the third inferred (or all three, consistent); a
    ``ValueError`` naming the fix otherwise."""
    for name, value in (("depth_multiplier", depth_multiplier), ("n_filters_time", n_filters_time), ("embed_dim", embed_dim)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be an int >= 1 or None, got {value!r}.")
    missing = [name for name, value in (("depth_multiplier", depth_multiplier), ("n_filters_time", n_filters_time),
                                        ("embed_dim", embed_dim)) if value is None]
    if len(missing) >= 2:
        raise ValueError(
            "CTNet needs two of depth_multiplier, n_filters_time and embed_dim (the third is inferred "
            f"from embed_dim = depth_multiplier * n_filters_time); {', '.join(missing[:-1])} and {missing[-1]} are None."
        )
    if depth_multiplier is not None and n_filters_time is not None:
        product = depth_multiplier * n_filters_time
        if embed_dim is not None and embed_dim != product:
            raise ValueError(
                f"embed_dim={embed_dim} must equal depth_multiplier * n_filters_time = "
                f"{depth_multiplier} * {n_filters_time} = {product}: pass embed_dim={product}, or "
                "leave one of the three as None to infer it."
            )
        return depth_multiplier, n_filters_time, product
    assert embed_dim is not None
    given_name, given = ("depth_multiplier", depth_multiplier) if n_filters_time is None else ("n_filters_time", n_filters_time)
    assert given is not None
    if embed_dim % given != 0:
        raise ValueError(
            f"embed_dim={embed_dim} must be divisible by {given_name}={given} (embed_dim = "
            "depth_multiplier * n_filters_time): pass a multiple of it as embed_dim."
        )
    other = embed_dim // given
    if n_filters_time is None:
        return given, other, embed_dim
    return other, given, embed_dim


def ctnet_sequence_length(n_times: int, pool_size_1: int, pool_size_2: int) -> int:
    """Tokens the transformer sees: the convolutions keep ``n_times`` ("same" padding), the
    two average poolings divide it (remainders dropped)."""
    return (n_times // pool_size_1) // pool_size_2


def check_ctnet_lengths(n_times: int, pool_size_1: int, pool_size_2: int) -> int:
    """The sequence length, or a ``ValueError`` naming the fix when no token is left."""
    length = ctnet_sequence_length(n_times, pool_size_1, pool_size_2)
    if length < 1:
        raise ValueError(
            f"n_times={n_times} is too short for CTNet with pool_size_1={pool_size_1} and "
            f"pool_size_2={pool_size_2}: no token is left after pooling. Pass at least "
            f"{pool_size_1 * pool_size_2} samples or smaller pools."
        )
    return length


def ctnet_encoding_length(n_times: int, pool_size_1: int, sequence_length: int) -> int:
    """Rows of the positional encoding: braindecode's (100, or ``n_times / pool_size_1**2``
    when that is longer), and at least the sequence length (braindecode keeps 100 rows even
    when ``pool_size_2 < pool_size_1`` gives more tokens, and then fails at the first forward;
    wherever braindecode runs, this is its length)."""
    length = max(DEFAULT_ENCODING_LENGTH, int(n_times / (pool_size_1 * pool_size_1)))
    return max(length, sequence_length)


def check_heads(embed_dim: int, num_heads: int) -> None:
    if embed_dim % num_heads != 0:
        raise ValueError(
            f"embed_dim={embed_dim} must be divisible by num_heads={num_heads} (each head gets "
            "embed_dim / num_heads dimensions): change num_heads or embed_dim."
        )


class CTNetParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.CTNet`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "ctnet"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.ctnet:CTNet"

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    activation_patch: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class (convolutions)")
    activation_transformer: str = Field(
        default="torch.nn.GELU", description="dotted path of an nn.Module class (transformer feed-forward)"
    )
    cnn_drop_prob: StrictFloat = Field(default=0.3, ge=0, lt=1)
    att_positional_drop_prob: StrictFloat = Field(default=0.1, ge=0, lt=1)
    final_drop_prob: StrictFloat = Field(
        default=0.5, ge=0, lt=1, description="accepted for compatibility; braindecode 1.8.1 never applies it"
    )
    num_heads: StrictInt = Field(default=4, ge=1)
    embed_dim: Optional[StrictInt] = Field(default=40, ge=1, description="token size (null: depth_multiplier * n_filters_time)")
    num_layers: StrictInt = Field(default=6, ge=1, description="transformer encoder layers")
    n_filters_time: Optional[StrictInt] = Field(default=None, ge=1, description="temporal filters (null: embed_dim / depth_multiplier)")
    kernel_size: StrictInt = Field(default=64, ge=1, description="samples of the temporal convolution")
    depth_multiplier: Optional[StrictInt] = Field(default=2, ge=1, description="spatial filters per temporal filter")
    pool_size_1: StrictInt = Field(default=8, ge=1)
    pool_size_2: StrictInt = Field(default=8, ge=1)
    fused: StrictBool = Field(default=True, description="spatial filters before temporal ones, folded batch norms (same numbers, faster)")

    @field_validator("activation_patch", "activation_transformer", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @classmethod
    def sized_for_signal(cls, n_times: int, sfreq: float) -> dict[str, Any]:
        """Hyperparameters that follow the data when a fresh model is sized from it: the
        temporal kernel spans the paper's 64 samples at 250 Hz (0.256 s)."""
        return {"kernel_size": max(2, min(round(0.256 * sfreq), n_times))}

    @model_validator(mode="after")
    def _sizes_fit(self) -> "CTNetParams":
        _, _, embed_dim = resolve_ctnet_dims(self.depth_multiplier, self.n_filters_time, self.embed_dim)
        check_heads(embed_dim, self.num_heads)
        n_times = self.resolved_n_times()
        if n_times is not None:
            check_ctnet_lengths(n_times, self.pool_size_1, self.pool_size_2)
        return self
