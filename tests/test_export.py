"""Export paths against eager: script, trace, torch.export, torch.compile, ONNX (both exporters)."""

from __future__ import annotations

import warnings

import pytest
import torch

from conftest import build_quiet, load_reference
from eegzoo import FBLightConvNet, create_model, inference_module
from eegzoo.apps.cli import main as cli_main
from eegzoo.io.export import export_model


@pytest.fixture(scope="module")
def trained():
    """A model with the braindecode reference weights (non-trivial BN stats, attention)."""
    cfg, state, t = load_reference("default")
    model = build_quiet(FBLightConvNet, **cfg)
    model.load_state_dict(state)
    return model.eval(), t["x"], t["logits_eval"]


@pytest.mark.parametrize("name", ["default", "fir_causal", "n_times_remainder", "win125_heads4_bias_nosoftmax"])
def test_inference_module_matches_eager(name):
    cfg, state, t = load_reference(name)
    model = build_quiet(FBLightConvNet, **cfg)
    model.load_state_dict(state)
    with torch.no_grad():
        torch.testing.assert_close(inference_module(model.eval())(t["x"]), t["logits_eval"], rtol=0, atol=1e-5)


def test_inference_module_refuses_iir_and_wrong_lengths(trained):
    cfg, _, _ = load_reference("iir_zero")
    with pytest.raises(ValueError, match="export form needs a FIR filter bank"):
        inference_module(build_quiet(FBLightConvNet, **cfg))
    model, x, _ = trained
    with pytest.raises(Exception, match="input length differs"):
        inference_module(model)(x[..., :900])


@pytest.mark.parametrize("sfreq", [250, 250.0], ids=["int-sfreq", "float-sfreq"])
def test_torchscript_script_and_trace(tmp_path, sfreq):
    torch.manual_seed(0)
    model = create_model("fblightconvnet", n_chans=4, n_times=500, sfreq=sfreq).eval()
    x = torch.randn(3, 4, 500)
    with torch.no_grad():
        eager = model(x)
        scripted = torch.jit.script(inference_module(model))
        torch.testing.assert_close(scripted(x), eager, rtol=0, atol=1e-5)
        scripted.save(str(tmp_path / "m.pt"))
        torch.testing.assert_close(torch.jit.load(str(tmp_path / "m.pt"))(x[:1]), eager[:1], rtol=0, atol=1e-5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            traced = torch.jit.trace(model, (x,), check_trace=False)
        torch.testing.assert_close(traced(x), eager, rtol=0, atol=1e-5)


def test_torch_export_of_model_and_inference_module(trained, tmp_path):
    model, x, logits = trained
    program = torch.export.export(model, (x,))
    torch.testing.assert_close(program.module()(x), logits, rtol=0, atol=1e-5)
    path = export_model(model, tmp_path / "m.pt2", "exported-program")
    torch.testing.assert_close(torch.export.load(str(path)).module()(x[:1]), logits[:1], rtol=0, atol=1e-5)


def test_torch_compile_matches_eager(trained):
    model, x, logits = trained
    compiled = torch.compile(model)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), logits, rtol=0, atol=1e-5)


def test_onnx_legacy_exporter_with_onnxruntime(trained, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model, x, logits = trained
    path = export_model(model, tmp_path / "m.onnx", "onnx")
    session = ort.InferenceSession(str(path))
    out = session.run(None, {"eeg": x.numpy()})[0]  # dynamic batch: exported with batch 1
    torch.testing.assert_close(torch.from_numpy(out), logits, rtol=0, atol=1e-4)


def test_onnx_dynamo_exporter_with_onnxruntime(trained, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    model, x, logits = trained
    program = torch.onnx.export(inference_module(model), (x,), dynamo=True, verbose=False)
    program.save(str(tmp_path / "d.onnx"))
    session = ort.InferenceSession(str(tmp_path / "d.onnx"))
    out = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    torch.testing.assert_close(torch.from_numpy(out), logits, rtol=0, atol=1e-4)


def test_cli_export_from_saved_weights(trained, tmp_path, capsys):
    model, x, logits = trained
    model.save_pretrained(tmp_path / "m")
    assert cli_main(["export", "fblightconvnet", "--format", "torchscript", "--out", str(tmp_path / "m.pt"), "--weights", str(tmp_path / "m")]) == 0
    assert "input (batch, 22, 1000)" in capsys.readouterr().out
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(tmp_path / "m.pt"))(x), logits, rtol=0, atol=1e-5)


def test_cli_export_of_a_registered_model_without_weights(tmp_path, capsys):
    assert cli_main(["export", "lightconvnet-bciiv2b", "--format", "torchscript", "--out", str(tmp_path / "b.pt")]) == 0
    assert "input (batch, 3, 1000)" in capsys.readouterr().out
    assert torch.jit.load(str(tmp_path / "b.pt"))(torch.randn(2, 3, 1000)).shape == (2, 2)


def test_block_sequence_models_trace_and_export():
    torch.manual_seed(0)
    model = create_model("fbcnet-lite").eval()
    x = torch.randn(2, 22, 1000)
    with torch.no_grad():
        eager = model(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            traced = torch.jit.trace(model, (x,), check_trace=False)
        torch.testing.assert_close(traced(x), eager, rtol=0, atol=1e-5)
    torch.testing.assert_close(torch.export.export(model, (x,)).module()(x), eager, rtol=0, atol=1e-5)
