"""
The demo on a real recording
============================

``eegzoo demo`` in Python: FBLightConvNet next to the CSP + LDA baseline on the TU Graz
left/right hand motor-imagery recording (``graz-sample``: 4 channels, 256 Hz, 40 trials,
GPL example data from Debian's octave-biosig, fetched once and checked by sha256), then a
model trained on folds 2-5, tested on fold 1, saved with its card and reloaded.

40 trials are a smoke test, not evidence: see the benchmark for the real comparison.
"""

# %%
# The recording
# -------------
# ``load_dataset`` returns ``{subject: {split: mne.Epochs}}``; the dataset's spec says where
# the file comes from, its license and its protocol (5-fold cross-validation).
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import eegzoo

warnings.simplefilter("ignore", RuntimeWarning)  # mne's notes on the GDF file's header
spec = eegzoo.dataset_spec("graz-sample")
print(spec.license)
print(spec.protocol.description)
epochs = eegzoo.load_dataset("graz-sample", progress=False)[1]["all"]
print(epochs)

# %%
# Motor imagery lowers the power of the mu rhythm (8-13 Hz) over the hand area opposite the
# imagined hand. The mean power spectrum of each channel, per class, shows what the model
# has to find:
spectrum = epochs.compute_psd(fmin=4, fmax=40, verbose=False)
freqs = spectrum.freqs
fig, axes = plt.subplots(1, len(epochs.ch_names), figsize=(12, 3), sharey=True)
for ax, ch in zip(axes, epochs.ch_names):
    for cls in ("left_hand", "right_hand"):
        power = spectrum[cls].get_data(picks=[ch]).mean(axis=0)[0]
        ax.semilogy(freqs, power, label=cls)
    ax.set(title=ch, xlabel="Hz")
axes[0].set_ylabel("power (V²/Hz)")
axes[-1].legend()
fig.tight_layout()

# %%
# The demo
# --------
# Cross-validation of both methods on the same folds, then training, saving and reloading
# (``quick=True``: 15 training epochs, so that the example runs in seconds).
from eegzoo.apps.demo import run_demo

out = Path(tempfile.mkdtemp()) / "demo"
assert run_demo(out, quick=True) == 0

# %%
# The cross-validation table it wrote (``results.csv``, one row per method):
import csv

with open(out / "cross-validation" / "results.csv", newline="") as handle:
    rows = list(csv.DictReader(handle))
for row in rows:
    print(f"{row['method']:20s} accuracy {float(row['accuracy_mean']):.3f}  kappa {float(row['kappa_mean']):.3f}  "
          f"p = {float(row['p_value']):.1e}")

# %%
# The trained model's folder holds its weights, config, card and figures:
print(sorted(p.name for p in (out / "model").iterdir()))
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, name in zip(axes, ("learning_curves.png", "confusion_matrix.png")):
    ax.imshow(plt.imread(out / "model" / name))
    ax.set_axis_off()
fig.tight_layout()

# %%
# It loads back with its class names and the input contract it was trained with, so
# ``eegzoo.predict`` prepares new data the same way (channels by name, rate, window, unit):
model = eegzoo.from_pretrained(out / "model")
print(model.eegzoo_classes)
predicted = eegzoo.predict(model, epochs)
names = {code: name for name, code in epochs.event_id.items()}
labels = np.array([names[code] for code in epochs.events[:, 2]])
print(f"agreement with the labels on all 40 trials (its 32 training trials included): {np.mean(predicted == labels):.3f}")
