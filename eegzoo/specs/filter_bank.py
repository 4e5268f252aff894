"""The filter-bank arguments FBLightConvNet and FBCNet share: the bands and mne's filter design."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import Field, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.core.bands import check_bands, resolve_bands
from eegzoo.specs.model import Frozen
from eegzoo.specs.signal_arguments import SignalArguments


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


class FilterBankArguments(SignalArguments):
    """Signal arguments plus a filter bank: ``n_bands`` (checked against ``sfreq``) and
    ``filter_parameters``."""

    n_bands: Union[StrictInt, None, list[tuple[StrictFloat, StrictFloat]]] = Field(
        default=9, description="int N (N bands over 4-40 Hz), null (nine 4 Hz bands) or [[low, high], ...]"
    )
    filter_parameters: Optional[FilterParameters] = None

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
    def _bands_below_nyquist(self) -> "FilterBankArguments":
        if self.sfreq is not None:
            check_bands(resolve_bands(self.n_bands), self.sfreq)
        return self

    def constructor_kwargs(self) -> dict[str, Any]:
        kwargs = self.model_dump()
        if self.filter_parameters is not None:
            kwargs["filter_parameters"] = self.filter_parameters.model_dump(exclude_defaults=True)
        if isinstance(self.n_bands, list):
            kwargs["n_bands"] = [tuple(b) for b in self.n_bands]
        return kwargs
