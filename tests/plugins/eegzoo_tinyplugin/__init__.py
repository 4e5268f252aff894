"""A minimal eegzoo plugin: one architecture and one spec file."""

from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

import eegzoo


class TinyParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n_chans: int
    n_outputs: int
    n_times: int
    sfreq: float
    hidden: int = 8


class TinyNet(nn.Module):
    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, hidden: int) -> None:
        super().__init__()
        self.n_chans, self.n_outputs, self.n_times, self.sfreq = n_chans, n_outputs, n_times, sfreq
        self.spatial = nn.Linear(n_chans, hidden)
        self.head = nn.Linear(hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.spatial(x.transpose(1, 2)).var(dim=1).log())


def register():
    eegzoo.register_model("tinynet", lambda p, spec: TinyNet(**p.model_dump()), params_model=TinyParams)
    return [Path(__file__).parent / "specs"]
