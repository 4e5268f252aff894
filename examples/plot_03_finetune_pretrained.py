"""
Fine-tuning a pretrained variant
================================

``eegzoo.from_pretrained("fblightconvnet.graz-sample", n_outputs=k)`` is the trained body of
a registered pretrained variant with a fresh ``k``-class head: one call to start fine-tuning.
The weights ship inside the package (pinned by sha256), so nothing is downloaded.

The variant was trained on folds 2-5 of the Graz recording and tested on fold 1. Here the
head is retrained on a few trials of its training folds and every model is tested on fold 1,
which none of them saw. With one recording cached offline this shows the mechanics, not
transfer to a new subject; 8 test trials are a smoke test.
"""

# %%
import os
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the bundled weights: no Hub access needed
warnings.simplefilter("ignore", RuntimeWarning)  # mne's notes on the GDF file's header

import matplotlib.pyplot as plt
import numpy as np
import torch

import eegzoo
from eegzoo.data import from_epochs
from eegzoo.data.protocol import protocol_folds
from eegzoo.training import evaluate, fit, seed_everything

pretrained = eegzoo.from_pretrained("fblightconvnet.graz-sample")
print(pretrained.eegzoo_classes, eegzoo.model_spec("fblightconvnet.graz-sample").license)

# %%
# The fold the weights were tested on (protocol: stratified 5-fold, seed 0, fold 1):
data = eegzoo.load_dataset("graz-sample", progress=False)
fold = protocol_folds("graz-sample", data, seed=0)[0]
print(f"fold {fold.fold + 1} of 5: {len(fold.train)} training trials, {len(fold.test)} test trials")
rng = np.random.default_rng(0)
few = np.concatenate([rng.choice(np.flatnonzero(fold.train.events[:, 2] == code), 4, replace=False)
                      for code in fold.train.event_id.values()])
few_trials = fold.train[np.sort(few)]  # 4 trials per class

# %%
# A new head on the trained body
# ------------------------------
# ``n_outputs=2`` gives a freshly initialised head (same classes here; any number works).
# The body is frozen: only the head's parameters train.
seed_everything(0)
model = eegzoo.from_pretrained("fblightconvnet.graz-sample", n_outputs=2)
head = {id(p) for p in model.get_classifier().parameters()}
for p in model.parameters():
    p.requires_grad = id(p) in head
print("trainable:", sum(p.numel() for p in model.parameters() if p.requires_grad), "of",
      sum(p.numel() for p in model.parameters()))
train = from_epochs(few_trials, pretrained)  # prepared as the pretrained model's input contract says
history_head = fit(model, train, epochs=40, lr=1e-2, progress=False)

# %%
# The same architecture from scratch on the same 8 trials:
seed_everything(0)
scratch = eegzoo.create_model("fblightconvnet.graz-sample")  # the variant's signal, untrained weights
history_scratch = fit(scratch, from_epochs(few_trials, scratch), epochs=40, lr=1e-2, progress=False)

# %%
# Tested on the held-out fold
# ---------------------------
scores = {}
for name, m in {"pretrained as is": pretrained, "new head, frozen body": model, "from scratch": scratch}.items():
    scores[name] = evaluate(m, from_epochs(fold.test, pretrained))["accuracy"]
    print(f"{name:24s} accuracy {scores[name]:.3f} on {len(fold.test)} held-out trials")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
axes[0].plot(history_head.column("train_loss"), label="new head, frozen body")
axes[0].plot(history_scratch.column("train_loss"), label="from scratch")
axes[0].set(xlabel="epoch", ylabel="training loss", title="8 training trials")
axes[0].legend()
axes[1].bar(range(3), list(scores.values()), color=["C2", "C0", "C1"])
axes[1].set_xticks(range(3), list(scores), rotation=10)
axes[1].axhline(0.5, ls="--", c="gray")
axes[1].set(ylim=(0, 1.05), ylabel="accuracy", title="fold 1 (8 trials)")
fig.tight_layout()

# %%
# The fine-tuned model saves like any other, with its classes and input contract, and its
# card no longer claims the variant's pinned weights:
import tempfile
from pathlib import Path

folder = Path(tempfile.mkdtemp()) / "finetuned"
model.save_pretrained(folder)
reloaded = eegzoo.from_pretrained(folder)
x = torch.randn(2, model.n_chans, model.n_times)
with torch.no_grad():
    print("same logits after reloading:", torch.equal(reloaded.eval()(x), model.eval()(x)))
