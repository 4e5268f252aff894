"""Training and evaluation of zoo models on epoched EEG."""

from eegzoo.training.loop import (
    History,
    cohen_kappa,
    confusion_matrix,
    evaluate,
    fit,
    predict,
    seed_everything,
    split_stratified,
    within_subject,
)

__all__ = [
    "History",
    "cohen_kappa",
    "confusion_matrix",
    "evaluate",
    "fit",
    "predict",
    "seed_everything",
    "split_stratified",
    "within_subject",
]
