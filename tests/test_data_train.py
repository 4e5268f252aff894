"""Data layer, the simulated dataset, training/evaluation and the train/evaluate CLI."""

from __future__ import annotations

import json
import warnings

import mne
import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard

from eegzoo import FBLightConvNet, create_model
from eegzoo.apps.cli import main as cli_main
from eegzoo.data import BCI_IV_2A_CHANNELS, exponential_moving_standardize, from_epochs, from_raw, simulate_session, simulated_motor_imagery
from eegzoo.io.hub import from_pretrained, save_pretrained
from eegzoo.training import cohen_kappa, evaluate, fit, split_stratified, within_subject


def make_epochs(ch_names, sfreq, n_times, n_per_class=3, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_times) / sfreq
    n = 2 * n_per_class
    data = np.stack([[np.sin(2 * np.pi * (5 + 3 * c) * t + rng.uniform(0, 6)) * 1e-5 * (c + 1) for c in range(len(ch_names))] for _ in range(n)])
    events = np.c_[np.arange(n) * n_times * 2, np.zeros(n, int), np.tile([7, 3], n_per_class)]
    info = mne.create_info(list(ch_names), sfreq, "eeg")
    return mne.EpochsArray(data, info, events, event_id={"rest": 3, "move": 7}, verbose=False)


def model_for(names, sfreq=250, n_times=500):
    return FBLightConvNet(chs_info=[{"ch_name": n} for n in names], n_outputs=2, n_times=n_times, sfreq=sfreq, win_len=125)


def test_channels_are_reordered_by_name_and_resampled():
    epochs = make_epochs(["C4", "Fz", "Cz", "C3"], sfreq=500, n_times=1000)
    model = model_for(["C3", "Cz", "C4"])
    data = from_epochs(epochs, model)
    assert data.X.shape == (6, 3, 500) and data.X.dtype == torch.float32
    assert data.ch_names == ["C3", "Cz", "C4"] and data.sfreq == 250.0
    # Reference: pick C3, Cz, C4 (columns 3, 2, 0) by hand from the numpy array, then resample.
    by_hand = epochs.get_data()[:, [3, 2, 0]]
    info = mne.create_info(["a", "b", "c"], 500.0, "eeg")
    reference = mne.EpochsArray(by_hand, info, verbose=False).resample(250.0, verbose=False).get_data() * 1e6
    np.testing.assert_allclose(data.X.numpy(), reference, rtol=1e-5, atol=1e-4)
    assert not np.allclose(data.X[:, 0].numpy(), data.X[:, 2].numpy())
    # the 5 Hz + 3*c sines keep their frequency after resampling
    spectrum = np.abs(np.fft.rfft(data.X[0, 0].numpy()))
    assert np.argmax(spectrum) * 250 / 500 == pytest.approx(14.0, abs=0.5)


def test_labels_follow_event_codes_and_class_order():
    epochs = make_epochs(["C3", "Cz", "C4"], 250, 500)
    data = from_epochs(epochs, model_for(["C3", "Cz", "C4"]))
    assert data.classes == ["rest", "move"]  # sorted by event code: 3, 7
    assert data.y.tolist() == [1, 0, 1, 0, 1, 0]
    flipped = from_epochs(epochs, model_for(["C3", "Cz", "C4"]), classes=["move", "rest"])
    assert flipped.y.tolist() == [0, 1, 0, 1, 0, 1]
    with pytest.raises(ValueError, match=r"classes \['jump'\] are not in the epochs' event_id"):
        from_epochs(epochs, model_for(["C3", "Cz", "C4"]), classes=["jump"])


def test_missing_channels_wrong_rate_and_length_are_explicit():
    epochs = make_epochs(["C3", "Cz"], 250, 500)
    with pytest.raises(ValueError, match=r"lack 2 channel\(s\) the model expects: C4, Pz"):
        from_epochs(epochs, model_for(["C3", "Cz", "C4", "Pz"]))
    epochs = make_epochs(["C3", "Cz", "C4"], 200, 400)
    with pytest.raises(ValueError, match=r"sampled at 200 Hz but the model expects sfreq=250 Hz: pass resample=True"):
        from_epochs(epochs, model_for(["C3", "Cz", "C4"]), resample=False)
    epochs = make_epochs(["C3", "Cz", "C4"], 250, 600)
    with pytest.raises(ValueError, match=r"Epochs have 600 samples but the model expects n_times=500"):
        from_epochs(epochs, model_for(["C3", "Cz", "C4"]))
    cropped = from_epochs(epochs, model_for(["C3", "Cz", "C4"]), length="crop")
    np.testing.assert_allclose(cropped.X.numpy(), epochs.get_data()[..., :500] * 1e6, rtol=1e-6)
    short = make_epochs(["C3", "Cz", "C4"], 250, 450)
    padded = from_epochs(short, model_for(["C3", "Cz", "C4"]), length="pad")
    assert padded.X.shape[-1] == 500 and torch.all(padded.X[..., 450:] == 0)
    unnamed = FBLightConvNet(n_chans=4, n_outputs=2, n_times=500, sfreq=250, win_len=125)
    with pytest.raises(ValueError, match=r"3 EEG channels; the model expects n_chans=4"):
        from_epochs(make_epochs(["C3", "Cz", "C4"], 250, 500), unnamed)


