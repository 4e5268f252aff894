"""Validated hyperparameters of EEG-TCNet: every braindecode 1.8 constructor argument, typed,
and the shape arithmetic the model and its specs share."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.signal_arguments import SignalArguments, class_as_path


def eegtcnet_sequence_length(n_times: int, kern_length: int, filter_1: int, depth_multiplier: int) -> int:
    """Time steps the TCN gets from ``n_times`` samples: the temporal convolution pads
    ``kern_length // 2`` per side, pooling by 8, the separable convolution (``F2 = filter_1 *
    depth_multiplier`` taps, padded ``F2 // 2``), pooling by ``filter_1`` (braindecode's sizes)."""
    filter_2 = filter_1 * depth_multiplier
    length = (n_times + 2 * (kern_length // 2) - kern_length + 1) // 8
    return (length + 2 * (filter_2 // 2) - filter_2 + 1) // filter_1


def check_eegtcnet_lengths(n_times: int, kern_length: int, filter_1: int, depth_multiplier: int) -> int:
    """The TCN's sequence length; a ``ValueError`` naming the fix when nothing is left."""
    length = eegtcnet_sequence_length(n_times, kern_length, filter_1, depth_multiplier)
    if length < 1:
        shortest = n_times + 1
        while eegtcnet_sequence_length(shortest, kern_length, filter_1, depth_multiplier) < 1:
            shortest += 1
        raise ValueError(
            f"n_times={n_times} is too short for EEGTCNet: pooling by 8 and then by filter_1={filter_1} "
            f"leaves no time step. Pass at least {shortest} samples or a smaller filter_1."
        )
    return length


class EEGTCNetParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.EEGTCNet`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "eegtcnet"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.eegtcnet:EEGTCNet"

    activation: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    depth_multiplier: StrictInt = Field(default=2, ge=1, description="spatial filters per temporal filter (D)")
    filter_1: StrictInt = Field(default=8, ge=1, description="temporal filters (F1)")
    kern_length: StrictInt = Field(default=64, ge=1, description="samples of the temporal convolution")
    drop_prob: StrictFloat = Field(default=0.5, ge=0, lt=1, description="dropout of both parts unless set apart")
    depth: StrictInt = Field(default=2, ge=1, description="TCN residual blocks")
    kernel_size: StrictInt = Field(default=4, ge=1, description="taps of the TCN's causal convolutions")
    filters: StrictInt = Field(default=12, ge=1, description="TCN feature maps")
    max_norm_const: StrictFloat = Field(default=0.25, gt=0, description="classifier's max column norm")
    drop_prob_eeg: Optional[StrictFloat] = Field(default=None, ge=0, lt=1, description="EEGNet part's dropout (null: drop_prob)")
    drop_prob_tcn: Optional[StrictFloat] = Field(default=None, ge=0, lt=1, description="TCN's dropout (null: drop_prob)")
    tcn_batch_norm: StrictBool = Field(default=True, description="batch norm after each TCN convolution")

    @field_validator("activation", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @model_validator(mode="after")
    def _lengths_fit(self) -> "EEGTCNetParams":
        n_times = self.resolved_n_times()
        if n_times is not None:
            check_eegtcnet_lengths(n_times, self.kern_length, self.filter_1, self.depth_multiplier)
        return self
