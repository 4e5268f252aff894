"""Your own recordings: local and BIDS dataset specs (roots, globs, patterns, sha256, formats,
stim channels, epoched files, class names across formats), `eegzoo datasets init/hash`, and
the "no silent wrong results" guards (issue 18, point 6)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings

import mne
import numpy as np
import pytest

from eegzoo.apps.cli import main as cli_main
from eegzoo.core.errors import DatasetError
from eegzoo.data.datasets import load_dataset
from eegzoo.data.events import TrialsDroppedWarning
from eegzoo.registry.datasets import dataset_spec, load_dataset_spec, reload_datasets

from own_recordings import CHANNELS, bids_dataset, export, lab_folder, recording, write_spec


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return lab_folder(tmp_path_factory.mktemp("lab") / "recordings")


def counts(epochs):
    names = {c: n for n, c in epochs.event_id.items()}
    out = {}
    for code in epochs.events[:, 2]:
        out[names[code]] = out.get(names[code], 0) + 1
    return out


def test_a_folder_of_brainvision_and_eeglab_files_loads_with_one_set_of_class_names(folder, tmp_path):
    spec = load_dataset_spec(write_spec(tmp_path, "faces", str(folder)))
    assert spec.subjects == [1, 2] and spec.splits == ["all"]
    assert mne.io.read_raw(folder / "sub-01_faces.vhdr", verbose=False).annotations.description[0] == "Comment/upright"
    data = load_dataset(spec)
    for subject in (1, 2):  # BrainVision's 'Comment/upright' and EEGLAB's 'upright' are the same event
        epochs = data[subject]["all"]
        assert counts(epochs) == {"face": 15, "house": 15}  # upright + inverted -> face
        assert epochs.ch_names == CHANNELS and epochs.get_data().shape == (30, 4, 50)
    # the same signal as written (volts, float32 in the files)
    raw = recording(seed=1)
    np.testing.assert_allclose(data[1]["all"].get_data()[0], raw.get_data(start=200, stop=250), atol=1e-9)


def test_roots_are_absolute_home_variables_or_relative_to_the_spec_file(folder, tmp_path, monkeypatch):
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copytree(folder, tmp_path / "data")
    rel = write_spec(specs, "rel", "../data")
    monkeypatch.chdir(folder)  # the working directory does not matter
    assert load_dataset_spec(rel).root.resolve() == (tmp_path / "data").resolve()
    assert load_dataset_spec(rel).subjects == [1, 2]
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_dataset_spec(write_spec(specs, "home", "~/data")).subjects == [1, 2]
    monkeypatch.setenv("MYDATA", str(tmp_path))
    assert load_dataset_spec(write_spec(specs, "var", "$MYDATA/data")).subjects == [1, 2]
    monkeypatch.delenv("MYDATA")
    with pytest.raises(DatasetError, match=r"source.root '\$MYDATA/data' uses the environment variable\(s\) \$MYDATA, "
                                           r"which are not set: set them, or write the folder's path\."):
        load_dataset(load_dataset_spec(write_spec(specs, "var", "$MYDATA/data")))
    with pytest.raises(DatasetError, match=r"the root folder .*nowhere does not exist \(relative to the spec file's folder"):
        load_dataset(load_dataset_spec(write_spec(specs, "gone", "nowhere")))
    with pytest.raises(DatasetError, match=r"include pattern '\*\.bdf' matches no file under"):
        load_dataset(load_dataset_spec(write_spec(specs, "nobdf", "../data", **{'"*.vhdr", "*.set"': '"*.bdf"'})))


def test_explicit_files_with_sha256_are_checked(folder, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(folder, data)
    sha = hashlib.sha256((data / "sub-02_faces.set").read_bytes()).hexdigest()
    files = f'[[files]]\npath = "sub-02_faces.set"\nsha256 = "{sha}"\nsubject = 7\nsplit = "run1"\n\n[recording]'
    path = write_spec(tmp_path, "pinned", "data", **{'include = ["*.vhdr", "*.set"]\n': "", "[recording]": files,
                                                      'split = "all"': 'split = "run1"'})
    spec = load_dataset_spec(path)
    assert spec.subjects == [7] and counts(load_dataset(spec)[7]["run1"]) == {"face": 15, "house": 15}
    with open(data / "sub-02_faces.set", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(DatasetError, match=r"sha256 mismatch for .*sub-02_faces.set: the spec pins " + sha
                       + r", the file has [0-9a-f]{64}\. The file changed since the spec was written"):
        load_dataset(load_dataset_spec(path))
    (data / "sub-02_faces.set").unlink()
    with pytest.raises(DatasetError, match=r"file .*sub-02_faces.set does not exist: restore it, or fix its \[\[files\]\] path"):
        load_dataset(load_dataset_spec(path))


def test_an_event_the_recording_lacks_is_an_error_naming_what_it_has(folder, tmp_path):
    spec = load_dataset_spec(write_spec(tmp_path, "typo", str(folder), **{"inverted = ": "invertd = "}))
    with pytest.raises(DatasetError, match=r"sub-01_faces.vhdr: event\(s\) 'invertd' \(did you mean 'inverted'\?\) named in "
                       r"the 'events' of the spec of 'typo' are not in the recording, which has 'house' \(15\), 'upright' "
                       r"\(8\), 'inverted' \(7\)\. Fix the names"):
        load_dataset(spec)


def test_stim_channel_events_and_epoched_files(tmp_path):
    raw = recording(seed=5)
    events, event_id = mne.events_from_annotations(raw, event_id={"upright": 1, "house": 2, "inverted": 3}, verbose=False)
    stim = mne.io.RawArray(np.zeros((1, raw.n_times)), mne.create_info(["STI 014"], raw.info["sfreq"], "stim"), verbose=False)
    raw.add_channels([stim], force_update_info=True)
    raw.set_annotations(None)
    raw.add_events(events, stim_channel="STI 014")
    export(raw, tmp_path / "stim" / "sub-01_raw.fif")
    spec = load_dataset_spec(write_spec(tmp_path, "stim", "stim", **{
        '"*.vhdr", "*.set"': '"*_raw.fif"', 'units = "V"': 'units = "V"\nstim_channel = "STI 014"',
        "upright = ": '"1" = ', "inverted = ": '"3" = ', "house = ": '"2" = '}))
    assert counts(load_dataset(spec)[1]["all"]) == {"face": 15, "house": 15}
    # epochs files: -epo.fif and an epoched EEGLAB file, cut wider than the spec's window
    plain = recording(seed=6)
    ev, ids = mne.events_from_annotations(plain, verbose=False)
    epochs = mne.Epochs(plain, ev, ids, -0.2, 0.8, baseline=None, preload=True, verbose=False)
    (tmp_path / "epo").mkdir()
    epochs.save(tmp_path / "epo" / "sub-01-epo.fif", verbose=False)
    epochs.set_annotations(None)  # else eeglabio writes the neighbours' annotations as events of each epoch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mne.export.export_epochs(tmp_path / "epo" / "sub-02.set", epochs, verbose=False)
    data = load_dataset(load_dataset_spec(write_spec(tmp_path, "epo", "epo", **{'"*.vhdr", "*.set"': '"*-epo.fif", "*.set"'})))
    for subject in (1, 2):
        assert counts(data[subject]["all"]) == {"face": 15, "house": 15}
        np.testing.assert_allclose(data[subject]["all"].get_data()[0], plain.get_data(start=200, stop=250), atol=1e-9)


def test_a_bids_dataset_reads_with_mne_bids(tmp_path):
    root = bids_dataset(tmp_path / "bids")
    path = write_spec(tmp_path, "bidsfaces", "bids", **{'registry = "local"': 'registry = "bids"',
                                                         'include = ["*.vhdr", "*.set"]\n': "", 'pattern = "sub-(?P<subject>\\\\d+)"\n': ""})
    spec = load_dataset_spec(path)
    assert spec.subjects == [1, 2] and [r.relative for r in spec.recordings()] == [
        "sub-01/eeg/sub-01_task-faces_eeg.vhdr", "sub-02/eeg/sub-02_task-faces_eeg.vhdr"]
    data = load_dataset(spec)
    assert counts(data[2]["all"]) == {"face": 15, "house": 15}
    assert root.is_dir()


def test_datasets_init_writes_a_spec_that_loads_by_path_and_by_name(folder, tmp_path, capsys, monkeypatch):
    out = tmp_path / "specs" / "mylab.toml"
    out.parent.mkdir()
    assert cli_main(["datasets", "init", str(folder), "--name", "mylab", "--tmin", "0", "--tmax", "0.5", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "2 recording(s) (continuous), subjects [1, 2], splits ['all'], 4 channels at 100 Hz, units 'V'" in said
    text = out.read_text()
    assert f'root = "{os.path.relpath(folder, out.parent)}"' in text and '"house" = "house"  # 30 trials' in text
    assert '"inverted" = "inverted"  # 14 trials' in text and "parts = {" in text  # BrainVision's .eeg/.vmrk hashed
    spec = load_dataset_spec(out)
    assert spec.classes == ["house", "upright", "inverted"] and spec.protocol.kind == "k-fold"
    assert all(r.sha256 for r in spec.recordings())
    monkeypatch.setenv("EEGZOO_DATASET_PATH", str(out.parent))
    reload_datasets()
    try:
        assert dataset_spec("mylab").subjects == [1, 2]
        assert cli_main(["datasets", "info", "mylab", "--trials"]) == 0
        info = json.loads(capsys.readouterr().out)
        assert info["trials"]["subject 1, split all"] == {"upright": 8, "house": 15, "inverted": 7}
        assert set(info["files"].values()) == {"ok"}
    finally:
        monkeypatch.delenv("EEGZOO_DATASET_PATH")
        reload_datasets()
    assert cli_main(["datasets", "init", str(folder), "--name", "mylab", "--tmin", "0", "--tmax", "0.5", "--out", str(out)]) == 2
    assert "mylab.toml exists; pass --force to replace it." in capsys.readouterr().err
    assert cli_main(["datasets", "hash", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["sub-01_faces.eeg", "sub-01_faces.vhdr", "sub-01_faces.vmrk", "sub-02_faces.set"]
    assert lines[3].split("  ")[0] == hashlib.sha256((folder / "sub-02_faces.set").read_bytes()).hexdigest()


def test_datasets_init_on_a_bids_root(tmp_path, capsys):
    root = bids_dataset(tmp_path / "bids")
    assert cli_main(["datasets", "init", str(root), "--name", "bidsinit", "--tmin", "0", "--tmax", "0.5",
                     "--out", str(tmp_path / "bidsinit.toml")]) == 0
    spec = load_dataset_spec(tmp_path / "bidsinit.toml")
    assert spec.source.registry == "bids" and spec.subjects == [1, 2]
    assert any(k.endswith("_events.tsv") for f in spec.files for k in f.parts)


def test_bad_annotations_are_counted_with_one_switch(tmp_path):
    export(recording(seed=1, bad=(2.2, 5.2)), tmp_path / "bad" / "sub-01_raw.fif")
    path = write_spec(tmp_path, "bad", "bad", **{'"*.vhdr", "*.set"': '"*_raw.fif"'})
    with pytest.warns(TrialsDroppedWarning, match=r"sub-01_raw.fif: 3 of 30 trials overlap BAD_\* annotations and are kept"):
        assert len(load_dataset(load_dataset_spec(path))[1]["all"]) == 30
    path = write_spec(tmp_path, "bad", "bad", **{'"*.vhdr", "*.set"': '"*_raw.fif"', 'units = "V"': 'units = "V"\nreject_by_annotation = true'})
    with pytest.warns(TrialsDroppedWarning, match=r"3 of 30 trials dropped \(BAD_movement: 3\)"):
        assert len(load_dataset(load_dataset_spec(path))[1]["all"]) == 27


def test_cli_names_stray_events_refuses_one_class_and_a_borrowed_window(tmp_path, capsys):
    raw = recording(seed=1)
    raw.annotations.append(1.0, 0.0, "99")
    raw.annotations.append(0.5, 0.0, "boundary")
    export(raw, tmp_path / "stray.set")
    assert cli_main(["train", "eegnet", "--data", str(tmp_path / "stray.set"), "--out", str(tmp_path / "o"), "--tmax", "0.49"]) == 2
    assert ("without --classes every event name is a class, but event(s) '99' have fewer than 2 trials. The data have "
            "'house' (15), 'upright' (8), 'inverted' (7), '99' (1), 'boundary' (1). Pass --classes") in capsys.readouterr().err
    assert cli_main(["train", "eegnet", "--data", str(tmp_path / "stray.set"), "--out", str(tmp_path / "o"), "--classes", "house",
                     "--tmax", "0.49"]) == 2
    assert "The data have 1 class(es) (house); training a classifier needs at least two" in capsys.readouterr().err
    assert cli_main(["train", "eegnet", "--data", str(tmp_path / "stray.set"), "--out", str(tmp_path / "o"),
                     "--classes", "house,upright"]) == 2
    assert "the trials' annotations have no common duration ([0.0] s), so the window is not known: pass --tmax" in capsys.readouterr().err
    assert cli_main(["train", "eegnet", "--data", str(tmp_path / "stray.set"), "--out", str(tmp_path / "o"),
                     "--classes", "house,upright", "--tmax", "0.49", "--sfreq", "200"]) == 2
    assert "--sfreq 200 Hz is above the data's 100 Hz: upsampling adds no information" in capsys.readouterr().err


def test_fit_refuses_a_single_class():
    import torch

    from eegzoo.api import create_model
    from eegzoo.data.epochs import EEGDataset
    from eegzoo.training import fit

    data = EEGDataset(torch.zeros(4, 4, 50), torch.zeros(4, dtype=torch.long), ["face"], CHANNELS, 100.0)
    model = create_model("eegnet", n_chans=4, n_times=50, sfreq=100.0, n_outputs=1, chs_info=None)
    with pytest.raises(ValueError, match=r"The training data have 1 class \(face\): a classifier needs at least two, and one "
                                         r"trained on a single class scores 1.000 on anything"):
        fit(model, data, epochs=1, progress=False)


def test_cross_val_score_splits_epochs():
    from sklearn.model_selection import cross_val_score

    from eegzoo.sklearn import EEGZooClassifier

    raw = recording()
    events, ids = mne.events_from_annotations(raw, verbose=False)
    epochs = mne.Epochs(raw, events, ids, 0, 0.49, baseline=None, preload=True, verbose=False)
    y = np.where(epochs.events[:, 2] == ids["house"], "house", "face")
    scores = cross_val_score(EEGZooClassifier("eegnet", epochs=1, batch_size=8), epochs, y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    clf = EEGZooClassifier("eegnet", epochs=1).fit(epochs, y)
    with pytest.raises(ValueError, match=r"X lacks channel\(s\) \['C4'\] that the model was fitted on; it has \['C6'\] instead"):
        clf.predict(epochs.copy().rename_channels({"C4": "C6"}))


def test_train_on_brainvision_predict_on_eeglab_with_a_card_that_states_the_data_license(folder, tmp_path, capsys):
    out = tmp_path / "model"
    assert cli_main(["train", "eegnet", "--data", str(folder / "sub-01_faces.vhdr"), "--out", str(out), "--epochs", "2",
                     "--tmax", "0.49"]) == 0
    said = capsys.readouterr().out
    assert "data: 30 trials (house 15, inverted 7, upright 8); 4 channels (C3, Cz, C4, Pz)" in said
    assert "validation accuracy (the early-stopping split: optimistic; pass --test-data for a test accuracy)" in said
    card = (out / "README.md").read_text()
    assert "license: other" in card and "Weights: unknown (the training data’s license was not recorded)" in card
    assert "motor-imagery" not in card.split("---")[1]  # the architecture's tags do not describe these data
    assert cli_main(["predict", str(out), "--data", str(folder / "sub-02_faces.set"), "--out", str(tmp_path / "p.csv")]) == 0
    said = capsys.readouterr().out
    assert "30 trials of sub-02_faces.set: predicted" in said and "agreement with the event names" in said
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert rows[0] == "trial,onset_s,event,predicted,p_house,p_inverted,p_upright" and len(rows) == 31
    assert rows[1].startswith("0,2.0000,upright,")
    probs = np.array([[float(v) for v in r.split(",")[4:]] for r in rows[1:]])
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)


def test_a_card_trained_on_a_dataset_carries_its_license_and_paradigm(folder, tmp_path, capsys):
    spec = write_spec(tmp_path, "cardset", str(folder))
    out = tmp_path / "m"
    assert cli_main(["train", "eegnet", "--data", str(spec), "--out", str(out), "--epochs", "1"]) == 0
    card = (out / "README.md").read_text()
    meta = card.split("---")[1]
    assert "license: cc-by-4.0" in meta and "- visual-erp" in meta and "motor-imagery" not in meta
    assert "Weights: CC-BY-4.0: test data (the license of the data they were trained on)." in card
    assert "test accuracy" in capsys.readouterr().out


def test_upsampling_in_preparation_is_warned():
    from eegzoo.core.errors import InputContractWarning
    from eegzoo.data.preparation import prepare_epochs
    from eegzoo.specs.input import InputContract

    raw = recording()
    events, ids = mne.events_from_annotations(raw, verbose=False)
    epochs = mne.Epochs(raw, events, ids, 0, 0.49, baseline=None, preload=True, verbose=False)
    with pytest.warns(InputContractWarning, match=r"sampled at 100 Hz, below the model's 200 Hz: they are upsampled"):
        prepare_epochs(epochs, InputContract(n_chans=4, ch_names=CHANNELS, sfreq=200.0, n_times=100))


def test_a_channel_mismatch_names_the_channels(folder, tmp_path):
    spec = load_dataset_spec(write_spec(tmp_path, "chans", str(folder), **{'"Pz"]': '"Oz"]'}))
    with pytest.raises(DatasetError, match=r"sub-01_faces.vhdr has 4 channels, the spec of 'chans' expects 4: missing \['Oz'\] "
                                           r"\(1\); not in the spec \['Pz'\] \(1\)"):
        load_dataset(spec)


def test_spec_files_work_by_path_in_python_too(folder, tmp_path, monkeypatch):
    """run_benchmark, load_dataset and pretrain take a spec file's path (str or Path) as the CLI
    does, and name results by the spec's name; datasets init writes into a folder it creates."""
    from eegzoo.apps.dataset_init import init_spec
    from eegzoo.benchmark import run_benchmark
    from eegzoo.data.datasets import load_dataset

    out, spec, _ = init_spec(folder, "pathlab", 0.0, 0.5, out=tmp_path / "new" / "specs" / "pathlab.toml")
    assert out.is_file() and spec.subjects == [1, 2]
    assert list(load_dataset(out, progress=False)) == [1, 2]
    try:
        result = run_benchmark([], [out], seeds=1, out=tmp_path / "bench", baselines=["csp-lda"], n_jobs=1)
        assert {row["dataset"] for row in result.rows} == {"pathlab"}
        assert (tmp_path / "bench" / "cells" / "pathlab").is_dir()
    finally:
        reload_datasets()

    def unreadable(*args, **kwargs):
        raise DatasetError("a recording cannot be read")

    monkeypatch.setattr("eegzoo.apps.dataset_init.load_dataset", unreadable)
    with pytest.raises(DatasetError, match="a recording cannot be read"):
        init_spec(folder, "nolab", 0.0, 0.5, out=tmp_path / "made" / "deeper" / "nolab.toml")
    assert not (tmp_path / "made").exists()  # nothing left behind by a failed check
