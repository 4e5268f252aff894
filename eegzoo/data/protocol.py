"""A dataset's evaluation protocol as concrete train/test folds, so every user of a dataset
(benchmark, CLI, scripts) evaluates it the same way: the official split where there is one,
else stratified k-fold, or chronological k-fold (contiguous blocks in recording order) for
data whose neighbouring trials overlap."""

from __future__ import annotations

from dataclasses import dataclass

import mne
import numpy as np
from sklearn.model_selection import StratifiedKFold

from eegzoo.core.errors import DatasetError
from eegzoo.data.datasets import Dataset
from eegzoo.registry.datasets import dataset_spec
from eegzoo.specs.dataset import DatasetSpec


@dataclass(frozen=True)
class Fold:
    """One evaluation fold of one subject. For k-fold kinds ``train``/``test`` are
    ``data[subject][split][train_index / test_index]``."""

    subject: int
    fold: int
    train: mne.BaseEpochs
    test: mne.BaseEpochs
    train_index: np.ndarray | None = None
    test_index: np.ndarray | None = None


def _concat(parts: list[mne.BaseEpochs]) -> mne.BaseEpochs:
    return parts[0] if len(parts) == 1 else mne.concatenate_epochs(parts, verbose="error")


def fold_indices(labels: np.ndarray, onsets: np.ndarray, n_folds: int, chronological: bool, seed: int) -> list[np.ndarray]:
    """Test indices of each fold: contiguous blocks in onset order (``chronological``), or
    scikit-learn's ``StratifiedKFold`` shuffled with ``seed``. Every caller (CLI runs, the
    benchmark, the pretrained-weights script) goes through here, so a fold number names the
    same trials everywhere; pass class names as ``labels`` for that."""
    if len(labels) < n_folds:
        raise DatasetError(f"{len(labels)} trials cannot make {n_folds} folds.")
    if chronological:
        return [np.sort(block) for block in np.array_split(np.argsort(onsets, kind="stable"), n_folds)]
    splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    return [np.sort(test) for _, test in splitter.split(np.zeros(len(labels)), labels)]


def class_labels(epochs: mne.BaseEpochs) -> np.ndarray:
    """The class name of every epoch (event codes looked up in ``event_id``)."""
    names = {code: name for name, code in epochs.event_id.items()}
    return np.array([names[code] for code in epochs.events[:, 2]])


def protocol_folds(name: str | DatasetSpec, data: Dataset, seed: int = 0) -> list[Fold]:
    """The folds of ``data`` (as returned by :func:`load_dataset`) under the dataset's
    protocol, subject by subject. ``seed`` shuffles stratified k-fold only."""
    spec = name if isinstance(name, DatasetSpec) else dataset_spec(name)
    protocol = spec.protocol
    if protocol.kind == "none":
        raise DatasetError(f"Dataset '{spec.name}' has no evaluation protocol (kind 'none'): {protocol.description}")
    folds = []
    for subject, splits in data.items():
        missing = [s for s in protocol.splits if s not in splits]
        if missing:
            raise DatasetError(f"Subject {subject} of '{spec.name}' lacks split(s) {missing} that its protocol needs; load them too.")
        if protocol.kind == "train-test":
            folds.append(Fold(subject, 0, _concat([splits[s] for s in protocol.train]), _concat([splits[s] for s in protocol.test])))
            continue
        epochs = splits[str(protocol.split)]
        tests = fold_indices(class_labels(epochs), epochs.events[:, 0], int(protocol.n_folds or 0),
                             protocol.kind == "chronological-k-fold", seed)
        for k, test in enumerate(tests):
            train = np.setdiff1d(np.arange(len(epochs)), test)
            folds.append(Fold(subject, k, epochs[train], epochs[test], train, test))
    return folds
