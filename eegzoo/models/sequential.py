"""Models declared as a sequence of blocks in a spec file: no Python needed for a variant."""

from __future__ import annotations

import inspect
import re
from typing import Any, Mapping, Sequence

import torch
from torch import nn

from eegzoo.blocks import (
    DepthwiseSpatialConv,
    DepthwiseTemporalConv,
    FilterBank,
    LightweightAttention,
    MaxNormLinear,
    SafeLog,
    SpatialConv,
    Square,
    TemporalSpatialConv,
    VarPool,
)
from eegzoo.blocks.shapes import shape_text
from eegzoo.core.jsonsafe import json_safe
from eegzoo.models.base import ZooModel
from eegzoo.core.errors import SpecError, unknown_names_message
from eegzoo.specs.model import BlockSpec, ModelSpec
from eegzoo.specs.sequential import SequentialParams

#: Blocks a spec may name: eegzoo's own plus common torch layers.
BLOCK_TYPES: dict[str, type[nn.Module]] = {
    "FilterBank": FilterBank,
    "SpatialConv": SpatialConv,
    "VarPool": VarPool,
    "LightweightAttention": LightweightAttention,
    "DepthwiseSpatialConv": DepthwiseSpatialConv,
    "DepthwiseTemporalConv": DepthwiseTemporalConv,
    "TemporalSpatialConv": TemporalSpatialConv,
    "Square": Square,
    "SafeLog": SafeLog,
    "MaxNormLinear": MaxNormLinear,
    "BatchNorm1d": nn.BatchNorm1d,
    "BatchNorm2d": nn.BatchNorm2d,
    "ELU": nn.ELU,
    "ReLU": nn.ReLU,
    "GELU": nn.GELU,
    "SiLU": nn.SiLU,
    "Dropout": nn.Dropout,
    "Flatten": nn.Flatten,
    "Linear": nn.Linear,
    "LazyLinear": nn.LazyLinear,
    "Identity": nn.Identity,
}
_PLACEHOLDER = re.compile(r"^\{(\w+)\}$")


def _substitute(value: Any, context: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, str):
        match = _PLACEHOLDER.match(value)
        if match:
            if match.group(1) not in context:
                raise SpecError(
                    f"{where}: placeholder {value!r} is not a model parameter; use one of "
                    f"{', '.join('{' + k + '}' for k in sorted(context))}."
                )
            return context[match.group(1)]
    if isinstance(value, list):
        return [_substitute(v, context, where) for v in value]
    return value


def build_block(index: int, block: BlockSpec, context: Mapping[str, Any], source: str) -> nn.Module:
    """Instantiate one declared block, with errors naming the source, block and argument."""
    where = f"{source}: blocks[{index}] ({block.type})"
    cls = BLOCK_TYPES.get(block.type)
    if cls is None:
        raise SpecError(f"{where}: " + unknown_names_message([block.type], list(BLOCK_TYPES), "block type"))
    params = inspect.signature(cls.__init__).parameters
    valid = [p for p in params if p not in ("self", "args", "kwargs", "device", "dtype")]
    unknown = [k for k in block.args if k not in valid]
    if unknown:
        raise SpecError(f"{where}: " + unknown_names_message(unknown, valid, "argument"))
    args = {k: _substitute(v, context, where) for k, v in block.args.items()}
    try:
        return cls(**args)
    except (TypeError, ValueError) as err:
        raise SpecError(f"{where}: {err}") from err


