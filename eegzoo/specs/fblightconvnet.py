"""Validated hyperparameters of FBLightConvNet: every braindecode constructor argument, typed."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.core.bands import check_bands, divisors, resolve_bands
from eegzoo.specs.model import ArchitectureParams, Frozen


class FilterParameters(Frozen):
    """Keyword arguments of :class:`eegzoo.blocks.FilterBank` (mne filter design)."""

    method: Literal["fir", "iir"] = "fir"
    filter_length: Union[StrictInt, str] = "auto"
    l_trans_bandwidth: Union[StrictFloat, Literal["auto"]] = "auto"
    h_trans_bandwidth: Union[StrictFloat, Literal["auto"]] = "auto"
    phase: Literal["zero", "zero-double", "forward", "causal"] = "zero"
    iir_params: Optional[dict[str, Any]] = None
    fir_window: Literal["hamming", "hann", "blackman"] = "hamming"
    fir_design: Literal["firwin", "firwin2"] = "firwin"


class FBLightConvNetParams(ArchitectureParams):
    """Every constructor argument of :class:`eegzoo.models.FBLightConvNet`, typed and checked."""

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused", "verbose"})

    n_chans: Optional[StrictInt] = Field(default=None, ge=1)
    n_outputs: Optional[StrictInt] = Field(default=None, ge=1)
    chs_info: Optional[list[dict[str, Any]]] = None
    n_times: Optional[StrictInt] = Field(default=None, ge=1)
    input_window_seconds: Optional[StrictFloat] = Field(default=None, gt=0)
    sfreq: Optional[StrictFloat] = Field(default=None, gt=0)
    n_bands: Union[StrictInt, None, list[tuple[StrictFloat, StrictFloat]]] = Field(
        default=9, description="int N (N bands over 4-40 Hz), null (nine 4 Hz bands) or [[low, high], ...]"
    )
    n_filters_spat: StrictInt = Field(default=32, ge=1)
    n_dim: Literal[3, -1] = Field(default=3, description="axis of the variance: the window axis")
    stride_factor: Optional[StrictInt] = Field(default=None, description="deprecated, ignored")
    win_len: StrictInt = Field(default=250, ge=2, description="samples per window")
    heads: StrictInt = Field(default=8, ge=1)
    weight_softmax: StrictBool = True
    bias: StrictBool = False
    activation: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    verbose: StrictBool = False
    filter_parameters: Optional[FilterParameters] = None
    fused: StrictBool = True

    @field_validator("activation", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        if isinstance(value, type):
            return f"{value.__module__}.{value.__qualname__}"
        return value

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
    def _cross_field(self) -> "FBLightConvNetParams":
        if self.n_filters_spat % self.heads != 0:
            raise ValueError(
                f"heads={self.heads} must divide n_filters_spat={self.n_filters_spat}; "
                f"choose heads among {divisors(self.n_filters_spat)}."
            )
        if self.sfreq is not None:
            check_bands(resolve_bands(self.n_bands), self.sfreq)
        n_times = self.n_times
        if n_times is None and self.input_window_seconds is not None and self.sfreq is not None:
            n_times = round(self.input_window_seconds * self.sfreq)
        if n_times is not None and n_times < self.win_len:
            raise ValueError(
                f"n_times={n_times} is shorter than win_len={self.win_len}: pass a longer "
                "input or a smaller win_len."
            )
        if self.chs_info is not None and self.n_chans is not None and len(self.chs_info) != self.n_chans:
            raise ValueError(f"n_chans={self.n_chans} differs from len(chs_info)={len(self.chs_info)}.")
        return self

    @classmethod
    def sized_for_signal(cls, n_times: int, sfreq: float) -> dict[str, Any]:
        """Hyperparameters that follow the data when a fresh model is sized from it: variance
        windows of about one second (the paper's 250 samples at 250 Hz), preferably a divisor
        of ``n_times`` so that no sample is dropped; a trial shorter than a second is one window."""
        limit = max(2, min(n_times, round(sfreq)))
        best = max((d for d in range(2, limit + 1) if n_times % d == 0), default=limit)
        return {"win_len": best if best * 2 > limit else limit}

    def constructor_kwargs(self) -> dict[str, Any]:
        kwargs = self.model_dump()
        if self.filter_parameters is not None:
            kwargs["filter_parameters"] = self.filter_parameters.model_dump(exclude_defaults=True)
        if isinstance(self.n_bands, list):
            kwargs["n_bands"] = [tuple(b) for b in self.n_bands]
        return kwargs
