"""eegzoo as a drop-in for braindecode, both ways: folders each library saved load in the
other with the same logits, braindecode's conventions (warning categories, attribute names,
huggingface_hub's mixin hooks) hold, and old eegzoo folders still load.

The braindecode side ran in a scratch environment (``tests/fixtures/make_reference.py``,
braindecode 1.8.1, torch 2.13.0): it read ``fixtures/eegzoo_saved/`` (saved by eegzoo,
``make_eegzoo_folder.py``) with braindecode's own ``FBLightConvNet.from_pretrained`` and
recorded what it loaded and computed."""

from __future__ import annotations

import importlib.util
import json
import shutil
from typing import Optional

import pytest
import torch
from huggingface_hub import PyTorchModelHubMixin
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

import eegzoo
from conftest import FIXTURES
from eegzoo import FBLightConvNet
from eegzoo.io.hub import from_pretrained, save_pretrained
from eegzoo.io.weights import WeightsError

SAVED = FIXTURES / "eegzoo_saved"


def _braindecode_side() -> tuple[dict[str, torch.Tensor], dict]:
    path = FIXTURES / "braindecode_reads_eegzoo.safetensors"
    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata()
    return load_file(str(path)), json.loads(meta["config"])


def test_braindecode_loads_a_folder_eegzoo_saved_with_the_same_logits():
    tensors, bd_config = _braindecode_side()
    model = FBLightConvNet.from_pretrained(SAVED).eval()
    # braindecode built the same model (it read every argument from eegzoo's config.json) ...
    assert bd_config == {
        "n_chans": 3, "n_outputs": 2, "n_times": 500, "sfreq": 250.0, "win_len": 125, "heads": 4,
        "n_filters_spat": 8, "activation": "torch.nn.modules.activation.GELU", "ch_names": ["C3", "Cz", "C4"],
    }
    # ... loaded every tensor (its loader is not strict, so compare them all) ...
    bd_state = {k[3:]: v for k, v in tensors.items() if k.startswith("sd.")}
    assert bd_state.keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        assert torch.equal(bd_state[key], value), key
    # ... and computes what eegzoo computes.
    with torch.no_grad():
        torch.testing.assert_close(model(tensors["x"]), tensors["logits_eval"], rtol=0, atol=1e-5)
    assert model.eegzoo_classes == ["left_hand", "right_hand"]


