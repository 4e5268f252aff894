"""What the architectures' braindecode parity tests (``test_arch_*.py``) share: reading a
generator's fixtures (``fixtures/make_reference_*.py``) into an eegzoo model, and the checks
every architecture passes the same way. The tolerances are the callers'."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file

from conftest import build_quiet
from eegzoo import from_pretrained
from fixtures.reference_common import pattern


def reference_state(folder: Path, meta: dict, name: str) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """braindecode's state_dict of config ``name`` (the weights the generator did not store,
    ``meta["pattern_keys"]``, recomputed with :func:`pattern`) and the fixture's tensors."""
    tensors = load_file(str(folder / f"{name}.safetensors"))
    state = {k[3:]: v for k, v in tensors.items() if k.startswith("sd.")}
    for key, (index, shape) in meta.get("pattern_keys", {}).get(name, {}).items():
        state[key] = pattern(tuple(shape), index)
    return state, tensors


def load_reference(cls: type, folder: Path, meta: dict, name: str, **extra):
    """``(model, braindecode's state_dict, fixture tensors)``: eegzoo's ``cls`` built with
    config ``name`` (and ``extra``) holding braindecode's weights, loaded strictly."""
    state, tensors = reference_state(folder, meta, name)
    model = build_quiet(cls, **meta["configs"][name], **extra)
    model.load_state_dict(state, strict=True)
    return model, state, tensors


def assert_eval_and_train_logits(model: torch.nn.Module, t: dict[str, torch.Tensor], train_seed: int, tol: float) -> None:
    """braindecode's logits in eval mode, then in training mode with the generator's dropout
    masks (``torch.manual_seed(train_seed)``); leaves the model in training mode."""
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(t["x"]), t["logits_eval"], rtol=0, atol=tol)
        model.train()
        torch.manual_seed(train_seed)
        torch.testing.assert_close(model(t["x"]), t["logits_train"], rtol=0, atol=tol)


def assert_other_masks_give_other_logits(model: torch.nn.Module, t: dict[str, torch.Tensor], train_seed: int, tol: float) -> None:
    """The training-mode parity is not vacuous: other dropout masks, other logits."""
    with torch.no_grad():
        torch.manual_seed(train_seed + 1)  # other dropout masks, other logits
        assert (model(t["x"]) - t["logits_train"]).abs().max() > 10 * tol


def assert_logits_match_braindecode(model: torch.nn.Module, t: dict[str, torch.Tensor], train_seed: int, tol: float) -> None:
    """:func:`assert_eval_and_train_logits` and :func:`assert_other_masks_give_other_logits`."""
    assert_eval_and_train_logits(model, t, train_seed, tol)
    assert_other_masks_give_other_logits(model, t, train_seed, tol)


def assert_keys_shapes_dtypes(ours: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> None:
    """What braindecode's ``load_state_dict(strict=True)`` needs: the same keys, shapes and dtypes."""
    assert set(ours) == set(state)
    for key, value in state.items():
        assert (ours[key].shape, ours[key].dtype) == (value.shape, value.dtype), key


def assert_same_tensors(ours: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    """Every tensor of ``expected`` equal, to the bit, to ``ours``'s of the same key."""
    for key, value in expected.items():
        torch.testing.assert_close(ours[key], value, rtol=0, atol=0, msg=key)


def assert_hub_folder_and_bare_state_dict_import(cls: type, folder: Path, tmp_path: Path, tol: float):
    """braindecode's Hub folder loads (``cls.from_pretrained``) with braindecode's eval
    logits, and so does its bare ``config.json`` + ``pytorch_model.bin``
    (``eegzoo.from_pretrained``); returns ``(model, io tensors)`` for further checks."""
    io = load_file(str(folder / "io.safetensors"))
    model = cls.from_pretrained(folder).eval()
    with torch.no_grad():
        torch.testing.assert_close(model(io["x"]), io["logits_eval"], rtol=0, atol=tol)
    only_bin = tmp_path / "bd"
    only_bin.mkdir()
    for name in ("config.json", "pytorch_model.bin"):
        shutil.copy(folder / name, only_bin)
    with torch.no_grad():
        torch.testing.assert_close(from_pretrained(only_bin).eval()(io["x"]), io["logits_eval"], rtol=0, atol=tol)
    return model, io


def squared_loss_gradients(model: torch.nn.Module, x: torch.Tensor):
    """``(loss, input gradient, parameter gradients)`` of one training-mode pass of
    ``model(x).square().sum()`` after ``torch.manual_seed(3)`` (the same dropout masks on
    the fused and the plain path)."""
    model.train()
    x = x.clone().requires_grad_(True)
    torch.manual_seed(3)
    loss = model(x).square().sum()
    loss.backward()
    grads = {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), x.grad.clone(), grads
