"""The signal arguments every braindecode-style architecture takes, and helpers its params
models share."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, Field, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.core.signal import normalise_chs_info
from eegzoo.specs.model import ArchitectureParams

#: braindecode class paths found in braindecode ``config.json`` files -> eegzoo's equivalents.
BRAINDECODE_CLASS_PATHS = {
    "braindecode.modules.activation.Square": "eegzoo.blocks.square.Square",
    "braindecode.modules.activation.SafeLog": "eegzoo.blocks.safe_log.SafeLog",
    "braindecode.modules.Square": "eegzoo.blocks.square.Square",
    "braindecode.modules.SafeLog": "eegzoo.blocks.safe_log.SafeLog",
    "braindecode.functional.square": "torch.square",
    "braindecode.functional.functions.square": "torch.square",
}


#: eegzoo's layers written under braindecode's names in configs, so braindecode reads them.
EEGZOO_TO_BRAINDECODE_PATHS = {
    "eegzoo.blocks.square.Square": "braindecode.modules.activation.Square",
    "eegzoo.blocks.safe_log.SafeLog": "braindecode.modules.activation.SafeLog",
}


def class_as_path(value: Any) -> Any:
    """Classes/functions as dotted paths; braindecode's own layers as eegzoo's equivalents."""
    if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
        value = f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, str):
        return BRAINDECODE_CLASS_PATHS.get(value, value)
    return value


def _positive_length(value: Any) -> Any:
    if isinstance(value, int) and value < 1:
        raise ValueError(f"final_conv_length must be 'auto' or an int >= 1, got {value}.")
    return value


#: braindecode's ``final_conv_length``: ``"auto"`` (the whole window) or the time steps the
#: classifier spans (dense predictions when fewer than the feature map has).
FinalConvLength = Annotated[Union[Literal["auto"], StrictInt], AfterValidator(_positive_length)]


class SignalArguments(ArchitectureParams):
    """``n_chans``/``chs_info``, ``n_times``/``input_window_seconds``/``sfreq`` and
    ``n_outputs``, as braindecode's models take them."""

    n_chans: Optional[StrictInt] = Field(default=None, ge=1)
    n_outputs: Optional[StrictInt] = Field(default=None, ge=1)
    chs_info: Optional[list[dict[str, Any]]] = None
    n_times: Optional[StrictInt] = Field(default=None, ge=1)
    input_window_seconds: Optional[StrictFloat] = Field(default=None, gt=0)
    sfreq: Optional[StrictFloat] = Field(default=None, gt=0)

    @field_validator("chs_info", mode="before")
    @classmethod
    def _channel_names_or_info(cls, value: Any) -> Any:
        """Channel names (``["C3", "Cz"]``) or an mne ``Info`` are taken as the model classes
        take them: as ``[{"ch_name": "C3"}, ...]`` / ``info["chs"]``."""
        return normalise_chs_info(value)

    @model_validator(mode="after")
    def _signal_consistent(self) -> "SignalArguments":
        if self.chs_info is not None and self.n_chans is not None and len(self.chs_info) != self.n_chans:
            raise ValueError(f"n_chans={self.n_chans} differs from len(chs_info)={len(self.chs_info)}.")
        return self

    def resolved_n_times(self) -> Optional[int]:
        """``n_times``, or ``round(input_window_seconds * sfreq)`` when that is how it is given."""
        if self.n_times is None and self.input_window_seconds is not None and self.sfreq is not None:
            return round(self.input_window_seconds * self.sfreq)
        return self.n_times
