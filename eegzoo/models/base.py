"""What every zoo model class offers: config round trip, self-description, Hub I/O, head
replacement."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

import torch
from pydantic import BaseModel, ValidationError
from torch import nn

from eegzoo.core.errors import SpecError, format_validation_error
from eegzoo.specs.model import ModelSpec


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (fixed filter taps are not counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def spec_of(model: nn.Module) -> ModelSpec:
    """The variant spec a model was built from, or a bare one naming its architecture."""
    spec = getattr(model, "eegzoo_spec", None)
    if spec is not None:
        return spec
    arch = getattr(model, "architecture_name", None)
    if arch is None:
        raise TypeError(
            f"{type(model).__name__} is not a zoo model: build it with eegzoo.create_model or "
            "a zoo class so that it has a spec."
        )
    return ModelSpec(name=arch, architecture=arch)


class HubIO(Protocol):
    """What the io layer provides for models' ``save_pretrained``/``from_pretrained``/``push_to_hub``."""

    def save_pretrained(self, model: nn.Module, save_directory: str | os.PathLike, **kwargs: Any) -> Any: ...
    def from_pretrained(self, location: Any, **kwargs: Any) -> nn.Module: ...
    def push_to_hub(self, model: nn.Module, repo_id: str, **kwargs: Any) -> Any: ...


_HUB_IO: HubIO | None = None

#: The io-layer module that plugs Hub I/O in when imported. Loaded by name on first use, so a
#: class imported on its own (``from eegzoo.models import EEGNet``, braindecode's style) saves
#: and loads in any import order; the static imports still run one way (models never import io).
HUB_IO_PROVIDER = "eegzoo.io.hub"


def register_hub_io(io: HubIO) -> None:
    """Called by :mod:`eegzoo.io.hub` when it is imported. Models sit below the io layer and
    cannot import it, so the io layer plugs its functions in here (dependency inversion)."""
    global _HUB_IO
    _HUB_IO = io


def _hub_io() -> HubIO:
    if _HUB_IO is None:
        importlib.import_module(HUB_IO_PROVIDER)  # registers itself with register_hub_io
    if _HUB_IO is None:
        raise RuntimeError(f"{HUB_IO_PROVIDER} was imported but did not register eegzoo's Hub I/O.")
    return _HUB_IO


