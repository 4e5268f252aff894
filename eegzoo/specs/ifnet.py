"""Validated hyperparameters of IFNet: every braindecode 1.8 constructor argument, typed."""

from __future__ import annotations

from typing import Any, ClassVar, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.core.bands import check_bands, resolve_bands
from eegzoo.specs.filter_bank import FilterParameters
from eegzoo.specs.signal_arguments import SignalArguments, class_as_path

#: Range the mean power is clamped to before the log (braindecode's ``LogPowerLayer``).
POWER_CLAMP = (1e-4, 1e4)


def ifnet_branches(n_bands: int, n_kernels: int, n_chans: int) -> int:
    """Branches of IFNet's band mixing: one per band and kernel size, the smaller number
    when they differ (braindecode's rule). With more bands than kernels the branches split
    the ``n_bands * n_chans`` (band, electrode) signals into equal consecutive groups, which
    must divide evenly."""
    branches = min(n_bands, n_kernels)
    if (n_bands * n_chans) % branches:
        raise ValueError(
            f"{n_bands} bands x {n_chans} electrodes = {n_bands * n_chans} signals cannot be "
            f"split into {branches} branches (one per kernel size): give one kernel size per "
            f"band (kernel_sizes with {n_bands} entries)."
        )
    return branches


class IFNetParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.IFNet`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "ifnet"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.ifnet:IFNet"

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    bands: Union[StrictInt, None, list[tuple[Union[StrictInt, StrictFloat], Union[StrictInt, StrictFloat]]]] = Field(
        default=[(4.0, 16.0), (16.0, 40.0)],
        description="[[low, high], ...] Hz, int N (N bands over 4-40 Hz) or null (nine 4 Hz bands)",
    )
    n_filters_spat: StrictInt = Field(default=64, ge=1, description="spatial filters per band")
    kernel_sizes: tuple[StrictInt, ...] = Field(default=(63, 31), min_length=1, description="temporal kernel size per band")
    stride_factor: StrictInt = Field(default=8, ge=1, description="power windows per trial")
    drop_prob: StrictFloat = Field(default=0.5, ge=0, lt=1)
    linear_max_norm: StrictFloat = Field(default=0.5, gt=0)
    activation: str = Field(default="torch.nn.GELU", description="dotted path of an nn.Module class")
    verbose: StrictBool = False
    filter_parameters: Optional[FilterParameters] = None
    fused: StrictBool = True

    @field_validator("activation", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @field_validator("kernel_sizes")
    @classmethod
    def _kernels_positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(k < 1 for k in value):
            raise ValueError(f"kernel_sizes must be ints >= 1, got {list(value)}.")
        return value

    @field_validator("bands")
    @classmethod
    def _bands_well_formed(cls, value: Any) -> Any:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"bands must be >= 1 when given as an int, got {value}.")
        if isinstance(value, list):
            resolve_bands(value)
            check_bands([(float(lo), float(hi)) for lo, hi in value], sfreq=float("inf"))
        return value

    @model_validator(mode="after")
    def _cross_field(self) -> "IFNetParams":
        bands = resolve_bands(self.bands)
        if self.sfreq is not None:
            check_bands(bands, self.sfreq)
        n_chans = self.n_chans if self.n_chans is not None else (len(self.chs_info) if self.chs_info else None)
        if n_chans is not None:
            ifnet_branches(len(bands), len(self.kernel_sizes), n_chans)
        return self

    def constructor_kwargs(self) -> dict[str, Any]:
        kwargs = self.model_dump()
        if self.filter_parameters is not None:
            kwargs["filter_parameters"] = self.filter_parameters.model_dump(exclude_defaults=True)
        if isinstance(self.bands, list):
            kwargs["bands"] = [tuple(b) for b in self.bands]
        kwargs["kernel_sizes"] = tuple(self.kernel_sizes)
        return kwargs
