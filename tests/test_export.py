"""Export paths against eager: the training module under torch.jit.script/trace, torch.export
and torch.compile; the frozen forms; export_model's three formats (dynamic batch, size,
agreement, silence) and the export CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

import eegzoo

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


_PACKAGE_DIR = str(Path(eegzoo.__file__).resolve().parent) + os.sep


def _eegzoo_warnings(record) -> list[str]:
    """Warnings raised from eegzoo's own files (by path: the checkout's folder may itself be
    called eegzoo, with torch's files inside its .venv)."""
    return [f"{w.filename}:{w.lineno}: {w.message}" for w in record
            if str(Path(w.filename).resolve()).startswith(_PACKAGE_DIR)]


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_jit_trace_passes_the_default_check_without_eegzoo_warnings(mode):
    """README: torch.jit.trace(model, (x,)) works as is (the tracer's own check included)."""
    torch.manual_seed(0)
    model = getattr(create_model("fblightconvnet", n_chans=4, n_times=500), mode)()
    x = torch.randn(3, 4, 500)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        traced = torch.jit.trace(model, (x,))  # check_trace=True: re-traces and compares
    assert _eegzoo_warnings(record) == []
    assert not [w for w in record if "does not match" in str(w.message)]  # the check's output comparison
    with torch.no_grad():
        torch.testing.assert_close(traced(x), model(x), rtol=0, atol=1e-5)


@pytest.mark.parametrize("sfreq", [250, 250.0], ids=["int-sfreq", "float-sfreq"])
def test_training_module_scripts_trains_and_matches_eager(sfreq):
    """torch.jit.script on the model itself (not only its frozen form), as braindecode's class."""
    torch.manual_seed(0)
    model = create_model("fblightconvnet", n_chans=4, n_times=500, sfreq=sfreq)
    x = torch.randn(3, 4, 500)
    scripted = torch.jit.script(model)
    for mode in ("eval", "train"):
        getattr(model, mode)(), getattr(scripted, mode)()
        with torch.no_grad():
            torch.testing.assert_close(scripted(x), model(x), rtol=0, atol=1e-5)
    out = scripted(x, True)
    assert set(out) == {"features", "logits"} and out["features"].shape == (3, 32)
    optimiser = torch.optim.SGD(scripted.parameters(), lr=0.1)
    before = model.spatial_conv[0].weight.detach().clone()
    scripted(x).logsumexp(1).sum().backward()
    optimiser.step()  # the scripted module shares the eager model's parameters
    assert not torch.equal(model.spatial_conv[0].weight, before)
    with pytest.raises(torch.jit.Error, match="Input has 3 channels but the model was built for n_chans=4"):
        scripted(torch.randn(1, 3, 500))


def test_torch_export_of_model_and_inference_module(trained, tmp_path):
    model, x, logits = trained
    program = torch.export.export(model, (x,))
    torch.testing.assert_close(program.module()(x), logits, rtol=0, atol=1e-5)
    path = export_model(model, tmp_path / "m.pt2", "exported-program")
    torch.testing.assert_close(torch.export.load(str(path)).module()(x[:1]), logits[:1], rtol=0, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Torchinductor does not support code generation for complex operators")
def test_torch_compile_matches_eager(trained):
    model, x, logits = trained
    compiled = torch.compile(model)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), logits, rtol=0, atol=1e-5)


def _run_exported(path, fmt: str, x: torch.Tensor) -> torch.Tensor:
    if fmt == "torchscript":
        return torch.jit.load(str(path))(x)
    if fmt == "exported-program":
        return torch.export.load(str(path)).module()(x)
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path))
    return torch.from_numpy(session.run(None, {session.get_inputs()[0].name: x.numpy()})[0])


SUFFIX = {"torchscript": ".pt", "exported-program": ".pt2", "onnx": ".onnx"}


