"""A dataset's evaluation protocol turned into train/test index pairs, per subject."""

from __future__ import annotations

from dataclasses import dataclass

import mne
import numpy as np

from eegzoo.data.protocol import class_labels, fold_indices
from eegzoo.specs.dataset import DatasetSpec, Protocol


@dataclass(frozen=True)
class SubjectData:
    """One subject's trials in volts (``X``: n_trials, n_chans, n_times), labels (class
    names), and for a train-test protocol the number of leading training trials."""

    dataset: str
    subject: int
    X: np.ndarray
    y: np.ndarray
    sfreq: float
    ch_names: list[str]
    protocol: Protocol
    n_train: int | None = None

    def folds(self, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """(train, test) indices: the official split, or the protocol's k folds (stratified
        and shuffled by ``seed``; contiguous in recording order for chronological folds)."""
        n = len(self.y)
        kind = self.protocol.kind
        if kind == "train-test":
            return [(np.arange(self.n_train), np.arange(self.n_train, n))]
        if kind in ("k-fold", "chronological-k-fold"):  # trials are in recording order
            tests = fold_indices(self.y, np.arange(n), int(self.protocol.n_folds or 0), kind == "chronological-k-fold", seed)
            return [(np.setdiff1d(np.arange(n), test), test) for test in tests]
        raise ValueError(f"Dataset '{self.dataset}' has no evaluation protocol (kind {kind!r}); it cannot be benchmarked.")


def _arrays(parts: list[mne.BaseEpochs], names: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Trials of the data channels (in ``names`` order when given), labels, channel names."""
    names = names or list(parts[0].copy().pick("data", exclude=()).ch_names)
    X = np.concatenate([e.get_data(picks=names) for e in parts]).astype(np.float32)
    return X, np.concatenate([class_labels(e) for e in parts]), names


def subject_data(spec: DatasetSpec, data: dict[int, dict[str, mne.BaseEpochs]]) -> list[SubjectData]:
    """Per subject: the trials the protocol uses, in protocol order (training splits first)."""
    protocol = spec.protocol
    if protocol.kind == "none":
        raise ValueError(f"Dataset '{spec.name}' has no evaluation protocol (kind 'none'); it cannot be benchmarked.")
    out = []
    for subject, splits in sorted(data.items()):
        if protocol.kind == "train-test":
            train = [splits[s] for s in protocol.train if s in splits]
            test = [splits[s] for s in protocol.test if s in splits]
            if not train or not test:
                continue
            X_train, y_train, names = _arrays(train)
            X_test, y_test, _ = _arrays(test, names)
            X, y, n_train = np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test]), len(y_train)
        else:
            if protocol.split not in splits:
                continue
            X, y, names = _arrays([splits[protocol.split]])
            n_train = None
        sfreq = float(next(iter(splits.values())).info["sfreq"])
        out.append(SubjectData(spec.name, subject, X, y, sfreq, names, protocol, n_train))
    return out
