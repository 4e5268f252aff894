"""
From braindecode: same checkpoint, same logits
==============================================

A braindecode user's checkpoint loads in eegzoo as it is, with the same class names and
arguments, and gives the same logits. braindecode is not needed (nor installed here): the
folders below were saved by braindecode 1.8.1's ``save_pretrained`` (``config.json`` +
``model.safetensors``), one per architecture, each with an input and the logits braindecode
computed for it (``io.safetensors``); they are the fixtures of eegzoo's test suite.

The change to a braindecode script is the import::

    from braindecode.models import EEGNet      # before
    from eegzoo.models import EEGNet           # after
    model = EEGNet.from_pretrained("my-braindecode-folder")
"""

# %%
import json
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from safetensors.torch import load_file

import eegzoo
from eegzoo.models import EEGNet

ROOT = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd().parent
FIXTURES = ROOT / "tests" / "fixtures"

folder = FIXTURES / "braindecode_hub_eegnet"
print(json.loads((folder / "config.json").read_text()))  # braindecode's arguments, nothing else
model = EEGNet.from_pretrained(folder).eval()
io = load_file(str(folder / "io.safetensors"))  # braindecode's input and eval logits
with torch.no_grad():
    logits = model(io["x"])
print("eegzoo:     ", np.array2string(logits.numpy(), precision=5))
print("braindecode:", np.array2string(io["logits_eval"].numpy(), precision=5))

# %%
# The state_dict keys are braindecode's, so the file loads strictly, and eegzoo's own save
# is a folder braindecode reads back:
saved = set(load_file(str(folder / "model.safetensors")))
print("same keys:", saved == set(model.state_dict()))
out = Path(tempfile.mkdtemp()) / "eegnet"
model.save_pretrained(out)
print(sorted(p.name for p in out.iterdir()), "keys kept:", set(load_file(str(out / "model.safetensors"))) == saved)

# %%
# Every architecture
# ------------------
# ``eegzoo.from_pretrained`` also works without naming the class: braindecode's
# ``config.json`` does not name it, so eegzoo picks the architecture whose arguments and
# state_dict keys fit the checkpoint.
folders = {"fblightconvnet": (FIXTURES / "braindecode_hub", FIXTURES / "braindecode_hub_io.safetensors")}
for path in sorted(FIXTURES.glob("braindecode_hub_*")):
    if path.is_dir() and (path / "io.safetensors").is_file():
        folders[path.name.removeprefix("braindecode_hub_")] = (path, path / "io.safetensors")

differences, pairs = {}, []
for arch, (path, io_file) in folders.items():
    with warnings.catch_warnings():  # two fixtures use short windows: eegzoo notes it as braindecode does
        warnings.simplefilter("ignore", UserWarning)
        loaded = eegzoo.from_pretrained(path).eval()
    io = load_file(str(io_file))
    with torch.no_grad():
        ours = loaded(io["x"])
    differences[type(loaded).__name__] = float((ours - io["logits_eval"]).abs().max())
    pairs.append((io["logits_eval"].numpy().ravel(), ours.numpy().ravel()))
for name, diff in differences.items():
    print(f"{name:16s} max |eegzoo - braindecode| = {diff:.1e}")
assert max(differences.values()) <= 1e-5

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
names = list(differences)
axes[0].barh(names, [d if d > 0 else 1e-9 for d in differences.values()])
axes[0].axvline(1e-5, c="C3", ls="--", label="tolerance 1e-5")
for i, d in enumerate(differences.values()):
    if d == 0:  # identical to the bit: no bar on a log scale
        axes[0].text(1.2e-9, i, "0 (identical)", va="center")
axes[0].set(xscale="log", xlim=(1e-9, 1e-4), xlabel="max |logit difference|", title="eval mode, same input")
axes[0].legend()
for bd, ours in pairs:
    axes[1].scatter(bd, ours, s=12)
lim = np.abs(np.concatenate([p[0] for p in pairs])).max() * 1.1
axes[1].plot([-lim, lim], [-lim, lim], c="gray", lw=0.8)
axes[1].set(xlabel="braindecode's logits", ylabel="eegzoo's logits", title=f"{len(pairs)} architectures")
fig.tight_layout()
