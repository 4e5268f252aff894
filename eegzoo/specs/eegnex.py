"""Validated hyperparameters of EEGNeX: every braindecode 1.8 constructor argument, typed,
and the shape arithmetic the model and its specs share."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.signal_arguments import SignalArguments, class_as_path


def eegnex_pooled_lengths(n_times: int, pool_4: int, pool_5: int) -> tuple[int, int]:
    """Time steps after block 3's and block 5's mean pools: both pad one zero sample per side
    and step by their window (``(n + 2) // pool``); the "same" convolutions keep lengths."""
    after_3 = (n_times + 2) // pool_4
    return after_3, (after_3 + 2) // pool_5


def check_eegnex_lengths(n_times: int, pool_4: int, pool_5: int) -> int:
    """Time steps the classifier sees; a ``ValueError`` naming the fix when the pools do not fit."""
    for name, pool in (("avg_pool_block4", pool_4), ("avg_pool_block5", pool_5)):
        if pool < 2:
            raise ValueError(
                f"{name}={pool}: the pooling pads one sample per side, which needs a window of at "
                "least 2 samples; pass 2 or more."
            )
    after_3, after_5 = eegnex_pooled_lengths(n_times, pool_4, pool_5)
    if after_3 < 1 or after_5 < 1:
        shortest = n_times + 1
        while min(eegnex_pooled_lengths(shortest, pool_4, pool_5)) < 1:
            shortest += 1
        raise ValueError(
            f"n_times={n_times} is too short for EEGNeX with pools {pool_4} and {pool_5}: nothing is "
            f"left after pooling. Pass at least {shortest} samples or smaller pools."
        )
    return after_5


class EEGNeXParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.EEGNeX`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "eegnex"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.eegnex:EEGNeX"

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    activation: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    depth_multiplier: StrictInt = Field(default=2, ge=1, description="spatial filters per temporal map (block 3)")
    filter_1: StrictInt = Field(default=8, ge=1, description="maps of block 1 (and of block 5)")
    filter_2: StrictInt = Field(default=32, ge=1, description="maps of block 2 (and of block 4)")
    drop_prob: StrictFloat = Field(default=0.5, ge=0, lt=1)
    kernel_block_1_2: StrictInt = Field(default=64, ge=1, description="taps of blocks 1 and 2's temporal convolutions")
    kernel_block_4: StrictInt = Field(default=16, ge=1)
    dilation_block_4: StrictInt = Field(default=2, ge=1)
    avg_pool_block4: StrictInt = Field(default=4, ge=2, description="mean-pool window after block 3")
    kernel_block_5: StrictInt = Field(default=16, ge=1)
    dilation_block_5: StrictInt = Field(default=4, ge=1)
    avg_pool_block5: StrictInt = Field(default=8, ge=2, description="mean-pool window after block 5")
    max_norm_conv: StrictFloat = Field(default=1.0, gt=0, description="max L2 norm of each spatial filter")
    max_norm_linear: StrictFloat = Field(default=0.25, gt=0, description="max L2 norm of each classifier row")
    fused: StrictBool = Field(
        default=True, description="blocks 1-3 as one spatial-then-temporal FFT filter (same numbers, faster)"
    )

    @field_validator("activation", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @model_validator(mode="after")
    def _lengths_fit(self) -> "EEGNeXParams":
        n_times = self.resolved_n_times()
        if n_times is not None:
            check_eegnex_lengths(n_times, self.avg_pool_block4, self.avg_pool_block5)
        return self
