"""What a registered model variant is: architecture, default hyperparameters, the signal it
expects, metadata and pinned weights. Frozen, and exportable as JSON schema (``eegzoo schema``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

from eegzoo.specs.results import MeasuredResult


class Frozen(BaseModel):
    """Immutable, and unknown fields are errors (a typo in a spec file never passes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ArchitectureParams(Frozen):
    """Base of every architecture's validated hyperparameters. The class variables let an
    architecture describe itself to generic code (Hub I/O) instead of that code naming models."""

    #: Arguments that change how a model computes, not what its weights mean: they may
    #: differ from the saved ones when loading (e.g. ``fused``). All others may not.
    runtime_options: ClassVar[frozenset[str]] = frozenset()
    #: The registered architecture name these parameters build (braindecode's class name in
    #: lower case) and the torch class that builds it, as ``"module:Class"``. A parameters
    #: class in ``eegzoo.specs`` that sets both is a built-in architecture: the registry finds
    #: it there, so adding an architecture touches no registry code.
    architecture: ClassVar[Optional[str]] = None
    model_class: ClassVar[Optional[str]] = None
    #: False: the architecture builds only from a variant's spec (a block list), not from
    #: hyperparameters alone.
    standalone: ClassVar[bool] = True

    def constructor_kwargs(self) -> dict[str, Any]:
        return self.model_dump()

    @classmethod
    def for_spec(cls, spec: "ModelSpec") -> type["ArchitectureParams"]:
        """The parameters model of one registered variant (the class itself, unless the
        variant declares hyperparameters of its own, as block-sequence specs do)."""
        return cls


class SignalDefaults(Frozen):
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


class PretrainedSource(Frozen):
    """Where trained weights live on the Hugging Face Hub, pinned by content hash."""

    repo_id: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="Hub repo, 'owner/name'")
    revision: Optional[str] = Field(default=None, description="commit, tag or branch")
    filename: str = "model.safetensors"
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the weights file")
    results: list[MeasuredResult] = Field(
        default_factory=list, description="held-out results of these weights (shown on the model card)"
    )
    bundled: Optional[str] = Field(
        default=None,
        description="the same file shipped beside the spec (path relative to the spec file's folder): "
        "used when the Hub cache does not hold the repo's file, so the weights load offline",
    )
    classes: Optional[list[str]] = Field(default=None, description="class names in output order")
    input: Optional[dict[str, Any]] = Field(
        default=None,
        description="how the training inputs were prepared: an eegzoo.specs.input.InputContract (channels, rate, window, unit)",
    )
    dataset: Optional[str] = Field(default=None, description="registered dataset the weights were trained on")
    seed: Optional[StrictInt] = Field(default=None, description="seed of the training run and of its held-out split")
    details: dict[str, str] = Field(
        default_factory=dict,
        description="how the weights were made, shown on the card: data and its license, split, recipe, command",
    )


class BlockSpec(Frozen):
    """One step of a block-sequence architecture: a block type and its arguments. String
    arguments of the form ``"{n_chans}"`` are replaced by the model's signal parameters."""

    type: str
    args: dict[str, Any] = Field(default_factory=dict)


class ModelSpec(Frozen):
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

    def sha256(self) -> str:
        """Content hash of the spec (canonical JSON of the fields that differ from their
        defaults, so adding an optional field to the schema keeps existing hashes)."""
        canonical = json.dumps(self.model_dump(mode="json", exclude_defaults=True), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def default_arguments(self) -> dict[str, Any]:
        """Constructor arguments before user overrides: signal defaults, then params."""
        signal = self.signal.model_dump(exclude_none=True, exclude={"ch_names"})
        args = {**signal, **self.params}
        if self.signal.ch_names is not None and "chs_info" not in args:
            args["chs_info"] = [{"ch_name": n} for n in self.signal.ch_names]
        return args
