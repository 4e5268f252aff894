"""Pydantic specs: what a registered model is, and the validated hyperparameters of each
architecture. Specs are frozen and exportable as JSON schema (``eegzoo schema``)."""

from __future__ import annotations

import difflib
from typing import Any, Literal, Optional, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from eegzoo.blocks.filter_bank import check_bands, resolve_bands
from eegzoo.blocks.lightweight_attention import _divisors


class SpecError(ValueError):
    """A spec (file, override or plugin) is invalid; the message names source, field and fix."""


def format_validation_error(err: ValidationError, source: str) -> str:
    """One line per problem: ``<source>: field 'a.b': <message> (got <value>)``."""
    lines = [f"Invalid spec in {source}:"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        got = e.get("input")
        got_text = "" if e["type"] in ("missing", "value_error") else f" (got {got!r})"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field; remove it or check its spelling"
        lines.append(f"  field '{loc}': {msg}{got_text}" if loc else f"  {msg}")
    return "\n".join(lines)


def unknown_names_message(unknown: list[str], valid: list[str], what: str) -> str:
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, valid, n=1)
        parts.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return f"Unknown {what} {', '.join(parts)}; valid ones are: {', '.join(sorted(valid))}."


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)



class SignalDefaults(_Frozen):
    """The data a registered variant expects by default (all overridable at creation)."""

    n_chans: Optional[StrictInt] = Field(default=None, ge=1, description="EEG channels")
    n_outputs: Optional[StrictInt] = Field(default=None, ge=1, description="classes")
    n_times: Optional[StrictInt] = Field(default=None, ge=1, description="samples per trial")
    sfreq: Optional[StrictFloat] = Field(default=None, gt=0, description="sampling rate (Hz)")
    ch_names: Optional[list[str]] = Field(default=None, description="expected channel order")

    @model_validator(mode="after")
    def _names_match_count(self) -> "SignalDefaults":
        if self.ch_names is not None and self.n_chans is not None and len(self.ch_names) != self.n_chans:
            raise ValueError(
                f"ch_names lists {len(self.ch_names)} channels but n_chans={self.n_chans}; make them agree."
            )
        return self


class PretrainedSource(_Frozen):
    """Where trained weights live on the Hugging Face Hub, pinned by content hash."""

    repo_id: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="Hub repo, 'owner/name'")
    revision: Optional[str] = Field(default=None, description="commit, tag or branch")
    filename: str = "model.safetensors"
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the weights file")


class BlockSpec(_Frozen):
    """One step of a block-sequence architecture: a block type and its arguments. String
    arguments of the form ``"{n_chans}"`` are replaced by the model's signal parameters."""

    type: str
    args: dict[str, Any] = Field(default_factory=dict)


class ModelSpec(_Frozen):
    """A registered model variant: architecture + default hyperparameters + metadata."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="registry name (lower case)")
    architecture: str = Field(description="registered architecture that builds it")
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict, description="hyperparameter defaults")
    signal: SignalDefaults = Field(default_factory=SignalDefaults)
    blocks: Optional[list[BlockSpec]] = Field(default=None, description="for architecture 'sequential'")
    tags: list[str] = Field(default_factory=list)
    task: Literal["classification", "regression"] = "classification"
    paper: Optional[str] = None
    citation: Optional[str] = Field(default=None, description="BibTeX")
    license: str = "BSD-3-Clause"
    pretrained: Optional[PretrainedSource] = None

    def default_arguments(self) -> dict[str, Any]:
        """Constructor arguments before user overrides: signal defaults, then params."""
        signal = self.signal.model_dump(exclude_none=True, exclude={"ch_names"})
        args = {**signal, **self.params}
        if self.signal.ch_names is not None and "chs_info" not in args:
            args["chs_info"] = [{"ch_name": n} for n in self.signal.ch_names]
        return args


# --------------------------------------------------------------------- FBLightConvNet
class FilterParameters(_Frozen):
    """Keyword arguments of :class:`eegzoo.blocks.FilterBank` (mne filter design)."""

    method: Literal["fir", "iir"] = "fir"
    filter_length: Union[StrictInt, str] = "auto"
    l_trans_bandwidth: Union[StrictFloat, Literal["auto"]] = "auto"
    h_trans_bandwidth: Union[StrictFloat, Literal["auto"]] = "auto"
    phase: Literal["zero", "zero-double", "forward", "causal"] = "zero"
    iir_params: Optional[dict[str, Any]] = None
    fir_window: Literal["hamming", "hann", "blackman"] = "hamming"
    fir_design: Literal["firwin", "firwin2"] = "firwin"


class FBLightConvNetParams(_Frozen):
    """Every constructor argument of :class:`eegzoo.models.FBLightConvNet`, typed and checked."""

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
                f"choose heads among {_divisors(self.n_filters_spat)}."
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

    def constructor_kwargs(self) -> dict[str, Any]:
        kwargs = self.model_dump()
        if self.filter_parameters is not None:
            kwargs["filter_parameters"] = self.filter_parameters.model_dump(exclude_defaults=True)
        if isinstance(self.n_bands, list):
            kwargs["n_bands"] = [tuple(b) for b in self.n_bands]
        return kwargs


class SequentialParams(_Frozen):
    """Signal parameters of a block-sequence model (its layers come from the spec's blocks)."""

    n_chans: StrictInt = Field(ge=1)
    n_outputs: StrictInt = Field(ge=1)
    n_times: StrictInt = Field(ge=1)
    sfreq: StrictFloat = Field(gt=0)
    chs_info: Optional[list[dict[str, Any]]] = None

    def constructor_kwargs(self) -> dict[str, Any]:
        return self.model_dump()
