"""Validated hyperparameters of Deep4Net: every braindecode 1.8 constructor argument, typed,
and the shape arithmetic the model and its specs share."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Literal, NamedTuple, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from eegzoo.specs.signal_arguments import FinalConvLength, SignalArguments, class_as_path


class Deep4Lengths(NamedTuple):
    """Temporal sizes of one Deep4Net configuration (samples). ``filter_time_length`` ...
    ``filter_length_4`` are the lengths the layers use: braindecode scales them down for a
    window shorter than :func:`deep4_min_n_times`."""

    filter_time_length: int
    pool_time_length: int
    pool_time_stride: int
    filter_length_2: int
    filter_length_3: int
    filter_length_4: int
    n_times_out: int  # time steps of the last block's output
    final_conv_length: int


def deep4_min_n_times(
    filter_time_length: int, pool_time_length: int, pool_time_stride: int,
    filter_length_2: int, filter_length_3: int, filter_length_4: int,
) -> int:
    """Shortest window braindecode considers valid without scaling (stride-1 convolutions,
    strided pooling), worked backwards from one output step."""
    length = 1
    for filter_length in (filter_length_4, filter_length_3, filter_length_2, filter_time_length):
        length = pool_time_stride * (length - 1) + pool_time_length
        length = length + filter_length - 1
    return length


def deep4_lengths(
    n_times: int, final_conv_length: Union[int, str], filter_time_length: int,
    pool_time_length: int, pool_time_stride: int, filter_length_2: int, filter_length_3: int,
    filter_length_4: int, split_first_layer: bool, stride_before_pool: bool, warn: bool = False,
) -> Deep4Lengths:
    """The layer lengths and output sizes for ``n_times`` input samples, as braindecode 1.8
    computes them: a window shorter than :func:`deep4_min_n_times` scales every temporal
    length by ``n_times / minimum`` (``int()``, at least 1; a ``UserWarning`` when ``warn``),
    except the merged first layer's filter (braindecode's ``CombinedConv`` is built with the
    unscaled length). A ``ValueError`` names the fix when the window is still too short."""
    lengths = [filter_time_length, pool_time_length, pool_time_stride, filter_length_2, filter_length_3, filter_length_4]
    minimum = deep4_min_n_times(*lengths)
    if n_times < minimum:
        factor = n_times / minimum
        if warn:
            warnings.warn(
                f"n_times ({n_times}) is smaller than the minimum required ({minimum}) for the "
                "current model parameters configuration. Adjusting parameters to ensure "
                "compatibility. Reducing the kernel, pooling, and stride sizes accordingly. "
                f"Scaling factor: {factor:.2f}",
                UserWarning,
                stacklevel=3,
            )
        lengths = [max(1, int(v * factor)) for v in lengths]
    ftl, pool_len, pool_stride, fl2, fl3, fl4 = lengths
    conv_stride, pool_step = (pool_stride, 1) if stride_before_pool else (1, pool_stride)
    # braindecode's merged first layer has neither the scaled length nor a stride
    first = (filter_time_length, 1) if split_first_layer else (ftl, conv_stride)
    size = n_times
    for name, (kernel, stride) in zip(
        ("the first convolution", "conv_2", "conv_3", "conv_4"),
        (first, (fl2, conv_stride), (fl3, conv_stride), (fl4, conv_stride)),
    ):
        if size < kernel or (size - kernel) // stride + 1 < pool_len:
            raise ValueError(
                f"n_times={n_times} is too short for Deep4Net: {name} ({kernel} samples) and "
                f"its pooling ({pool_len} samples) do not fit the {size} time steps that reach "
                "them. Pass a longer n_times or smaller filter/pool lengths."
            )
        size = ((size - kernel) // stride + 1 - pool_len) // pool_step + 1
    if final_conv_length == "auto":
        final = size
    elif final_conv_length > size:
        raise ValueError(
            f"final_conv_length={final_conv_length} exceeds the {size} time steps the last block "
            f"gives for n_times={n_times}: use 'auto', a value <= {size}, or a longer n_times."
        )
    else:
        final = int(final_conv_length)
    return Deep4Lengths(ftl, pool_len, pool_stride, fl2, fl3, fl4, size, final)


class Deep4NetParams(SignalArguments):
    """Every constructor argument of :class:`eegzoo.models.Deep4Net`, typed and checked."""

    architecture: ClassVar[Optional[str]] = "deep4net"
    model_class: ClassVar[Optional[str]] = "eegzoo.models.deep4net:Deep4Net"
    runtime_options: ClassVar[frozenset[str]] = frozenset({"fused"})

    final_conv_length: FinalConvLength = Field(
        default="auto", description="'auto' (whole window) or time steps of the classifier"
    )
    n_filters_time: StrictInt = Field(default=25, ge=1)
    n_filters_spat: StrictInt = Field(default=25, ge=1)
    filter_time_length: StrictInt = Field(default=10, ge=1, description="samples")
    pool_time_length: StrictInt = Field(default=3, ge=1, description="samples")
    pool_time_stride: StrictInt = Field(default=3, ge=1, description="samples")
    n_filters_2: StrictInt = Field(default=50, ge=1)
    filter_length_2: StrictInt = Field(default=10, ge=1, description="samples")
    n_filters_3: StrictInt = Field(default=100, ge=1)
    filter_length_3: StrictInt = Field(default=10, ge=1, description="samples")
    n_filters_4: StrictInt = Field(default=200, ge=1)
    filter_length_4: StrictInt = Field(default=10, ge=1, description="samples")
    activation_first_conv_nonlin: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    first_pool_mode: Literal["max", "mean"] = "max"
    first_pool_nonlin: str = Field(default="torch.nn.Identity", description="dotted path of an nn.Module class")
    activation_later_conv_nonlin: str = Field(default="torch.nn.ELU", description="dotted path of an nn.Module class")
    later_pool_mode: Literal["max", "mean"] = "max"
    later_pool_nonlin: str = Field(default="torch.nn.Identity", description="dotted path of an nn.Module class")
    drop_prob: StrictFloat = Field(default=0.5, ge=0, lt=1)
    split_first_layer: StrictBool = True
    batch_norm: StrictBool = True
    batch_norm_alpha: StrictFloat = Field(default=0.1, ge=0, le=1, description="batch-norm momentum")
    stride_before_pool: StrictBool = False
    fused: StrictBool = Field(default=True, description="eval: batch norm folded into the convolutions; pool before a monotone non-linearity")

    @field_validator(
        "activation_first_conv_nonlin", "first_pool_nonlin", "activation_later_conv_nonlin", "later_pool_nonlin",
        mode="before",
    )
    @classmethod
    def _as_path(cls, value: Any) -> Any:
        return class_as_path(value)

    @model_validator(mode="after")
    def _lengths_fit(self) -> "Deep4NetParams":
        n_times = self.resolved_n_times()
        if n_times is not None:
            deep4_lengths(
                n_times, self.final_conv_length, self.filter_time_length, self.pool_time_length,
                self.pool_time_stride, self.filter_length_2, self.filter_length_3, self.filter_length_4,
                self.split_first_layer, self.stride_before_pool,
            )
        return self
