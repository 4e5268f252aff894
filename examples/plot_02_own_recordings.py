"""
Your own recordings: folder → spec → benchmark
==============================================

Recordings on your disk become a dataset spec (what ``eegzoo datasets init`` writes), load
as ``{subject: {split: mne.Epochs}}`` and run in the benchmark next to a classic baseline,
under the spec's protocol. Here two small recordings are written first (FIF files, one per
subject), with a class-dependent signal a model can learn: a 10 Hz burst over C3 after the
face pictures (``upright``, ``inverted``) and over C4 after ``house``.
"""

# %%
# A folder of recordings
# ----------------------
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import numpy as np

import eegzoo

CHANNELS, SFREQ = ["C3", "Cz", "C4", "Pz"], 100.0


def recording(seed, n_trials=40):
    """Trials 1.5 s apart; the event names cycle upright, house, inverted, house."""
    rng = np.random.default_rng(seed)
    onsets = 2.0 + 1.5 * np.arange(n_trials)
    x = rng.normal(0, 5e-6, (len(CHANNELS), int((onsets[-1] + 3) * SFREQ)))  # volts
    names = [("upright", "house", "inverted", "house")[i % 4] for i in range(n_trials)]
    burst = 20e-6 * np.sin(2 * np.pi * 10 * np.arange(int(0.5 * SFREQ)) / SFREQ)
    for onset, name in zip(onsets, names):
        start = int(onset * SFREQ)
        x[0 if name != "house" else 2, start:start + burst.size] += burst
    raw = mne.io.RawArray(x, mne.create_info(CHANNELS, SFREQ, "eeg"), verbose=False)
    raw.set_annotations(mne.Annotations(onsets, 0.0, names))
    return raw


work = Path(tempfile.mkdtemp())
lab = work / "lab"
lab.mkdir()
for subject in (1, 2):
    recording(seed=subject).save(lab / f"sub-0{subject}_faces_raw.fif", verbose=False)
print(sorted(p.name for p in lab.iterdir()))

# %%
# The spec
# --------
# ``init_spec`` is ``eegzoo datasets init lab --name faces --tmin 0 --tmax 0.5``: it reads
# every recording, checks that they share channels and rate, counts the events, pins each
# file's sha256, takes subject numbers from ``sub-NN`` and writes a spec that loads as
# written. Lines a person must decide are marked ``# DECIDE``.
from eegzoo.apps.dataset_init import init_spec

(work / "specs").mkdir()
path, spec, summary = init_spec(lab, "faces", tmin=0.0, tmax=0.5, out=work / "specs" / "faces.toml")
print(summary)
print(path.read_text())

# %%
# The person's decisions: what the data are, their license, and which events are classes
# (both face pictures are one class).
text = path.read_text()
for old, new in {'"upright" = "upright"': '"upright" = "face"', '"inverted" = "inverted"': '"inverted" = "face"'}.items():
    assert old in text
    text = text.replace(old, new)
path.write_text(text)

eegzoo.register_dataset(path)  # or list its folder in EEGZOO_DATASET_PATH, or pass the path itself
data = eegzoo.load_dataset("faces")
epochs = data[1]["all"]
print(epochs)
fig, axes = plt.subplots(1, 2, figsize=(10, 3), sharey=True)
for ax, cls in zip(axes, ("face", "house")):
    evoked = epochs[cls].average()
    for ch in ("C3", "C4"):
        ax.plot(evoked.times, 1e6 * evoked.get_data(picks=[ch])[0], label=ch)
    ax.set(title=f"subject 1, mean of the '{cls}' trials", xlabel="s")
axes[0].set_ylabel("µV")
axes[1].legend()
fig.tight_layout()

# %%
# The benchmark
# -------------
# A zoo model and a baseline on the same folds of each subject (the spec's protocol:
# stratified k-fold). ``epochs=20`` keeps the example short; ``eegzoo benchmark --datasets
# specs/faces.toml`` runs the same from the command line.
from eegzoo.benchmark import run_benchmark

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    result = run_benchmark(["eegnet"], ["faces"], seeds=1, baselines=["csp-lda"], epochs=20, n_jobs=1,
                           out=work / "benchmark")
print(result.markdown)

# %%
# Per subject and fold (``cells.csv`` has one row per cell):
import csv

with open(result.files["cells"], newline="") as handle:
    cells = list(csv.DictReader(handle))
fig, ax = plt.subplots(figsize=(6, 3))
methods = sorted({c["method"] for c in cells})
for i, method in enumerate(methods):
    acc = [float(c["accuracy"]) for c in cells if c["method"] == method]
    ax.bar(i, np.mean(acc), color=f"C{i}", alpha=0.6)
    ax.plot([i] * len(acc), acc, "ko")
ax.set_xticks(range(len(methods)), methods)
ax.axhline(0.5, ls="--", c="gray", label="chance")
ax.set(ylabel="accuracy", ylim=(0, 1.05), title="faces: accuracy per subject")
ax.legend()
fig.tight_layout()
