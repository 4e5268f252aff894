"""Validated hyperparameters of FBLightConvNet: every braindecode constructor argument, typed."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from eegzoo.core.bands import divisors
from eegzoo.specs.filter_bank import FilterBankArguments, FilterParameters  # noqa: F401 (re-exported)
from eegzoo.specs.signal_arguments import class_as_path


class FBLightConvNetParams(FilterBankArguments):
    """Every constructor argument of :class:`eegzoo.models.FBLightConvNet`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "fblightconvnet"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.fblightconvnet:FBLightConvNet"

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused", "verbose"})

    n_filters_spat: StrictInt = Field(default=32, ge=1)
    n_dim: Literal[3, -1] = Field(default=3, description="axis of the variance: the window axis")
    stride_factor: Optional[StrictInt] = Field(default=None, description="deprecated, ignored")
    win_len: StrictInt = Field(default=250, ge=2, description="samples per window")
    heads: StrictInt = Field(default=8, ge=1)
    weight_softmax: StrictBool = True
    bias: StrictBool = False
    activation: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    verbose: StrictBool = False
    fused: StrictBool = True

    @field_validator("activation", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @model_validator(mode="after")
    def _cross_field(self) -> "FBLightConvNetParams":
        if self.n_filters_spat % self.heads != 0:
            raise ValueError(
                f"heads={self.heads} must divide n_filters_spat={self.n_filters_spat}; "
                f"choose heads among {divisors(self.n_filters_spat)}."
            )
        n_times = self.resolved_n_times()
        if n_times is not None and n_times < self.win_len:
            raise ValueError(
                f"n_times={n_times} is shorter than win_len={self.win_len}: pass a longer "
                "input or a smaller win_len."
            )
        return self

    @classmethod
    def sized_for_signal(cls, n_times: int, sfreq: float) -> dict[str, Any]:
        """Hyperparameters that follow the data when a fresh model is sized from it: variance
        windows of about one second (the paper's 250 samples at 250 Hz), preferably a divisor
        of ``n_times`` so that no sample is dropped; a trial shorter than a second is one window."""
        limit = max(2, min(n_times, round(sfreq)))
        best = max((d for d in range(2, limit + 1) if n_times % d == 0), default=limit)
        return {"win_len": best if best * 2 > limit else limit}
