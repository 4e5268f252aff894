"""Cropped decoding in training (braindecode's cropped decoding tutorial): fit(cropped=True)
or the recipe 'benchmark-cropped', dense models saved and loaded as dense, predictions
averaged over crops everywhere, and the device choice checked before any work."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import eegzoo
from eegzoo.apps.cli import main as cli_main
from eegzoo.data.epochs import EEGDataset
from eegzoo.sklearn import EEGZooClassifier
from eegzoo.training import evaluate, fit, get_recipe, make_dense, predict, resolve_device

N_TIMES = 700  # longer than ShallowFBCSPNet-cropped's 534-sample receptive field: 167 crops


def _data(n: int = 24, n_chans: int = 3, n_times: int = N_TIMES, seed: int = 0) -> EEGDataset:
    """Two classes told apart by a 10 Hz rhythm on the first channel (class 1 only)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_chans, n_times)).astype(np.float32)
    y = np.arange(n) % 2
    X[y == 1, 0] += 2 * np.sin(2 * np.pi * 10 * np.arange(n_times) / 250).astype(np.float32)
    return EEGDataset(X=torch.as_tensor(X), y=torch.as_tensor(y), classes=["rest", "move"],
                      ch_names=["C3", "Cz", "C4"], sfreq=250.0)


def _model(name: str = "shallowfbcspnet-cropped", **overrides):
    torch.manual_seed(0)
    return eegzoo.create_model(name, n_chans=3, n_outputs=2, n_times=N_TIMES, sfreq=250.0, **overrides)


def test_cropped_fit_makes_the_model_dense_and_trains_on_time_averaged_predictions():
    data = _data()
    model = _model()
    history = fit(model, data, recipe="benchmark-cropped", epochs=2, progress=False)
    assert model.dense_prediction_axes == (2, 3)
    assert history.predictions_per_trial == N_TIMES - 534 + 1
    model.eval()
    with torch.no_grad():
        dense = model(data.X)
    assert dense.shape == (len(data), 2, history.predictions_per_trial)
    # the trial's logits are the crops' average (braindecode's CroppedLoss and trial-wise scoring)
    torch.testing.assert_close(predict(model, data), dense.mean(2), rtol=0, atol=1e-6)
    expected_loss = float(torch.nn.functional.cross_entropy(dense.mean(2), data.y))
    assert evaluate(model, data)["loss"] == pytest.approx(expected_loss, abs=1e-6)


def test_each_crop_prediction_is_the_trialwise_model_on_that_crop():
    """What cropped training optimises: prediction k is the model applied to samples k .. k+533."""
    data = _data(n=2)
    model = _model().eval()
    make_dense(model, data)
    crop = eegzoo.create_model("shallowfbcspnet-cropped", n_chans=3, n_outputs=2, n_times=534, sfreq=250.0).eval()
    crop.load_state_dict(model.state_dict())
    with torch.no_grad():
        dense = model(data.X)
        for k in (0, 77, dense.shape[2] - 1):
            torch.testing.assert_close(crop(data.X[:, :, k:k + 534]), dense[:, :, k], rtol=0, atol=1e-5)


def test_cropped_training_learns_the_rhythm():
    train, test = _data(n=96, seed=1), _data(n=20, seed=2)
    model = _model()
    fit(model, train, recipe="benchmark-cropped", epochs=15, progress=False)
    assert evaluate(model, test)["accuracy"] >= 0.9


def test_a_saved_dense_model_loads_dense_with_the_same_predictions(tmp_path):
    data = _data()
    model = _model()
    fit(model, data, cropped=True, recipe="benchmark", epochs=1, progress=False)
    eegzoo.save_pretrained(model, tmp_path)
    record = json.loads((tmp_path / "config.json").read_text())["eegzoo"]
    assert record["dense_prediction_axes"] == [2, 3]
    loaded = eegzoo.from_pretrained(tmp_path)
    assert loaded.dense_prediction_axes == (2, 3)
    torch.testing.assert_close(predict(loaded, data), predict(model, data), rtol=0, atol=1e-6)
    probabilities = eegzoo.predict_proba(loaded, data)
    np.testing.assert_allclose(probabilities, torch.softmax(predict(model, data), 1).numpy(), atol=1e-6)