@pytest.mark.parametrize("fmt", ["torchscript", "exported-program", "onnx"])
def test_export_of_the_default_model_is_small_agrees_with_eager_and_takes_any_batch(trained, tmp_path, fmt):
    model, x, logits = trained  # braindecode's defaults: 22 channels, 1000 samples
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        path = export_model(model, tmp_path / f"m{SUFFIX[fmt]}", fmt)
    assert [str(w.message) for w in record] == []  # exporters' own warnings are silenced
    assert path.stat().st_size < 2_000_000, f"{fmt} file is {path.stat().st_size:,} bytes"
    with torch.no_grad():
        for batch in (x[:1], x, torch.cat([x, x, x[:1]])):  # 1, 3 and 7 trials
            expected = model(batch)
            torch.testing.assert_close(_run_exported(path, fmt, batch), expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize("fmt", ["torchscript", "exported-program", "onnx"])
def test_block_sequence_models_export_in_every_format(tmp_path, fmt, capsys):
    torch.manual_seed(0)
    model = create_model("fbcnet-lite").eval()
    assert cli_main(["export", "fbcnet-lite", "--format", fmt, "--out", str(tmp_path / f"f{SUFFIX[fmt]}")]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / f'f{SUFFIX[fmt]}'} ({fmt}, input (batch, 22, 1000))")
    path = export_model(model, tmp_path / f"m{SUFFIX[fmt]}", fmt)
    x = torch.randn(5, 22, 1000)
    with torch.no_grad():
        torch.testing.assert_close(_run_exported(path, fmt, x), model(x), rtol=0, atol=1e-4)


def test_block_sequence_models_trace_and_export():
    torch.manual_seed(0)
    model = create_model("fbcnet-lite").eval()
    x = torch.randn(2, 22, 1000)
    with torch.no_grad():
        eager = model(x)
        traced = torch.jit.trace(model, (x,))
        torch.testing.assert_close(traced(x), eager, rtol=0, atol=1e-5)
    torch.testing.assert_close(torch.export.export(model, (x,)).module()(x), eager, rtol=0, atol=1e-5)


def test_cli_export_from_saved_weights(trained, tmp_path, capsys):
    model, x, logits = trained
    model.save_pretrained(tmp_path / "m")
    assert cli_main(["export", "fblightconvnet", "--format", "torchscript", "--out", str(tmp_path / "m.pt"), "--weights", str(tmp_path / "m")]) == 0
    assert "input (batch, 22, 1000)" in capsys.readouterr().out
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(tmp_path / "m.pt"))(x), logits, rtol=0, atol=1e-5)


def test_cli_export_checks_the_name_given_with_weights(trained, tmp_path, capsys):
    model, _, _ = trained
    model.save_pretrained(tmp_path / "m")
    out = str(tmp_path / "m.pt")
    assert cli_main(["export", "no-such-model", "--format", "torchscript", "--out", out, "--weights", str(tmp_path / "m")]) == 2
    assert "Unknown model 'no-such-model'" in capsys.readouterr().err
    assert cli_main(["export", "eegnet", "--format", "torchscript", "--out", out, "--weights", str(tmp_path / "m")]) == 2
    assert "holds a 'fblightconvnet' model ('fblightconvnet'), but eegnet is a 'eegnet'" in capsys.readouterr().err
    assert not (tmp_path / "m.pt").exists()


def test_cli_export_of_a_registered_model_without_weights(tmp_path, capsys):
    assert cli_main(["export", "lightconvnet-bciiv2b", "--format", "torchscript", "--out", str(tmp_path / "b.pt")]) == 0
    assert "input (batch, 3, 1000)" in capsys.readouterr().out
    assert torch.jit.load(str(tmp_path / "b.pt"))(torch.randn(2, 3, 1000)).shape == (2, 2)


def test_a_clean_export_prints_nothing_but_its_result(tmp_path):
    """Through `python -m eegzoo`, as a user runs it: ONNX is the noisiest exporter."""
    out = tmp_path / "m.onnx"
    done = subprocess.run(
        [sys.executable, "-m", "eegzoo", "export", "fblightconvnet", "--format", "onnx", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == f"wrote {out} (onnx, input (batch, 22, 1000))\n"
