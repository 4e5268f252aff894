"""Deployment: a frozen, export-friendly form of a trained model, and the export formats.

``inference_module(model)`` turns an :class:`~eegzoo.models.FBLightConvNet` (eval
semantics) into :class:`InferenceFBLightConvNet`: the filter bank + spatial conv + batch
norm become one linear operator evaluated with real DFT matrices (plain ``matmul`` and
``einsum`` instead of ``torch.fft``, which the legacy ONNX exporter cannot handle), and the
rest uses only elementwise ops and reductions. It works with ``torch.jit.script``,
``torch.jit.trace``, ``torch.export.export``, ``torch.compile`` and both ONNX exporters,
and gives the eager model's logits to float32 rounding. Input must have exactly
``n_times`` samples (crop longer recordings before calling it). Other architectures
provide their own frozen form (``model.inference_module()``), which this module's
``inference_module`` and ``export_model`` use.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.spectral_spatial import spectral_mixing_matrix
from eegzoo.core.files import atomic_write

EXPORT_FORMATS = ("onnx", "torchscript", "exported-program")


def _dft_matrices(n_times: int, n_out: int, n_fft: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``forward (n_times, 2K)``: x -> [Re X, Im X] of the zero-padded rFFT; ``inverse
    (2K, n_out)``: [Re Y, Im Y] -> the first ``n_out`` samples of the irFFT."""
    n_freqs = n_fft // 2 + 1
    k = torch.arange(n_freqs, dtype=torch.float64)
    t_in = torch.arange(n_times, dtype=torch.float64)[:, None]
    angle = 2 * math.pi * t_in * k / n_fft
    forward = torch.cat([torch.cos(angle), -torch.sin(angle)], dim=1)
    weight = torch.full((n_freqs,), 2.0, dtype=torch.float64)
    weight[0] = 1.0
    if n_fft % 2 == 0:
        weight[-1] = 1.0  # the Nyquist bin appears once
    t_out = torch.arange(n_out, dtype=torch.float64)
    angle = 2 * math.pi * k[:, None] * t_out / n_fft
    inverse = torch.cat([weight[:, None] * torch.cos(angle), -weight[:, None] * torch.sin(angle)], dim=0) / n_fft
    return forward.float(), inverse.float()


class InferenceFBLightConvNet(nn.Module):
    """Frozen eval-mode FBLightConvNet built from matmuls: ``(B, n_chans, n_times) -> (B, n_outputs)``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        if getattr(model, "architecture_name", None) != "fblightconvnet":
            raise TypeError(f"inference_module supports FBLightConvNet, got {type(model).__name__}.")
        bank = model.spectral_filtering
        if not bank.is_fir:
            raise ValueError(
                "The export form needs a FIR filter bank; this model uses IIR filters "
                "(filter_parameters={'method': 'iir'}), which only run in eager mode."
            )
        self.n_chans: int = model.n_chans
        self.n_times: int = model.n_times
        self.n_outputs: int = model.n_outputs
        self.n_filters: int = model.n_filters_spat
        self.n_windows: int = model.n_windows
        self.win_len: int = model.win_len
        self.heads: int = model.heads
        n_fft = bank.fft_length(self.n_times)
        self.n_freqs: int = n_fft // 2 + 1
        with torch.no_grad():
            weight, bias = model._folded_spatial()
            # The fused operator's mixing (float64), unpacked from its (re, im) block form:
            # block[k, 2c, 2f] = Re M[k, c, f] and block[k, 2c, 2f + 1] = Im M[k, c, f].
            block = spectral_mixing_matrix(bank, weight.double(), n_fft, torch.float64)
            block = block.view(self.n_freqs, self.n_chans, 2, self.n_filters, 2)
            forward, inverse = _dft_matrices(self.n_times, self.n_windows * self.win_len, n_fft)
            self.register_buffer("dft", forward)
            self.register_buffer("idft", inverse)
            self.register_buffer("mix_real", block[:, :, 0, :, 0].float().contiguous())
            self.register_buffer("mix_imag", block[:, :, 0, :, 1].float().contiguous())
            self.register_buffer("bias", bias.detach().float()[:, None].clone())
            self.register_buffer("attention", model.attn_conv.head_weights().detach().float().clone())
            att_bias = model.attn_conv.bias
            self.register_buffer(
                "attention_bias",
                att_bias.detach().float().clone() if att_bias is not None else torch.zeros(self.n_filters),
            )
        self.activation = model.activation()
        self.final_layer = nn.Linear(self.n_filters, self.n_outputs)
        self.final_layer.load_state_dict(model.final_layer.state_dict())
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        torch._assert(x.dim() == 3, "expected input of shape (batch, n_chans, n_times)")
        torch._assert(x.shape[1] == self.n_chans, "input channel count differs from the model's n_chans")
        torch._assert(x.shape[2] == self.n_times, "input length differs from the model's n_times")
        spectrum = torch.matmul(x, self.dft)  # (B, C, 2K)
        re = spectrum[:, :, : self.n_freqs]
        im = spectrum[:, :, self.n_freqs :]
        out_re = torch.einsum("bck,kcf->bfk", re, self.mix_real) - torch.einsum("bck,kcf->bfk", im, self.mix_imag)
        out_im = torch.einsum("bck,kcf->bfk", re, self.mix_imag) + torch.einsum("bck,kcf->bfk", im, self.mix_real)
        y = torch.matmul(torch.cat([out_re, out_im], dim=2), self.idft) + self.bias  # (B, F, T')
        y = self.activation(y)
        windows = y.reshape(-1, self.n_filters, self.n_windows, self.win_len)
        centred = windows - windows.mean(dim=-1, keepdim=True)
        variance = (centred * centred).sum(dim=-1) / (self.win_len - 1)
        features = torch.log(torch.clamp(variance, 1e-6, 1e6))
        grouped = features.reshape(-1, self.n_filters // self.heads, self.heads, self.n_windows)
        pooled = (grouped * self.attention).sum(dim=-1).reshape(-1, self.n_filters) + self.attention_bias
        return self.final_layer(pooled)


def inference_module(model: nn.Module) -> nn.Module:
    """The frozen export-friendly form of ``model`` (copies its current eval-mode weights):
    the model's own ``inference_module()`` where it defines one (EEGNet, ShallowFBCSPNet,
    FBCNet, see :mod:`eegzoo.models.inference`), else :class:`InferenceFBLightConvNet`."""
    own = getattr(model, "inference_module", None)
    if callable(own):
        return own()
    return InferenceFBLightConvNet(model)


def export_model(model: nn.Module, path: str | os.PathLike, fmt: str, batch_size: int = 1) -> Path:
    """Write ``model`` as ONNX (legacy TorchScript exporter, dynamic batch), TorchScript
    (scripted) or a ``torch.export`` ExportedProgram (``.pt2``); atomically."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}.")
    module = inference_module(model)
    example = torch.zeros(batch_size, module.n_chans, module.n_times)
    if fmt == "torchscript":
        scripted = torch.jit.script(module)
        return atomic_write(path, lambda tmp: scripted.save(tmp))
    if fmt == "exported-program":
        program = torch.export.export(module, (example,))
        return atomic_write(path, lambda tmp: torch.export.save(program, tmp))
    try:
        import onnx  # noqa: F401
    except ImportError as err:
        raise ImportError("ONNX export needs the 'export' extra: pip install 'eegzoo[export]'.") from err
    return atomic_write(
        path,
        lambda tmp: torch.onnx.export(
            module, (example,), tmp, input_names=["eeg"], output_names=["logits"],
            dynamic_axes={"eeg": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False,
        ),
    )
