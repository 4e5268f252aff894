"""A trained model's input contract: how the data it learned from were prepared.

Saved in ``config.json`` (``"eegzoo": {"input": ...}``) and on the model card, so that the weights
never travel without the preparation they need: channel names and order, sampling rate,
the window around the event, the unit and scale, and the standardisation. Torch-free."""

from __future__ import annotations

import math
from typing import Literal, Optional

from pydantic import Field, StrictFloat, StrictInt

from eegzoo.specs.model import Frozen

#: Unit names for the scales applied to mne's volts.
_UNITS = {1.0: "V", 1e3: "mV", 1e6: "uV", 1e9: "nV"}

_UNIT_TEXT = {
    "uV": "µV, microvolts (mne's volts x 1e6)",
    "mV": "mV, millivolts (mne's volts x 1e3)",
    "V": "V, volts (as mne holds them)",
}
STANDARDIZE_TEXT = {
    None: "none",
    "trial": "per trial and channel (zero mean, unit variance over the window)",
    "ems": "exponential moving standardisation per channel (factor_new=1e-3, init_block_size=1000)",
}


def unit_of_scale(scale: float | None) -> str | None:
    """``1e6`` -> ``"uV"`` (mne stores volts); other scales are written as factors."""
    if scale is None:
        return None
    for factor, unit in _UNITS.items():
        if math.isclose(scale, factor, rel_tol=1e-9):
            return unit
    return f"V x {scale:g}"


class InputContract(Frozen):
    """What the model's inputs were, so that new data can be prepared the same way."""

    n_chans: StrictInt = Field(ge=1, description="channels")
    ch_names: Optional[list[str]] = Field(default=None, description="channel names in input order")
    sfreq: Optional[StrictFloat] = Field(default=None, gt=0, description="sampling rate in Hz (null: not known)")
    n_times: StrictInt = Field(ge=1, description="samples per trial")
    tmin: Optional[StrictFloat] = Field(
        default=None, description="time of the first sample relative to the event (s)"
    )
    tmax: Optional[StrictFloat] = Field(
        default=None, description="time of the last recorded sample relative to the event (s); later samples were zero padding"
    )
    scale: Optional[StrictFloat] = Field(
        default=None, gt=0,
        description="factor applied to mne's volts (1e6: microvolts); null: prepared outside eegzoo, scale unknown",
    )
    unit: Optional[str] = Field(default=None, description="unit of the model input before standardisation")
    standardize: Optional[Literal["trial", "ems"]] = Field(default=None, description="standardisation after scaling")
    amplitude: Optional[StrictFloat] = Field(
        default=None, ge=0,
        description="median over trials and channels of the standard deviation of the scaled, unstandardised training data",
    )
    events: Optional[dict[str, str]] = Field(
        default=None,
        description="event names in the recordings -> class (a dataset spec's [events]: several names may give one "
        "class); eegzoo predict finds the trials of a recording by these names",
    )

    def mismatches(self, n_chans: int, n_times: int, sfreq: float | None) -> list[str]:
        """Ways this contract contradicts a model's signal parameters (a hand-edited config)."""
        problems = []
        if self.n_chans != n_chans:
            problems.append(f"n_chans={self.n_chans} (model: {n_chans})")
        if self.ch_names is not None and len(self.ch_names) != self.n_chans:
            problems.append(f"{len(self.ch_names)} channel names for n_chans={self.n_chans}")
        if self.n_times != n_times:
            problems.append(f"n_times={self.n_times} (model: {n_times})")
        if sfreq is not None and self.sfreq is not None and not math.isclose(self.sfreq, float(sfreq), rel_tol=1e-9):
            problems.append(f"sfreq={self.sfreq:g} (model: {float(sfreq):g})")
        return problems

    def summary(self) -> list[tuple[str, str]]:
        """(what, value) rows for the model card."""
        rows = []
        if self.ch_names:
            rows.append(("channels, in this order", ", ".join(self.ch_names)))
        if self.sfreq is not None:
            rows.append(("sampling rate", f"{self.sfreq:g} Hz (other rates are resampled by `eegzoo.predict`)"))
        if self.tmin is not None and self.tmax is not None:
            rows.append(("window", f"{self.tmin:g} s to {self.tmax:g} s relative to the event ({self.n_times} samples)"))
        else:
            rows.append(("window", f"{self.n_times} samples"))
        if self.scale is None:
            rows.append(("unit", "as prepared by the trainer (not recorded)"))
        else:
            rows.append(("unit", _UNIT_TEXT.get(self.unit or "", f"{self.unit} (mne's volts x {self.scale:g})")))
        if self.amplitude is not None:
            unit = {"uV": "µV"}.get(self.unit or "", self.unit or "")
            rows.append(("typical amplitude", f"{self.amplitude:.3g} {unit} (median standard deviation per trial and channel)".replace("  ", " ")))
        rows.append(("standardisation", STANDARDIZE_TEXT[self.standardize]))
        if self.events:
            rows.append(("events → classes", ", ".join(f"{name} → {cls}" for name, cls in self.events.items())))
        return rows

    def with_events(self, events: dict[str, str], classes: list[str]) -> "InputContract":
        """This contract with a dataset's event mapping, restricted to ``classes``."""
        return self.model_copy(update={"events": {name: cls for name, cls in events.items() if cls in classes} or None})
