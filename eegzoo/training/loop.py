"""Training and evaluation for any zoo model (plain ``nn.Module``: ``(B, C, T) -> logits``)."""

from __future__ import annotations

import copy
import dataclasses
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from eegzoo.api import trial_logits
from eegzoo.data.epochs import EEGDataset
from eegzoo.data.preparation import check_prepared, contract_differences
from eegzoo.specs.recipe import Recipe, get_recipe


@dataclass
class History:
    """Per-epoch metrics of :func:`fit`; ``best_epoch`` is the one whose weights were kept."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    #: predictions the model makes per trial: 1, or the number of crops in cropped decoding
    predictions_per_trial: int = 1

    def column(self, key: str) -> list[float]:
        return [e[key] for e in self.epochs if key in e]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """Where to compute: ``device`` checked against this machine (``None``: CUDA when
    available, else the CPU). A CUDA device this torch cannot use is an error that says
    why, instead of torch's assertion deep inside ``model.to``."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, ValueError) as err:
        raise ValueError(f"device={device!r} is not a device: use 'cpu', 'cuda' or 'cuda:N' ({err}).") from None
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            reason = "this torch is a CPU build" if torch.version.cuda is None else "no CUDA GPU is visible"
            raise ValueError(f"device={str(device)!r} but {reason}: pass device='cpu' (CLI: --device cpu) or run on a machine with a GPU.")
        count = torch.cuda.device_count()
        if chosen.index is not None and chosen.index >= count:
            raise ValueError(f"device={str(device)!r} but this machine has {count} CUDA device(s): use cuda:0 .. cuda:{count - 1}.")
    return chosen


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _loader(data: EEGDataset, batch_size: int, shuffle: bool, seed: int) -> torch.utils.data.DataLoader:
    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)


