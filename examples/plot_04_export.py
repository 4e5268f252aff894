"""
Export for deployment
=====================

``eegzoo.export_model`` writes a model's frozen inference form (eval mode, batch norms
folded, filter banks as fixed convolutions) as TorchScript, a ``torch.export``
ExportedProgram or ONNX, each with a dynamic batch dimension. Here the pretrained Graz model
is exported to all three, each file is loaded back the way a deployment would load it, and
its logits are compared with eager PyTorch's.
"""

# %%
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the bundled weights: no Hub access needed

import matplotlib.pyplot as plt
import numpy as np
import torch

import eegzoo

model = eegzoo.create_model("fblightconvnet.graz-sample", pretrained=True).eval()
x = torch.randn(7, model.n_chans, model.n_times)  # any batch size: 7 trials
with torch.no_grad():
    eager = model(x).numpy()

out = Path(tempfile.mkdtemp())
files = {
    "torchscript": eegzoo.export_model(model, out / "model.ts", "torchscript"),
    "exported-program": eegzoo.export_model(model, out / "model.pt2", "exported-program"),
    "onnx": eegzoo.export_model(model, out / "model.onnx", "onnx"),
}
for fmt, path in files.items():
    print(f"{fmt:17s} {path.name:12s} {path.stat().st_size / 1024:6.1f} KiB")

# %%
# Loading the files without eegzoo
# --------------------------------
# TorchScript and ExportedProgram need only torch; ONNX runs in onnxruntime.
import onnxruntime

runners = {
    "torchscript": torch.jit.load(files["torchscript"]),
    "exported-program": torch.export.load(files["exported-program"]).module(),
}
session = onnxruntime.InferenceSession(str(files["onnx"]), providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
outputs = {"onnx": session.run(None, {name: x.numpy()})[0]}
with torch.no_grad():
    for fmt, runner in runners.items():
        outputs[fmt] = runner(x).numpy()

for fmt, logits in outputs.items():
    print(f"{fmt:17s} max |logit - eager| = {np.abs(logits - eager).max():.1e}")

# %%
# Latency at batch 1 (median of 50 calls on this machine's CPU; a rough guide only):
one = x[:1]
timings = {}
with torch.no_grad():
    for fmt, call in {"eager": model, **runners}.items():
        times = []
        for _ in range(50):
            start = time.perf_counter()
            call(one)
            times.append(time.perf_counter() - start)
        timings[fmt] = 1e3 * float(np.median(times))
times = []
for _ in range(50):
    start = time.perf_counter()
    session.run(None, {name: one.numpy()})
    times.append(time.perf_counter() - start)
timings["onnx"] = 1e3 * float(np.median(times))

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
axes[0].scatter(eager.ravel(), outputs["onnx"].ravel(), label="onnxruntime")
axes[0].scatter(eager.ravel(), outputs["torchscript"].ravel(), marker="x", label="TorchScript")
axes[0].set(xlabel="eager logits", ylabel="exported logits", title="7 trials, 2 classes")
axes[0].legend()
axes[1].bar(list(timings), list(timings.values()), color=["C7", "C0", "C1", "C2"])
axes[1].set(ylabel="ms per call", title="batch 1")
fig.tight_layout()
