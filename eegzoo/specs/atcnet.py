"""Validated hyperparameters of ATCNet: every braindecode 1.8 constructor argument, typed,
and the sizing rule (braindecode's down-scaling for short windows) the model and its specs
share."""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple, Optional

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.signal_arguments import SignalArguments, class_as_path


class ATCNetSizes(NamedTuple):
    """The sizes ATCNet is built with for a given ``n_times`` (after down-scaling)."""

    kernel_length_1: int
    kernel_length_2: int
    pool_size_1: int
    pool_size_2: int
    n_windows: int
    tcn_kernel_size: int
    scaling_factor: Optional[float]  # None: the window was long enough, nothing scaled
    n_steps: int  # Tc: time steps after the two poolings
    window_length: int  # Tw = Tc - n_windows + 1


def atcnet_sizes(
    n_times: int, kernel_length_1: int, kernel_length_2: int, pool_size_1: int, pool_size_2: int,
    n_windows: int, tcn_depth: int, tcn_kernel_size: int,
) -> ATCNetSizes:
    """braindecode's rule: when ``n_times`` is shorter than what one window through the TCN
    needs (``(n_windows + (tcn_kernel_size - 1) * 2**(tcn_depth - 1)) * pool_size_1 *
    pool_size_2`` samples), kernels, pools, windows and the TCN kernel are scaled down by
    ``n_times / that`` (``int``, at least 1; the TCN kernel at least 2). A ``ValueError``
    naming the fix when even that leaves no window."""
    min_len_tcn = (tcn_kernel_size - 1) * (2 ** (tcn_depth - 1)) + 1
    min_n_times = (n_windows + min_len_tcn - 1) * pool_size_1 * pool_size_2
    factor: Optional[float] = None
    if n_times < min_n_times:
        factor = n_times / min_n_times
        kernel_length_1 = max(1, int(kernel_length_1 * factor))
        kernel_length_2 = max(1, int(kernel_length_2 * factor))
        pool_size_1 = max(1, int(pool_size_1 * factor))
        pool_size_2 = max(1, int(pool_size_2 * factor))
        n_windows = max(1, int(n_windows * factor))
        tcn_kernel_size = max(2, int(tcn_kernel_size * factor))
    n_steps = int(n_times / (pool_size_1 * pool_size_2))
    window_length = n_steps - n_windows + 1
    if window_length < 1:
        needed = (n_windows + min_len_tcn - 1) * pool_size_1 * pool_size_2 if factor is None else min_n_times
        raise ValueError(
            f"n_times={n_times} is too short for ATCNet: after pooling by {pool_size_1} x {pool_size_2} "
            f"(scaled down for the short window) {n_steps} time steps remain for {n_windows} sliding "
            f"windows. Pass n_times >= {needed} (what the model needs unscaled), or smaller "
            "conv_block_pool_size_1/conv_block_pool_size_2 or n_windows."
        )
    return ATCNetSizes(
        kernel_length_1, kernel_length_2, pool_size_1, pool_size_2, n_windows, tcn_kernel_size, factor,
        n_steps, window_length,
    )


class ATCNetParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.ATCNet`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "atcnet"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.atcnet:ATCNet"

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    sfreq: Optional[StrictFloat] = Field(default=250.0, gt=0, description="sampling rate (braindecode's default 250 Hz)")
    conv_block_n_filters: StrictInt = Field(default=16, ge=1, description="temporal filters (F1)")
    conv_block_kernel_length_1: StrictInt = Field(default=64, ge=1, description="samples of the temporal filters")
    conv_block_kernel_length_2: StrictInt = Field(default=16, ge=1, description="samples of the second temporal convolution")
    conv_block_pool_size_1: StrictInt = Field(default=8, ge=1)
    conv_block_pool_size_2: StrictInt = Field(default=7, ge=1)
    conv_block_depth_mult: StrictInt = Field(default=2, ge=1, description="spatial filters per temporal filter (D)")
    conv_block_dropout: StrictFloat = Field(default=0.3, ge=0, lt=1)
    n_windows: StrictInt = Field(default=5, ge=1, description="sliding windows")
    head_dim: StrictInt = Field(default=8, ge=1, description="features per attention head")
    num_heads: StrictInt = Field(default=2, ge=1)
    att_drop_prob: StrictFloat = Field(default=0.5, ge=0, lt=1)
    tcn_depth: StrictInt = Field(default=2, ge=1, description="TCN residual blocks")
    tcn_kernel_size: StrictInt = Field(default=4, ge=1)
    tcn_drop_prob: StrictFloat = Field(default=0.3, ge=0, lt=1)
    tcn_activation: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    concat: StrictBool = Field(default=False, description="one classifier on the concatenated windows (else: mean of per-window logits)")
    max_norm_const: StrictFloat = Field(default=0.25, gt=0, description="classifier's max column norm")
    conv_max_norm_const: Optional[StrictFloat] = Field(default=None, gt=0, description="max norm of the convolution kernels (null: none)")
    fused: StrictBool = Field(default=True, description="spatial filters before temporal ones (same numbers, faster)")

    @field_validator("tcn_activation", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @model_validator(mode="after")
    def _lengths_fit(self) -> "ATCNetParams":
        n_times = self.resolved_n_times()
        if n_times is not None:
            atcnet_sizes(
                n_times, self.conv_block_kernel_length_1, self.conv_block_kernel_length_2,
                self.conv_block_pool_size_1, self.conv_block_pool_size_2, self.n_windows, self.tcn_depth,
                self.tcn_kernel_size,
            )
        return self
