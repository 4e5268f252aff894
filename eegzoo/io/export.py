"""Deployment: a frozen, export-friendly form of a trained model, and the export formats.

``inference_module(model)`` is the model's own frozen form: each architecture describes it
(``model.inference_module()``, see :mod:`eegzoo.models.inference`; block-sequence models
assemble their blocks' forms), built from layers that TorchScript, ``torch.export`` and both
ONNX exporters handle, holding only the weights. A module without one is exported as an
eval-mode copy of itself. ``export_model`` writes it in one of three formats, atomically,
with a dynamic batch dimension, and prints nothing: third-party exporter warnings and logs
are silenced (eegzoo's own warnings still show).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from eegzoo.core.files import atomic_write

EXPORT_FORMATS = ("onnx", "torchscript", "exported-program")


def inference_module(model: nn.Module) -> nn.Module:
    """The frozen export-friendly form of ``model`` (a copy of its current eval-mode weights):
    ``model.inference_module()`` where the model defines one, else an eval-mode copy."""
    own = getattr(model, "inference_module", None)
    if callable(own):
        return own()
    form = copy.deepcopy(model).eval()
    form.requires_grad_(False)
    return form


@contextlib.contextmanager
def _quiet_exporters() -> Iterator[None]:
    """Silence the exporters' own warnings and log lines (deprecations, tracer notes, missing
    optional operators), and re-emit eegzoo's warnings, so a clean export prints nothing."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "torch._export", "torch.fx", "onnxscript")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
    for warning in caught:
        if warning.category.__module__.startswith("eegzoo"):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def export_model(model: nn.Module, path: str | os.PathLike, fmt: str, batch_size: int = 2) -> Path:
    """Write ``model``'s :func:`inference_module` as TorchScript (scripted), a
    ``torch.export`` ExportedProgram (``.pt2``) or ONNX; every format takes any batch size.
    ``batch_size`` is only the example the exporters trace with."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}.")
    if fmt == "onnx":
        try:
            import onnx  # noqa: F401
        except ImportError as err:
            raise ImportError("ONNX export needs the 'export' extra: pip install 'eegzoo[export]'.") from err
    module = inference_module(model)
    example = torch.zeros(batch_size, module.n_chans, module.n_times)
    batch = torch.export.Dim("batch", min=1)
    with _quiet_exporters():
        if fmt == "torchscript":
            scripted = torch.jit.script(module)
            return atomic_write(path, lambda tmp: scripted.save(tmp))
        if fmt == "exported-program":
            program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},))
            return atomic_write(path, lambda tmp: torch.export.save(program, tmp))
        return atomic_write(
            path,
            lambda tmp: torch.onnx.export(
                module, (example,), tmp, input_names=["eeg"], output_names=["logits"],
                dynamic_axes={"eeg": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False,
            ),
        )
