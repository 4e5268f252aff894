"""timm interop, for real: runs where timm is installed (CI's second environment,
``.venv-timm``: torch 2.14.1 + torchvision 0.29.1 + timm); skipped elsewhere."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import warnings

import pytest
import torch

timm = pytest.importorskip("timm")

import eegzoo  # noqa: E402
import eegzoo.timm as eegzoo_timm  # noqa: E402
from huggingface_hub import constants  # noqa: E402

from eegzoo.core.errors import SpecError  # noqa: E402
from eegzoo.io.weights import file_sha256  # noqa: E402
from test_weights_hub import SMALL, LocalHubStandIn, small_model, x_small  # noqa: E402

SIGNAL = dict(n_chans=22, n_times=1000, sfreq=250)


def test_nothing_registers_until_eegzoo_timm_is_imported():
    code = "import timm, eegzoo; print(timm.list_models('*lightconv*')); import eegzoo.timm; print(timm.list_models('*lightconv*'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["[]", str(eegzoo.list_models("*lightconv*"))]
    assert {"fblightconvnet", "lightconvnet-bciiv2a", "lightconvnet-bciiv2b"} < set(ast.literal_eval(out[1]))


def test_every_variant_and_standalone_architecture_is_a_timm_model():
    assert timm.list_models("*lightconv*") == eegzoo.list_models("*lightconv*")
    assert set(eegzoo.list_models()) <= set(timm.list_models())
    assert "sequential" not in timm.list_models()  # needs a variant's block list
    assert timm.is_model("fbcnet-lite")


def test_timm_create_model_builds_what_eegzoo_builds():
    torch.manual_seed(3)
    ours = eegzoo.create_model("fblightconvnet", n_outputs=4, **SIGNAL).eval()
    torch.manual_seed(3)
    theirs = timm.create_model("fblightconvnet", num_classes=4, **SIGNAL).eval()
    assert type(theirs) is type(ours) and theirs.get_config() == ours.get_config()
    for key, value in ours.state_dict().items():
        assert torch.equal(theirs.state_dict()[key], value), key
    x = torch.randn(2, 22, 1000)
    with torch.no_grad():
        assert torch.equal(theirs(x), ours(x))
    assert theirs.pretrained_cfg["architecture"] == "fblightconvnet" and theirs.pretrained_cfg["num_classes"] == 4
    # in_chans is timm's name for n_chans; block-sequence variants work too
    assert timm.create_model("lightconvnet-bciiv2b", in_chans=3).n_chans == 3
    assert timm.create_model("fbcnet-lite")(torch.randn(2, 22, 1000)).shape == (2, 4)


def test_argument_errors_are_eegzoos():
    with pytest.raises(SpecError, match="num_classes=3 and n_outputs=4 disagree"):
        timm.create_model("fblightconvnet", num_classes=3, n_outputs=4, **SIGNAL)
    with pytest.raises(SpecError, match=r"Unknown argument 'hedas' \(did you mean 'heads'\?\)"):
        timm.create_model("fblightconvnet", hedas=4, **SIGNAL)
    with pytest.raises(ValueError, match="'fblightconvnet' has no pretrained weights"):
        timm.create_model("fblightconvnet", pretrained=True)


def test_local_dir_rebuilds_the_saved_model_with_the_same_logits(tmp_path):
    model = small_model()
    model.save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["architecture"] == "fblightconvnet" and config["num_classes"] == 2
    assert config["model_args"]["n_filters_spat"] == 8 and config["pretrained_cfg"]["num_classes"] == 2
    loaded = timm.create_model(f"local-dir:{tmp_path / 'm'}", pretrained=True).eval()
    with torch.no_grad():
        assert torch.equal(loaded(x_small()), model(x_small()))
    # a new head on the trained body, as timm does for num_classes
    three = timm.create_model(f"local-dir:{tmp_path / 'm'}", pretrained=True, num_classes=3).eval()
    with torch.no_grad():
        assert three(x_small()).shape == (2, 3)
        torch.testing.assert_close(three.forward_features(x_small()), model.forward_features(x_small()))
    # without pretrained=True timm builds the saved architecture with fresh weights
    fresh = timm.create_model(f"local-dir:{tmp_path / 'm'}")
    assert fresh.get_config() == model.get_config()
    assert not torch.equal(fresh.state_dict()["final_layer.weight"], model.state_dict()["final_layer.weight"])


def test_hf_hub_repo_loads_through_the_cache(tmp_path, monkeypatch):
    cache = tmp_path / "hub-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    model = small_model()
    model.push_to_hub("eegzoo-test/timm-tiny", api=LocalHubStandIn(cache))
    loaded = timm.create_model("hf-hub:eegzoo-test/timm-tiny", pretrained=True, cache_dir=str(cache)).eval()
    with torch.no_grad():
        assert torch.equal(loaded(x_small()), model(x_small()))


def test_pretrained_true_loads_a_variants_pinned_weights(tmp_path, monkeypatch):
    cache = tmp_path / "hub-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    model = small_model()
    LocalHubStandIn(cache).upload_folder("eegzoo-test/tiny", model.save_pretrained(tmp_path / "m"), "up")
    spec = eegzoo.model_spec("fblightconvnet").model_dump()
    spec["signal"] = {k: SMALL[k] for k in ("n_chans", "n_outputs", "n_times", "sfreq")}
    spec["params"] = {k: SMALL[k] for k in ("n_filters_spat", "heads", "win_len")}
    sha = file_sha256(tmp_path / "m" / "model.safetensors")
    try:
        eegzoo.register_spec({**spec, "name": "tiny-timm", "pretrained": {"repo_id": "eegzoo-test/tiny", "sha256": sha}})
        assert "tiny-timm" not in timm.list_models()
        assert "tiny-timm" in eegzoo_timm.register_timm_models()
        assert timm.list_models("tiny-*", pretrained=True) == ["tiny-timm"]
        loaded = timm.create_model("tiny-timm", pretrained=True).eval()
        with torch.no_grad():
            assert torch.equal(loaded(x_small()), model(x_small()))
        five = timm.create_model("tiny-timm", pretrained=True, num_classes=5)
        assert five.n_outputs == 5
    finally:
        eegzoo.reload_registry()


def test_a_name_timm_already_uses_is_not_overwritten(monkeypatch):
    spec = eegzoo.model_spec("fblightconvnet").model_dump()
    try:
        eegzoo.register_spec({**spec, "name": "resnet18"})
        with pytest.warns(UserWarning, match="timm already has a model named 'resnet18'"):
            names = eegzoo_timm.register_timm_models()
        assert "resnet18" not in names
        assert timm.create_model("resnet18").__class__.__name__ == "ResNet"
    finally:
        eegzoo.reload_registry()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eegzoo_timm.register_timm_models()  # re-registering our own names is silent



def test_a_plugin_architecture_without_a_variant_of_its_name_is_a_timm_model(tmp_path):
    from test_plugins import install_plugin

    sys.path.insert(0, str(tmp_path))
    try:
        install_plugin(tmp_path, "eegzoo_tinyplugin", "tiny")
        eegzoo.reload_registry()
        assert {"tinynet", "tinynet-small"} <= set(eegzoo_timm.register_timm_models())
        model = timm.create_model("tinynet", n_chans=4, num_classes=3, n_times=200, sfreq=100.0, hidden=5)
        assert model(torch.randn(2, 4, 200)).shape == (2, 3)
        with pytest.raises(ValueError, match="'tinynet' is an architecture, not a registered variant, so it has no pretrained weights"):
            timm.create_model("tinynet", pretrained=True, n_chans=4, num_classes=3, n_times=200, sfreq=100.0)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("eegzoo_tinyplugin", None)
        eegzoo.reload_registry()


def _one_config_json(name: str) -> bool:
    """Folders of architectures whose braindecode twin refuses unknown config.json keys keep
    eegzoo's and timm's keys in eegzoo.json (EEGNet): timm's local-dir/hf-hub loaders, which
    need ``architecture`` in config.json, cannot read them."""
    from eegzoo.registry.models import get_architecture

    module, _, cls = get_architecture(eegzoo.model_spec(name).architecture).params_model.model_class.partition(":")
    return not getattr(getattr(importlib.import_module(module), cls), "config_json_constructor_only", False)


@pytest.mark.parametrize("name", [n for n in eegzoo.list_models() if _one_config_json(n)])
def test_every_variant_round_trips_through_local_dir(name, tmp_path):
    torch.manual_seed(0)
    model = eegzoo.create_model(name).eval()
    model.save_pretrained(tmp_path / "m")
    loaded = timm.create_model(f"local-dir:{tmp_path / 'm'}", pretrained=True).eval()
    fresh = timm.create_model(f"local-dir:{tmp_path / 'm'}")
    x = torch.randn(2, model.n_chans, model.n_times)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert type(fresh) is type(model) and fresh.get_config() == model.get_config()


@pytest.mark.parametrize("name", [n for n in eegzoo.list_models() if not _one_config_json(n)])
def test_a_braindecode_strict_folder_loads_in_timm_by_its_weights_file(name, tmp_path):
    """The documented route for such folders: timm builds the variant and reads the weights
    file given as checkpoint_path."""
    torch.manual_seed(0)
    model = eegzoo.create_model(name).eval()
    model.save_pretrained(tmp_path / "m")
    assert "architecture" not in json.loads((tmp_path / "m" / "config.json").read_text())
    loaded = timm.create_model(name, checkpoint_path=str(tmp_path / "m" / "model.safetensors")).eval()
    x = torch.randn(2, model.n_chans, model.n_times)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_timm_tags_pick_eegzoo_pretrained_variants():
    # timm reads "fblightconvnet.graz-sample" as model + pretrained tag: the tag names the variant
    name = "fblightconvnet.graz-sample"
    model = timm.create_model(name, pretrained=True).eval()
    reference = eegzoo.create_model(name, pretrained=True).eval()
    assert model.eegzoo_spec.name == name and model.pretrained_cfg["architecture"] == name
    x = torch.randn(3, model.n_chans, model.n_times)
    assert torch.equal(model(x), reference(x))
    with pytest.raises(SpecError, match=r"no variant 'fblightconvnet.nodata'; the tagged variants of 'fblightconvnet' are: fblightconvnet.graz-sample"):
        timm.create_model("fblightconvnet.nodata")
