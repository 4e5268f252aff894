"""A scikit-learn classifier for any zoo model, so zoo models, classic pipelines (CSP + LDA,
tangent space + logistic regression) and MOABB evaluations share one harness.

It wraps eegzoo's own :func:`eegzoo.training.fit` rather than skorch: one training loop
(recipes, early stopping, seeding) serves the CLI, the benchmark, the pretrained weights and
this estimator, so a model trained here is trained exactly as the others are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from eegzoo.api import create_model
from eegzoo.data.epochs import EEGDataset
from eegzoo.data.preparation import typical_amplitude
from eegzoo.registry import get_architecture, model_spec
from eegzoo.specs.input import InputContract, unit_of_scale
from eegzoo.specs.recipe import Recipe
from eegzoo.training import History, fit, predict, seed_everything

__all__ = ["EEGZooClassifier", "data_sized_model"]


def data_sized_model(name: str, n_chans: int, n_times: int, sfreq: float, n_outputs: int,
                     ch_names: list[str] | None = None, **overrides: Any) -> nn.Module:
    """A fresh ``name`` model sized for the data: its signal parameters come from the data,
    hyperparameters that scale with the signal from the architecture itself (its params
    model's optional ``sized_for_signal(n_times, sfreq)``, e.g. FBLightConvNet's one-second
    windows), and ``overrides`` win over both."""
    params_model = get_architecture(model_spec(name).architecture).params_model
    sized = getattr(params_model, "sized_for_signal", None)
    arguments: dict[str, Any] = dict(sized(n_times, sfreq)) if sized is not None else {}
    arguments.update(n_chans=n_chans, n_times=n_times, sfreq=float(sfreq), n_outputs=n_outputs)
    # the data's channels replace the spec's (none known: none assumed)
    arguments["chs_info"] = None if ch_names is None else [{"ch_name": str(n)} for n in ch_names]
    arguments.update(overrides)
    return create_model(name, **arguments)


class EEGZooClassifier(ClassifierMixin, BaseEstimator):
    """``fit``/``predict``/``predict_proba``/``score`` for a registered zoo model.

    ``X`` is an ``mne.Epochs`` (data channels are used, in volts; ``y`` defaults to the
    epochs' event names) or an array ``(n_trials, n_chans, n_times)`` in volts, as mne and
    MOABB give it (``sfreq`` required). ``scale`` multiplies the volts (1e6: microvolts, the
    units zoo models are trained in). The model is built at ``fit`` from the data's shape,
    rate and channel names (:func:`data_sized_model`; ``model_kwargs`` override) and trained
    with ``recipe`` (``epochs``, ``lr``, ``batch_size`` and ``patience`` override it).
    ``classes_`` are the sorted unique labels (any type), as scikit-learn expects.
    """

    def __init__(
        self,
        model: str = "fblightconvnet",
        *,
        recipe: str | Recipe | dict[str, Any] = "default",
        model_kwargs: dict[str, Any] | None = None,
        sfreq: float | None = None,
        ch_names: list[str] | None = None,
        scale: float = 1e6,
        epochs: int | None = None,
        lr: float | None = None,
        batch_size: int | None = None,
        patience: int | None = None,
        seed: int = 0,
        device: str | None = None,
        progress: bool = False,
    ) -> None:
        self.model = model
        self.recipe = recipe
        self.model_kwargs = model_kwargs
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.scale = scale
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.patience = patience
        self.seed = seed
        self.device = device
        self.progress = progress

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

    # ------------------------------------------------------------------ inputs
    def _read(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray | None, float, list[str] | None]:
        """(trials in volts, labels or None, sfreq, channel names or None)."""
        import mne

        if isinstance(X, (list, tuple)) and X and all(isinstance(e, mne.BaseEpochs) for e in X):
            # scikit-learn's splitters (cross_val_score, GridSearchCV) index Epochs trial by trial
            first = X[0].copy().pick("data", exclude="bads")
            if any(e.ch_names != X[0].ch_names or e.info["sfreq"] != X[0].info["sfreq"] for e in X):
                raise ValueError("The Epochs in X differ in channels or sampling rate; pass one mne.Epochs.")
            data = np.concatenate([e.get_data(picks=first.ch_names) for e in X])
            if y is None:
                y = np.array([{c: n for n, c in e.event_id.items()}[code] for e in X for code in e.events[:, 2]])
            return data, np.asarray(y), float(first.info["sfreq"]), list(first.ch_names)
        if isinstance(X, mne.BaseEpochs):
            epochs = X.copy().pick("data", exclude="bads")
            if y is None:
                names = {code: name for name, code in epochs.event_id.items()}
                y = np.array([names[code] for code in epochs.events[:, 2]])
            return epochs.get_data(), None if y is None else np.asarray(y), float(epochs.info["sfreq"]), list(epochs.ch_names)
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        X = np.asarray(X)
        if X.ndim != 3:
            raise ValueError(
                f"X must be mne.Epochs or an array (n_trials, n_chans, n_times); got an array of shape {X.shape}."
            )
        if not np.issubdtype(X.dtype, np.floating) and not np.issubdtype(X.dtype, np.integer):
            raise ValueError(f"X must hold numbers; got dtype {X.dtype}.")
        # an array after fitting on Epochs is taken at the fitted rate, in the fitted channel order
        sfreq = self.sfreq if self.sfreq is not None else getattr(self, "sfreq_", None)
        if sfreq is None:
            raise ValueError("An array X needs its sampling rate: EEGZooClassifier(..., sfreq=250.0), or pass mne.Epochs.")
        if self.ch_names is not None and len(self.ch_names) != X.shape[1]:
            raise ValueError(f"ch_names lists {len(self.ch_names)} channels but X has {X.shape[1]}.")
        return X, None if y is None else np.asarray(y), float(sfreq), None if self.ch_names is None else list(self.ch_names)

    def _tensor(self, X: np.ndarray) -> torch.Tensor:
        data = torch.as_tensor(np.asarray(X, dtype=np.float64) * self.scale, dtype=torch.float32)
        if not torch.isfinite(data).all():
            raise ValueError("X contains NaN or Inf.")
        return data

    # ------------------------------------------------------------------ API
    def fit(self, X: Any, y: Any = None) -> "EEGZooClassifier":
        X, y, sfreq, ch_names = self._read(X, y)
        if y is None:
            raise ValueError("y is required with an array X (labels, one per trial).")
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} trials but y has {len(y)} labels.")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y holds a single class ({self.classes_[0]!r}); a classifier needs at least two.")
        seed_everything(self.seed)  # the model's initialisation depends on the seed only
        self.module_ = data_sized_model(self.model, X.shape[1], X.shape[2], sfreq, len(self.classes_), ch_names,
                                        **(self.model_kwargs or {}))
        classes = [str(c) for c in self.classes_]
        self.module_.eegzoo_classes = classes
        trials = self._tensor(X)
        # the trained model records how its inputs were prepared (saved with it, checked at predict)
        contract = InputContract(n_chans=X.shape[1], ch_names=ch_names, sfreq=float(sfreq), n_times=X.shape[2],
                                 scale=float(self.scale), unit=unit_of_scale(self.scale),
                                 amplitude=typical_amplitude(trials.numpy()))
        data = EEGDataset(trials, torch.as_tensor(np.searchsorted(self.classes_, y)), classes,
                          ch_names or [f"ch{i}" for i in range(X.shape[1])], sfreq, contract=contract)
        self.history_: History = fit(
            self.module_, data, None, self.recipe, epochs=self.epochs, lr=self.lr, batch_size=self.batch_size,
            patience=self.patience, seed=self.seed, device=self.device, progress=self.progress,
        )
        self.module_.eval()
        self.sfreq_, self.ch_names_, self.n_times_ = sfreq, ch_names, X.shape[2]
        return self

    def _checked(self, X: Any) -> torch.Tensor:
        check_is_fitted(self, "module_")
        X, _, sfreq, ch_names = self._read(X, None)
        if sfreq != self.sfreq_:
            raise ValueError(f"X is sampled at {sfreq} Hz but the model was fitted at {self.sfreq_} Hz; resample it first.")
        if ch_names is not None and self.ch_names_ is not None and ch_names != self.ch_names_:
            missing = [c for c in self.ch_names_ if c not in ch_names]
            if missing:
                extra = [c for c in ch_names if c not in self.ch_names_]
                raise ValueError(f"X lacks channel(s) {missing} that the model was fitted on"
                                 + (f"; it has {extra} instead" if extra else "") + ".")
            X = X[:, [ch_names.index(c) for c in self.ch_names_]]
        expected = (self.module_.n_chans, self.n_times_)
        if tuple(X.shape[1:]) != expected:
            raise ValueError(f"X has trials of shape {tuple(X.shape[1:])}; the model was fitted on (n_chans, n_times) = {expected}.")
        return self._tensor(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        data = self._checked(X)
        dataset = EEGDataset(data, torch.zeros(len(data), dtype=torch.long), list(map(str, self.classes_)), [], self.sfreq_)
        return torch.softmax(predict(self.module_, dataset, device=self.device), dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "module_")
        return self.classes_[self.predict_proba(X).argmax(1)]

