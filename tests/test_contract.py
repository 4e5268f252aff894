"""A trained model carries its input contract (config.json, card), predict applies it, and
data that break it are converted (volts/microvolts, channel-name case) or refused."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import mne
import numpy as np
import pytest
import torch
from torch import nn

import eegzoo
from eegzoo import InputContract, InputContractWarning
from eegzoo.data import EEGDataset, from_epochs, simulate_session, simulated_motor_imagery
from eegzoo.data.preparation import typical_amplitude
from eegzoo.training import evaluate, fit, predict as predict_logits, seed_everything, split_stratified

CLASSES = ["left_hand", "right_hand", "feet", "tongue"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The demo's setting, smaller: fblightconvnet trained on simulated session T, saved."""
    sessions = simulated_motor_imagery(1, 24, seed=0)[1]
    seed_everything(0)
    model = eegzoo.create_model("fblightconvnet")
    train, valid = split_stratified(from_epochs(sessions["T"], model), 0.2, seed=0)
    fit(model, train, valid, epochs=20, lr=3e-3, batch_size=32, progress=False)
    folder = tmp_path_factory.mktemp("trained") / "model"
    model.save_pretrained(folder)
    return model, folder, sessions


def _truth(model, epochs):
    data = from_epochs(epochs, model)
    return np.asarray(model.eegzoo_classes)[data.y.numpy()]


def test_fit_records_classes_and_input_contract_and_returns_eval_mode(trained):
    model, folder, sessions = trained
    assert not model.training
    assert model.eegzoo_classes == CLASSES
    contract = model.eegzoo_input
    assert contract.ch_names == sessions["T"].ch_names and contract.n_chans == 22
    assert (contract.sfreq, contract.n_times, contract.tmin, contract.tmax) == (250.0, 1000, 0.0, 3.996)
    assert (contract.scale, contract.unit, contract.standardize) == (1e6, "uV", None)
    # the typical amplitude is the median per-trial, per-channel std of the microvolt data
    by_hand = np.median((sessions["T"].get_data() * 1e6).std(-1))
    assert contract.amplitude == pytest.approx(by_hand, rel=0.05)


def test_contract_and_classes_survive_save_pretrained_and_from_pretrained(trained):
    model, folder, _ = trained
    document = json.loads((folder / "config.json").read_text())
    record = document["eegzoo"]
    assert record["classes"] == CLASSES
    assert record["input"] == model.eegzoo_input.model_dump(mode="json")
    assert {"spec", "architecture"} <= set(record) and document["n_times"] == 1000  # the layout is kept
    reloaded = eegzoo.from_pretrained(folder)
    assert reloaded.eegzoo_classes == CLASSES and reloaded.eegzoo_input == model.eegzoo_input
    card = (folder / "README.md").read_text()
    assert "| window | 0 s to 3.996 s relative to the event (1000 samples) |" in card
    assert "| unit | µV, microvolts (mne's volts x 1e6) |" in card
    assert "| standardisation | none |" in card
    assert "Fz, FC3, FC1, FCz" in card
    assert f'eegzoo.from_pretrained("{folder}")' in card and "eegzoo.predict(model, epochs)" in card
    assert "create_model(" not in card


