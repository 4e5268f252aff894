"""Weights on disk: safetensors only (never pickle), with metadata, atomic writes and strict,
explanatory loading."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from eegzoo.core.version import __version__
from eegzoo.core.files import atomic_write, atomic_write_text, file_sha256  # noqa: F401 (re-exported)


class WeightsError(ValueError):
    """Saved weights (or the config.json beside them) are unreadable, corrupt, edited, or do
    not fit the model."""


def tensors_sha256(tensors: Mapping[str, torch.Tensor]) -> str:
    """Content hash over names, dtypes, shapes and bytes (independent of file layout)."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def _model_config(model: nn.Module) -> dict[str, Any] | None:
    get_config = getattr(model, "get_config", None)
    return get_config() if callable(get_config) else None


def save_weights(model: nn.Module, path: str | os.PathLike, metadata: Mapping[str, str] | None = None) -> Path:
    """Write ``model.state_dict()`` to a safetensors file, atomically, with metadata:
    eegzoo version, model name, spec/config JSON, tensor sha256 and creation time."""
    state = {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    spec = getattr(model, "eegzoo_spec", None)
    meta = {
        "format": "pt",
        "eegzoo_version": __version__,
        "model_name": spec.name if spec is not None else type(model).__name__.lower(),
        "architecture": spec.architecture if spec is not None else type(model).__name__.lower(),
        "tensors_sha256": tensors_sha256(state),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if spec is not None:
        meta["spec"] = spec.model_dump_json()
    config = _model_config(model)
    if config is not None:
        meta["config"] = json.dumps(config, sort_keys=True)
    meta.update(metadata or {})

    def write(tmp: str) -> None:
        save_file(state, tmp, metadata=meta)
        _canonical_header(tmp)

    return atomic_write(path, write)


def _canonical_header(path: str | os.PathLike) -> None:
    """Rewrite a safetensors header with sorted keys: safetensors orders it arbitrarily (a
    hash map), so the same tensors and metadata would give files with different sha256.
    The tensor data and their offsets are unchanged."""
    with open(path, "rb") as fh:
        size = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(size))
        data = fh.read()
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keep the data 8-byte aligned, as safetensors does
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)) + text + data)


def read_weights(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of a safetensors file, with integrity checks."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No weights file at {path}.")
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = dict(fh.metadata() or {})
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        raise WeightsError(
            f"{path} is not a readable safetensors file ({err}); it may be truncated or "
            "corrupt: save or download it again."
        ) from err
    expected = meta.get("tensors_sha256")
    if expected is not None and tensors_sha256(tensors) != expected:
        raise WeightsError(
            f"{path}: the tensors do not match the sha256 recorded in the file's metadata; "
            "the file is corrupt: save or download it again."
        )
    return tensors, meta


def check_state_dict(model: nn.Module, state: Mapping[str, torch.Tensor], source: str, ignore: tuple[str, ...] = ()) -> None:
    """Raise a :class:`WeightsError` listing missing, unexpected and mis-shaped keys."""
    own = {k: v for k, v in model.state_dict().items() if not k.startswith(ignore)}
    given = {k: v for k, v in state.items() if not k.startswith(ignore)}
    missing = sorted(set(own) - set(given))
    unexpected = sorted(set(given) - set(own))
    shapes = sorted(
        f"{k}: file {tuple(given[k].shape)} vs model {tuple(own[k].shape)}"
        for k in set(own) & set(given)
        if tuple(given[k].shape) != tuple(own[k].shape)
    )
    if not (missing or unexpected or shapes):
        return
    lines = [f"The weights in {source} do not fit this {type(model).__name__}:"]
    if missing and unexpected and len(missing) == len(unexpected):
        lines.append("  the key names differ (renamed or prefixed keys?): nothing was loaded.")
    if missing:
        lines.append(f"  missing keys ({len(missing)}): {', '.join(missing[:12])}{' ...' if len(missing) > 12 else ''}")
    if unexpected:
        lines.append(f"  unexpected keys ({len(unexpected)}): {', '.join(unexpected[:12])}{' ...' if len(unexpected) > 12 else ''}")
    if shapes:
        lines.append(f"  shape mismatches: {'; '.join(shapes)}")
        lines.append(
            "  Build the model with the configuration the weights were saved with "
            "(config.json / the file's metadata), or use from_pretrained(..., n_outputs=k) "
            "to replace only the head."
        )
    raise WeightsError("\n".join(lines))


def check_signal_metadata(model: nn.Module, meta: Mapping[str, str], source: str) -> None:
    if "config" not in meta:
        return
    saved = json.loads(meta["config"])
    for key in ("sfreq", "n_chans", "n_times"):
        ours = getattr(model, key, None)
        if saved.get(key) is not None and ours is not None and float(saved[key]) != float(ours):
            raise WeightsError(
                f"The weights in {source} were saved for {key}={saved[key]}, but this model has "
                f"{key}={ours}. Build it with {key}={saved[key]} (filters and shapes depend on "
                "it), or resample/crop your data to match."
            )


def load_weights(model: nn.Module, path: str | os.PathLike, strict: bool = True) -> nn.Module:
    """Load a safetensors file into ``model``. Strict by default: missing, unexpected or
    mis-shaped keys, a corrupt file or a different sfreq/n_chans/n_times raise an error
    that lists them."""
    tensors, meta = read_weights(path)
    if strict:
        check_signal_metadata(model, meta, str(path))
        check_state_dict(model, tensors, str(path))
    model.load_state_dict(tensors, strict=strict)
    return model


def load_braindecode_bin(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A braindecode ``pytorch_model.bin`` state_dict, read with ``weights_only=True`` (no
    arbitrary code from pickles)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - torch raises many types for bad files
        raise WeightsError(f"{path} is not a loadable state_dict ({type(err).__name__}: {err}).") from err
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path} does not hold a state_dict (a mapping of names to tensors).")
    return dict(state)
