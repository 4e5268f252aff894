"""Validated hyperparameters of EEGNet: every braindecode 1.8 constructor argument, typed,
and the shape arithmetic the model and its specs share."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.signal_arguments import FinalConvLength, SignalArguments, class_as_path


def eegnet_feature_length(n_times: int, kernel_length: int, depthwise_kernel_length: int, pool1: int, pool2: int) -> int:
    """Time steps left for EEGNet's classifier from ``n_times`` input samples: both
    convolutions pad ``k // 2`` per side (one extra sample for even ``k``), then pool."""
    length = (n_times + (1 - kernel_length % 2)) // pool1
    return (length + (1 - depthwise_kernel_length % 2)) // pool2


def check_eegnet_lengths(
    n_times: int, kernel_length: int, depthwise_kernel_length: int, pool1: int, pool2: int,
    final_conv_length: Union[int, str], linear_head: bool,
) -> int:
    """Raise a ``ValueError`` naming the fix when the window is too short for the pools or
    the classifier; return the classifier's length."""
    n_out = eegnet_feature_length(n_times, kernel_length, depthwise_kernel_length, pool1, pool2)
    if n_out < 1:
        raise ValueError(
            f"n_times={n_times} is too short for EEGNet with pool sizes {pool1} and {pool2}: "
            f"nothing is left after pooling. Pass at least {pool1 * pool2} samples or smaller pools."
        )
    if final_conv_length == "auto":
        return n_out
    if final_conv_length > n_out:
        raise ValueError(
            f"final_conv_length={final_conv_length} exceeds the {n_out} time steps left after "
            f"pooling n_times={n_times}: use 'auto', a value <= {n_out}, or a longer n_times."
        )
    if linear_head and final_conv_length != n_out:
        raise ValueError(
            "final_layer_with_constraint=True flattens the whole feature map, so "
            f"final_conv_length must be 'auto' ({n_out}), got {final_conv_length}."
        )
    return int(final_conv_length)


class EEGNetParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.EEGNet`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "eegnet"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.eegnet:EEGNet"

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    final_conv_length: FinalConvLength = Field(
        default="auto", description="'auto' (whole window) or time steps of the classifier"
    )
    pool_mode: Literal["mean", "max"] = "mean"
    F1: StrictInt = Field(default=8, ge=1, description="temporal filters")
    D: StrictInt = Field(default=2, ge=1, description="spatial filters per temporal filter")
    F2: Optional[StrictInt] = Field(default=None, ge=1, description="pointwise filters (null: F1 * D)")
    kernel_length: StrictInt = Field(default=64, ge=1)
    depthwise_kernel_length: StrictInt = Field(default=16, ge=1)
    pool1_kernel_size: StrictInt = Field(default=4, ge=1)
    pool2_kernel_size: StrictInt = Field(default=8, ge=1)
    conv_spatial_max_norm: StrictFloat = Field(default=1.0, gt=0)
    activation: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    batch_norm_momentum: StrictFloat = Field(default=0.01, ge=0, le=1)
    batch_norm_affine: StrictBool = True
    batch_norm_eps: StrictFloat = Field(default=1e-3, gt=0)
    drop_prob: StrictFloat = Field(default=0.25, ge=0, lt=1)
    final_layer_with_constraint: StrictBool = False
    norm_rate: StrictFloat = Field(default=0.25, gt=0)
    fused: StrictBool = Field(default=True, description="eval mode: spatial filters before temporal ones (same numbers, faster)")

    @field_validator("activation", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @classmethod
    def sized_for_signal(cls, n_times: int, sfreq: float) -> dict[str, Any]:
        """Hyperparameters that follow the data when a fresh model is sized from it: the
        temporal kernel spans half a second (the paper: half the sampling rate, 64 at 128 Hz)."""
        return {"kernel_length": max(2, min(round(sfreq / 2), n_times))}

    @model_validator(mode="after")
    def _lengths_fit(self) -> "EEGNetParams":
        n_times = self.resolved_n_times()
        if n_times is not None:
            check_eegnet_lengths(
                n_times, self.kernel_length, self.depthwise_kernel_length, self.pool1_kernel_size,
                self.pool2_kernel_size, self.final_conv_length, self.final_layer_with_constraint,
            )
        return self
