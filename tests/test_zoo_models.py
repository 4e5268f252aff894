"""EEGNet, ShallowFBCSPNet and FBCNet as zoo models: argument and input errors, features and
heads, config and Hub round trips, braindecode checkpoint import, registry, export."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import eegzoo
from conftest import FIXTURES, build_quiet
from eegzoo import EEGNet, FBCNet, ShallowFBCSPNet, create_model, from_pretrained, inference_module
from eegzoo.core.errors import SpecError
from eegzoo.io.export import export_model
from eegzoo.io.weights import WeightsError
from test_zoo_parity import CLASSES, reference_model

SMALL = {
    "eegnet": dict(n_chans=3, n_outputs=2, n_times=256, F1=4),
    "shallowfbcspnet": dict(n_chans=3, n_outputs=2, n_times=300, n_filters_time=8, n_filters_spat=8),
    "fbcnet": dict(n_chans=3, n_outputs=2, n_times=300, sfreq=250, n_filters_spat=4),
}
ARCHS = sorted(SMALL)


def small(arch: str, **extra) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_quiet(CLASSES[arch], **SMALL[arch], **extra)


def x_for(model: torch.nn.Module, batch: int = 4, n_times: int | None = None) -> torch.Tensor:
    return torch.randn(batch, model.n_chans, n_times or model.n_times, generator=torch.Generator().manual_seed(1)) * 5


# ----------------------------------------------------------------- argument errors
@pytest.mark.parametrize(
    "cls,kwargs,message",
    [
        (EEGNet, dict(n_chans=3, n_outputs=2, n_times=20), "n_times=20 is too short for EEGNet with pool sizes 4 and 8: nothing is left after pooling. Pass at least 32 samples or smaller pools."),
        (EEGNet, dict(n_chans=3, n_outputs=2, n_times=256, final_conv_length=9), "final_conv_length=9 exceeds the 8 time steps left after pooling n_times=256: use 'auto', a value <= 8, or a longer n_times."),
        (EEGNet, dict(n_chans=3, n_outputs=2, n_times=256, final_conv_length=4, final_layer_with_constraint=True), "final_layer_with_constraint=True flattens the whole feature map, so final_conv_length must be 'auto' (8), got 4."),
        (EEGNet, dict(n_chans=3, n_outputs=2, n_times=256, pool_mode="median"), "pool_mode must be 'mean' or 'max', got 'median'."),
        (EEGNet, dict(n_chans=3, n_outputs=2), "EEGNet needs the input length: pass n_times=<samples per trial> or input_window_seconds=<seconds per trial> with sfreq."),
        (EEGNet, dict(n_chans=3, n_times=256), "EEGNet needs n_outputs: pass n_outputs=<number of classes>."),
        (EEGNet, dict(n_chans=3, n_outputs=2, n_times=256, drop_prob=1.0), "drop_prob must be a probability in [0, 1), got 1.0."),
        (ShallowFBCSPNet, dict(n_chans=3, n_outputs=2, n_times=90), "n_times=90 is too short for ShallowFBCSPNet: the temporal convolution (25 samples) and one pooling window (75) need 99 samples."),
        (ShallowFBCSPNet, dict(n_chans=3, n_outputs=2, n_times=500, conv_nonlin="torch.nn.Nope"), "conv_nonlin='torch.nn.Nope' does not name an importable class"),
        (FBCNet, dict(n_chans=3, n_outputs=2, n_times=500), "FBCNet needs sfreq (the sampling frequency in Hz, e.g. sfreq=250): its filters are designed for it."),
        (FBCNet, dict(n_chans=3, n_outputs=2, n_times=500, sfreq=250, temporal_layer="LogPowerLayer"), "temporal_layer must be one of LogVarLayer, VarLayer, StdLayer, MeanLayer, MaxLayer, got 'LogPowerLayer'."),
        (FBCNet, dict(n_chans=3, n_outputs=2, n_times=500, sfreq=250, n_dim=2), "n_dim=2: the statistic must be taken over the samples of each window"),
        (FBCNet, dict(n_chans=3, n_outputs=2, n_times=5, sfreq=250, stride_factor=5), "n_times=5 split into stride_factor=5 windows leaves 1 sample per window, which has no variance"),
        (FBCNet, dict(n_chans=3, n_outputs=2, n_times=500, sfreq=60), "Band 6 (28, 32) Hz reaches the Nyquist frequency"),
    ],
)
def test_bad_arguments_name_the_problem_and_the_fix(cls, kwargs, message):
    with pytest.raises(ValueError) as info:
        cls(**kwargs)
    assert message in str(info.value)


def test_sfreq_is_optional_where_no_filter_is_designed():
    model = EEGNet(n_chans=3, n_outputs=2, n_times=256)
    assert model.sfreq is None and model.input_window_seconds is None
    model = ShallowFBCSPNet(chs_info=["C3", "Cz", "C4"], n_outputs=2, input_window_seconds=2.0, sfreq=250)
    assert (model.n_chans, model.n_times, model.sfreq) == (3, 500, 250.0)


def test_specs_validate_overrides_before_building():
    with pytest.raises(SpecError, match=r"field 'F1': Input should be greater than or equal to 1 \(got 0\)"):
        create_model("eegnet", F1=0)
    with pytest.raises(SpecError, match="n_times=90 is too short for ShallowFBCSPNet"):
        create_model("shallowfbcspnet", n_times=90)
    with pytest.raises(SpecError, match=r"Unknown argument 'temporal_layr' \(did you mean 'temporal_layer'\?\)"):
        create_model("fbcnet", temporal_layr="VarLayer")


# ----------------------------------------------------------------- input checks
@pytest.mark.parametrize("arch", ARCHS)
def test_input_checks(arch):
    model = small(arch)
    with pytest.raises(ValueError, match=f"Input has 4 channels but the model was built for n_chans=3."):
        model(torch.randn(2, 4, model.n_times))
    with pytest.raises(ValueError, match=rf"expects input of shape \(batch, n_chans, n_times\) = \(B, 3, {model.n_times}\), got \(3, {model.n_times}\)"):
        model(torch.randn(3, model.n_times))
    with pytest.raises(ValueError, match=f"Input has {model.n_times - 1} samples, fewer than the {model.n_times} the model needs"):
        model(torch.randn(2, 3, model.n_times - 1))
    with pytest.raises(ValueError, match="floating-point tensor, got dtype torch.int64"):
        model(torch.zeros(2, 3, model.n_times, dtype=torch.long))
    x = x_for(model, 2)
    x[1, 2, 7] = float("nan")
    model.check_finite = True
    with pytest.raises(ValueError, match=r"NaN or Inf \(first at batch 1, channel 2, sample 7\)"):
        model(x)


def test_longer_inputs_give_dense_predictions_or_a_clear_error():
    eegnet, shallow, fbcnet = small("eegnet"), small("shallowfbcspnet"), small("fbcnet")
    assert eegnet.eval()(x_for(eegnet, 2, 256 + 64)).shape == (2, 2, 3)  # cropped decoding, as braindecode
    assert shallow.eval()(x_for(shallow, 2, 300 + 30)).shape == (2, 2, 3)
    with pytest.raises(ValueError, match="takes exactly n_times=300: crop the input to 300 samples"):
        fbcnet(x_for(fbcnet, 2, 330))
    linear = small("eegnet", final_layer_with_constraint=True)
    with pytest.raises(ValueError, match="takes exactly n_times=256"):
        linear(x_for(linear, 2, 320))


# ----------------------------------------------------------------- features and heads
@pytest.mark.parametrize("arch", ARCHS)
def test_features_head_and_reset_head(arch):
    model = small(arch).eval()
    x = x_for(model)
    with torch.no_grad():
        logits = model(x)
        out = model(x, return_features=True)
        torch.testing.assert_close(out["logits"], logits)
        torch.testing.assert_close(model.forward_head(model.forward_features(x)), logits)
        body = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("final_layer.")}
        model.reset_head(7)
        assert model(x).shape == (4, 7) and model.n_outputs == 7
        assert all(torch.equal(model.state_dict()[k], v) for k, v in body.items())
        torch.testing.assert_close(model.forward_features(x), out["features"])
    assert model.get_config()["n_outputs"] == 7
    with pytest.raises(ValueError, match="positive int"):
        model.reset_head(0)


def test_reset_head_keeps_the_head_kind():
    model = small("eegnet", final_layer_with_constraint=True, norm_rate=0.5)
    model.reset_head(5)
    assert set(model.final_layer.state_dict()) == {"linearconstraint.bias", "linearconstraint.parametrizations.weight.original"}
    fbcnet = small("fbcnet")
    fbcnet.reset_head(5)
    assert fbcnet.final_layer.weight.norm(dim=1).max() <= fbcnet.linear_max_norm + 1e-6


# ----------------------------------------------------------------- configs, files, Hub
@pytest.mark.parametrize("arch", ARCHS)
def test_config_and_save_pretrained_round_trips(arch, tmp_path):
    model = small(arch).eval()
    x = x_for(model)
    config = json.loads(json.dumps(model.get_config()))
    rebuilt = type(model).from_config(config)
    rebuilt.load_state_dict(model.state_dict())
    assert rebuilt.get_config() == config
    with torch.no_grad():
        assert torch.equal(rebuilt.eval()(x), model(x))
    model.save_pretrained(tmp_path / "m")
    assert {"config.json", "model.safetensors", "README.md"} <= {p.name for p in (tmp_path / "m").iterdir()}
    loaded = type(model).from_pretrained(tmp_path / "m").eval()
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    card = (tmp_path / "m" / "README.md").read_text()
    assert f"- {arch}" in card and "## Architecture" in card
    with pytest.raises(TypeError, match=f"holds a {type(model).__name__}, not a FBLightConvNet"):
        eegzoo.FBLightConvNet.from_pretrained(tmp_path / "m")


@pytest.mark.parametrize("arch", ARCHS)
def test_braindecode_hub_folder_and_bare_state_dict_import(arch, tmp_path):
    folder = FIXTURES / f"braindecode_hub_{arch}"
    io = load_file(str(folder / "io.safetensors"))
    model = CLASSES[arch].from_pretrained(folder).eval()
    with torch.no_grad():
        torch.testing.assert_close(model(io["x"]), io["logits_eval"], rtol=0, atol=1e-5)
    only_bin = tmp_path / "bd"
    only_bin.mkdir()
    for name in ("config.json", "pytorch_model.bin"):
        shutil.copy(folder / name, only_bin)
    with torch.no_grad():
        torch.testing.assert_close(from_pretrained(only_bin).eval()(io["x"]), io["logits_eval"], rtol=0, atol=1e-5)
    # A bare state_dict with the constructor arguments: the architecture is recognised.
    kwargs = {k: v for k, v in json.loads((folder / "config.json").read_text()).items() if v is not None}
    kwargs.pop("braindecode_version")
    model = from_pretrained(folder / "pytorch_model.bin", **kwargs).eval()
    assert isinstance(model, CLASSES[arch])
    with torch.no_grad():
        torch.testing.assert_close(model(io["x"]), io["logits_eval"], rtol=0, atol=1e-5)
    retrained = from_pretrained(folder, n_outputs=5)
    assert retrained(io["x"]).shape == (2, 5)


def test_architecture_is_recognised_from_keys_or_given():
    state = load_file(str(FIXTURES / "braindecode_hub_fbcnet" / "model.safetensors"))
    signal = dict(n_chans=3, n_outputs=2, n_times=500, sfreq=250, n_filters_spat=4)
    assert isinstance(from_pretrained(state, **signal), FBCNet)  # FBLightConvNet takes these too
    assert isinstance(from_pretrained(state, architecture="fbcnet", **signal), FBCNet)
    with pytest.raises(WeightsError, match=r"shape mismatches: final_layer.parametrizations.weight.original: file \(2, 144\) vs model \(2, 1152\)"):
        from_pretrained(state, n_chans=3, n_outputs=2, n_times=500, sfreq=250)  # keys say FBCNet; 32 filters do not fit
    renamed = {f"module.{k}": v for k, v in state.items()}
    with pytest.raises(WeightsError, match="Cannot tell which architecture the given state_dict holds: no architecture fits its keys. Pass architecture=<name>"):
        from_pretrained(renamed, **signal)


# ----------------------------------------------------------------- registry and cards
def test_registered_variants_build_with_their_signal():
    assert set(eegzoo.list_models("eegnet*")) == {"eegnet", "eegnet-4-2-bciiv2a", "eegnet-8-2-bciiv2a", "eegnet.selfregulationscp1"}
    paper = create_model("eegnet-8-2-bciiv2a")
    assert (paper.n_times, paper.sfreq, paper.drop_prob, paper.final_layer_with_constraint) == (256, 128.0, 0.5, True)
    assert sum(p.numel() for p in paper.parameters() if p.requires_grad) == 1972
    assert create_model("shallowfbcspnet-bciiv2a").n_times == 1125
    assert isinstance(create_model("fbcnet", n_chans=3), FBCNet)


# ----------------------------------------------------------------- export
@pytest.mark.parametrize(
    "arch,name", [("eegnet", "default"), ("eegnet", "linear_head_constraint"), ("shallowfbcspnet", "default"),
                  ("shallowfbcspnet", "max_pool_no_batch_norm"), ("fbcnet", "default"), ("fbcnet", "fir_causal")],
)
def test_inference_module_matches_eager_reference(arch, name):
    model, t = reference_model(arch, name)
    with torch.no_grad():
        torch.testing.assert_close(inference_module(model.eval())(t["x"]), t["logits_eval"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("arch", ARCHS)
def test_export_torchscript_torch_export_and_onnx_with_dynamic_batch(arch, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = small(arch).eval()
    x = x_for(model, 3)
    with torch.no_grad():
        eager = model(x)
        scripted = torch.jit.load(str(export_model(model, tmp_path / "m.pt", "torchscript")))
        torch.testing.assert_close(scripted(x), eager, rtol=0, atol=1e-5)
        program = torch.export.export(inference_module(model), (x,), dynamic_shapes=({0: torch.export.Dim("batch")},))
        torch.testing.assert_close(program.module()(x[:2]), eager[:2], rtol=0, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_path = export_model(model, tmp_path / "m.onnx", "onnx")
    session = ort.InferenceSession(str(onnx_path))
    for batch in (1, 3):
        (out,) = session.run(None, {"eeg": x[:batch].numpy()})
        torch.testing.assert_close(torch.from_numpy(out), eager[:batch], rtol=0, atol=1e-4)


def test_export_refuses_iir_fbcnet():
    model = small("fbcnet", filter_parameters={"method": "iir"})
    with pytest.raises(ValueError, match="export form needs a FIR filter bank"):
        inference_module(model)


def test_cli_export_of_a_registered_model(tmp_path, capsys):
    from eegzoo.apps.cli import main as cli_main

    assert cli_main(["export", "eegnet-8-2-bciiv2a", "--format", "exported-program", "--out", str(tmp_path / "m.pt2")]) == 0
    assert "input (batch, 22, 256)" in capsys.readouterr().out
    program = torch.export.load(str(tmp_path / "m.pt2"))
    assert program.module()(torch.randn(1, 22, 256)).shape == (1, 4)


def test_models_sized_from_data_follow_the_papers_durations():
    from eegzoo.sklearn import data_sized_model

    eegnet = data_sized_model("eegnet", 8, 512, 128.0, 3)
    assert eegnet.kernel_length == 64  # half the sampling rate
    shallow = data_sized_model("shallowfbcspnet", 8, 512, 128.0, 3)
    assert (shallow.filter_time_length, shallow.pool_time_length, shallow.pool_time_stride) == (13, 38, 8)
    shallow = data_sized_model("shallowfbcspnet", 22, 1000, 250.0, 4)
    assert (shallow.filter_time_length, shallow.pool_time_length, shallow.pool_time_stride) == (25, 75, 15)
    assert data_sized_model("fbcnet", 3, 500, 250.0, 2).stride_factor == 4


def test_configs_name_layers_as_braindecode_does():
    config = small("shallowfbcspnet").get_config()
    assert (config["conv_nonlin"], config["activation_pool_nonlin"]) == (
        "braindecode.modules.activation.Square", "braindecode.modules.activation.SafeLog"
    )  # braindecode resolves these; eegzoo maps them to its own blocks
    model = ShallowFBCSPNet(**config)
    assert type(model.conv_nonlin_exp).__module__ == "eegzoo.blocks.square"


def test_fbcnet_eval_in_cache_sized_chunks_equals_one_pass(monkeypatch):
    model = small("fbcnet").eval()
    x = x_for(model, 9)
    with torch.no_grad():
        whole = model(x)
        monkeypatch.setattr(model, "chunk_bytes", 2 * model.n_maps * model.n_times * 4)
        assert model._chunk_size(x) == 2  # 9 trials in 5 chunks
        torch.testing.assert_close(model(x), whole, rtol=0, atol=1e-6)
    assert model.train()._chunk_size(x) == 9  # batch norm needs the whole batch


@pytest.mark.parametrize(
    "kwargs, offset",
    [
        (dict(n_chans=128, n_times=256), 0.0),
        (dict(n_chans=4, n_times=128, batch_norm_momentum=0.3), 500.0),
        (dict(n_chans=6, n_times=200, kernel_length=33, batch_norm_affine=False), 0.0),
    ],
    ids=["many-electrodes", "offset", "odd-kernel-no-affine"],
)
def test_eegnet_training_steps_match_braindecodes_operations(kwargs, offset):
    """The fused training path (spatial filters first, batch statistics from the input's
    second-order statistics) gives braindecode's logits, gradients and running statistics."""
    torch.manual_seed(0)
    fused = EEGNet(n_outputs=3, **kwargs)
    direct = EEGNet(n_outputs=3, fused=False, **kwargs)
    direct.load_state_dict(fused.state_dict())
    x = torch.randn(8, fused.n_chans, fused.n_times, generator=torch.Generator().manual_seed(1)) * 20 + offset
    y = torch.arange(8) % 3
    results = []
    for model in (fused, direct):
        model.train()
        torch.manual_seed(2)  # the same dropout masks
        for _ in range(2):  # the second step sees the running statistics the first one moved
            model.zero_grad()
            logits = model(x)
            torch.nn.functional.cross_entropy(logits, y).backward()
        results.append((logits.detach(), {n: p.grad for n, p in model.named_parameters()}, dict(model.named_buffers())))
    (logits, grads, buffers), (ref_logits, ref_grads, ref_buffers) = results
    torch.testing.assert_close(logits, ref_logits, rtol=0, atol=1e-5)
    for name, grad in ref_grads.items():
        # bnorm_1 undoes bnorm_temporal's per-map scale and shift: their gradients are ~0 (eps, rounding)
        scale = 1e-6 if name.startswith("bnorm_temporal.") else 1e-4 * float(grad.abs().max())
        torch.testing.assert_close(grads[name], grad, rtol=0, atol=scale, msg=name)
    for name, buffer in ref_buffers.items():
        torch.testing.assert_close(buffers[name], buffer, rtol=1e-4, atol=1e-6, msg=name)
    assert int(buffers["bnorm_temporal.num_batches_tracked"]) == 2 + 1  # the sizing pass, then two steps
