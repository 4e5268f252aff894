"""Validated parameters of block-sequence models: the signal parameters every model takes,
plus the hyperparameters a spec declares for its own blocks (its ``[params]`` table)."""

from __future__ import annotations

import functools
import json
from typing import Any, ClassVar, Optional, TYPE_CHECKING

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, create_model

from eegzoo.core.errors import SpecError
from eegzoo.specs.model import ArchitectureParams

if TYPE_CHECKING:
    from eegzoo.specs.model import ModelSpec

#: Names the model's constructor uses itself; a spec's hyperparameters cannot take them.
_RESERVED = frozenset({"blocks", "source", "hyperparameters"})


class SequentialParams(ArchitectureParams):
    """Signal parameters of a block-sequence model (its layers come from the spec's blocks).

    A spec may declare hyperparameters of its own in ``[params]`` (e.g. ``win_len = 250``):
    block arguments use them as ``"{win_len}"``, and ``create_model(name, win_len=125)``
    overrides them, validated against the default's type (int, float, bool, string, list)."""

    architecture: ClassVar[Optional[str]] = "sequential"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.sequential:SequentialEEGModel"
    standalone: ClassVar[bool] = False

    n_chans: StrictInt = Field(ge=1)
    n_outputs: StrictInt = Field(ge=1)
    n_times: StrictInt = Field(ge=1)
    sfreq: StrictFloat = Field(gt=0)
    chs_info: Optional[list[dict[str, Any]]] = None

    @classmethod
    def for_spec(cls, spec: "ModelSpec") -> type[ArchitectureParams]:
        if not spec.params:
            return cls
        return _with_hyperparameters(spec.name, json.dumps(spec.params, sort_keys=True))


def _field_type(name: str, default: Any) -> Any:
    for python_type, strict in ((bool, StrictBool), (int, StrictInt), (float, StrictFloat), (str, StrictStr)):
        if type(default) is python_type:
            return strict
    if isinstance(default, list):
        return list[Any]
    raise SpecError(
        f"params.{name} = {default!r}: a block-sequence hyperparameter's default must be a number, "
        "a bool, a string or a list."
    )


@functools.lru_cache(maxsize=64)
def _with_hyperparameters(name: str, params_json: str) -> type[ArchitectureParams]:
    fields: dict[str, Any] = {}
    for key, default in json.loads(params_json).items():
        if key in SequentialParams.model_fields or key in _RESERVED or not key.isidentifier():
            where = "[signal]" if key in SequentialParams.model_fields else "another name"
            raise SpecError(f"spec '{name}': params.{key} cannot be a hyperparameter name; use {where}.")
        fields[key] = (_field_type(key, default), Field(default=default, description=f"declared by spec '{name}'"))
    return create_model(f"SequentialParams_{name.replace('-', '_').replace('.', '_')}", __base__=SequentialParams, **fields)
