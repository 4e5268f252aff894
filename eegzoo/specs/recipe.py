"""Training recipes as data: optimiser, schedule, batch size, early stopping and an optional
second stage, named and validated, so a published model can say exactly how it was trained
(``fit(model, train, recipe="lightconvnet")``). Torch-free."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, StrictFloat, StrictInt, ValidationError, model_validator

from eegzoo.core.errors import RegistryError, SpecError, format_validation_error, unknown_names_message
from eegzoo.specs.model import Frozen


class PlateauSchedule(Frozen):
    """``torch.optim.lr_scheduler.ReduceLROnPlateau`` on the mean training loss of each epoch."""

    factor: StrictFloat = Field(gt=0, lt=1, description="multiply the learning rate by this on a plateau")
    patience: StrictInt = Field(ge=0, description="epochs without improvement before reducing")
    min_lr: StrictFloat = Field(ge=0, description="floor of the learning rate")


class Recipe(Frozen):
    """How to train: every choice ``fit`` makes, in one validated, JSON-safe record."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str
    source: str = Field(default="", description="where the recipe comes from (paper, code, measurement)")
    optimizer: Literal["adam", "adamw"]
    lr: StrictFloat = Field(gt=0)
    weight_decay: StrictFloat = Field(ge=0)
    batch_size: StrictInt = Field(ge=1)
    epochs: StrictInt = Field(ge=1, description="maximum epochs of the first stage")
    schedule: Literal["cosine", "plateau", "constant"]
    plateau: Optional[PlateauSchedule] = Field(default=None, description="parameters of schedule 'plateau'")
    monitor: Literal["valid_loss", "valid_accuracy"] = Field(description="what early stopping watches")
    ties_improve: bool = Field(
        default=False, description="an equal monitored value counts as an improvement (the later epoch is kept)"
    )
    patience: StrictInt = Field(ge=1, description="epochs without improvement before stopping")
    min_delta: StrictFloat = Field(
        default=0.0, ge=0,
        description="an epoch improves only when the monitored value beats the best by more than this "
        "(validation loss in nats, or accuracy); smaller changes count toward the patience",
    )
    valid_fraction: Optional[StrictFloat] = Field(
        default=None, gt=0, lt=1,
        description="when fit gets no validation set: hold out this fraction of each class for early stopping",
    )
    refit_epochs: StrictInt = Field(
        default=0, ge=0,
        description="second stage: from the best weights, train this many more epochs on train + validation",
    )
    cropped: bool = Field(
        default=False,
        description="cropped decoding (braindecode's): the model predicts at every time point of a trial from "
        "a receptive field shorter than the trial (to_dense_prediction_model()), and the loss and the trial's "
        "prediction use the predictions averaged over time",
    )

    @model_validator(mode="after")
    def _schedule_complete(self) -> "Recipe":
        if (self.schedule == "plateau") != (self.plateau is not None):
            raise ValueError("schedule 'plateau' needs a [plateau] table (factor, patience, min_lr), and only it takes one.")
        return self

    def replace(self, **overrides: Any) -> "Recipe":
        """A validated copy with some fields changed (``None`` values keep the recipe's)."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        unknown = [k for k in changes if k not in type(self).model_fields]
        if unknown:
            raise TypeError(unknown_names_message(unknown, list(type(self).model_fields), "recipe field"))
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as err:
            raise SpecError(format_validation_error(err, f"recipe '{self.name}' with {changes}")) from None


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            name="default",
            description=(
                "AdamW with a cosine learning-rate schedule; stops when the validation loss has not improved "
                "by more than 0.001 for 20 epochs and restores the best weights."
            ),
            source="eegzoo's general-purpose default (not from a paper)",
            optimizer="adamw", lr=1e-3, weight_decay=1e-2, batch_size=64, epochs=100,
            schedule="cosine", monitor="valid_loss", patience=20, min_delta=1e-3,
        ),
        Recipe(
            name="benchmark",
            description=(
                "A short recipe for CPU benchmarks of small datasets: AdamW (lr 3e-3, weight decay 1e-2), "
                "batch 32, cosine schedule over at most 40 epochs, 20 % of each class held out for early "
                "stopping on the validation loss (patience 10), best weights restored."
            ),
            source="eegzoo's benchmark setting (chosen for run time on 2 CPU cores, not tuned per dataset)",
            optimizer="adamw", lr=3e-3, weight_decay=1e-2, batch_size=32, epochs=40,
            schedule="cosine", monitor="valid_loss", patience=10, valid_fraction=0.2,
        ),
        Recipe(
            name="benchmark-cropped",
            description=(
                "The 'benchmark' recipe with cropped decoding: the model is made dense "
                "(to_dense_prediction_model()) and trained on the time-averaged predictions of every crop of "
                "each trial; a trial's prediction is the average over its crops. Needs an architecture with "
                "dense predictions and a receptive field shorter than the trial (e.g. shallowfbcspnet-cropped)."
            ),
            source="braindecode's cropped decoding (Schirrmeister et al. 2017) with eegzoo's benchmark setting",
            optimizer="adamw", lr=3e-3, weight_decay=1e-2, batch_size=32, epochs=40,
            schedule="cosine", monitor="valid_loss", patience=10, valid_fraction=0.2, cropped=True,
        ),
        Recipe(
            name="lightconvnet",
            description=(
                "The LightConvNet paper's procedure: Adam (lr 1e-3), ReduceLROnPlateau on the training loss "
                "(factor 0.6, patience 20, min 1e-4), batch 150; stage 1 keeps the weights of the best "
                "validation accuracy (ties: the later epoch) and stops after 50 epochs without improvement "
                "(at most 500); stage 2 restores those weights and the optimiser state and trains 200 more "
                "epochs on training + validation data."
            ),
            source="Ma et al. 2023, code github.com/Ma-Xinzhi/LightConvNet (config/bciiv2a_config.yaml, model/baseModel.py)",
            optimizer="adam", lr=1e-3, weight_decay=0.0, batch_size=150, epochs=500,
            schedule="plateau", plateau=PlateauSchedule(factor=0.6, patience=20, min_lr=1e-4),
            monitor="valid_accuracy", ties_improve=True, patience=50, valid_fraction=0.2, refit_epochs=200,
        ),
    )
}


def list_recipes() -> list[str]:
    return sorted(RECIPES)


def get_recipe(recipe: str | Recipe | dict[str, Any]) -> Recipe:
    """A named recipe, a ``Recipe``, or a dict of its fields (validated)."""
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, dict):
        try:
            return Recipe.model_validate(recipe)
        except ValidationError as err:
            raise SpecError(format_validation_error(err, "recipe")) from None
    if recipe not in RECIPES:
        raise RegistryError(unknown_names_message([recipe], list(RECIPES), "recipe"))
    return RECIPES[recipe]
