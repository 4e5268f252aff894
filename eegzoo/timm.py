"""timm interop: eegzoo's variants and architectures as timm models.

``import eegzoo.timm`` registers every registered eegzoo variant (and every architecture
that builds from hyperparameters alone) in timm's model registry. Nothing registers
automatically: neither ``import timm`` nor ``import eegzoo`` does it, and variants
registered later (``register_spec``, a plugin after ``reload_registry``) join after
:func:`register_timm_models` is called again. Then::

    timm.list_models("*lightconv*")
    timm.create_model("fblightconvnet", num_classes=4, n_chans=22, n_times=1000, sfreq=250)
    timm.create_model("lightconvnet-bciiv2a", pretrained=True)       # the spec's pinned weights
    timm.create_model("local-dir:my-model", pretrained=True)         # a save_pretrained folder
    timm.create_model("hf-hub:owner/repo", pretrained=True)          # a pushed one

``num_classes`` is eegzoo's ``n_outputs`` and ``in_chans`` its ``n_chans``; every other
keyword is an eegzoo constructor argument, validated as by ``eegzoo.create_model``. With
``pretrained=True`` and a different ``num_classes``, the trained body gets a new head, as in
timm.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, Callable

try:
    from timm.models import is_model as timm_has_model
    from timm.models import model_entrypoint, register_model
except ImportError as err:  # pragma: no cover - exercised where timm is absent
    raise ImportError(
        "eegzoo.timm needs timm: pip install \"eegzoo[timm]\" (timm needs a torchvision that "
        "matches your torch)."
    ) from err
from huggingface_hub import hf_hub_download
from torch import nn

from eegzoo.api import create_model, from_pretrained
from eegzoo.core.errors import SpecError
from eegzoo.registry import build_from_spec, get_architecture, is_model, list_architectures, list_models, model_spec
from eegzoo.specs.model import ModelSpec

__all__ = ["register_timm_models", "timm_arguments"]

#: timm reads a registering module's ``default_cfgs`` for each model's pretrained config.
default_cfgs: dict[str, dict[str, Any]] = {}

_ALIASES = {"num_classes": "n_outputs", "in_chans": "n_chans"}


def timm_arguments(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """timm's names for eegzoo's arguments: ``num_classes`` -> ``n_outputs``, ``in_chans``
    -> ``n_chans``; both spellings with different values is an error."""
    out = dict(kwargs)
    for timm_name, name in _ALIASES.items():
        if timm_name in out:
            value = out.pop(timm_name)
            if name in out and out[name] != value:
                raise SpecError(f"{timm_name}={value!r} and {name}={out[name]!r} disagree; pass only one of them.")
            out[name] = value
    return out


def _cfg_dict(cfg: Any) -> dict[str, Any]:
    if cfg is None:
        return {}
    return dict(asdict(cfg) if is_dataclass(cfg) else cfg)


def _tagged_variant(name: str, tag: str) -> str:
    """timm reads ``model.tag`` as a model and a pretrained tag; eegzoo's pretrained variants
    are named ``<model>.<dataset>`` the same way, so the tag picks that variant."""
    variant = f"{name}.{tag}"
    if is_model(variant):
        return variant
    tagged = list_models(f"{name}.*")
    raise SpecError(
        f"eegzoo has no variant '{variant}'; the tagged variants of '{name}' are: "
        f"{', '.join(tagged) or 'none'}."
    )


def _default_cfg(name: str) -> dict[str, Any]:
    """What timm records about a model: its pinned weights (if any), classes and license."""
    spec = model_spec(name) if is_model(name) else None
    cfg: dict[str, Any] = {"description": spec.description if spec else f"eegzoo architecture '{name}'"}
    if spec is not None:
        if spec.pretrained is not None:
            revision = f"@{spec.pretrained.revision}" if spec.pretrained.revision else ""
            cfg.update(hf_hub_id=spec.pretrained.repo_id + revision, hf_hub_filename=spec.pretrained.filename)
        if spec.signal.n_outputs is not None:
            cfg["num_classes"] = spec.signal.n_outputs
        cfg.update(license=spec.license.lower(), paper_name=spec.paper)
    return {k: v for k, v in cfg.items() if v is not None}


def _saved_model_args(location: str, revision: str | None, cache_dir: Any, source: str) -> dict[str, Any]:
    """``model_args`` of a saved folder's config.json (a local folder, or a Hub repo through
    the Hub cache, where timm has just fetched it)."""
    if source == "local-dir":
        path = Path(location) / "config.json"
    else:
        path = Path(hf_hub_download(location, "config.json", revision=revision, cache_dir=cache_dir))
    return dict(json.loads(path.read_text()).get("model_args") or {})


def _build(name: str, pretrained: bool, **kwargs: Any) -> nn.Module:
    pretrained_cfg = kwargs.pop("pretrained_cfg", None)
    if isinstance(pretrained_cfg, str):
        name, pretrained_cfg = _tagged_variant(name, pretrained_cfg), None
    cfg = {**_default_cfg(name), **_cfg_dict(pretrained_cfg), **(kwargs.pop("pretrained_cfg_overlay", None) or {})}
    cache_dir = kwargs.pop("cache_dir", None)
    saved = kwargs.pop("pretrained_model_args", None)
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    source = cfg.get("source")
    if source in ("local-dir", "hf-hub"):
        location, _, revision = (cfg["file"], "", "") if source == "local-dir" else cfg["hf_hub_id"].partition("@")
        if saved is None:  # timm < 1.0.30 does not pass them on
            saved = _saved_model_args(location, revision or None, cache_dir, source)
    # timm merges a saved folder's model_args into kwargs; only the rest are the caller's
    saved = dict(saved or {})
    requested = timm_arguments({k: v for k, v in kwargs.items() if k not in saved or saved[k] != v})
    if source in ("local-dir", "hf-hub") and pretrained:
        model = from_pretrained(location, revision=revision or None, cache_dir=cache_dir, **requested)
    elif pretrained and not is_model(name):
        raise ValueError(
            f"'{name}' is an architecture, not a registered variant, so it has no pretrained weights. "
            f"Models with weights: {list_models(pretrained=True) or 'none registered yet'}."
        )
    elif pretrained:
        n_outputs = requested.pop("n_outputs", None)
        model = create_model(name, pretrained=True, **requested)
        if n_outputs is not None and n_outputs != model.n_outputs:
            model.reset_head(n_outputs)
    elif is_model(name):
        model = create_model(name, **timm_arguments({**saved, **requested}))
    else:  # an architecture without a variant of its name: hyperparameters only
        spec = ModelSpec(name=name, architecture=name)
        model = build_from_spec(spec, timm_arguments({**saved, **requested}), f"timm.create_model('{name}')")
    model.pretrained_cfg = model.default_cfg = {**cfg, "architecture": name, "num_classes": model.n_outputs}
    if device is not None or dtype is not None:
        model.to(device=device, dtype=dtype)
    return model


def _entrypoint(name: str) -> Callable[..., nn.Module]:
    def entrypoint(pretrained: bool = False, **kwargs: Any) -> nn.Module:
        return _build(name, pretrained, **kwargs)

    entrypoint.__name__ = entrypoint.__qualname__ = name
    entrypoint.__module__ = __name__
    entrypoint.__doc__ = f"eegzoo's '{name}' (see eegzoo.create_model)."
    return entrypoint


def _standalone_architectures() -> list[str]:
    """Architectures that build from hyperparameters alone and are not variant names."""
    variants = set(list_models())
    return [name for name in list_architectures() if get_architecture(name).standalone and name not in variants]


def register_timm_models() -> list[str]:
    """Register every eegzoo variant and stand-alone architecture in timm's registry (again
    after new variants were registered); returns the names. A name timm already uses for a
    model of its own is skipped with a warning, never overwritten."""
    registered = []
    for name in sorted({*list_models(), *_standalone_architectures()}):
        existing = model_entrypoint(name) if timm_has_model(name) else None
        if existing is not None and existing.__module__ != __name__:
            warnings.warn(
                f"timm already has a model named '{name}' ({existing.__module__}); eegzoo's "
                f"'{name}' is not registered in timm (use eegzoo.create_model('{name}')).",
                UserWarning, stacklevel=2,
            )
            continue
        default_cfgs[name] = _default_cfg(name)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=f"Overwriting {name} in registry")
            register_model(_entrypoint(name))
        registered.append(name)
    return registered


register_timm_models()
