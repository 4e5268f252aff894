"""Small recordings written the way labs store them (BrainVision, EEGLAB, EDF, FIF, epochs,
BIDS), with a class-dependent signal so that a model can learn them: a 10 Hz burst on C3
after 'upright'/'inverted' (class face) and on C4 after 'house'."""

from __future__ import annotations

from pathlib import Path

import mne
import numpy as np

CHANNELS = ["C3", "Cz", "C4", "Pz"]
SFREQ = 100.0


def recording(n_trials: int = 30, seed: int = 0, bad: tuple[float, float] | None = None,
              stray: bool = False) -> mne.io.RawArray:
    """1 s apart: trials at 2, 3.5, 5, ... s; names cycle upright, house, inverted, house."""
    rng = np.random.default_rng(seed)
    onsets = 2.0 + 1.5 * np.arange(n_trials)
    n = int((onsets[-1] + 3) * SFREQ)
    x = rng.normal(0, 5e-6, (len(CHANNELS), n))
    names = [("upright", "house", "inverted", "house")[i % 4] for i in range(n_trials)]
    t = np.arange(int(0.5 * SFREQ)) / SFREQ
    for onset, name in zip(onsets, names):
        start = int(onset * SFREQ)
        ch = 0 if name != "house" else 2
        x[ch, start: start + len(t)] += 20e-6 * np.sin(2 * np.pi * 10 * t)
    raw = mne.io.RawArray(x, mne.create_info(CHANNELS, SFREQ, "eeg"), verbose=False)
    annotations = mne.Annotations(onsets, 0.0, names)
    if bad is not None:
        annotations.append(bad[0], bad[1] - bad[0], "BAD_movement")
    if stray:
        annotations.append(0.5, 0.0, "boundary")
    raw.set_annotations(annotations)
    return raw


def export(raw: mne.io.BaseRaw, path: Path) -> Path:
    import warnings

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if path.suffix == ".fif":
            raw.save(path, overwrite=True, verbose=False)
        else:
            mne.export.export_raw(path, raw, overwrite=True, verbose=False)
    return path


def lab_folder(root: Path) -> Path:
    """sub-01 in BrainVision, sub-02 in EEGLAB."""
    export(recording(seed=1), root / "sub-01_faces.vhdr")
    export(recording(seed=2), root / "sub-02_faces.set")
    return root


SPEC = """description = "test recordings"
paradigm = "visual ERP"
license = "CC-BY-4.0: test data"
citation = "none"

[source]
registry = "local"
root = "{root}"
include = ["*.vhdr", "*.set"]
pattern = "sub-(?P<subject>\\\\d+)"

[recording]
format = "auto"
sfreq = 100.0
units = "V"
ch_names = ["C3", "Cz", "C4", "Pz"]

[events]
upright = "face"
inverted = "face"
house = "house"

[epochs]
tmin = 0.0
tmax = 0.5
relative_to = "stimulus"

[protocol]
kind = "k-fold"
split = "all"
n_folds = 3
"""


def write_spec(folder: Path, name: str, root: str, **replace: str) -> Path:
    text = SPEC.format(root=root)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def bids_dataset(root: Path) -> Path:
    import mne_bids

    for subject, seed in (("01", 3), ("02", 4)):
        raw = recording(seed=seed)
        raw.info["line_freq"] = 50
        path = mne_bids.BIDSPath(subject=subject, task="faces", root=root, datatype="eeg")
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mne_bids.write_raw_bids(raw, path, format="BrainVision", allow_preload=True, overwrite=True, verbose=False)
    return root