def test_the_fixture_folder_has_the_layout_eegzoo_writes_today(tmp_path):
    """If the layout changes, regenerate eegzoo_saved/ and re-run the braindecode side."""
    spec = importlib.util.spec_from_file_location("make_eegzoo_folder", FIXTURES / "make_eegzoo_folder.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)  # the fixture's own arguments
    model = eegzoo.create_model("lightconvnet-bciiv2b", **maker.ARGUMENTS)
    model.eegzoo_classes = ["left_hand", "right_hand"]
    save_pretrained(model, tmp_path / "m")
    now = json.loads((tmp_path / "m" / "config.json").read_text())
    fixture = json.loads((SAVED / "config.json").read_text())
    for document in (now, fixture):
        document["eegzoo"].pop("version")
    assert now == fixture


BRAINDECODE_ARGUMENTS = [
    "n_chans", "n_outputs", "chs_info", "n_times", "input_window_seconds", "sfreq", "n_bands",
    "n_filters_spat", "n_dim", "stride_factor", "win_len", "heads", "weight_softmax", "bias",
    "activation", "verbose", "filter_parameters",
]


class MixinReader(nn.Module, PyTorchModelHubMixin):
    """braindecode 1.8.1's FBLightConvNet signature on huggingface_hub's mixin, which is what
    braindecode's from_pretrained uses to read config.json: it records what it is given."""

    def __init__(self, n_chans=None, n_outputs=None, chs_info=None, n_times=None, input_window_seconds=None,
                 sfreq=None, n_bands=9, n_filters_spat: int = 32, n_dim: int = 3,
                 stride_factor: Optional[int] = None, win_len: int = 250, heads: int = 8,
                 weight_softmax: bool = True, bias: bool = False, activation: str = "torch.nn.ELU",
                 verbose: bool = False, filter_parameters: Optional[dict] = None):
        super().__init__()
        self.received = {k: v for k, v in locals().items() if k in BRAINDECODE_ARGUMENTS}

    @classmethod
    def _from_pretrained(cls, *, model_id, revision, cache_dir, force_download, local_files_only, token, **kwargs):
        return cls(**kwargs)


def test_huggingface_mixin_reads_every_constructor_argument_of_an_eegzoo_folder(tmp_path):
    model = eegzoo.create_model("fblightconvnet", n_chans=4, n_times=500, sfreq=200.0, heads=4, win_len=100)
    save_pretrained(model, tmp_path / "m")
    received = MixinReader.from_pretrained(tmp_path / "m").received
    expected = {k: v for k, v in model.get_config().items() if k in BRAINDECODE_ARGUMENTS}
    assert received == expected and received["sfreq"] == 200.0 and received["heads"] == 4


def test_old_nested_config_folders_still_load(tmp_path):
    model = eegzoo.create_model("fblightconvnet", n_chans=3, n_outputs=2, n_times=500, win_len=125).eval()
    folder = save_pretrained(model, tmp_path / "old")
    document = json.loads((folder / "config.json").read_text())
    record = document.pop("eegzoo")
    for timm_key in ("architecture", "num_classes", "pretrained_cfg", "model_args"):  # layout 1 had none
        document.pop(timm_key)
    old = {"eegzoo_version": "0.1.0", "architecture": record["architecture"], "model_name": record["model_name"],
           "config": document, "spec": record["spec"], "classes": ["a", "b"]}
    (folder / "config.json").write_text(json.dumps(old))
    loaded = from_pretrained(folder).eval()
    x = torch.randn(2, 3, 500)
    assert torch.equal(loaded(x), model(x)) and loaded.eegzoo_classes == ["a", "b"]


def test_braindecode_config_is_matched_to_its_architecture(tmp_path):
    folder = tmp_path / "bd"
    shutil.copytree(FIXTURES / "braindecode_hub", folder)
    config = json.loads((folder / "config.json").read_text())
    assert type(from_pretrained(folder)) is FBLightConvNet
    assert type(from_pretrained(folder, architecture="fblightconvnet")) is FBLightConvNet
    (folder / "config.json").write_text(json.dumps({**config, "F1": 8, "D": 2}))
    with pytest.raises(WeightsError, match=r"Cannot tell which architecture .*model.safetensors holds: no architecture fits its keys"):
        from_pretrained(folder)
    with pytest.raises(WeightsError, match=r"has arguments \['D', 'F1'\] that fblightconvnet does not take"):
        from_pretrained(folder, architecture="fblightconvnet")


def test_model_hub_mixin_hooks_keep_strict_loading(tmp_path):
    model = eegzoo.create_model("fblightconvnet", n_chans=3, n_outputs=2, n_times=500, win_len=125).eval()
    model._save_pretrained(tmp_path / "m")
    assert {p.name for p in (tmp_path / "m").iterdir()} == {"config.json", "model.safetensors", "README.md"}
    hook = dict(revision=None, cache_dir=None, force_download=False, local_files_only=False, token=None)
    loaded = FBLightConvNet._from_pretrained(model_id=str(tmp_path / "m"), **hook).eval()
    x = torch.randn(2, 3, 500)
    assert torch.equal(loaded(x), model(x))
    with pytest.raises(ValueError, match="loads weights strictly"):
        FBLightConvNet._from_pretrained(model_id=str(tmp_path / "m"), strict=False, **hook)


def test_attention_has_braindecodes_kernel_size_attribute():
    model = eegzoo.create_model("fblightconvnet", n_times=1000, win_len=250)
    assert model.attn_conv.kernel_size == model.n_windows == 4  # braindecode's _LightweightConv1d name
    assert eegzoo.create_model("fblightconvnet", n_times=1000, win_len=125).attn_conv.kernel_size == 8
