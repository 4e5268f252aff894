"""Validated hyperparameters of FBCNet: every braindecode 1.8 constructor argument, typed."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.filter_bank import FilterBankArguments
from eegzoo.specs.signal_arguments import class_as_path

#: braindecode's ``temporal_layer`` names and the statistic each takes over a window.
TEMPORAL_LAYERS = ("LogVarLayer", "VarLayer", "StdLayer", "MeanLayer", "MaxLayer")


def fbcnet_window(n_times: int, stride_factor: int) -> int:
    """Samples per temporal window: the input is zero-padded to a multiple of
    ``stride_factor`` and cut into ``stride_factor`` windows."""
    return -(-n_times // stride_factor)


def check_fbcnet_window(n_times: int, stride_factor: int, temporal_layer: str) -> int:
    """The window length, or a ``ValueError`` naming the fix when a window is too short."""
    window = fbcnet_window(n_times, stride_factor)
    if window < 2 and temporal_layer in ("LogVarLayer", "VarLayer", "StdLayer"):
        raise ValueError(
            f"n_times={n_times} split into stride_factor={stride_factor} windows leaves "
            f"{window} sample per window, which has no variance: use a smaller stride_factor "
            "or a longer n_times."
        )
    return window


class FBCNetParams(FilterBankArguments):
    """Every constructor argument of :class:`eegzoo.models.FBCNet`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "fbcnet"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.fbcnet:FBCNet"

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    n_filters_spat: StrictInt = Field(default=32, ge=1, description="spatial filters per band")
    temporal_layer: Literal[TEMPORAL_LAYERS] = Field(  # type: ignore[valid-type]
        default="LogVarLayer", description="statistic over each temporal window"
    )
    n_dim: Literal[3, -1] = Field(default=3, description="axis of the statistic: the window axis")
    stride_factor: StrictInt = Field(default=4, ge=1, description="temporal windows per trial")
    activation: str = Field(default="torch.nn.SiLU", description="dotted path of an nn.Module class")
    linear_max_norm: StrictFloat = Field(default=0.5, gt=0)
    cnn_max_norm: StrictFloat = Field(default=2.0, gt=0)
    fused: StrictBool = True

    @field_validator("activation", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @model_validator(mode="after")
    def _cross_field(self) -> "FBCNetParams":
        n_times = self.resolved_n_times()
        if n_times is not None:
            check_fbcnet_window(n_times, self.stride_factor, self.temporal_layer)
        return self