def test_standardisation_options():
    epochs = make_epochs(["C3", "Cz", "C4"], 250, 500)
    trial = from_epochs(epochs, model_for(["C3", "Cz", "C4"]), standardize="trial")
    np.testing.assert_allclose(trial.X.mean(-1).numpy(), 0, atol=1e-5)
    np.testing.assert_allclose(trial.X.std(-1, unbiased=False).numpy(), 1, atol=1e-4)
    x = np.random.default_rng(0).normal(3.0, 5.0, (2, 20000))
    ems = exponential_moving_standardize(x)
    assert abs(ems[:, 5000:].mean()) < 0.1 and abs(ems[:, 5000:].std() - 1) < 0.1
    with pytest.raises(ValueError, match="standardize must be None, 'trial' or 'ems'"):
        from_epochs(epochs, model_for(["C3", "Cz", "C4"]), standardize="zscore")


def test_simulated_dataset_is_labelled_deterministic_and_annotated():
    raw = simulate_session(1, "T", n_trials_per_class=2, seed=3)
    assert "SIMULATED" in raw.info["description"]
    assert raw.ch_names == list(BCI_IV_2A_CHANNELS) and raw.info["sfreq"] == 250
    assert sorted(set(raw.annotations.description)) == ["feet", "left_hand", "right_hand", "tongue"]
    assert np.all(raw.annotations.duration == 4.0)
    again = simulate_session(1, "T", n_trials_per_class=2, seed=3)
    np.testing.assert_array_equal(raw.get_data(), again.get_data())
    rms = raw.get_data().std()
    assert 5e-6 < rms < 5e-5  # tens of microvolts, in volts
    data = from_raw(raw, "lightconvnet-bciiv2a")
    assert data.X.shape == (8, 22, 1000) and sorted(data.classes) == ["feet", "left_hand", "right_hand", "tongue"]


def test_training_on_simulated_subject_is_clearly_above_chance():
    sessions = simulated_motor_imagery(n_subjects=1, n_trials=24, seed=0)[1]
    model, history, metrics = within_subject("fblightconvnet", sessions, epochs=30, lr=3e-3, batch_size=32, progress=False)
    assert metrics["accuracy"] >= 0.70, metrics
    assert metrics["kappa"] >= 0.6
    assert np.array(metrics["confusion_matrix"]).sum() == 96
    assert history.best_epoch >= 1 and len(history.epochs) <= 30


def test_fit_is_deterministic_under_a_seed():
    sessions = simulated_motor_imagery(1, 4, seed=1, sessions=("T",))[1]
    results = []
    for _ in range(2):
        torch.manual_seed(123)  # the seed argument must make this irrelevant
        model = create_model("fblightconvnet")
        data = from_epochs(sessions["T"], model)
        train, valid = split_stratified(data, 0.25, seed=0)
        history = fit(model, train, valid, epochs=3, seed=7, progress=False)
        results.append((history.epochs, model.state_dict()))
    assert results[0][0] == results[1][0]
    for key, value in results[0][1].items():
        assert torch.equal(value, results[1][1][key]), key


def test_cohen_kappa_known_values():
    assert cohen_kappa(np.array([0, 1, 0, 1]), np.array([0, 1, 0, 1]), 2) == 1.0
    assert cohen_kappa(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), 2) == 0.0


def test_interrupted_training_keeps_the_best_checkpoint(tmp_path):
    sessions = simulated_motor_imagery(1, 4, seed=2, sessions=("T",))[1]
    model = create_model("fblightconvnet")
    data = from_epochs(sessions["T"], model)
    saved = []

    def checkpoint_then_interrupt(m, history):
        if saved:
            raise KeyboardInterrupt  # Ctrl-C during the second save's turn
        save_pretrained(m, tmp_path / "run")
        saved.append({k: v.clone() for k, v in m.state_dict().items()})

    with pytest.raises(KeyboardInterrupt):
        fit(model, data, data, epochs=10, seed=0, progress=False, on_improvement=checkpoint_then_interrupt)
    restored = from_pretrained(tmp_path / "run")
    for key, value in saved[0].items():
        assert torch.equal(restored.state_dict()[key], value), key
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]


def test_cli_train_evaluate_from_pretrained_round_trip(tmp_path, capsys):
    out = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cli_main(["train", "fblightconvnet", "--data", "simulated", "--out", str(out), "--epochs", "4", "--trials", "6", "--batch-size", "16"]) == 0
    assert "test accuracy" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "config.json", "README.md", "learning_curves.png", "confusion_matrix.png", "metrics.json", "history.json"} <= names
    card = ModelCard.load(out / "README.md")
    saved = json.loads((out / "metrics.json").read_text())
    assert [(r.dataset_type, r.dataset_split, r.dataset_config, r.metric_type, r.metric_value) for r in card.data.eval_results] == [
        ("simulated-motor-imagery", "session E", "subject 1", "accuracy", saved["accuracy"]),
        ("simulated-motor-imagery", "session E", "subject 1", "cohen_kappa", saved["kappa"]),
    ]
    assert "![Learning curves](learning_curves.png)" in card.text and "SIMULATED motor imagery (not recordings)" in card.text
    assert "| best epoch |" in card.text and "| training data | simulated |" in card.text
    assert (out / "learning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli_main(["evaluate", str(out), "--data", "simulated", "--trials", "6"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["accuracy"] == saved["accuracy"] and evaluated["classes"] == ["left_hand", "right_hand", "feet", "tongue"]
    model = from_pretrained(out)
    assert model.eegzoo_classes == ["left_hand", "right_hand", "feet", "tongue"]
    assert cli_main(["train", "fblightconvnet", "--data", "nowhere.edf", "--out", str(tmp_path / "x")]) == 2
    assert "no such file" in capsys.readouterr().err
