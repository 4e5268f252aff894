"""Validated hyperparameters of EEGConformer: every braindecode 1.8 constructor argument,
typed, and the shape arithmetic the model and its specs share."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.signal_arguments import SignalArguments, class_as_path


def check_conformer_shapes(
    n_times: int, n_filters_time: int, filter_time_length: int, pool_time_length: int,
    pool_time_stride: int, num_heads: int, final_fc_length: Union[int, str], return_features: bool = False,
) -> tuple[int, int]:
    """``(tokens, classifier input length)`` for ``n_times`` input samples; a ``ValueError``
    naming the fix when the window is too short, the heads do not divide the embedding or
    ``final_fc_length`` does not match the flattened tokens (unless ``return_features``:
    the classifier never runs then, and braindecode builds it at any size)."""
    if n_filters_time % num_heads != 0:
        raise ValueError(
            f"n_filters_time={n_filters_time} (the embedding size) must be divisible by "
            f"num_heads={num_heads}: pick num_heads among its divisors."
        )
    n_tokens = (n_times - filter_time_length + 1 - pool_time_length) // pool_time_stride + 1
    if n_tokens < 1:
        raise ValueError(
            f"n_times={n_times} is too short for EEGConformer: the temporal convolution "
            f"({filter_time_length} samples) and one pooling window ({pool_time_length}) need "
            f"{filter_time_length + pool_time_length - 1} samples. Pass a longer n_times or "
            "smaller filter_time_length/pool_time_length."
        )
    length = n_tokens * n_filters_time
    if final_fc_length != "auto" and return_features:
        return n_tokens, int(final_fc_length)
    if final_fc_length != "auto" and final_fc_length != length:
        raise ValueError(
            f"final_fc_length={final_fc_length} does not match the {n_tokens} tokens x "
            f"{n_filters_time} features = {length} that n_times={n_times} gives: use 'auto' or {length}."
        )
    return n_tokens, length


class EEGConformerParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.EEGConformer`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "eegconformer"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.eegconformer:EEGConformer"

    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    n_filters_time: StrictInt = Field(default=40, ge=1, description="temporal filters = embedding size")
    filter_time_length: StrictInt = Field(default=25, ge=1, description="samples")
    pool_time_length: StrictInt = Field(default=75, ge=1, description="samples")
    pool_time_stride: StrictInt = Field(default=15, ge=1, description="samples")
    drop_prob: StrictFloat = Field(default=0.5, ge=0, lt=1, description="dropout of the convolutional stem")
    num_layers: StrictInt = Field(default=6, ge=0, description="transformer encoder layers")
    num_heads: StrictInt = Field(default=10, ge=1)
    att_drop_prob: StrictFloat = Field(default=0.5, ge=0, lt=1, description="dropout in the transformer")
    final_fc_length: Union[Literal["auto"], StrictInt] = Field(
        default="auto", description="'auto' or tokens x n_filters_time"
    )
    return_features: StrictBool = Field(default=False, description="forward returns the transformer's tokens")
    activation: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    activation_transfor: str = Field(
        default="torch.nn.GELU", description="dotted path of the feed-forward networks' activation class"
    )
    fused: StrictBool = Field(
        default=True, description="temporal and spatial convolutions as one (batch norm folded in eval): same numbers, faster"
    )

    @field_validator("activation", "activation_transfor", mode="before")
    @classmethod
    def _activation_as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @classmethod
    def sized_for_signal(cls, n_times: int, sfreq: float) -> dict[str, Any]:
        """Hyperparameters that follow the data when a fresh model is sized from it: the
        paper's durations at 250 Hz (25-sample = 0.1 s filters, 75-sample = 0.3 s pooling every
        15 samples = 0.06 s) at the data's rate."""
        filter_length = max(1, round(0.1 * sfreq))
        pool_length = max(1, min(round(0.3 * sfreq), n_times - filter_length + 1))
        return {"filter_time_length": filter_length, "pool_time_length": pool_length,
                "pool_time_stride": max(1, min(round(0.06 * sfreq), pool_length))}

    @model_validator(mode="after")
    def _shapes_fit(self) -> "EEGConformerParams":
        n_times = self.resolved_n_times()
        if n_times is not None:
            check_conformer_shapes(
                n_times, self.n_filters_time, self.filter_time_length, self.pool_time_length,
                self.pool_time_stride, self.num_heads, self.final_fc_length, self.return_features,
            )
        elif self.n_filters_time % self.num_heads != 0:
            check_conformer_shapes(10**6, self.n_filters_time, 1, 1, 1, self.num_heads, "auto")
        return self