class ZooModel:
    """Mixin for zoo model classes. Subclasses set ``architecture_name`` and ``params_model``
    (their validated hyperparameters, from :mod:`eegzoo.specs`), name their final layer
    ``head_name`` and implement :meth:`get_config`; :meth:`describe` feeds the model card."""

    architecture_name: ClassVar[str]
    params_model: ClassVar[type[BaseModel]]
    head_name: ClassVar[str] = "final_layer"
    #: braindecode's class of the same name takes ``**kwargs`` and so is handed every key of
    #: ``config.json`` by huggingface_hub, refusing any that is not its argument (EEGNet).
    #: Its folders then keep ``config.json`` to the constructor arguments and put eegzoo's
    #: record and timm's keys in ``eegzoo.json`` beside it.
    config_json_constructor_only: ClassVar[bool] = False
    #: State-dict keys of checkpoints saved by pre-1.0 braindecode -> today's keys (braindecode's
    #: own name for the table); :meth:`load_state_dict` renames them, as braindecode does.
    mapping: ClassVar[dict[str, str]] = {}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        """``nn.Module.load_state_dict``, reading old braindecode key names (:attr:`mapping`)
        as today's. A key is renamed only when the model has no key of that name itself."""
        own = self.state_dict().keys()  # type: ignore[attr-defined]
        renamed = {
            (self.mapping[key] if key in self.mapping and key not in own else key): value
            for key, value in state_dict.items()
        }
        return super().load_state_dict(renamed, strict=strict, assign=assign)  # type: ignore[misc]

    def get_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments: ``type(self).from_config(get_config())`` rebuilds
        the same architecture."""
        raise NotImplementedError

    @classmethod
    def from_params(cls, params: Any, spec: ModelSpec) -> nn.Module:
        """Build from validated ``params_model`` values; ``spec`` is the registered variant."""
        return cls(**params.constructor_kwargs())

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> nn.Module:
        """Build from :meth:`get_config` output, validated by the architecture's params model."""
        try:
            params = cls.params_model.model_validate(dict(config))
        except ValidationError as err:
            raise SpecError(format_validation_error(err, f"{cls.__name__}.from_config")) from None
        return cls.from_params(params, ModelSpec(name=cls.architecture_name, architecture=cls.architecture_name))

    def describe(self) -> list[str]:
        """The architecture as numbered Markdown steps, for the model card."""
        return [f"{i + 1}. `{type(m).__name__}`" for i, m in enumerate(self.children())]  # type: ignore[attr-defined]

    def save_pretrained(self, save_directory: str | os.PathLike, **kwargs: Any) -> Any:
        """See :func:`eegzoo.save_pretrained`."""
        return _hub_io().save_pretrained(self, save_directory, **kwargs)  # type: ignore[arg-type]

    def push_to_hub(self, repo_id: str, **kwargs: Any) -> Any:
        """See :func:`eegzoo.push_to_hub`."""
        return _hub_io().push_to_hub(self, repo_id, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_pretrained(cls, location: Any, **kwargs: Any) -> nn.Module:
        """See :func:`eegzoo.from_pretrained`; checks the result is a ``cls``."""
        model = _hub_io().from_pretrained(location, **kwargs)
        if not isinstance(model, cls):
            raise TypeError(f"{location} holds a {type(model).__name__}, not a {cls.__name__}.")
        return model

    # huggingface_hub's ModelHubMixin hooks, with its signatures, so tools written for the
    # mixin (and braindecode's conventions) can drive zoo models. Loading stays strict.
    def _save_pretrained(self, save_directory: str | os.PathLike) -> None:
        """ModelHubMixin hook: write this model's files into ``save_directory``."""
        _hub_io().save_pretrained(self, save_directory)  # type: ignore[arg-type]

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        force_download: bool = False,
        local_files_only: bool = False,
        token: str | bool | None = None,
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs: Any,
    ) -> nn.Module:
        """ModelHubMixin hook: load ``model_id`` (folder or Hub id) as :meth:`from_pretrained`
        does. ``strict=False`` is refused: eegzoo never loads weights partially."""
        if not strict:
            raise ValueError(
                "eegzoo loads weights strictly (strict=False is not supported); use "
                "from_pretrained(..., n_outputs=k) to replace the head."
            )
        model = cls.from_pretrained(
            model_id, revision=revision, cache_dir=cache_dir, force_download=force_download,
            local_files_only=local_files_only, token=token, **model_kwargs,
        )
        return model.to(map_location)

    def reset_head(self, n_outputs: int, classes: list[str] | None = None) -> None:
        """Replace the final layer by a freshly initialised one with ``n_outputs`` outputs
        (the body is kept: fine-tune on a new label set). The old class names no longer
        describe the outputs: ``classes`` names the new ones, else they are cleared (and the
        model is no longer its variant's pinned pretrained weights)."""
        if isinstance(n_outputs, bool) or not isinstance(n_outputs, int) or n_outputs < 1:
            raise ValueError(f"n_outputs must be a positive int, got {n_outputs!r}.")
        if classes is not None and (len(classes) != n_outputs or not all(isinstance(c, str) for c in classes)):
            raise ValueError(f"classes must be {n_outputs} class names (one per output), got {classes!r}.")
        old = getattr(self, self.head_name)
        reference = next(old.parameters())
        new = self.new_head(n_outputs)
        new.to(device=reference.device, dtype=reference.dtype)
        setattr(self, self.head_name, new)
        self._n_outputs = n_outputs
        params = getattr(self, "eegzoo_params", None)
        if params is not None:
            self.eegzoo_params = params.model_copy(update={"n_outputs": n_outputs})
        self.eegzoo_classes = list(classes) if classes is not None else None
        spec = getattr(self, "eegzoo_spec", None)
        if spec is not None and spec.pretrained is not None:  # the pinned weights' head is gone
            self.eegzoo_spec = spec.model_copy(update={"pretrained": None})

    def new_head(self, n_outputs: int) -> nn.Module:
        """A freshly initialised final layer with ``n_outputs`` outputs (for :meth:`reset_head`);
        architectures whose head is not a plain ``nn.Linear`` override it."""
        old = getattr(self, self.head_name)
        return nn.Linear(old.in_features, n_outputs, bias=old.bias is not None)

    # timm's names for the head, so timm's tools (and habits) work on zoo models
    @property
    def num_classes(self) -> int:
        """timm's name for ``n_outputs``."""
        return self.n_outputs  # type: ignore[attr-defined]

    def get_classifier(self) -> nn.Module:
        """The final layer (timm's name)."""
        return getattr(self, self.head_name)

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        """timm's name for :meth:`reset_head`; eegzoo heads have no pooling to choose."""
        if global_pool is not None:
            raise ValueError(f"global_pool={global_pool!r}: eegzoo models pool inside the architecture; leave it None.")
        self.reset_head(num_classes)

    # ------------------------------------------------------------------ braindecode's model API
    #: Whether :meth:`to_dense_prediction_model` applies: the architecture is a stack of
    #: convolutions and pooling whose strides can become dilations (braindecode's cropped
    #: decoding: ShallowFBCSPNet, Deep4Net). Architectures set it True when it holds.
    supports_dense_predictions: ClassVar[bool] = False
    #: The axes :meth:`to_dense_prediction_model` converted (``None``: not converted); not
    #: annotated, as TorchScript would read the annotation as the attribute's type.
    dense_prediction_axes = None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(1, n_chans, n_times)``: the shape of one trial (braindecode's property)."""
        return (1, self.n_chans, self.n_times)  # type: ignore[attr-defined]

    def get_output_shape(self) -> tuple[int, ...]:
        """Output shape for one trial of :attr:`input_shape` (braindecode's method):
        ``(1, n_outputs)``, or ``(1, n_outputs, n_preds)`` after
        :meth:`to_dense_prediction_model`. Computed in eval mode; the mode is restored."""
        module: nn.Module = self  # type: ignore[assignment]
        reference = next(module.parameters())
        was_training = module.training
        try:
            module.eval()
            with torch.inference_mode():
                return tuple(module(torch.zeros(self.input_shape, dtype=reference.dtype, device=reference.device)).shape)
        finally:
            module.train(was_training)

    def to_dense_prediction_model(self, axis: tuple[int, ...] | int = (2, 3)) -> None:
        """braindecode's cropped decoding, in place: every stride along the time axis becomes
        1, and every later convolution or max-pooling is dilated by the stride so far, so the
        model outputs ``(batch, n_outputs, n_preds)``, one prediction per crop of ``n_times``
        samples in a longer input. ``axis`` names the intermediate axes (2, 3 or both) as in
        braindecode; eegzoo's 1-D layers have time on axis 2.

        Refused (``NotImplementedError``) for architectures whose layers are not such a
        stack (filter banks, attention, temporal statistics), and when an average pooling
        follows a strided layer: it has no dilation, so its dense form would average the
        wrong samples (braindecode converts it anyway and documents it as not working)."""
        name = type(self).__name__
        if not self.supports_dense_predictions:
            raise NotImplementedError(
                f"{name} cannot make dense predictions: its layers are not a stack of strided "
                "convolutions and poolings (supported: ShallowFBCSPNet, Deep4Net). Crop the input "
                "into windows of n_times samples instead."
            )
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        if not axes or any(ax not in (2, 3) for ax in axes):
            raise ValueError(f"axis must be 2, 3 or (2, 3) (intermediate axes), got {axis!r}.")
        stride_so_far = [1, 1]
        for module in self.modules():  # type: ignore[attr-defined]
            if not hasattr(module, "stride"):
                continue
            one_d = isinstance(module, (nn.Conv1d, nn.MaxPool1d, nn.AvgPool1d))
            stride = _pair(module.stride, one_d)
            if hasattr(module, "dilation"):
                dilation = _pair(module.dilation, one_d)
                if dilation != (1, 1):
                    raise ValueError(f"{name} already has dilated layers: was it converted before?")
                new = [1, 1]
                for ax in axes:
                    new[ax - 2] = stride_so_far[ax - 2]
                module.dilation = new[0] if one_d else tuple(new)
            elif any(stride_so_far[ax - 2] > 1 for ax in axes):
                raise NotImplementedError(
                    f"{name}: {type(module).__name__} follows a strided layer and has no dilation, "
                    "so its dense form would be wrong; use pool_mode='max' for cropped decoding."
                )
            for i in range(2):
                stride_so_far[i] *= stride[i]
            new_stride = list(stride)
            for ax in axes:
                new_stride[ax - 2] = 1
            module.stride = new_stride[0] if one_d else tuple(new_stride)
        # recorded so that save_pretrained keeps it and from_pretrained converts the copy too
        self.dense_prediction_axes = axes

    def _features_and_logits(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.forward_features(x)  # type: ignore[attr-defined]
        return {"features": features, "logits": self.forward_head(features)}  # type: ignore[attr-defined]


def _pair(value: Any, one_d: bool) -> tuple[int, int]:
    """A layer's stride or dilation as (axis 2, axis 3); 1-D layers have time on axis 2."""
    if isinstance(value, int):
        return (value, 1) if one_d else (value, value)
    value = tuple(value)
    return (value[0], 1) if len(value) == 1 else (value[0], value[1])
