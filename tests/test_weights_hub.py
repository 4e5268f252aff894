"""safetensors I/O, save/from_pretrained, Hub cache, braindecode import and heads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from huggingface_hub import constants
from safetensors.torch import load_file, save_file

import eegzoo
from conftest import FIXTURES, build_quiet
from eegzoo import FBLightConvNet, create_model
from eegzoo.io.hub import from_pretrained, push_to_hub, save_pretrained
from eegzoo.io.weights import WeightsError, file_sha256, load_weights, read_weights, save_weights

SMALL = dict(n_chans=3, n_outputs=2, n_times=500, sfreq=250.0, n_filters_spat=8, heads=4, win_len=125)


def small_model(**kw):
    torch.manual_seed(1)
    model = create_model("fblightconvnet", **{**SMALL, **kw})
    with torch.no_grad():  # non-default BN stats so eval-mode round trips are meaningful
        model.spatial_conv[1].running_var.uniform_(0.5, 2.0)
    return model.eval()


def x_small():
    return torch.randn(2, 3, 500, generator=torch.Generator().manual_seed(5))


def test_save_load_round_trip_is_bit_exact(tmp_path):
    model = small_model()
    path = save_weights(model, tmp_path / "w.safetensors")
    fresh = small_model()
    with torch.no_grad():
        for p in fresh.parameters():
            p.add_(1.0)
    load_weights(fresh, path)
    for key, value in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key
    assert torch.equal(fresh(x_small()), model(x_small()))
    _, meta = read_weights(path)
    assert meta["model_name"] == "fblightconvnet" and meta["eegzoo_version"] == eegzoo.__version__
    assert json.loads(meta["config"])["n_filters_spat"] == 8 and "created" in meta
    assert json.loads(meta["spec"])["architecture"] == "fblightconvnet"


def test_renamed_missing_extra_and_mis_shaped_keys_are_listed(tmp_path):
    model = small_model()
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    cases = {
        "renamed": ({f"module.{k}": v for k, v in state.items()}, r"key names differ .*nothing was loaded"),
        "missing": ({k: v for k, v in state.items() if k != "final_layer.bias"}, r"missing keys \(1\): final_layer.bias"),
        "extra": ({**state, "extra.weight": torch.zeros(2)}, r"unexpected keys \(1\): extra.weight"),
        "shape": ({**state, "final_layer.weight": torch.zeros(5, 8)}, r"final_layer.weight: file \(5, 8\) vs model \(2, 8\)"),
    }
    for name, (tensors, message) in cases.items():
        path = tmp_path / f"{name}.safetensors"
        save_file(tensors, str(path))
        with pytest.raises(WeightsError, match=message):
            load_weights(small_model(), path)


def test_truncated_and_corrupt_files_are_rejected(tmp_path):
    path = save_weights(small_model(), tmp_path / "w.safetensors")
    data = path.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated or corrupt"):
        load_weights(small_model(), tmp_path / "cut.safetensors")
    flipped = bytearray(data)
    flipped[-3] ^= 0xFF
    (tmp_path / "flip.safetensors").write_bytes(bytes(flipped))
    with pytest.raises(WeightsError, match="do not match the sha256"):
        load_weights(small_model(), tmp_path / "flip.safetensors")
    with pytest.raises(FileNotFoundError, match="No weights file"):
        load_weights(small_model(), tmp_path / "none.safetensors")


def test_wrong_sfreq_is_named(tmp_path):
    path = save_weights(small_model(), tmp_path / "w.safetensors")
    other = small_model(sfreq=256.0, n_times=500)
    with pytest.raises(WeightsError, match=r"saved for sfreq=250.0, but this model has sfreq=256.0. Build it with sfreq=250.0"):
        load_weights(other, path)


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = save_weights(small_model(), tmp_path / "w.safetensors")
    before = path.read_bytes()
    import eegzoo.io.weights as weights_module

    def explode(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(weights_module, "save_file", explode)
    with pytest.raises(KeyboardInterrupt):
        save_weights(small_model(n_outputs=3), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


def test_save_pretrained_from_pretrained_round_trip(tmp_path):
    model = small_model(n_bands=[(4, 8), (8, 13), (13, 30)], activation="torch.nn.GELU")
    save_pretrained(model, tmp_path / "m")
    assert {p.name for p in (tmp_path / "m").iterdir()} == {"config.json", "model.safetensors", "README.md"}
    loaded = FBLightConvNet.from_pretrained(tmp_path / "m")
    assert loaded.get_config() == model.get_config()
    assert torch.equal(loaded.eval()(x_small()), model(x_small()))
    assert isinstance(loaded.spatial_conv[2], torch.nn.GELU)
    unfused = from_pretrained(tmp_path / "m", fused=False).eval()
    torch.testing.assert_close(unfused(x_small()), model(x_small()), rtol=0, atol=1e-5)


def test_get_config_from_config_is_json_safe():
    model = small_model(n_bands=[(4, 8), (8, 12)], filter_parameters={"phase": "forward"})
    config = json.loads(json.dumps(model.get_config()))
    assert config["activation"] == "torch.nn.modules.activation.ELU"
    assert config["n_bands"] == [[4, 8], [8, 12]]
    rebuilt = FBLightConvNet.from_config(config)
    assert rebuilt.get_config() == model.get_config()
    assert rebuilt.spectral_filtering.causal


def test_n_outputs_override_keeps_body_and_rebuilds_head(tmp_path):
    model = small_model()
    model.save_pretrained(tmp_path / "m")
    tuned = FBLightConvNet.from_pretrained(tmp_path / "m", n_outputs=5).eval()
    assert tuned.final_layer.out_features == 5 and tuned.n_outputs == 5
    for key, value in model.state_dict().items():
        if not key.startswith("final_layer."):
            assert torch.equal(tuned.state_dict()[key], value), key
    assert torch.equal(tuned(x_small(), return_features=True)["features"], model(x_small(), return_features=True)["features"])


def test_reset_head_and_return_features_contract():
    model = small_model()
    out = model(x_small(), return_features=True)
    assert set(out) == {"features", "logits"}
    assert out["features"].shape == (2, 8) and out["logits"].shape == (2, 2)
    torch.testing.assert_close(model.forward_head(out["features"]), out["logits"])
    torch.testing.assert_close(out["logits"], model(x_small()))
    body = model.forward_features(x_small())
    model.reset_head(7)
    assert model(x_small()).shape == (2, 7) and model.n_outputs == 7
    torch.testing.assert_close(model.forward_features(x_small()), body)
    assert model.get_config()["n_outputs"] == 7
    with pytest.raises(ValueError, match="positive int"):
        model.reset_head(0)


def test_braindecode_hub_folder_imports_with_same_logits(tmp_path):
    io = load_file(str(FIXTURES / "braindecode_hub_io.safetensors"))
    model = FBLightConvNet.from_pretrained(FIXTURES / "braindecode_hub").eval()
    torch.testing.assert_close(model(io["x"]), io["logits_eval"], rtol=0, atol=1e-5)
    only_bin = tmp_path / "bd"
    only_bin.mkdir()
    shutil.copy(FIXTURES / "braindecode_hub" / "config.json", only_bin)
    shutil.copy(FIXTURES / "braindecode_hub" / "pytorch_model.bin", only_bin)
    model = FBLightConvNet.from_pretrained(only_bin).eval()
    torch.testing.assert_close(model(io["x"]), io["logits_eval"], rtol=0, atol=1e-5)


def test_bare_braindecode_state_dict_imports(tmp_path):
    io = load_file(str(FIXTURES / "braindecode_hub_io.safetensors"))
    kwargs = dict(n_chans=3, n_outputs=2, n_times=500, sfreq=250, n_filters_spat=8, heads=4, win_len=125)
    model = FBLightConvNet.from_pretrained(FIXTURES / "braindecode_state_dict.bin", **kwargs).eval()
    torch.testing.assert_close(model(io["x"]), io["logits_eval"], rtol=0, atol=1e-5)
    state = torch.load(FIXTURES / "braindecode_state_dict.bin", weights_only=True)
    model = from_pretrained(state, **kwargs).eval()
    torch.testing.assert_close(model(io["x"]), io["logits_eval"], rtol=0, atol=1e-5)
    with pytest.raises(WeightsError, match="shape mismatches"):
        from_pretrained(state, **{**kwargs, "n_filters_spat": 16})
    (tmp_path / "junk.bin").write_bytes(b"not a pickle")
    with pytest.raises(WeightsError, match="not a loadable state_dict"):
        from_pretrained(tmp_path / "junk.bin", **kwargs)


class LocalHubStandIn:
    """Stands in for the Hub endpoint: an upload lands in a Hub cache laid out exactly as
    huggingface_hub's downloads leave it (refs/<branch> -> snapshots/<commit>/...)."""

    def __init__(self, cache: Path) -> None:
        self.cache, self.repos, self.commits = cache, [], 0

    def create_repo(self, repo_id, private=None, exist_ok=False, repo_type="model"):
        self.repos.append(repo_id)

    def upload_folder(self, repo_id, folder_path, commit_message, revision=None, create_pr=False, repo_type="model"):
        self.commits += 1
        commit = f"{self.commits:040x}"
        repo = self.cache / f"models--{repo_id.replace('/', '--')}"
        shutil.copytree(folder_path, repo / "snapshots" / commit)
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / (revision or "main")).write_text(commit)
        return commit


