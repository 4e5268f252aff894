"""Validated signal parameters of block-sequence models (their layers come from the spec)."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, StrictFloat, StrictInt

from eegzoo.specs.model import ArchitectureParams


class SequentialParams(ArchitectureParams):
    """Signal parameters of a block-sequence model (its layers come from the spec's blocks)."""

    n_chans: StrictInt = Field(ge=1)
    n_outputs: StrictInt = Field(ge=1)
    n_times: StrictInt = Field(ge=1)
    sfreq: StrictFloat = Field(gt=0)
    chs_info: Optional[list[dict[str, Any]]] = None