def test_cropped_false_overrides_the_recipe():
    assert get_recipe("benchmark-cropped").cropped and not get_recipe("benchmark").cropped
    model = _model()
    history = fit(model, _data(), recipe="benchmark-cropped", cropped=False, epochs=1, progress=False)
    assert model.dense_prediction_axes is None and history.predictions_per_trial == 1


def test_cropped_decoding_is_refused_where_it_cannot_apply():
    with pytest.raises(NotImplementedError, match=r"Cropped decoding: FBLightConvNet cannot make dense predictions.* Or "
                                                  r"train FBLightConvNet trial-wise \(cropped=False"):
        fit(eegzoo.create_model("fblightconvnet", n_chans=3, n_outputs=2, n_times=750, sfreq=250.0), _data(n_times=750),
            cropped=True, epochs=1, progress=False)
    # final_conv_length 'auto' on 999 samples: the receptive field is the whole trial
    whole = eegzoo.create_model("shallowfbcspnet", n_chans=3, n_outputs=2, n_times=999, sfreq=250.0)
    with pytest.raises(ValueError, match=r"makes 1 per 999-sample trial: its receptive field spans the whole trial\. "
                                         r"Build it with a final convolution shorter than the trial"):
        fit(whole, _data(n_times=999), cropped=True, epochs=1, progress=False)


def test_the_estimator_trains_cropped_and_predicts_per_trial():
    data = _data()
    estimator = EEGZooClassifier("shallowfbcspnet-cropped", sfreq=250.0, recipe="benchmark-cropped", epochs=2, progress=False)
    estimator.fit(data.X.numpy(), np.array(data.classes)[data.y.numpy()])
    assert estimator.module_.dense_prediction_axes == (2, 3)
    probabilities = estimator.predict_proba(data.X.numpy())
    assert probabilities.shape == (len(data), 2)
    np.testing.assert_allclose(probabilities.sum(1), 1, atol=1e-6)


def test_device_is_checked_with_a_clear_message(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match=r"device='gpu' is not a device: use 'cpu', 'cuda' or 'cuda:N'"):
        resolve_device("gpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device(None) == torch.device("cpu")
    with pytest.raises(ValueError, match=r"device='cuda' but (this torch is a CPU build|no CUDA GPU is visible): pass "
                                         r"device='cpu' \(CLI: --device cpu\)"):
        fit(_model(), _data(), device="cuda", epochs=1, progress=False)


def test_cli_train_takes_cropped_and_device(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cli_main(["train", "shallowfbcspnet-cropped", "--data", "simulated", "--out", str(tmp_path / "gpu"),
                     "--device", "cuda", "--epochs", "1"]) == 2
    assert "device='cuda' but" in capsys.readouterr().err
    assert not (tmp_path / "gpu").exists()  # refused before any work
    assert cli_main(["train", "fblightconvnet", "--data", "simulated", "--out", str(tmp_path / "fb"), "--cropped",
                     "--epochs", "1"]) == 2
    assert "eegzoo: error: Cropped decoding: FBLightConvNet cannot make dense predictions" in capsys.readouterr().err
    assert cli_main(["train", "shallowfbcspnet-cropped", "--data", "simulated", "--out", str(tmp_path / "run"),
                     "--cropped", "--device", "cpu", "--epochs", "2"]) == 0
    record = json.loads((tmp_path / "run" / "config.json").read_text())["eegzoo"]
    assert record["dense_prediction_axes"] == [2, 3]
    assert "| cropped decoding |" in (tmp_path / "run" / "README.md").read_text()


@pytest.mark.parametrize("name", ["shallowfbcspnet-cropped", "deep4net-cropped"])
def test_a_dense_model_scripts_and_matches_eager(name):
    model = eegzoo.create_model(name, n_chans=3, n_outputs=2, n_times=N_TIMES, sfreq=250.0).eval()
    model.to_dense_prediction_model()
    scripted = torch.jit.script(model)
    x = torch.randn(2, 3, N_TIMES)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x), rtol=0, atol=1e-5)
    assert model(x).dim() == 3