def test_push_to_hub_then_from_pretrained_offline_from_the_cache(tmp_path, monkeypatch):
    cache = tmp_path / "hub-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    model = small_model()
    api = LocalHubStandIn(cache)
    push_to_hub(model, "eegzoo-test/tiny-lightconv", api=api)
    assert api.repos == ["eegzoo-test/tiny-lightconv"]
    loaded = FBLightConvNet.from_pretrained("eegzoo-test/tiny-lightconv")
    assert torch.equal(loaded.eval()(x_small()), model(x_small()))
    with pytest.raises(FileNotFoundError, match="not in the local Hub cache"):
        from_pretrained("eegzoo-test/never-pushed")


def test_create_model_pretrained_checks_sha256_offline(tmp_path, monkeypatch):
    cache = tmp_path / "hub-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    model = small_model()
    LocalHubStandIn(cache).upload_folder("eegzoo-test/tiny", save_pretrained(model, tmp_path / "m"), "up")
    sha = file_sha256(tmp_path / "m" / "model.safetensors")
    spec = eegzoo.model_spec("fblightconvnet").model_dump()
    spec["signal"] = {k: SMALL[k] for k in ("n_chans", "n_outputs", "n_times", "sfreq")}
    spec["params"] = {k: SMALL[k] for k in ("n_filters_spat", "heads", "win_len")}
    try:
        eegzoo.register_spec({**spec, "name": "tiny-pretrained", "pretrained": {"repo_id": "eegzoo-test/tiny", "sha256": sha}})
        eegzoo.register_spec({**spec, "name": "tiny-badsha", "pretrained": {"repo_id": "eegzoo-test/tiny", "sha256": "0" * 64}})
        assert {"tiny-badsha", "tiny-pretrained"} <= set(eegzoo.list_models(pretrained=True))
        loaded = create_model("tiny-pretrained", pretrained=True).eval()
        assert torch.equal(loaded(x_small()), model(x_small()))
        with pytest.raises(WeightsError, match="differs from the 0000.* pinned by the spec of 'tiny-badsha'"):
            create_model("tiny-badsha", pretrained=True)
    finally:
        eegzoo.reload_registry()


