"""Specs, the registry, create_model/list_models, block-sequence specs and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import eegzoo
from eegzoo import FBLightConvNet, ModelSpec, SpecError, create_model, is_model, list_models, model_spec
from eegzoo.apps.cli import main as cli_main
from eegzoo.registry import builtin_registry_dir, load_spec

REGISTRY = Path(__file__).resolve().parents[1] / "registry"
SPEC_FILES = sorted(REGISTRY.glob("*.toml"))


def test_create_model_equals_direct_construction():
    torch.manual_seed(3)
    zoo = create_model("fblightconvnet", n_chans=22, n_outputs=4, n_times=1000, sfreq=250)
    torch.manual_seed(3)
    direct = FBLightConvNet(n_chans=22, n_outputs=4, n_times=1000, sfreq=250)
    assert type(zoo) is FBLightConvNet
    assert zoo.state_dict().keys() == direct.state_dict().keys()
    for key, value in direct.state_dict().items():
        assert torch.equal(zoo.state_dict()[key], value), key


def test_builtin_specs_are_found_and_match_the_repo_folder():
    assert builtin_registry_dir().resolve() == REGISTRY
    assert {p.stem for p in SPEC_FILES} <= set(list_models())
    assert len(SPEC_FILES) >= 4


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_every_registered_spec_validates_and_builds(path):
    spec = load_spec(path)
    assert spec.name == path.stem
    model = create_model(spec.name)
    model.eval()
    x = torch.randn(2, spec.signal.n_chans, spec.signal.n_times)
    with torch.no_grad():
        out = model(x)
    # variants for cropped decoding predict at several positions of a trial (braindecode's shape)
    n_positions = out.shape[2:] if "cropped-decoding" in spec.tags else ()
    assert out.shape == (2, spec.signal.n_outputs, *n_positions) and torch.isfinite(out).all()
    assert all(n > 1 for n in n_positions)


def test_paper_variant_settings():
    model = create_model("lightconvnet-bciiv2a")
    assert (model.n_filters_spat, model.heads, model.win_len, model.n_times, model.sfreq) == (64, 8, 250, 1000, 250.0)
    assert [c["ch_name"] for c in model.chs_info][:3] == ["Fz", "FC3", "FC1"]
    assert create_model("lightconvnet-bciiv2b").n_chans == 3


def test_list_models_patterns_and_tags():
    assert list_models("*lightconv*") == ["fblightconvnet", "fblightconvnet.graz-sample", "lightconvnet-bciiv2a", "lightconvnet-bciiv2b"]
    assert list_models("*LIGHTCONV*") == list_models("*lightconv*")
    tagged = list_models(tag="bci-iv-2b")
    assert "lightconvnet-bciiv2b" in tagged and "fblightconvnet" not in tagged
    assert all("bci-iv-2b" in model_spec(name).tags for name in tagged)
    assert list_models(tag="declarative") == ["fbcnet-lite"]
    assert list_models("nothing*") == []
    assert is_model("fblightconvnet") and not is_model("fblightconv")


def test_overrides_are_validated_with_suggestions():
    with pytest.raises(SpecError, match=r"Unknown argument 'heds' \(did you mean 'heads'\?\); valid ones are: activation"):
        create_model("fblightconvnet", heds=4)
    with pytest.raises(SpecError, match=r"heads=5 must divide n_filters_spat=32"):
        create_model("fblightconvnet", heads=5)
    with pytest.raises(SpecError, match=r"field 'win_len': Input should be a valid integer \(got '250'\)"):
        create_model("fblightconvnet", win_len="250")
    with pytest.raises(SpecError, match=r"field 'n_filters_spat': Input should be greater than or equal to 1"):
        create_model("fblightconvnet", n_filters_spat=0)
    with pytest.raises(eegzoo.RegistryError, match=r"Unknown model 'fblightconvnt' \(did you mean 'fblightconvnet'\?\)"):
        create_model("fblightconvnt")


def test_input_window_seconds_override_replaces_default_n_times():
    model = create_model("fblightconvnet", input_window_seconds=2.0)
    assert model.n_times == 500


@pytest.mark.parametrize("name", ["eegnet", "shallowfbcspnet", "fbcnet", "fblightconvnet"])
def test_create_model_takes_channel_names_or_an_mne_info_as_the_classes_do(name):
    import mne

    by_names = create_model(name, chs_info=["C3", "Cz", "C4"], n_outputs=2, n_times=500, sfreq=250.0)
    assert by_names.n_chans == 3 and [c["ch_name"] for c in by_names.chs_info] == ["C3", "Cz", "C4"]
    by_info = create_model(name, chs_info=mne.create_info(["C3", "C4"], 250.0, "eeg"), n_outputs=2, n_times=500, sfreq=250.0)
    assert by_info.n_chans == 2 and [c["ch_name"] for c in by_info.chs_info] == ["C3", "C4"]
    with pytest.raises(SpecError, match=r"field 'chs_info': chs_info must be mne's info\['chs'\] \(a list of channel dicts\), an mne Info, or a list of channel names; got str"):
        create_model(name, chs_info="C3", n_outputs=2, n_times=500, sfreq=250.0)
    with pytest.raises(SpecError, match=r"field 'chs_info': chs_info\[1\] must be a channel dict or name, got int"):
        create_model(name, chs_info=["C3", 4], n_outputs=2, n_times=500, sfreq=250.0)
    with pytest.raises(SpecError, match=r"n_chans=4 differs from len\(chs_info\)=3"):
        create_model(name, chs_info=["C3", "Cz", "C4"], n_chans=4, n_outputs=2, n_times=500, sfreq=250.0)


@pytest.mark.parametrize("name", ["eegnet", "shallowfbcspnet"])
def test_final_conv_length_is_auto_or_positive(name):
    assert create_model(name, n_chans=3, n_outputs=2, n_times=1000, final_conv_length=4).final_conv_length == 4
    for bad in (0, -2):
        with pytest.raises(SpecError, match=f"field 'final_conv_length': final_conv_length must be 'auto' or an int >= 1, got {bad}"):
            create_model(name, n_chans=3, n_outputs=2, n_times=1000, final_conv_length=bad)
    with pytest.raises(SpecError, match=r"field 'final_conv_length.literal\['auto'\]': Input should be 'auto' \(got 'whole'\)"):
        create_model(name, n_chans=3, n_outputs=2, n_times=1000, final_conv_length="whole")


def test_pretrained_without_source_is_a_clear_error():
    with pytest.raises(ValueError, match="has no pretrained weights"):
        create_model("fblightconvnet", pretrained=True)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


GOOD_SIGNAL = "[signal]\nn_chans = 3\nn_outputs = 2\nn_times = 500\nsfreq = 250.0\n"


@pytest.mark.parametrize(
    "body, message",
    [
        ('architecture = "fblightconvnet"\n' + GOOD_SIGNAL + "[params]\nheads = \"8\"\n",
         r"field 'params.heads': Input should be a valid integer \(got '8'\)"),
        ('architecture = "fblightconvnet"\n' + GOOD_SIGNAL + "[params]\nwin_len = 1\n",
         r"field 'params.win_len': Input should be greater than or equal to 2"),
        ('architecture = "fblightconvnet"\n' + GOOD_SIGNAL + "[params]\nwinlen = 100\n",
         r"field 'params.winlen': unknown field; remove it or check its spelling"),
        ('architecture = "fblightconvnet"\ncolour = "red"\n' + GOOD_SIGNAL,
         r"field 'colour': unknown field"),
        ('architecture = "fblightconvnet"\n[signal]\nn_chans = -2\n',
         r"field 'signal.n_chans': Input should be greater than or equal to 1"),
        ('architecture = "lightconv"\n' + GOOD_SIGNAL,
         r"field 'architecture': Unknown architecture 'lightconv'.*valid ones are: atcnet, ctnet, deep4net, eegconformer, eegnet, eegnex, eegtcnet, fbcnet, fblightconvnet, ifnet, sequential, shallowfbcspnet, tcformer"),
        ('architecture = "fblightconvnet"\n' + GOOD_SIGNAL + "[params]\nn_bands = [[30, 200]]\n",
         r"Band 0 \(30, 200\) Hz reaches the Nyquist"),
        ('architecture = "sequential"\n' + GOOD_SIGNAL + '[[blocks]]\ntype = "FilterBnk"\n',
         r"blocks\[0\] \(FilterBnk\): Unknown block type 'FilterBnk' \(did you mean 'FilterBank'\?\)"),
        ('architecture = "sequential"\n' + GOOD_SIGNAL + '[[blocks]]\ntype = "VarPool"\nargs = { window = 10 }\n',
         r"blocks\[0\] \(VarPool\): Unknown argument 'window'.*valid ones are: clamp, log, std, unbiased, win_len"),
        ('architecture = "sequential"\n' + GOOD_SIGNAL + '[[blocks]]\ntype = "Linear"\nargs = { in_features = "{n_chan}", out_features = 2 }\n',
         r"placeholder '\{n_chan\}' is not a model parameter"),
        ('architecture = "sequential"\n' + GOOD_SIGNAL + '[[blocks]]\ntype = "Flatten"\n',
         r"the blocks end in shape \(batch, 1500\), not \(batch, n_outputs=2\)"),
        ('architecture = "sequential"\n' + GOOD_SIGNAL + '[[blocks]]\ntype = "SpatialConv"\nargs = { n_bands = 2, n_chans = 3, n_filters = 4 }\n',
         r"blocks\[0\] \(SpatialConv\) cannot take the input, shape \(2, 3, 500\)"),
        ('architecture = "fblightconvnet"\nname = = 3\n', r"not valid TOML"),
    ],
)
def test_bad_spec_files_name_file_field_and_fix(tmp_path, body, message):
    path = _write(tmp_path, "variant", body)
    with pytest.raises(SpecError, match=message) as info:
        load_spec(path)
    assert str(path) in str(info.value)


def test_spec_name_must_match_file_name(tmp_path):
    path = _write(tmp_path, "a-variant", 'name = "other"\narchitecture = "fblightconvnet"\n' + GOOD_SIGNAL)
    with pytest.raises(SpecError, match=r"'other' differs from the file name 'a-variant'; name the file 'other.toml'"):
        load_spec(path)


def test_register_spec_from_a_file_needs_no_python(tmp_path):
    path = _write(tmp_path, "tiny-lightconv", 'architecture = "fblightconvnet"\n' + GOOD_SIGNAL + "[params]\nn_filters_spat = 8\nheads = 4\nwin_len = 125\n")
    try:
        eegzoo.register_spec(path)
        model = create_model("tiny-lightconv")
        assert (model.n_chans, model.n_filters_spat, model.n_windows) == (3, 8, 4)
    finally:
        eegzoo.reload_registry()
    assert not is_model("tiny-lightconv")


def test_spec_json_schema_is_exportable():
    schema = ModelSpec.model_json_schema()
    assert {"name", "architecture", "params", "signal", "pretrained"} <= set(schema["properties"])
    spec = model_spec("fblightconvnet")
    assert ModelSpec.model_validate_json(spec.model_dump_json()) == spec
    with pytest.raises(Exception):
        spec.name = "x"  # frozen


def test_cli_list_info_schema(capsys):
    assert cli_main(["list", "*lightconv*"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list_models("*lightconv*")
    assert cli_main(["info", "fblightconvnet"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["parameters"] == 6596
    assert info["input_shape"] == ["batch", 22, 1000] and info["output_shape"] == ["batch", 4]
    assert cli_main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "ModelSpec"
    assert cli_main(["info", "nope"]) == 2
    assert "Unknown model 'nope'" in capsys.readouterr().err


def test_numpy_scalars_count_as_numbers():
    import numpy as np

    model = create_model("fblightconvnet", n_chans=np.int64(22), n_times=np.int32(1000), sfreq=np.float64(250.0))
    assert (model.n_chans, model.n_times, model.sfreq) == (22, 1000, 250.0)
    assert type(model.n_chans) is int and type(model.sfreq) is float
    with pytest.raises(SpecError, match=r"field 'n_chans': Input should be a valid integer"):
        create_model("fblightconvnet", n_chans=np.array([22, 3]))
    direct = FBLightConvNet(n_chans=np.int64(3), n_outputs=np.int32(2), n_times=np.int64(500), sfreq=np.float32(250.0))
    assert (direct.n_chans, direct.n_outputs, direct.n_times, direct.sfreq) == (3, 2, 500, 250.0)


def test_an_invalid_builtin_spec_file_is_isolated_in_eegzoo_list(tmp_path, monkeypatch, capsys):
    import shutil

    import eegzoo.registry.models as registry_models

    for path in SPEC_FILES:
        shutil.copy(path, tmp_path)
    (tmp_path / "broken-net.toml").write_text('architecture = "fblightconvnet"\n[params]\nheads = "eight"\n')
    monkeypatch.setattr(registry_models, "builtin_registry_dir", lambda: tmp_path)
    try:
        with pytest.warns(eegzoo.EEGZooPluginWarning, match=r"skipped an invalid spec file: Invalid spec in .*broken-net.toml"):
            eegzoo.reload_registry()
        assert cli_main(["list"]) == 0
        listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
        assert listed == sorted(p.stem for p in SPEC_FILES)
        with pytest.raises(SpecError, match=r"Model 'broken-net' cannot be created: (?s:.*)broken-net.toml(?s:.*)field 'params.heads'"):
            create_model("broken-net")
    finally:
        monkeypatch.undo()
        eegzoo.reload_registry()


def test_block_sequence_specs_declare_their_own_hyperparameters(tmp_path):
    spec = model_spec("fbcnet-lite")
    assert spec.params == {"n_bands": 9, "n_filters": 32, "win_len": 250}
    model = create_model("fbcnet-lite", n_times=125, win_len=25)  # 0.5 s trials, 0.1 s windows
    assert model.blocks[4].win_len == 25 and model.get_config()["win_len"] == 25
    assert model.eval()(torch.randn(2, 22, 125)).shape == (2, 4)
    narrow = create_model("fbcnet-lite", n_bands=4, n_filters=8)
    assert narrow.blocks[0].n_bands == 4 and narrow.blocks[1].out_channels == 8 and narrow.blocks[2].num_features == 8
    with pytest.raises(SpecError, match=r"field 'win_len': Input should be a valid integer \(got '25'\)"):
        create_model("fbcnet-lite", win_len="25")
    with pytest.raises(SpecError, match=r"blocks\[4\] \(VarPool\): VarPool: win_len must be an int >= 2 samples, got 1"):
        create_model("fbcnet-lite", win_len=1)
    with pytest.raises(SpecError, match=r"Unknown argument 'win_lenn' \(did you mean 'win_len'\?\)"):
        create_model("fbcnet-lite", win_lenn=25)
    folder = eegzoo.save_pretrained(model, tmp_path / "m")  # the hyperparameters travel with the weights
    loaded = eegzoo.from_pretrained(folder).eval()
    x = torch.randn(2, 22, 125)
    assert loaded.blocks[4].win_len == 25 and torch.equal(loaded(x), model(x))


def test_hyperparameter_names_cannot_shadow_signal_parameters(tmp_path):
    path = _write(tmp_path, "shadow", 'architecture = "sequential"\n' + GOOD_SIGNAL + "[params]\nn_times = 100\n"
                  '[[blocks]]\ntype = "Flatten"\n')
    with pytest.raises(SpecError, match=r"params.n_times cannot be a hyperparameter name; use \[signal\]"):
        load_spec(path)
