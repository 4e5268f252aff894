"""Validated hyperparameters of FBCNet: every braindecode 1.8 constructor argument, typed."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.core.bands import check_bands, resolve_bands
from eegzoo.specs.fblightconvnet import FilterParameters
from eegzoo.specs.signal_arguments import SignalArguments, class_as_path

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


class FBCNetParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.FBCNet`, typed and checked."""

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    n_bands: Union[StrictInt, None, list[tuple[StrictFloat, StrictFloat]]] = Field(
        default=9, description="int N (N bands over 4-40 Hz), null (nine 4 Hz bands) or [[low, high], ...]"
    )
    n_filters_spat: StrictInt = Field(default=32, ge=1, description="spatial filters per band")
    temporal_layer: Literal[TEMPORAL_LAYERS] = Field(  # type: ignore[valid-type]
        default="LogVarLayer", description="statistic over each temporal window"
    )
    n_dim: Literal[3, -1] = Field(default=3, description="axis of the statistic: the window axis")
    stride_factor: StrictInt = Field(default=4, ge=1, description="temporal windows per trial")
    activation: str = Field(default="torch.nn.SiLU", description="dotted path of an nn.Module class")
    linear_max_norm: StrictFloat = Field(default=0.5, gt=0)
    cnn_max_norm: StrictFloat = Field(default=2.0, gt=0)
    filter_parameters: Optional[FilterParameters] = None
    fused: StrictBool = True

    @field_validator("activation", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @field_validator("n_bands")
    @classmethod
    def _bands_well_formed(cls, value: Any) -> Any:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"n_bands must be >= 1 when given as an int, got {value}.")
        if isinstance(value, list):
            resolve_bands(value)
            check_bands([(float(lo), float(hi)) for lo, hi in value], sfreq=float("inf"))
        return value

    @model_validator(mode="after")
    def _cross_field(self) -> "FBCNetParams":
        if self.sfreq is not None:
            check_bands(resolve_bands(self.n_bands), self.sfreq)
        n_times = self.resolved_n_times()
        if n_times is not None:
            check_fbcnet_window(n_times, self.stride_factor, self.temporal_layer)
        return self

    def constructor_kwargs(self) -> dict[str, Any]:
        kwargs = self.model_dump()
        if self.filter_parameters is not None:
            kwargs["filter_parameters"] = self.filter_parameters.model_dump(exclude_defaults=True)
        if isinstance(self.n_bands, list):
            kwargs["n_bands"] = [tuple(b) for b in self.n_bands]
        return kwargs