# ------------------------------------------------------------------ hand-edited folders and wrong locations
def _edit_config(folder: Path, edit) -> None:
    document = json.loads((folder / "config.json").read_text())
    edit(document)
    (folder / "config.json").write_text(json.dumps(document))


def test_hand_edited_config_json_is_refused_naming_the_file_and_the_change(tmp_path):
    model = small_model()
    model.eegzoo_classes = ["left", "right"]
    folder = save_pretrained(model, tmp_path / "m")
    config = folder / "config.json"
    original = config.read_text()

    config.write_text(original.replace('"heads": 4,', '"heads": 4'))
    with pytest.raises(WeightsError, match=rf"{config} is not valid JSON \(Expecting ',' delimiter at line \d+, column \d+\)"):
        from_pretrained(folder)

    config.write_text(original)
    _edit_config(folder, lambda d: d.update(activation="torch.nn.GELU"))
    with pytest.raises(WeightsError, match=rf"{config} does not match {folder / 'model.safetensors'} \(was it edited\?\): "
                       r"activation='torch.nn.GELU' there, but the weights were saved with activation='torch.nn.modules.activation.ELU'"):
        from_pretrained(folder)

    config.write_text(original)
    _edit_config(folder, lambda d: d.pop("heads"))
    with pytest.raises(WeightsError, match=r"'heads' is missing \(the weights were saved with heads=4\)"):
        from_pretrained(folder)

    config.write_text(original)
    _edit_config(folder, lambda d: d.update(heds=4))
    with pytest.raises(WeightsError, match=r"'heds' is not an argument of fblightconvnet \(did you mean 'heads'\?\)"):
        from_pretrained(folder)

    config.write_text(original)
    _edit_config(folder, lambda d: d["eegzoo"].update(classes=["left", "right", "feet"]))
    with pytest.raises(WeightsError, match=r"'classes' lists 3 names \['left', 'right', 'feet'\] but the model has n_outputs=2"):
        from_pretrained(folder)

    config.write_text(original)
    _edit_config(folder, lambda d: d.update(other_tool={"anything": 1}))  # other tools' keys are left alone
    assert from_pretrained(folder).eegzoo_classes == ["left", "right"]


