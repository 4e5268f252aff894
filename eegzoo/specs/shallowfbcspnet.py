"""Validated hyperparameters of ShallowFBCSPNet: every braindecode 1.8 constructor argument,
typed, and the shape arithmetic the model and its specs share."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.signal_arguments import FinalConvLength, SignalArguments, class_as_path


def check_shallow_lengths(
    n_times: int, filter_time_length: int, pool_time_length: int, pool_time_stride: int,
    final_conv_length: Union[int, str],
) -> tuple[int, int]:
    """``(pooled time steps, classifier length)`` for ``n_times`` input samples; a
    ``ValueError`` naming the fix when the window is too short."""
    conv_out = n_times - filter_time_length + 1
    if conv_out < pool_time_length:
        raise ValueError(
            f"n_times={n_times} is too short for ShallowFBCSPNet: the temporal convolution "
            f"({filter_time_length} samples) and one pooling window ({pool_time_length}) need "
            f"{filter_time_length + pool_time_length - 1} samples. Pass a longer n_times or "
            "smaller filter_time_length/pool_time_length."
        )
    pooled = (conv_out - pool_time_length) // pool_time_stride + 1
    if final_conv_length == "auto":
        return pooled, pooled
    if final_conv_length > pooled:
        raise ValueError(
            f"final_conv_length={final_conv_length} exceeds the {pooled} pooled time steps of "
            f"n_times={n_times}: use 'auto', a value <= {pooled}, or a longer n_times."
        )
    return pooled, int(final_conv_length)


class ShallowFBCSPNetParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.ShallowFBCSPNet`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "shallowfbcspnet"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.shallowfbcspnet:ShallowFBCSPNet"

    n_filters_time: StrictInt = Field(default=40, ge=1)
    filter_time_length: StrictInt = Field(default=25, ge=1, description="samples")
    n_filters_spat: StrictInt = Field(default=40, ge=1)
    pool_time_length: StrictInt = Field(default=75, ge=1, description="samples")
    pool_time_stride: StrictInt = Field(default=15, ge=1, description="samples")
    final_conv_length: FinalConvLength = Field(
        default="auto", description="'auto' (whole window) or time steps of the classifier"
    )
    conv_nonlin: str = Field(
        default="eegzoo.blocks.square.Square", description="dotted path of an nn.Module class or a function"
    )
    pool_mode: Literal["mean", "max"] = "mean"
    activation_pool_nonlin: str = Field(
        default="eegzoo.blocks.safe_log.SafeLog", description="dotted path of an nn.Module class or a function"
    )
    split_first_layer: StrictBool = True
    batch_norm: StrictBool = True
    batch_norm_alpha: StrictFloat = Field(default=0.1, ge=0, le=1, description="batch-norm momentum")
    drop_prob: StrictFloat = Field(default=0.5, ge=0, lt=1)

    @field_validator("conv_nonlin", "activation_pool_nonlin", mode="before")
    @classmethod
    def _as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @classmethod
    def sized_for_signal(cls, n_times: int, sfreq: float) -> dict[str, Any]:
        """Hyperparameters that follow the data when a fresh model is sized from it: the
        paper's durations at 250 Hz (25-sample = 0.1 s filters, 75-sample = 0.3 s pooling every
        15 samples = 0.06 s) at the data's rate."""
        filter_length = max(1, round(0.1 * sfreq))
        pool_length = max(1, min(round(0.3 * sfreq), n_times - filter_length + 1))  # a short trial: one window
        return {"filter_time_length": filter_length, "pool_time_length": pool_length,
                "pool_time_stride": max(1, min(round(0.06 * sfreq), pool_length))}

    @model_validator(mode="after")
    def _lengths_fit(self) -> "ShallowFBCSPNetParams":
        n_times = self.resolved_n_times()
        if n_times is not None:
            check_shallow_lengths(
                n_times, self.filter_time_length, self.pool_time_length, self.pool_time_stride,
                self.final_conv_length,
            )
        return self