class SequentialEEGModel(ZooModel, nn.Module):
    """Runs declared blocks in order on ``(batch, n_chans, n_times)`` input.

    Shapes are checked at build time by a dry run on zeros, which also sizes lazy layers
    (``LazyLinear``), so a badly chained spec fails when created, naming the block.
    """

    architecture_name = "sequential"
    params_model = SequentialParams

    def __init__(
        self,
        blocks: Sequence[BlockSpec | Mapping[str, Any]],
        n_chans: int,
        n_outputs: int,
        n_times: int,
        sfreq: float,
        chs_info: list[dict] | None = None,
        source: str = "spec",
        **hyperparameters: Any,
    ) -> None:
        super().__init__()
        self.n_chans, self.n_outputs, self.n_times, self.sfreq = n_chans, n_outputs, n_times, sfreq
        self.chs_info = chs_info
        #: The spec's own hyperparameters (its ``[params]``), as ``"{name}"`` in block arguments.
        self.hyperparameters = dict(hyperparameters)
        context = dict(n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, sfreq=sfreq, **hyperparameters)
        specs = [b if isinstance(b, BlockSpec) else BlockSpec.model_validate(b) for b in blocks]
        if not specs:
            raise SpecError(f"{source}: 'blocks' is empty; declare at least one block.")
        self.blocks = nn.Sequential(*(build_block(i, b, context, source) for i, b in enumerate(specs)))
        self._dry_run(specs, source)

    @classmethod
    def from_params(cls, params: Any, spec: ModelSpec) -> nn.Module:
        if not spec.blocks:
            raise SpecError(f"spec '{spec.name}': architecture 'sequential' needs a 'blocks' list.")
        return cls(spec.blocks, source=f"spec '{spec.name}'", **params.constructor_kwargs())

    def describe(self) -> list[str]:
        return [f"{i + 1}. `{type(b).__name__}`" for i, b in enumerate(self.blocks)]

    @property
    def input_window_seconds(self) -> float:
        return self.n_times / self.sfreq

    def get_config(self) -> dict[str, Any]:
        return json_safe(
            dict(n_chans=self.n_chans, n_outputs=self.n_outputs, n_times=self.n_times,
                 sfreq=self.sfreq, chs_info=self.chs_info, **self.hyperparameters)
        )

    def reset_head(self, n_outputs: int) -> None:
        raise NotImplementedError(
            "A block-sequence model's head is its last declared block: change n_outputs in the "
            "spec (or create_model(..., n_outputs=k)) instead."
        )

    def _dry_run(self, specs: list[BlockSpec], source: str) -> None:
        x = torch.zeros(2, self.n_chans, self.n_times)
        was_training = self.training
        self.eval()
        with torch.no_grad():
            for i, block in enumerate(self.blocks):
                try:
                    x = block(x)
                except (RuntimeError, ValueError) as err:
                    raise SpecError(
                        f"{source}: blocks[{i}] ({specs[i].type}) cannot take "
                        f"{'the input' if i == 0 else 'the output of the previous block'}, "
                        f"shape {tuple(x.shape)}: {err}"
                    ) from err
        self.train(was_training)
        if tuple(x.shape) != (2, self.n_outputs):
            raise SpecError(
                f"{source}: the blocks end in shape (batch, {', '.join(map(str, x.shape[1:]))}), "
                f"not (batch, n_outputs={self.n_outputs}); end with e.g. Flatten then "
                "LazyLinear(out_features='{n_outputs}')."
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"The model takes a torch.Tensor of shape (batch, {self.n_chans}, {self.n_times}), got "
                f"{type(x).__module__}.{type(x).__name__}: convert it with torch.as_tensor(x, dtype=torch.float32)."
            )
        if torch.jit.is_tracing():  # a trace records tensors, not these Python-level checks
            return self.blocks(x)
        if x.dim() != 3 or x.shape[1] != self.n_chans or x.shape[2] != self.n_times:
            raise ValueError(
                f"The model expects input of shape (batch, n_chans, n_times) = (B, {self.n_chans}, "
                f"{self.n_times}), got {shape_text(x)}: its layers are sized for {self.n_times} samples. "
                f"Crop or pad the trials, or create the model with n_times={x.shape[-1]}."
            )
        if x.shape[0] == 0:
            raise ValueError(f"Input has no trials (shape {shape_text(x)}): pass at least one trial.")
        if not x.is_floating_point():
            raise ValueError(f"Input must be a floating-point tensor, got dtype {x.dtype}.")
        reference = next(self.parameters(), None)  # float64 input into a float32 model is cast
        return self.blocks(x if reference is None else x.to(reference.dtype))

    def inference_module(self) -> nn.Module:
        """Every block's own frozen form where it has one (filter bank, variance pooling),
        eval-mode copies of the others."""
        from eegzoo.models.inference import InferenceSequential

        return InferenceSequential(self)