def test_loading_refuses_other_signal_parameters_and_hyperparameters(tmp_path):
    folder = save_pretrained(small_model(), tmp_path / "m")
    with pytest.raises(WeightsError, match=r"These weights were saved for sfreq=250.0, not sfreq=200.0: resample your data to 250.0 Hz"):
        from_pretrained(folder, sfreq=200.0)
    with pytest.raises(WeightsError, match=r"saved for n_times=500, not n_times=600: crop or pad your trials to 500 samples"):
        from_pretrained(folder, n_times=600)
    with pytest.raises(WeightsError, match=r"saved with heads=4; loading cannot change it to 2. Only n_outputs \(a new head\) and runtime options \(fused, verbose\)"):
        from_pretrained(folder, heads=2)
    assert from_pretrained(folder, sfreq=250, heads=4, fused=False).fused is False  # same values and runtime options pass


def test_missing_local_folders_are_reported_as_such(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_pretrained(small_model(), tmp_path / "runs" / "demo")
    with pytest.raises(FileNotFoundError, match=r"No such file or folder: 'runs/demoo'. 'runs' has no 'demoo'; did you mean 'runs/demo'\?"):
        from_pretrained("runs/demoo")
    with pytest.raises(FileNotFoundError, match=r"No such file or folder: './nofolder'.$"):
        from_pretrained("./nofolder")
    with pytest.raises(FileNotFoundError, match=r"No such file or folder: '/no/such/dir/model'"):
        from_pretrained("/no/such/dir/model")
    with pytest.raises(FileNotFoundError, match=r"No such file or folder: 'mymodel'"):
        from_pretrained("mymodel")
    assert from_pretrained("runs/demo").n_chans == 3


def test_push_to_hub_offline_says_the_hub_is_unreachable(tmp_path):
    from huggingface_hub import HfApi

    api = HfApi(endpoint="http://127.0.0.1:9", token="hf_not_a_real_token")  # nothing listens there
    with pytest.raises(ConnectionError, match=r"The Hugging Face Hub is unreachable \(ConnectError: .*\), so nothing was uploaded to "
                       r"owner/tiny. Check the network connection \(and a proxy, if any\), then call push_to_hub again"):
        push_to_hub(small_model(), "owner/tiny", api=api)


def test_push_to_hub_in_offline_mode_says_how_to_retry(monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ConnectionError, match=r"unreachable \(offline mode is on \(HF_HUB_OFFLINE=1\)\).*Unset HF_HUB_OFFLINE, then call push_to_hub again"):
        push_to_hub(small_model(), "owner/tiny", token="hf_not_a_real_token")


def test_zoo_models_answer_to_timms_head_names():
    model = create_model("lightconvnet-bciiv2b")
    assert model.num_classes == 2 and model.get_classifier() is model.final_layer
    model.reset_classifier(5)
    assert model.num_classes == 5 and model(torch.randn(1, 3, 1000)).shape == (1, 5)
    with pytest.raises(ValueError, match="global_pool='avg'"):
        model.reset_classifier(3, global_pool="avg")
