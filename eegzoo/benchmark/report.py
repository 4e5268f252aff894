"""Cell results → the results table (CSV and Markdown) and a figure.

Per dataset and method: accuracy and Cohen's kappa (averaged over subjects, then mean ± sd
over seeds), the chance level (the majority class's share of the test trials), a one-sided
binomial test of the pooled correct predictions against it (the largest p over seeds:
every seed must beat chance), and the mean fit time per fold."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eegzoo.core.files import atomic_write, atomic_write_text

COLUMNS = ["dataset", "method", "kind", "accuracy_mean", "accuracy_sd", "kappa_mean", "kappa_sd", "chance",
           "p_value", "significant", "fit_seconds_per_fold", "seeds", "subjects", "test_trials_per_seed"]


def _kappa(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    from sklearn.metrics import cohen_kappa_score

    if len(set(y_true) | set(y_pred)) < 2:
        return 1.0 if list(y_true) == list(y_pred) else 0.0
    return float(cohen_kappa_score(y_true, y_pred))


def summarize(results: Sequence[dict[str, Any]], alpha: float = 0.05) -> list[dict[str, Any]]:
    """One row per (dataset, method), in the order first seen. ``significant``: p below
    ``alpha`` divided by the number of rows (Bonferroni over the table)."""
    from scipy.stats import binomtest

    groups: dict[tuple[str, str], dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    kinds = {}
    for r in results:
        c = r["config"]
        key = (c["dataset"], c["method"]["name"])
        groups[key][c["seed"]].append(r)
        kinds[key] = c["method"]["kind"]
    rows = []
    for (dataset, method), by_seed in groups.items():
        accuracies, kappas, p_values, fit_times = [], [], [], []
        subjects = trials = 0
        chance = 0.0
        for seed, cells in sorted(by_seed.items()):
            accuracies.append(np.mean([np.mean(np.array(c["y_true"]) == np.array(c["y_pred"])) for c in cells]))
            kappas.append(np.mean([_kappa(c["y_true"], c["y_pred"]) for c in cells]))
            y_true = np.concatenate([c["y_true"] for c in cells])
            y_pred = np.concatenate([c["y_pred"] for c in cells])
            _, counts = np.unique(y_true, return_counts=True)
            chance = float(counts.max() / counts.sum())
            p_values.append(binomtest(int((y_true == y_pred).sum()), len(y_true), chance, alternative="greater").pvalue)
            fit_times.extend(t for c in cells for t in c["fit_seconds"])
            subjects, trials = len(cells), len(y_true)
        rows.append({
            "dataset": dataset, "method": method, "kind": kinds[(dataset, method)],
            "accuracy_mean": float(np.mean(accuracies)), "accuracy_sd": float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else 0.0,
            "kappa_mean": float(np.mean(kappas)), "kappa_sd": float(np.std(kappas, ddof=1)) if len(kappas) > 1 else 0.0,
            "chance": chance, "p_value": float(max(p_values)), "fit_seconds_per_fold": float(np.mean(fit_times)),
            "seeds": len(by_seed), "subjects": subjects, "test_trials_per_seed": trials,
        })
    threshold = alpha / max(1, len(rows))
    for row in rows:
        row["significant"] = bool(row["p_value"] < threshold)
    return rows


def write_csv(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return atomic_write_text(path, buffer.getvalue())


def markdown_table(rows: Sequence[dict[str, Any]], alpha: float = 0.05,
                   not_run: dict[tuple[str, str], str] | None = None) -> str:
    """The table as Markdown; the best accuracy of each dataset in bold; ``not_run``:
    ``{(dataset, model): reason}``, listed under the table."""
    best = defaultdict(float)
    for row in rows:
        best[row["dataset"]] = max(best[row["dataset"]], row["accuracy_mean"])
    lines = [
        "| dataset | method | accuracy | kappa | chance | p (binomial) | fit s/fold | seeds × subjects |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        accuracy = f"{row['accuracy_mean']:.3f} ± {row['accuracy_sd']:.3f}"
        if row["accuracy_mean"] == best[row["dataset"]]:
            accuracy = f"**{accuracy}**"
        p = f"{row['p_value']:.1e}" + (" ✓" if row["significant"] else "")
        name = row["method"] + ("" if row["kind"] == "zoo" else " (baseline)")
        lines.append(
            f"| {row['dataset']} | {name} | {accuracy} | {row['kappa_mean']:.3f} ± {row['kappa_sd']:.3f} | "
            f"{row['chance']:.3f} | {p} | {row['fit_seconds_per_fold']:.2f} | {row['seeds']} × {row['subjects']} |"
        )
    n = max(1, len(rows))
    lines.append("")
    lines.append(f"✓: above chance at p < {alpha}/{n} = {alpha / n:.1e} (one-sided binomial test on the pooled test "
                 "trials, the largest p over seeds; Bonferroni over the table's rows). Chance: the majority class's "
                 "share of the test trials.")
    if not_run:
        lines += ["", "Not run (the model cannot take the dataset's trials):"]
        lines += [f"- {model} on {dataset}: {reason}" for (dataset, model), reason in not_run.items()]
    return "\n".join(lines) + "\n"


def plot(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(1, len(datasets), figsize=(2.2 + 1.6 * len(datasets), 3.6), sharey=True, squeeze=False)
    colors = plt.get_cmap("tab20" if len(methods) > 10 else "tab10")
    for ax, dataset in zip(axes[0], datasets):
        mine = {r["method"]: r for r in rows if r["dataset"] == dataset}
        for j, method in enumerate(methods):
            if method in mine:
                r = mine[method]
                ax.bar(j, r["accuracy_mean"], yerr=r["accuracy_sd"], color=colors(j % colors.N), capsize=2,
                       hatch="" if r["kind"] == "zoo" else "//", label=method)
        chance = next(iter(mine.values()))["chance"]
        ax.axhline(chance, color="k", linestyle="--", linewidth=1)
        ax.set_title(dataset, fontsize=9)
        ax.set_xticks([])
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("test accuracy (mean ± sd over seeds)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    # every method named: as many legend rows as needed, with room kept for them below the
    # axes, and the saved image grown to whatever the legend takes (bbox_inches="tight")
    ncol = max(1, min(len(labels), len(datasets) + 1, 4))
    rows_needed = -(-len(labels) // ncol)
    legend_height = 0.28 * rows_needed + 0.2  # inches
    fig.set_figheight(3.6 + legend_height)
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, legend_height / fig.get_figheight(), 1, 1))
    out = atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png", bbox_inches="tight"))
    plt.close(fig)
    return out
