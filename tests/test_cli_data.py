"""`eegzoo train --data FILE` sizes a fresh model from the recording (channels, rate, window,
classes) with --channels/--classes/--tmin/--tmax/--sfreq overrides, picks the class events
of recordings whose annotations share onsets, and writes a card that loads and predicts."""

from __future__ import annotations

import json

import mne
import numpy as np
import pytest

import eegzoo
from eegzoo.apps.cli import main as cli_main
from eegzoo.data import from_raw

CUES = ["769", "770", "771"]


def recording(n_trials: int = 18, eeg=("C3", "Cz", "C4", "Pz"), seed: int = 0) -> mne.io.RawArray:
    """A GDF-like recording: every trial has a trial-start code (768) and a cue code at the
    same onset, an EOG channel beside the EEG ones; cues last 4 s."""
    rng = np.random.default_rng(seed)
    sfreq = 250.0
    onsets = 2.0 + 7.0 * np.arange(n_trials)
    n = int((onsets[-1] + 8) * sfreq)
    info = mne.create_info([*eeg, "EOG1"], sfreq, ["eeg"] * len(eeg) + ["eog"])
    raw = mne.io.RawArray(rng.normal(0, 10e-6, (len(eeg) + 1, n)), info, verbose=False)
    cues = np.tile(CUES, n_trials // 3)
    raw.set_annotations(mne.Annotations(
        [*onsets, *onsets], [4.0] * n_trials + [0.0] * n_trials, [*cues, *["768"] * n_trials]))
    return raw


@pytest.fixture(scope="module")
def recording_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("rec") / "rec_raw.fif"
    recording().save(path, verbose=False)
    return path


def test_from_raw_picks_the_class_events_when_annotations_share_onsets():
    raw = recording()
    model = eegzoo.create_model("fblightconvnet", chs_info=[{"ch_name": n} for n in ("C3", "Cz", "C4", "Pz")], n_outputs=3)
    with pytest.raises(ValueError, match=r"Events share onsets \(768 & 769 at 6 onset\(s\); 768 & 770 at 6 onset\(s\); 768 & 771 at 6 onset\(s\)\), so each onset would be cut twice\. Pass classes=\[\.\.\.\] "
                                         r"\(CLI: --classes a,b,\.\.\.\) naming the descriptions that mark trials; "
                                         r"the recording has: 768, 769, 770, 771\."):
        from_raw(raw, model)
    data = from_raw(raw, model, classes=CUES)
    assert len(data) == 18 and data.classes == CUES and data.y.tolist() == [0, 1, 2] * 6
    assert data.info["events"]["used"] == {"769": 6, "770": 6, "771": 6}
    assert data.info["events"]["ignored"] == {"768": 18}
    np.testing.assert_allclose(data.X[0].numpy(), raw.get_data(picks=["C3", "Cz", "C4", "Pz"], start=500, stop=1500) * 1e6,
                               rtol=1e-5)


def test_cli_trains_a_fresh_model_sized_from_a_4_channel_recording(recording_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli_main(["train", "fblightconvnet", "--data", str(recording_file), "--out", str(out), "--epochs", "2"]) == 2
    assert "Events share onsets" in capsys.readouterr().err
    assert cli_main(["train", "fblightconvnet", "--data", str(recording_file), "--out", str(out), "--epochs", "2",
                     "--classes", "769,770,771"]) == 0
    printed = capsys.readouterr().out
    assert ("data: 18 trials (769 6, 770 6, 771 6); 4 channels (C3, Cz, C4, Pz); 250 Hz; window 0 s to 3.996 s "
            "around the event (1000 samples); events ignored (not classes): 768 18") in printed
    config = json.loads((out / "config.json").read_text())
    assert (config["n_chans"], config["n_outputs"], config["n_times"], config["sfreq"]) == (4, 3, 1000, 250.0)
    assert [c["ch_name"] for c in config["chs_info"]] == ["C3", "Cz", "C4", "Pz"]
    assert config["eegzoo"]["classes"] == CUES
    contract = config["eegzoo"]["input"]
    assert (contract["tmin"], contract["tmax"], contract["unit"], contract["ch_names"]) == (0.0, 3.996, "uV", ["C3", "Cz", "C4", "Pz"])
    card = (out / "README.md").read_text()
    assert f'model = eegzoo.from_pretrained("{out}")' in card and "labels = eegzoo.predict(model, epochs)" in card
    assert "create_model(" not in card
    # the trained folder predicts from the raw recording: the class annotations mark the trials
    model = eegzoo.from_pretrained(out)
    assert set(eegzoo.predict(model, mne.io.read_raw_fif(recording_file, preload=True, verbose=False))) <= set(CUES)


def test_cli_overrides_channels_window_rate_and_classes(recording_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli_main(["train", "fblightconvnet", "--data", str(recording_file), "--out", str(out), "--epochs", "1",
                     "--classes", "771,769", "--channels", "cz,C3", "--tmin", "0.5", "--tmax", "2.496", "--sfreq", "125"]) == 0
    assert "data: 12 trials (771 6, 769 6); 2 channels (Cz, C3); 125 Hz; window 0.5 s to 2.492 s" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert (config["n_chans"], config["n_outputs"], config["n_times"], config["sfreq"]) == (2, 2, 250, 125.0)
    assert config["eegzoo"]["classes"] == ["771", "769"] and config["eegzoo"]["input"]["tmin"] == 0.5
    # evaluate applies the recorded contract to the same kind of file: window, channels, rate, classes
    assert cli_main(["evaluate", str(out), "--data", str(recording_file)]) == 0
    assert json.loads(capsys.readouterr().out)["classes"] == ["771", "769"]
    assert cli_main(["train", "fblightconvnet", "--data", str(recording_file), "--out", str(tmp_path / "x"),
                     "--classes", "769,999"]) == 2
    assert "--classes ['999'] are not event names of the data, which has '768' (18), '769' (6), '770' (6), '771' (6)." in capsys.readouterr().err
    assert cli_main(["train", "fblightconvnet", "--data", str(recording_file), "--out", str(tmp_path / "x"),
                     "--classes", "769,770", "--channels", "C3,T7"]) == 2
    assert "lack 1 channel(s) the model expects: T7" in capsys.readouterr().err


def test_cli_sizes_the_model_from_a_6_channel_epochs_file_with_3_classes(tmp_path, capsys):
    """The spec's defaults (22 channels, 4 classes) do not refuse other data: a fresh model
    takes the data's shape, and 3 classes give a 3-output model."""
    raw = recording(eeg=("F3", "F4", "C3", "C4", "P3", "P4"))
    events, event_id = mne.events_from_annotations(raw, event_id={c: int(c) for c in CUES}, verbose=False)
    epochs = mne.Epochs(raw, events, event_id, tmin=0.0, tmax=1.996, baseline=None, preload=True, verbose=False)
    path = tmp_path / "six-epo.fif"
    epochs.save(path, verbose=False)
    out = tmp_path / "run"
    assert cli_main(["train", "lightconvnet-bciiv2a", "--data", str(path), "--out", str(out), "--epochs", "1"]) == 0
    assert "6 channels (F3, F4, C3, C4, P3, P4); 250 Hz; window 0 s to 1.996 s around the event (500 samples)" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert (config["n_chans"], config["n_outputs"], config["n_times"]) == (6, 3, 500)
    assert config["n_filters_spat"] == 64  # the variant's own hyperparameters are kept