@torch.no_grad()
def predict(model: nn.Module, data: EEGDataset, batch_size: int = 256, device: str | torch.device | None = None) -> torch.Tensor:
    """Raw logits ``(n_trials, n_outputs)`` for every trial of a prepared dataset, in order
    (the model is put in eval mode). Data prepared differently from the model's recorded
    training data (channels, rate, window, unit, standardisation, classes) are refused.
    For class names from mne objects or arrays, use :func:`eegzoo.predict`."""
    check_prepared(model, data.contract, data.X.numpy(), data.classes)
    device = resolve_device(device) if device else next(model.parameters()).device
    model.to(device)
    model.eval()
    return torch.cat([trial_logits(model(x.to(device))).cpu() for x, _ in _loader(data, batch_size, False, 0)])


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts with rows = true class, columns = predicted class."""
    confusion = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(confusion, (y_true, y_pred), 1)
    return confusion


def cohen_kappa(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    return _kappa(confusion_matrix(y_true, y_pred, n_classes))


def _kappa(confusion: np.ndarray) -> float:
    n = confusion.sum()
    observed = np.trace(confusion) / n
    expected = (confusion.sum(0) * confusion.sum(1)).sum() / n**2
    return float((observed - expected) / (1 - expected)) if expected < 1 else 1.0


def evaluate(model: nn.Module, data: EEGDataset, device: str | torch.device | None = None) -> dict[str, Any]:
    """Accuracy, Cohen's kappa, loss and the confusion matrix (rows: true class, columns:
    predicted), with the class names."""
    logits = predict(model, data, device=device)
    y_true = data.y.numpy()
    y_pred = logits.argmax(1).numpy()
    confusion = confusion_matrix(y_true, y_pred, len(data.classes))
    return {
        "accuracy": float((y_true == y_pred).mean()),
        "kappa": _kappa(confusion),
        "loss": float(nn.functional.cross_entropy(logits, data.y)),
        "confusion_matrix": confusion.tolist(),
        "classes": list(data.classes),
    }


def fit(
    model: nn.Module,
    train: EEGDataset,
    valid: EEGDataset | None = None,
    recipe: str | Recipe | dict[str, Any] = "default",
    *,
    epochs: int | None = None,
    lr: float | None = None,
    batch_size: int | None = None,
    weight_decay: float | None = None,
    patience: int | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
    progress: bool = True,
    on_improvement: Callable[[nn.Module, History], None] | None = None,
    cropped: bool | None = None,
) -> History:
    """Train ``model`` as ``recipe`` says (a name from ``list_recipes()``, a ``Recipe`` or a
    dict of its fields; ``epochs``/``lr``/``batch_size``/``weight_decay``/``patience``
    override it). ``"default"``: AdamW + cosine schedule, early stopping on the validation
    loss. ``"lightconvnet"``: the paper's Adam + ReduceLROnPlateau, early stopping on the
    validation accuracy, then a second stage on train + valid.

    ``cropped=True`` (or a recipe with ``cropped``, e.g. ``"benchmark-cropped"``) is
    braindecode's cropped decoding: the model is made dense
    (``model.to_dense_prediction_model()``, unless it already is), predicts at every time point
    from a receptive field shorter than the trial, and is trained on the cross-entropy of its
    predictions averaged over time; predicting averages them too (saved models stay dense).

    With a validation set (``valid``, or the recipe's ``valid_fraction`` held out of
    ``train``), the best weights of stage 1 are restored; ``on_improvement`` is called
    whenever the weights fit will return change (e.g. to checkpoint). Deterministic for a
    ``seed`` on CPU (seed before creating the model too: its initial weights come from
    torch's global generator). Works with any zoo model, on CPU or CUDA.

    Labels are checked first: the data must have exactly ``model.n_outputs`` classes, each
    with training trials. The model keeps what it learned from: its class names
    (``model.eegzoo_classes``) and its input contract (``model.eegzoo_input``: channels,
    rate, window, unit, standardisation), both saved by ``save_pretrained``. It is left in
    eval mode, ready to predict."""
    recipe = get_recipe(recipe).replace(epochs=epochs, lr=lr, batch_size=batch_size, weight_decay=weight_decay, patience=patience,
                                        cropped=cropped)
    check_labels(model, train, valid)
    n_preds = make_dense(model, train) if recipe.cropped else 1
    model.eegzoo_classes = list(train.classes)
    model.eegzoo_input = train.input_contract()
    seed_everything(seed)
    if valid is None and recipe.valid_fraction is not None:
        train, valid = split_stratified(train, recipe.valid_fraction, seed)
    device = resolve_device(device)
    model.to(device)
    optimizer = _optimizer(recipe, model)
    schedule = _schedule(recipe, optimizer, recipe.epochs)
    history = History(predictions_per_trial=n_preds)
    maximise = valid is not None and recipe.monitor == "valid_accuracy"
    best, best_state, best_optimizer, waited = -math.inf, None, None, 0
    # disable=None: tqdm shows the bar on terminals only, keeping CI logs readable.
    bar = tqdm(range(recipe.epochs), desc="training", disable=None if progress else True, leave=False)
    for epoch in bar:
        row = _train_epoch(model, train, optimizer, recipe.batch_size, seed + epoch, device)
        _step(schedule, row["train_loss"])
        row = {"epoch": epoch + 1, "stage": 1, **row, "lr": optimizer.param_groups[0]["lr"]}
        score = -row["train_loss"]
        if valid is not None:
            metrics = evaluate(model, valid, device=device)
            row.update(valid_loss=metrics["loss"], valid_accuracy=metrics["accuracy"])
            score = metrics["accuracy"] if maximise else -metrics["loss"]
        history.epochs.append(row)
        bar.set_postfix({k: f"{v:.3f}" for k, v in row.items() if k.endswith(("loss", "accuracy"))})
        min_delta = recipe.min_delta if valid is not None else 0.0
        if score > best + min_delta or (recipe.ties_improve and score >= best):
            best, waited, history.best_epoch = score, 0, epoch + 1
            best_state = copy.deepcopy(model.state_dict())
            best_optimizer = copy.deepcopy(optimizer.state_dict())
            if on_improvement is not None:
                on_improvement(model, history)
        else:
            waited += 1
            if valid is not None and waited >= recipe.patience:
                history.stopped_early = True
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    if recipe.refit_epochs and valid is not None:
        _refit(model, train, valid, recipe, optimizer, best_optimizer, history, seed, device, progress)
        if on_improvement is not None:
            on_improvement(model, history)
    model.eval()
    return history


def check_labels(model: nn.Module, train: EEGDataset, valid: EEGDataset | None = None) -> None:
    """Refuse labels the model cannot learn: a class count other than ``n_outputs``, labels
    outside ``0 .. n_classes - 1``, a class without training trials, or a validation set
    with other classes. The message says what to change."""
    n_classes = len(train.classes)
    if n_classes < 2:
        raise ValueError(
            f"The training data have {n_classes} class ({', '.join(map(str, train.classes)) or 'none'}): a classifier "
            "needs at least two, and one trained on a single class scores 1.000 on anything. Select two or more classes "
            "(from_epochs(..., classes=[...]); CLI: --classes a,b) or check the recording's events."
        )
    for name, data in (("training", train), ("validation", valid)):
        if data is None or not len(data):
            continue
        low, high = int(data.y.min()), int(data.y.max())
        if low < 0 or high >= n_classes:
            raise ValueError(
                f"The {name} labels range from {low} to {high} but there are {n_classes} classes "
                f"({', '.join(train.classes)}): labels must be class indices 0 .. {n_classes - 1}."
            )
    n_outputs = getattr(model, "n_outputs", None)
    if n_outputs is not None and n_outputs != n_classes:
        raise ValueError(
            f"The training data have {n_classes} classes ({', '.join(train.classes)}) but the model has "
            f"n_outputs={n_outputs}. Create the model with n_outputs={n_classes} (e.g. "
            f"create_model(name, n_outputs={n_classes})), give it a new head (model.reset_head({n_classes})), "
            f"or select {n_outputs} classes when preparing the data (from_epochs(..., classes=[...]))."
        )
    empty = [c for i, c in enumerate(train.classes) if not bool((train.y == i).any())]
    if empty:
        raise ValueError(
            f"Class(es) {', '.join(empty)} have no training trials: the model could never predict them. "
            "Leave them out (from_epochs(..., classes=[...])) or add trials."
        )
    if valid is not None and list(valid.classes) != list(train.classes):
        raise ValueError(
            f"The validation classes {list(valid.classes)} differ from the training classes "
            f"{list(train.classes)}: prepare both with the same classes= (in the same order)."
        )


def make_dense(model: nn.Module, data: EEGDataset) -> int:
    """Prepare ``model`` for cropped decoding on ``data``'s trials: make it dense (unless it
    already is) and return how many predictions it makes per trial. Refused when the model
    cannot make dense predictions or its receptive field covers the whole trial (then
    cropped and trial-wise training would be the same)."""
    if getattr(model, "dense_prediction_axes", None) is None:
        convert = getattr(model, "to_dense_prediction_model", None)
        if convert is None:
            raise TypeError(f"{type(model).__name__} has no to_dense_prediction_model(): cropped decoding needs an eegzoo model.")
        try:
            convert()
        except NotImplementedError as err:
            raise NotImplementedError(
                f"Cropped decoding: {err} Or train {type(model).__name__} trial-wise (cropped=False; CLI: without "
                "--cropped, with a recipe that is not cropped)."
            ) from None
    n_chans, n_times = int(data.X.shape[1]), int(data.X.shape[2])
    reference = next(model.parameters())
    was_training = model.training
    model.eval()
    with torch.no_grad():
        shape = tuple(model(torch.zeros(1, n_chans, n_times, dtype=reference.dtype, device=reference.device)).shape)
    model.train(was_training)
    n_preds = shape[2] if len(shape) == 3 else 1
    if n_preds < 2:
        raise ValueError(
            f"Cropped decoding needs predictions at several time points of each trial, but {type(model).__name__} "
            f"makes {n_preds} per {n_times}-sample trial: its receptive field spans the whole trial. Build it with "
            "a final convolution shorter than the trial (final_conv_length=30 instead of 'auto' in braindecode's "
            "cropped decoding; registered: shallowfbcspnet-cropped, deep4net-cropped), or train trial-wise."
        )
    return n_preds


def _optimizer(recipe: Recipe, model: nn.Module) -> torch.optim.Optimizer:
    kind = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[recipe.optimizer]
    return kind(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)


def _schedule(recipe: Recipe, optimizer: torch.optim.Optimizer, epochs: int) -> Any:
    if recipe.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if recipe.schedule == "plateau":
        p = recipe.plateau
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=p.factor, patience=p.patience, min_lr=p.min_lr)
    return None


def _step(schedule: Any, train_loss: float) -> None:
    if isinstance(schedule, torch.optim.lr_scheduler.ReduceLROnPlateau):
        schedule.step(train_loss)
    elif schedule is not None:
        schedule.step()


def _train_epoch(model: nn.Module, data: EEGDataset, optimizer: torch.optim.Optimizer, batch_size: int, seed: int,
                 device: torch.device) -> dict[str, float]:
    """One pass over shuffled ``data``; the shuffle depends on ``seed`` only."""
    model.train()
    total, correct, loss_sum = 0, 0, 0.0
    for x, y in _loader(data, batch_size, True, seed):
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad(set_to_none=True)
        logits = trial_logits(model(x))  # a dense model's crops: braindecode's CroppedLoss
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        total += len(y)
        correct += int((logits.argmax(1) == y).sum())
        loss_sum += loss.item() * len(y)
    return {"train_loss": loss_sum / total, "train_accuracy": correct / total}


def _refit(model: nn.Module, train: EEGDataset, valid: EEGDataset, recipe: Recipe, optimizer: torch.optim.Optimizer,
           best_optimizer: dict | None, history: History, seed: int, device: torch.device, progress: bool) -> None:
    """Stage 2: from the best weights and their optimiser state, train ``refit_epochs`` epochs
    on train + valid with a fresh schedule (the learning rate carries on from the best epoch)."""
    if best_optimizer is not None:
        optimizer.load_state_dict(best_optimizer)
    both = concat_datasets(train, valid)
    schedule = _schedule(recipe, optimizer, recipe.refit_epochs)
    for epoch in tqdm(range(recipe.refit_epochs), desc="refit on train+valid", disable=None if progress else True, leave=False):
        row = _train_epoch(model, both, optimizer, recipe.batch_size, seed + 100_003 + epoch, device)
        _step(schedule, row["train_loss"])
        history.epochs.append({"epoch": len(history.epochs) + 1, "stage": 2, **row, "lr": optimizer.param_groups[0]["lr"]})


def concat_datasets(*parts: EEGDataset) -> EEGDataset:
    """One dataset of several prepared the same way (same classes, channels and rate)."""
    first = parts[0]
    for other in parts[1:]:
        differences = contract_differences(first.contract, other.contract) if first.contract and other.contract else []
        if differences or (other.classes, other.ch_names, other.sfreq) != (first.classes, first.ch_names, first.sfreq):
            raise ValueError(
                "Cannot concatenate datasets prepared differently (classes, channels, rate or "
                f"preparation differ{': ' + '; '.join(differences) if differences else ''})."
            )
    return dataclasses.replace(first, X=torch.cat([p.X for p in parts]), y=torch.cat([p.y for p in parts]))


def within_subject(
    model_name: str,
    sessions: dict[str, Any],
    train_session: str = "T",
    test_session: str = "E",
    valid_fraction: float = 0.2,
    seed: int = 0,
    **fit_kwargs: Any,
) -> tuple[nn.Module, History, dict[str, Any]]:
    """The LightConvNet paper's evaluation protocol: train on session T (a stratified
    ``valid_fraction`` held out for early stopping), test on session E. ``sessions`` maps
    session names to mne Epochs. Training follows ``fit_kwargs`` (``recipe="lightconvnet"``
    for the paper's training procedure; fit's ``"default"`` recipe otherwise). Returns
    (model, history, test metrics)."""
    from eegzoo.data.epochs import from_epochs
    from eegzoo.api import create_model

    seed_everything(seed)
    model = create_model(model_name)
    train_all = from_epochs(sessions[train_session], model)
    test = from_epochs(sessions[test_session], model, classes=train_all.classes)
    train, valid = split_stratified(train_all, valid_fraction, seed)
    history = fit(model, train, valid, seed=seed, **fit_kwargs)
    return model, history, evaluate(model, test)


def split_stratified(data: EEGDataset, fraction: float, seed: int) -> tuple[EEGDataset, EEGDataset]:
    """(kept, held out): hold out ``fraction`` of each class, at least one trial per class,
    chosen at random (deterministic for a ``seed``), e.g. a validation set for early
    stopping. Both parts keep the classes, channels and input contract of ``data``."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(data), dtype=bool)
    for cls in range(len(data.classes)):
        idx = np.flatnonzero(data.y.numpy() == cls)
        held[rng.choice(idx, size=max(1, int(round(fraction * len(idx)))), replace=False)] = True
    pick = lambda mask: dataclasses.replace(data, X=data.X[mask], y=data.y[mask])  # noqa: E731
    return pick(torch.as_tensor(~held)), pick(torch.as_tensor(held))
