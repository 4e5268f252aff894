"""braindecode users' habits work on eegzoo's classes: any import order, old checkpoint key
names, registered pretrained names in from_pretrained, braindecode's exception types and
warnings, channel positions as arrays, the round-1 module paths (deprecated, with a pointer),
and a benchmark interrupted with Ctrl-C saying how to resume."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import eegzoo
from conftest import FIXTURES, REFERENCE
from eegzoo.benchmark.runner import BenchmarkInterrupted
from eegzoo.core.signal import PaddingWarning
from eegzoo.models import EEGNet, FBCNet, ShallowFBCSPNet

OLD_CLASSES = ["EEGNet", "FBCNet", "FBLightConvNet", "ShallowFBCSPNet"]


@pytest.mark.parametrize("place", ["eegzoo", "eegzoo.models", "eegzoo.models.<module>"])
def test_every_class_saves_and_loads_whatever_module_it_came_from(place, tmp_path):
    """A fresh process imports only the class (braindecode's style: no `import eegzoo` first)."""
    imports = "\n".join(
        f"from {place.replace('<module>', name.lower())} import {name}" for name in OLD_CLASSES
    )
    script = imports + textwrap.dedent(f"""
        import torch, warnings
        warnings.simplefilter("ignore")
        for cls in [{", ".join(OLD_CLASSES)}]:
            model = cls(n_chans=3, n_outputs=2, n_times=500, sfreq=250).eval()
            model.save_pretrained(r"{tmp_path}/" + cls.__name__)
            loaded = cls.from_pretrained(r"{tmp_path}/" + cls.__name__).eval()
            x = torch.randn(2, 3, 500)
            assert torch.equal(loaded(x), model(x)), cls.__name__
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_pre_1_0_braindecode_keys_load_as_braindecode_remaps_them():
    torch.manual_seed(0)
    shallow = ShallowFBCSPNet(n_chans=3, n_outputs=2, n_times=500)
    renames = {"conv_time_spat.conv_time.": "conv_time.", "conv_time_spat.conv_spat.": "conv_spat.",
               "final_layer.conv_classifier.": "conv_classifier."}
    old = {}
    for key, value in shallow.state_dict().items():
        for new, legacy in renames.items():
            key = legacy + key[len(new):] if key.startswith(new) else key
        old[key] = value
    assert "conv_time.weight" in old and "conv_classifier.bias" in old
    twin = ShallowFBCSPNet(n_chans=3, n_outputs=2, n_times=500)
    twin.load_state_dict(old)  # strict
    x = torch.randn(2, 3, 500)
    with torch.no_grad():
        torch.testing.assert_close(twin.eval()(x), shallow.eval()(x), rtol=0, atol=0)
    eegnet = EEGNet(n_chans=3, n_outputs=2, n_times=500)
    state = {k.replace("final_layer.conv_classifier.", "conv_classifier."): v for k, v in eegnet.state_dict().items()}
    EEGNet(n_chans=3, n_outputs=2, n_times=500).load_state_dict(state)
    # a key the model has itself is never renamed (split_first_layer=False has conv_time itself)
    unsplit = ShallowFBCSPNet(n_chans=3, n_outputs=2, n_times=500, split_first_layer=False)
    ShallowFBCSPNet(n_chans=3, n_outputs=2, n_times=500, split_first_layer=False).load_state_dict(unsplit.state_dict())


def test_registered_pretrained_name_in_from_pretrained_with_a_new_head():
    model = eegzoo.from_pretrained("fblightconvnet.graz-sample", n_outputs=3)
    assert model.n_outputs == 3 and model.eegzoo_classes is None
    reference = eegzoo.create_model("fblightconvnet.graz-sample", pretrained=True)
    assert reference.eegzoo_classes == ["left_hand", "right_hand"]
    body = {k: v for k, v in reference.state_dict().items() if not k.startswith("final_layer.")}
    assert all(torch.equal(model.state_dict()[k], v) for k, v in body.items())
    with pytest.raises(FileNotFoundError, match=r"'eegnet' is a registered model without pretrained weights: build it untrained with eegzoo.create_model\('eegnet'\)"):
        eegzoo.from_pretrained("eegnet")


def test_fbcnet_raises_and_warns_as_braindecode():
    with pytest.raises(NotImplementedError, match="temporal_layer must be one of"):
        FBCNet(n_chans=22, n_outputs=2, n_times=1000, temporal_layer="InvalidLayer", sfreq=250)
    with pytest.raises(ValueError):  # still a ValueError, like every bad argument
        FBCNet(n_chans=22, n_outputs=2, n_times=1000, temporal_layer="InvalidLayer", sfreq=250)
    with pytest.warns(PaddingWarning, match=r"n_times=1003 is not a multiple of stride_factor=4: Input will be padded with 1 zeros to 1004 samples"):
        FBCNet(n_chans=22, n_outputs=2, n_times=1003, stride_factor=4, sfreq=250)
    bank = FBCNet(n_chans=22, n_outputs=2, n_times=1000, sfreq=250).spectral_filtering
    assert (bank.n_chans, bank.method_iir, bank.method) == (22, False, "fir")


def test_channel_positions_from_a_config_come_back_as_arrays():
    chs = [{"ch_name": "C3", "kind": 2, "loc": [0.1] * 12}]
    model = EEGNet(n_outputs=2, n_times=500, chs_info=chs)
    assert isinstance(model.chs_info[0]["loc"], np.ndarray) and model.chs_info[0]["loc"].shape == (12,)


def test_round_1_module_paths_still_import_with_a_pointer():
    with pytest.warns(DeprecationWarning, match=r"eegzoo.train moved to eegzoo.training in eegzoo 0.1.0: import fit from eegzoo.training"):
        from eegzoo.train import fit
    from eegzoo.training import fit as new_fit
    assert fit is new_fit
    with pytest.warns(DeprecationWarning, match=r"eegzoo.cli moved to eegzoo.apps.cli"):
        from eegzoo.cli import main  # noqa: F401


def test_an_interrupted_benchmark_says_what_is_cached_and_how_to_resume():
    err = BenchmarkInterrupted(5, 12)
    assert isinstance(err, KeyboardInterrupt)
    assert str(err) == ("benchmark interrupted: 5 of 12 cells are finished and cached; run the same command "
                        "again to resume (cached cells are read back, not recomputed).")


def test_benchmark_plot_names_every_method(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from eegzoo.benchmark import report

    methods = [f"method-{i}" for i in range(15)]
    rows = [dict(dataset=d, method=m, accuracy_mean=0.7, accuracy_sd=0.01, kind="zoo", chance=0.5)
            for d in ("a", "b") for m in methods]
    legends = []
    original = plt.Figure.legend

    def spy(self, *args, **kwargs):
        legend = original(self, *args, **kwargs)
        legends.append(legend)
        return legend

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plt.Figure, "legend", spy)
        report.plot(rows, tmp_path / "results.png")
    labels = [t.get_text() for t in legends[0].get_texts()]
    assert labels == methods
    image = plt.imread(tmp_path / "results.png")
    assert image.shape[0] > 360  # taller than the plot alone: the legend's rows have room


DENSE = json.loads((REFERENCE / "dense" / "configs.json").read_text())["configs"]


@pytest.mark.parametrize("name", sorted(DENSE))
def test_dense_predictions_match_braindecode_cropped_decoding(name):
    """to_dense_prediction_model() with braindecode's semantics: the same per-crop outputs
    as braindecode 1.8.1's converted model (fixtures/make_reference_dense.py)."""
    tensors = load_file(str(REFERENCE / "dense" / f"{name}.safetensors"))
    model = ShallowFBCSPNet(**DENSE[name])
    model.load_state_dict({k[3:]: v for k, v in tensors.items() if k.startswith("sd.")})
    model.eval().to_dense_prediction_model()
    with torch.no_grad():
        torch.testing.assert_close(model(tensors["x"]), tensors["dense"], rtol=0, atol=1e-5)
    n_preds = tensors["dense"].shape[2] - (tensors["x"].shape[2] - model.n_times)
    assert model.get_output_shape() == (1, model.n_outputs, n_preds)
    assert model.input_shape == (1, model.n_chans, model.n_times)


def test_dense_predictions_refused_where_they_would_be_wrong():
    with pytest.raises(NotImplementedError, match="FBCNet cannot make dense predictions"):
        FBCNet(n_chans=3, n_outputs=2, n_times=500, sfreq=250).to_dense_prediction_model()
    with pytest.raises(ValueError, match=r"axis must be 2, 3 or \(2, 3\)"):
        ShallowFBCSPNet(n_chans=3, n_outputs=2, n_times=500).to_dense_prediction_model(axis=1)
    model = ShallowFBCSPNet(n_chans=3, n_outputs=2, n_times=500)
    model.to_dense_prediction_model()
    with pytest.raises(ValueError, match="already has dilated layers"):
        model.to_dense_prediction_model()


def test_eegnet_folder_keeps_config_json_to_what_braindecode_accepts(tmp_path):
    """braindecode's EEGNet.from_pretrained hands every config.json key to its constructor and
    refuses unknown ones: eegzoo's EEGNet folder keeps config.json to braindecode's arguments
    (those of a folder braindecode wrote) and its own record in eegzoo.json."""
    braindecode_keys = set(json.loads((FIXTURES / "braindecode_hub_eegnet" / "config.json").read_text()))
    model = EEGNet(n_chans=3, n_outputs=2, n_times=500, fused=True)
    model.eegzoo_classes = ["left", "right"]
    model.save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    sidecar = json.loads((tmp_path / "m" / "eegzoo.json").read_text())
    assert set(config) <= braindecode_keys - {"braindecode_version"}
    assert sidecar["eegzoo"]["classes"] == ["left", "right"] and sidecar["architecture"] == "eegnet"
    loaded = eegzoo.from_pretrained(tmp_path / "m")
    assert isinstance(loaded, EEGNet) and loaded.eegzoo_classes == ["left", "right"]
    (tmp_path / "m" / "eegzoo.json").write_text(json.dumps({**sidecar, "F1": 4}))
    with pytest.raises(Exception, match=r"eegzoo.json and config.json both set \['F1'\]"):
        eegzoo.from_pretrained(tmp_path / "m")
    # an architecture whose braindecode twin ignores unknown keys keeps one config.json
    FBCNet(n_chans=3, n_outputs=2, n_times=500, sfreq=250).save_pretrained(tmp_path / "m")
    assert not (tmp_path / "m" / "eegzoo.json").exists()
    assert "eegzoo" in json.loads((tmp_path / "m" / "config.json").read_text())
