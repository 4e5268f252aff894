"""Validated hyperparameters of TCFormer: every braindecode 1.8 constructor argument, typed,
and the checks the model and its specs share."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.signal_arguments import SignalArguments, class_as_path


def check_tcformer_arguments(
    n_times: Optional[int], temp_kernel_lengths: tuple[int, ...], group_dim: int, se_reduction: int,
    q_heads: int, kv_heads: int, pool_length_1: int, pool_length_2: int,
) -> None:
    """Raise a ``ValueError`` naming the fix for configurations that cannot be built or run
    (braindecode fails on them with an assertion, a conv-layer error or a pooling error in
    the first forward)."""
    n_groups = len(temp_kernel_lengths)
    if n_groups < 1:
        raise ValueError("temp_kernel_lengths must name at least one kernel length, e.g. (20, 32, 64).")
    if any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in temp_kernel_lengths):
        raise ValueError(f"temp_kernel_lengths must be positive ints, got {tuple(temp_kernel_lengths)!r}.")
    d_model = group_dim * n_groups
    if d_model % q_heads:
        raise ValueError(
            f"d_model = group_dim * len(temp_kernel_lengths) = {d_model} must be divisible by "
            f"q_heads={q_heads}: change q_heads or group_dim."
        )
    if q_heads % kv_heads:
        raise ValueError(f"q_heads={q_heads} must be a multiple of kv_heads={kv_heads}.")
    if (d_model // q_heads) % 2:
        raise ValueError(
            f"head_dim = d_model // q_heads = {d_model // q_heads} must be even (rotary embeddings "
            "rotate pairs): change q_heads or group_dim."
        )
    if n_groups > 1:
        squeezed = d_model // se_reduction
        if squeezed < n_groups or squeezed % n_groups:
            raise ValueError(
                f"The grouped squeeze-and-excitation keeps d_model // se_reduction = {d_model} // "
                f"{se_reduction} = {squeezed} channels, which must be a positive multiple of the "
                f"{n_groups} kernel groups: pick se_reduction so that group_dim / se_reduction is an int >= 1."
            )
    if n_times is not None and n_times // pool_length_1 // pool_length_2 < 1:
        raise ValueError(
            f"n_times={n_times} is too short for TCFormer: pooling by pool_length_1={pool_length_1} "
            f"and pool_length_2={pool_length_2} leaves no token. Pass at least "
            f"{pool_length_1 * pool_length_2} samples or smaller pools."
        )


class TCFormerParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.TCFormer`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "tcformer"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.tcformer:TCFormer"

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    n_filters_time: StrictInt = Field(default=32, ge=1, description="temporal filters per kernel length (F1)")
    temp_kernel_lengths: tuple[StrictInt, ...] = Field(
        default=(20, 32, 64), min_length=1, description="temporal kernel lengths; one feature group each"
    )
    depth_multiplier: StrictInt = Field(default=2, ge=1, description="spatial filters per temporal filter (D)")
    pool_length_1: StrictInt = Field(default=8, ge=1)
    pool_length_2: StrictInt = Field(default=7, ge=1)
    temp_kernel_length_2: StrictInt = Field(default=16, ge=1, description="taps of the grouped second temporal conv")
    group_dim: StrictInt = Field(default=16, ge=1, description="channels per group; d_model = group_dim * groups")
    se_reduction: StrictInt = Field(default=4, ge=1, description="squeeze-and-excitation reduction")
    n_transformer_layers: StrictInt = Field(default=2, ge=0)
    q_heads: StrictInt = Field(default=4, ge=1, description="query heads")
    kv_heads: StrictInt = Field(default=2, ge=1, description="key/value heads shared by the query heads")
    mlp_ratio: StrictInt = Field(default=2, ge=1)
    drop_path_max: StrictFloat = Field(default=0.25, ge=0, le=1, description="stochastic depth of the last layer")
    tcn_depth: StrictInt = Field(default=2, ge=0, description="TCN residual blocks")
    tcn_kernel_length: StrictInt = Field(default=4, ge=1)
    classifier_max_norm: StrictFloat = Field(default=0.25, gt=0)
    drop_prob_conv: StrictFloat = Field(default=0.4, ge=0, lt=1)
    drop_prob_trans: StrictFloat = Field(default=0.4, ge=0, lt=1)
    drop_prob_tcn: StrictFloat = Field(default=0.3, ge=0, lt=1)
    activation: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    activation_ffn: str = Field(default="torch.nn.GELU", description="the transformer MLP's activation")
    fused: StrictBool = Field(default=True, description="spatial filters before temporal ones, through the FFT (same numbers, faster)")

    @field_validator("activation", "activation_ffn", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @field_validator("drop_path_max", "classifier_max_norm", "drop_prob_conv", "drop_prob_trans", "drop_prob_tcn", mode="before")
    @classmethod
    def _int_as_float(cls, value: Any) -> Any:
        """``classifier_max_norm=1`` or ``drop_path_max=0`` (ints) mean the float."""
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _shapes_fit(self) -> "TCFormerParams":
        check_tcformer_arguments(
            self.resolved_n_times(), self.temp_kernel_lengths, self.group_dim, self.se_reduction,
            self.q_heads, self.kv_heads, self.pool_length_1, self.pool_length_2,
        )
        return self