def test_a_hand_edited_contract_that_contradicts_the_model_is_refused(trained, tmp_path):
    model, folder, _ = trained
    model.save_pretrained(tmp_path / "m")
    document = json.loads((tmp_path / "m" / "config.json").read_text())
    document["eegzoo"]["input"]["n_times"] = 500
    (tmp_path / "m" / "config.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"config.json: 'eegzoo.input' contradicts the model \(n_times=500 \(model: 1000\)\)"):
        eegzoo.from_pretrained(tmp_path / "m")


def test_predict_from_epochs_raw_and_arrays_gives_the_same_labels(trained):
    model, folder, sessions = trained
    model = eegzoo.from_pretrained(folder)
    test = sessions["E"]
    truth = _truth(model, test)
    logits = predict_logits(model, from_epochs(test, model))
    expected = np.asarray(CLASSES)[logits.argmax(1).numpy()]
    labels = eegzoo.predict(model, test)
    np.testing.assert_array_equal(labels, expected)
    assert (labels == truth).mean() >= 0.6  # clearly above chance (0.25)
    proba = eegzoo.predict_proba(model, test)
    assert proba.shape == (len(test), 4)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(proba, torch.softmax(logits, 1).numpy(), rtol=1e-4, atol=1e-6)
    # arrays in volts (what get_data gives), channels in another order
    order = np.random.default_rng(0).permutation(22)
    shuffled = test.get_data()[:, order]
    names = [test.ch_names[i] for i in order]
    np.testing.assert_array_equal(eegzoo.predict(model, shuffled, sfreq=250, ch_names=names), expected)
    np.testing.assert_array_equal(eegzoo.predict(model, torch.from_numpy(test.get_data()[0]), sfreq=250,
                                                 ch_names=test.ch_names), expected[:1])
    # Raw + events: windows cut at the recorded tmin
    raw = simulate_session(1, "E", n_trials_per_class=24, seed=0)
    events, _ = mne.events_from_annotations(raw, event_id={c: i + 1 for i, c in enumerate(CLASSES)}, verbose=False)
    np.testing.assert_array_equal(eegzoo.predict(model, raw, events=events), expected)
    np.testing.assert_array_equal(eegzoo.predict(model, raw), expected)  # annotations named as the classes
    # a longer epoch window around the same events: the recorded window is cut from it
    longer = mne.Epochs(raw, events, tmin=-1.0, tmax=5.0, baseline=None, preload=True, verbose=False)
    np.testing.assert_array_equal(eegzoo.predict(model, longer), expected)


def test_volts_for_microvolts_is_converted_with_a_warning_not_a_chance_result(trained):
    model, folder, sessions = trained
    test = sessions["E"]
    expected = eegzoo.predict(model, test)
    microvolts = test.get_data() * 1e6
    with pytest.warns(InputContractWarning, match=r"look like microvolts where volts were expected .* divided by 1e6"):
        labels = eegzoo.predict(model, microvolts, sfreq=250, ch_names=test.ch_names)
    np.testing.assert_array_equal(labels, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(eegzoo.predict(model, microvolts, sfreq=250, ch_names=test.ch_names, units="uV"), expected)
    # an mne object built from microvolt values
    epochs_uv = mne.EpochsArray(microvolts, test.info, test.events, event_id=test.event_id, verbose=False)
    with pytest.warns(InputContractWarning, match="divided by 1e6"):
        np.testing.assert_array_equal(eegzoo.predict(model, epochs_uv), expected)
    # scale=1.0 (volts) for a model that learned from microvolts: multiplied back, with a warning
    with pytest.warns(InputContractWarning, match=r"look like volts where microvolts were expected, so they were multiplied by 1e6"):
        volts = from_epochs(test, model, scale=1.0)
    torch.testing.assert_close(volts.X, from_epochs(test, model).X)
    # trials prepared by hand in volts: refused instead of a chance-level evaluation
    by_hand = EEGDataset(torch.as_tensor(test.get_data(), dtype=torch.float32), volts.y, CLASSES, test.ch_names, 250.0)
    with pytest.raises(ValueError, match=r"typical amplitude 1\.\d+e-05 \(model: 1\d\.\d uV; volts for microvolts\?\)"):
        evaluate(model, by_hand)
    # an amplitude far from the training data's that is not a unit mix-up: refused
    with pytest.raises(ValueError, match=r"\(99\dx larger\), which is not a volts/microvolts mix-up"):
        eegzoo.predict(model, test.get_data() * 1e3, sfreq=250, ch_names=test.ch_names)
    with pytest.raises(ValueError, match=r"The data are flat"):
        eegzoo.predict(model, np.zeros((2, 22, 1000)), sfreq=250, ch_names=test.ch_names)


def test_data_prepared_differently_from_the_training_data_are_refused(trained):
    model, folder, sessions = trained
    test = sessions["E"]
    with pytest.raises(ValueError, match=r"prepared differently from the model's training data: standardize='trial' \(model: None\)"):
        evaluate(model, from_epochs(test, model, standardize="trial"))
    with pytest.raises(ValueError, match=r"classes \['feet', 'left_hand', 'right_hand', 'tongue'\] \(model, in output order"):
        evaluate(model, from_epochs(test, model, classes=sorted(CLASSES)))
    # the defaults follow the recording: the same data as for training
    assert evaluate(model, from_epochs(test, model))["accuracy"] >= 0.6


def test_no_contract_predict_warns_and_arrays_need_rate_and_names():
    model = eegzoo.create_model("lightconvnet-bciiv2b")
    x = np.random.default_rng(0).normal(0, 1e-5, (2, 3, 1000))
    with pytest.warns(InputContractWarning, match="records no input contract"):
        assert eegzoo.predict(model, x, sfreq=250, ch_names=["C3", "Cz", "C4"]).dtype.kind == "i"
    with pytest.raises(ValueError, match=r"An array has no sampling rate: pass sfreq= \(the model expects 250 Hz\)"):
        eegzoo.predict(model, x, ch_names=["C3", "Cz", "C4"])
    with pytest.raises(ValueError, match=r"pass ch_names= \(its channel order\); the model expects C3, Cz, C4"):
        eegzoo.predict(model, x, sfreq=250)
    with pytest.raises(ValueError, match=r"units='microvolt': use one of V, mV, uV"):
        eegzoo.predict(model, x, sfreq=250, ch_names=["C3", "Cz", "C4"], units="microvolt")


def test_a_model_trained_on_hand_prepared_tensors_warns_that_its_preparation_is_unknown():
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.normal(0, 10, (8, 3, 100)), dtype=torch.float32)  # microvolt-like values
    data = EEGDataset(X, torch.as_tensor([0, 1] * 4), ["a", "b"], ["C3", "Cz", "C4"], 100.0)
    torch.manual_seed(0)
    model = _Linear()
    fit(model, data, epochs=1, progress=False)
    contract = model.eegzoo_input
    assert (contract.scale, contract.standardize, contract.ch_names) == (None, None, ["C3", "Cz", "C4"])
    assert contract.amplitude == pytest.approx(typical_amplitude(X.numpy()))
    with pytest.warns(InputContractWarning, match="prepared outside eegzoo .* assumes microvolts without standardisation"):
        eegzoo.predict(model, X.numpy() * 1e-6, sfreq=100, ch_names=["C3", "Cz", "C4"])


def _epochs(ch_names, sfreq=250.0, tmin=0.0, n_times=1000, n=4, seed=0):
    rng = np.random.default_rng(seed)
    data = rng.normal(0, 1e-5, (n, len(ch_names), n_times))
    events = np.c_[np.arange(n) * 2 * n_times, np.zeros(n, int), np.tile([1, 2], n // 2)]
    info = mne.create_info(list(ch_names), sfreq, "eeg")
    return mne.EpochsArray(data, info, events, tmin=tmin, event_id={"a": 1, "b": 2}, verbose=False)


def _model_with_window(tmin, n_times=500, names=("C3", "Cz", "C4")):
    model = eegzoo.FBLightConvNet(chs_info=list(names), n_outputs=2, n_times=n_times, sfreq=250, win_len=125)
    model.eegzoo_input = InputContract(
        n_chans=len(names), ch_names=list(names), sfreq=250.0, n_times=n_times, tmin=tmin,
        tmax=tmin + (n_times - 1) / 250, scale=1e6, unit="uV", standardize=None, amplitude=10.0,
    )
    model.eegzoo_classes = ["a", "b"]
    return model


def test_the_recorded_window_is_cut_from_epochs_that_cover_it():
    model = _model_with_window(tmin=0.5)
    epochs = _epochs(["C4", "C3", "Cz"], tmin=-1.0, n_times=1500)  # -1 s .. 4.996 s
    data = from_epochs(epochs, model)
    offset = round((0.5 + 1.0) * 250)
    reference = epochs.get_data()[:, [1, 2, 0], offset: offset + 500] * 1e6
    np.testing.assert_allclose(data.X.numpy(), reference, rtol=1e-6)
    assert data.contract.tmin == 0.5 and data.contract.tmax == pytest.approx(2.496)
    short = _epochs(["C3", "Cz", "C4"], tmin=1.0, n_times=500)
    with pytest.raises(ValueError, match=r"trained on the window 0\.5 s to 2\.496 s around the event; these epochs span "
                                         r"1 s to 2\.996 s\. Cut epochs covering it \(mne\.Epochs\(\.\.\., tmin=0\.5, tmax=2\.496\)\)"):
        from_epochs(short, model)


def test_channel_names_match_ignoring_case_with_a_warning():
    model = _model_with_window(tmin=0.0)
    epochs = _epochs(["c3", "CZ", "C4"], n_times=500)
    with pytest.warns(InputContractWarning, match=r"matched ignoring case: c3->C3, CZ->Cz\. Rename them"):
        data = from_epochs(epochs, model)
    assert data.ch_names == ["C3", "Cz", "C4"]
    np.testing.assert_allclose(data.X.numpy(), epochs.get_data() * 1e6, rtol=1e-6)
    ambiguous = _epochs(["CZ", "Cz", "cz", "C3", "C4"][1:], n_times=500)  # Cz, cz, C3, C4: exact match wins
    assert from_epochs(ambiguous, model).ch_names == ["C3", "Cz", "C4"]
    with pytest.raises(ValueError, match=r"differing only in case are ambiguous: Cz \(CZ / cz\)"):
        from_epochs(_epochs(["CZ", "cz", "C3", "C4"], n_times=500), model)
    with pytest.raises(ValueError, match=r"lack 1 channel\(s\) the model expects: C4"):
        from_epochs(_epochs(["C3", "Cz", "Pz"], n_times=500), model)


def test_labels_must_fit_the_model():
    epochs = simulated_motor_imagery(1, 3, seed=0, sessions=("T",))[1]["T"]
    model = eegzoo.create_model("fblightconvnet")  # 4 outputs
    three = from_epochs(epochs, model, classes=["left_hand", "right_hand", "feet"])
    with pytest.raises(ValueError, match=re_escape(
        "The training data have 3 classes (left_hand, right_hand, feet) but the model has n_outputs=4. Create the "
        "model with n_outputs=3 (e.g. create_model(name, n_outputs=3)), give it a new head (model.reset_head(3)), "
        "or select 4 classes when preparing the data (from_epochs(..., classes=[...]))."
    )):
        fit(model, three, epochs=1, progress=False)
    two_outputs = eegzoo.create_model("fblightconvnet", n_outputs=2)
    with pytest.raises(ValueError, match=r"have 4 classes \(left_hand, right_hand, feet, tongue\) but the model has n_outputs=2"):
        fit(two_outputs, from_epochs(epochs, two_outputs), epochs=1, progress=False)
    four = from_epochs(epochs, model)
    bad = EEGDataset(four.X, four.y + 1, four.classes, four.ch_names, four.sfreq)
    with pytest.raises(ValueError, match=r"training labels range from 1 to 4 but there are 4 classes .* indices 0 \.\. 3"):
        fit(model, bad, epochs=1, progress=False)
    missing = EEGDataset(four.X, four.y.clamp(max=2), four.classes, four.ch_names, four.sfreq)
    with pytest.raises(ValueError, match=r"Class\(es\) tongue have no training trials"):
        fit(model, missing, epochs=1, progress=False)


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


class _Linear(nn.Module):
    """A convex model: gradient steps lower its training loss a little every epoch."""

    n_outputs = 2

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(3 * 100, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x.flatten(1))


def test_early_stopping_stops_when_the_validation_loss_only_creeps_down():
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.normal(0, 1, (40, 3, 100)), dtype=torch.float32)
    y = torch.as_tensor(rng.integers(0, 2, 40))
    data = EEGDataset(X, y, ["a", "b"], ["C3", "Cz", "C4"], 100.0)
    torch.manual_seed(0)
    model = _Linear()
    saved = {}
    history = fit(model, data, data, epochs=40, lr=1e-6, patience=5, progress=False,
                  on_improvement=lambda m, h: saved.update(epoch=h.best_epoch, state=copy_state(m)))
    losses = history.column("valid_loss")
    assert all(b < a for a, b in zip(losses, losses[1:]))  # it keeps improving, by tiny steps
    assert losses[0] - losses[-1] < 1e-3
    assert history.stopped_early and history.best_epoch == 1 and len(history.epochs) == 6
    assert saved["epoch"] == 1
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved["state"][key]), key
    # an improvement larger than min_delta resets the patience: a higher learning rate trains on
    torch.manual_seed(0)
    history = fit(_Linear(), data, data, epochs=15, lr=1e-2, patience=5, progress=False)
    assert not history.stopped_early and history.best_epoch > 6


def copy_state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_the_readme_training_snippet_runs_as_written(tmp_path):
    """Every name it uses is defined in it; only the sizes are made small here."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## Data and training"):]
    start = section.index("```python\n") + len("```python\n")
    code = section[start: section.index("\n```", start)]
    small = {
        "n_trials=36": "n_trials=3",
        "fit(model, train, valid, seed=0)": "fit(model, train, valid, seed=0, epochs=1, progress=False)",
        '"my-model"': repr(str(tmp_path / "my-model")),
    }
    for old, new in small.items():
        assert old in code, old
        code = code.replace(old, new)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    labels = namespace["eegzoo"].predict(namespace["model"], namespace["sessions"]["E"])
    assert labels.shape == (12,) and set(labels) <= set(CLASSES)
    assert namespace["model"].eegzoo_classes == CLASSES


def test_the_readme_measured_tables_are_the_measured_data(tmp_path):
    """README's speed and benchmark tables are generated from benchmarks/results/*.csv:
    they equal what the data gives, and a stale table is caught."""
    import importlib.util

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("readme_tables", root / "scripts" / "readme_tables.py")
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    assert tables.main(["--check"]) == 0, "README.md's tables differ from benchmarks/results: run python scripts/readme_tables.py"
    rendered = tables.render()
    assert rendered["speed"].count("\n| ") == len(eegzoo.benchmark.all_models())  # one row per architecture
    stale = tmp_path / "README.md"
    stale.write_text((root / "README.md").read_text().replace(rendered["speed"].splitlines()[2], "| eegnet | 9.9× | 9.9× | 9.9× |"))
    assert tables.main(["--check", "--readme", str(stale)]) == 1
    assert tables.main(["--readme", str(stale)]) == 0 and tables.main(["--check", "--readme", str(stale)]) == 0
