"""FBLightConvNet speed: eegzoo vs braindecode, side by side in one process.

    python benchmarks/bench_fblightconvnet.py [--threads 2] [--repeats 15] [--csv benchmarks/results/speed.csv]

braindecode is optional (it is not an eegzoo dependency): when it imports, both models get
the same weights and are timed interleaved (A, B, A, B, ...); the table reports medians and
eegzoo's speed-up. Without it, eegzoo's fused and plain paths are compared instead.
Memory is the bytes autograd saves for the backward pass of one training step (the
activation memory a training step holds at its peak), counted with saved-tensor hooks.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import torch

import eegzoo

try:  # run as a script: benchmarks/ is on sys.path
    from bench_zoo import cpu_extensions, measurement_key, write_speed_csv
except ImportError:  # imported as benchmarks.bench_fblightconvnet
    from benchmarks.bench_zoo import cpu_extensions, measurement_key, write_speed_csv

CONFIG = dict(n_chans=22, n_outputs=4, n_times=1000, sfreq=250)


def load_reference() -> torch.nn.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from braindecode.models import FBLightConvNet as Reference
            return Reference(**CONFIG)
    except Exception as err:  # noqa: BLE001 - any import failure means "not available"
        print(f"braindecode not importable ({type(err).__name__}: {err}); comparing fused vs plain eegzoo.")
        return None


def median_ms(fns: dict[str, Callable[[], None]], repeats: int, warmup: int = 3) -> dict[str, float]:
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():  # interleaved: drifts in machine load hit both alike
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def saved_activation_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    total = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model(x).logsumexp(1).sum()
    loss.backward()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--compile", action="store_true", help="also time eegzoo's train step under torch.compile")
    parser.add_argument("--csv", metavar="PATH", help="also write the ratios against braindecode there "
                        "(bench_zoo.py's columns; other models' rows already in the file are kept)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    ours = eegzoo.create_model("fblightconvnet", **CONFIG)
    reference = load_reference()
    if reference is None:
        reference = eegzoo.create_model("fblightconvnet", **CONFIG, fused=False)
        ref_name = "eegzoo plain"
    else:
        ref_name = "braindecode"
    reference.load_state_dict(ours.state_dict())
    models = {"eegzoo": ours, ref_name: reference}

    x = torch.randn(args.batch, 22, 1000) * 10
    x1 = x[:1].clone()
    for m in models.values():  # parity before any training step changes the weights
        m.eval()
    with torch.inference_mode():
        diff = (ours(x) - reference(x)).abs().max().item()
        scale = reference(x).abs().max().item()
    y = torch.randint(0, 4, (args.batch,))
    optimizers = {k: torch.optim.AdamW(m.parameters(), lr=1e-4) for k, m in models.items()}

    def eval_forward(m: torch.nn.Module, inp: torch.Tensor) -> Callable[[], None]:
        def run() -> None:
            m.eval()
            with torch.inference_mode():
                m(inp)
        return run

    def train_step(name: str) -> Callable[[], None]:
        m, opt = models[name], optimizers[name]

        def run() -> None:
            m.train()
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(m(x), y).backward()
            opt.step()
        return run

    rows = []
    csv_rows: list[dict[str, object]] = []
    for key, label, fns in [
        (measurement_key("eval", args.batch), f"eval forward, batch {args.batch}",
         {k: eval_forward(m, x) for k, m in models.items()}),
        (measurement_key("train", args.batch), f"train step (fwd+bwd+AdamW), batch {args.batch}",
         {k: train_step(k) for k in models}),
        (measurement_key("eval", 1), "eval forward, batch 1", {k: eval_forward(m, x1) for k, m in models.items()}),
    ]:
        result = median_ms(fns, args.repeats)
        rows.append((label, result["eegzoo"], result[ref_name], result[ref_name] / result["eegzoo"]))
        csv_rows.append({"model": "fblightconvnet", "measurement": key, "eegzoo_ms": f"{result['eegzoo']:.2f}",
                         "braindecode_ms": f"{result[ref_name]:.2f}",
                         "speedup": f"{result[ref_name] / result['eegzoo']:.2f}", "cpu": cpu_extensions(),
                         "torch": torch.__version__})

    if args.compile:
        torch.manual_seed(0)
        compiled_model = eegzoo.create_model("fblightconvnet", **CONFIG)
        compiled = torch.compile(compiled_model)
        compiled_opt = torch.optim.AdamW(compiled_model.parameters(), lr=1e-4)

        def compiled_step() -> None:
            compiled_model.train()
            compiled_opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(compiled(x), y).backward()
            compiled_opt.step()

        start = time.perf_counter()
        compiled_step()
        print(f"torch.compile: first step (compilation) {time.perf_counter() - start:.0f} s")
        result = median_ms({"eegzoo": compiled_step, ref_name: train_step(ref_name)}, args.repeats)
        rows.append((f"train step, batch {args.batch}, eegzoo under torch.compile", result["eegzoo"],
                     result[ref_name], result[ref_name] / result["eegzoo"]))

    memory = {k: saved_activation_bytes(m, x) / 2**20 for k, m in models.items()}

    print(f"\nFBLightConvNet, 22 ch x 1000 samples @ 250 Hz, torch {torch.__version__}, "
          f"{args.threads} threads, {platform.processor() or platform.machine()} ({cpu_extensions()})")
    print(f"\n| measurement | eegzoo (ms) | {ref_name} (ms) | speed-up |")
    print("|---|---|---|---|")
    for label, a, b, ratio in rows:
        print(f"| {label} | {a:.2f} | {b:.2f} | {ratio:.1f}x |")
    print(f"| train-step activation memory (MiB) | {memory['eegzoo']:.1f} | {memory[ref_name]:.1f} | "
          f"{memory[ref_name] / memory['eegzoo']:.1f}x less |")
    print(f"\nmax |logit difference| (eval, batch {args.batch}, same weights): {diff:.2e} "
          f"(max |logit| {scale:.2f})")
    if args.csv:
        if ref_name == "braindecode":
            write_speed_csv(args.csv, csv_rows)
            print(f"wrote {len(csv_rows)} rows to {args.csv}")
        else:
            print(f"--csv {args.csv}: nothing written (braindecode not importable, no ratios)")


if __name__ == "__main__":
    main()
