"""PNG figures for training runs (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from eegzoo.core.files import atomic_write  # noqa: E402


def plot_learning_curves(history: Any, path: str | Path) -> Path:
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = history.column("epoch")
    for key, label in (("train_loss", "train"), ("valid_loss", "validation")):
        if history.column(key):
            ax_loss.plot(epochs, history.column(key), label=label)
    for key, label in (("train_accuracy", "train"), ("valid_accuracy", "validation")):
        if history.column(key):
            ax_acc.plot(epochs, history.column(key), label=label)
    if history.best_epoch > 0:
        for ax in (ax_loss, ax_acc):
            ax.axvline(history.best_epoch, color="grey", linestyle=":", label="kept")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy", ylim=(0, 1))
    ax_acc.legend(loc="lower right")
    fig.tight_layout()
    return _save(fig, path)


def plot_confusion_matrix(metrics: dict[str, Any], path: str | Path) -> Path:
    confusion, classes = metrics["confusion_matrix"], metrics["classes"]
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(confusion, cmap="Blues")
    for i, row in enumerate(confusion):
        for j, count in enumerate(row):
            ax.text(j, i, str(count), ha="center", va="center")
    ax.set_xticks(range(len(classes)), classes, rotation=30, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set(xlabel="predicted", ylabel="true", title=f"accuracy {metrics['accuracy']:.2f}, kappa {metrics['kappa']:.2f}")
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Any, path: str | Path) -> Path:
    out = atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
    return out
