"""Training and evaluation of zoo models on epoched EEG."""

from eegzoo.training.loop import (
    History,
    cohen_kappa,
    concat_datasets,
    confusion_matrix,
    evaluate,
    fit,
    make_dense,
    predict,
    resolve_device,
    seed_everything,
    split_stratified,
    within_subject,
)
from eegzoo.specs.recipe import Recipe, get_recipe, list_recipes

__all__ = [
    "History",
    "Recipe",
    "cohen_kappa",
    "concat_datasets",
    "confusion_matrix",
    "evaluate",
    "fit",
    "get_recipe",
    "list_recipes",
    "make_dense",
    "predict",
    "resolve_device",
    "seed_everything",
    "split_stratified",
    "within_subject",
]
