from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

# The shared parity helpers assert with plain `assert`s: rewrite them for pytest's detail.
pytest.register_assert_rewrite("arch_helpers")

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = FIXTURES / "reference"
REFERENCE_CONFIGS: dict[str, dict] = json.loads((REFERENCE / "configs.json").read_text())["configs"]


def load_reference(name: str) -> tuple[dict, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(constructor kwargs, braindecode state_dict, tensors) of one reference config."""
    tensors = load_file(str(REFERENCE / f"{name}.safetensors"))
    state = {k[3:]: v for k, v in tensors.items() if k.startswith("sd.")}
    return REFERENCE_CONFIGS[name], state, tensors


def build_quiet(cls, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**kwargs)


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)
    yield
