"""Frozen, export-friendly forms of trained models (eval semantics, plain torch layers).

Each ``Inference*`` module copies a model's current weights with the constraints applied
(max-norm parametrizations baked in), drops dropout, and uses only layers TorchScript,
``torch.export`` and both ONNX exporters handle: no Python-side checks or caches, no
``torch.fft``. Input must have exactly ``n_times`` samples; the batch size is free. Blocks
give their own frozen forms (``FilterBank.inference_module()``, ``VarPool.inference_module()``).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.var_pool import VarPool, WindowVariance


def plain_conv(conv: nn.Module) -> nn.Module:
    """A plain ``nn.Conv1d``/``nn.Conv2d`` with ``conv``'s effective (constrained) weights."""
    cls = nn.Conv2d if isinstance(conv, nn.Conv2d) else nn.Conv1d
    plain = cls(
        conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride, padding=conv.padding,
        dilation=conv.dilation, groups=conv.groups, bias=conv.bias is not None,
    )
    _copy_weights(plain, conv.weight, conv.bias)
    return plain


def plain_linear(linear: nn.Linear) -> nn.Linear:
    """A plain ``nn.Linear`` with ``linear``'s effective (constrained) weights."""
    plain = nn.Linear(linear.in_features, linear.out_features, bias=linear.bias is not None)
    _copy_weights(plain, linear.weight, linear.bias)
    return plain


def _copy_weights(target: nn.Module, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    with torch.no_grad():
        target.weight.copy_(weight.detach())
        if bias is not None:
            target.bias.copy_(bias.detach())


def frozen(module: nn.Module) -> nn.Module:
    """An eval-mode deep copy (batch norm, activations, pools)."""
    return copy.deepcopy(module).eval()


class InferenceEEGNet(nn.Module):
    """Frozen eval-mode :class:`~eegzoo.models.EEGNet`: ``(B, n_chans, n_times) -> logits``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.n_chans: int = model.n_chans
        self.n_times: int = model.n_times
        self.n_outputs: int = model.n_outputs
        self.linear_head: bool = model.final_layer_with_constraint
        with torch.no_grad():
            self.body = nn.Sequential(
                plain_conv(model.conv_temporal), frozen(model.bnorm_temporal), plain_conv(model.conv_spatial),
                frozen(model.bnorm_1), frozen(model.elu_1), frozen(model.pool_1),
                plain_conv(model.conv_separable_depth), plain_conv(model.conv_separable_point),
                frozen(model.bnorm_2), frozen(model.elu_2), frozen(model.pool_2),
            )
            head = model.final_layer
            self.classifier = (
                plain_linear(head.linearconstraint) if self.linear_head else plain_conv(head.conv_classifier)
            )
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_shape(x, self.n_chans, self.n_times)
        y = self.body(x.unsqueeze(1))
        if self.linear_head:
            return self.classifier(y.flatten(1))
        out = self.classifier(y)[:, :, 0, :]
        return out[:, :, 0] if out.shape[2] == 1 else out


class InferenceShallowFBCSPNet(nn.Module):
    """Frozen eval-mode :class:`~eegzoo.models.ShallowFBCSPNet` (first layer merged into one
    ``Conv1d``): ``(B, n_chans, n_times) -> logits``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.n_chans: int = model.n_chans
        self.n_times: int = model.n_times
        self.n_outputs: int = model.n_outputs
        with torch.no_grad():
            if model.split_first_layer:
                weight, bias = model.conv_time_spat.merged_kernel()
                first = nn.Conv1d(self.n_chans, weight.shape[0], weight.shape[2], bias=bias is not None)
                _copy_weights(first, weight, bias)
            else:
                conv = model.conv_time
                first = nn.Conv1d(self.n_chans, conv.out_channels, conv.kernel_size[0], bias=conv.bias is not None)
                _copy_weights(first, conv.weight[..., 0], conv.bias)
            layers = [first]
            if model.batch_norm:
                layers.append(frozen(model.bnorm))
            layers += [frozen(model.conv_nonlin_exp), frozen(model.pool), frozen(model.pool_nonlin_exp)]
            self.body = nn.Sequential(*layers)
            conv = model.final_layer.conv_classifier
            self.classifier = nn.Conv1d(conv.in_channels, conv.out_channels, conv.kernel_size[0])
            _copy_weights(self.classifier, conv.weight[..., 0], conv.bias)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_shape(x, self.n_chans, self.n_times)
        out = self.classifier(self.body(x))
        return out[:, :, 0] if out.shape[2] == 1 else out


class InferenceFBCNet(nn.Module):
    """Frozen eval-mode :class:`~eegzoo.models.FBCNet` with the FIR filter bank as one
    fixed ``Conv1d`` (taps of every band in a common frame) and the eval batch norm folded
    into the band-wise spatial filters: ``(B, n_chans, n_times) -> (B, n_outputs)``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        bank = model.spectral_filtering
        if not bank.is_fir:
            raise ValueError(
                "The export form needs a FIR filter bank; this model uses IIR filters "
                "(filter_parameters={'method': 'iir'}), which only run in eager mode."
            )
        self.n_chans: int = model.n_chans
        self.n_times: int = model.n_times
        self.n_outputs: int = model.n_outputs
        self.n_bands: int = model.n_bands
        self.n_maps: int = model.n_maps
        self.pad_end: int = model.n_times_padded - model.n_times
        taps, offsets = bank.taps(), bank._fir_offsets()
        # Output sample t of band b is sum_k h_b[k] x[t - k + s_b]; as a cross-correlation
        # over x padded by (left, right) its kernel holds h_b[k] at index left + s_b - k.
        self.left: int = max(t.numel() - 1 - s for t, s in zip(taps, offsets))
        self.right: int = max(offsets)
        kernels = torch.zeros(self.n_bands, 1, self.left + self.right + 1)
        for b, (t, s) in enumerate(zip(taps, offsets)):
            index = self.left + s - torch.arange(t.numel())
            kernels[b, 0, index] = t.detach().float().cpu()
        with torch.no_grad():
            weight, bias = model._folded_spatial()
            self.register_buffer("bank", kernels)
            self.register_buffer("spatial", weight.detach().reshape(self.n_bands, -1, self.n_chans).clone())
            self.register_buffer("bias", bias.detach().clone()[:, None])
        self.activation = frozen(model.spatial_conv[2])
        layer = model.temporal_layer
        self.statistic = WindowVariance(layer) if isinstance(layer, VarPool) else frozen(layer)
        self.classifier = plain_linear(model.final_layer)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_shape(x, self.n_chans, self.n_times)
        batch = x.shape[0]
        bands = F.conv1d(F.pad(x.reshape(-1, 1, self.n_times), (self.left, self.right)), self.bank)
        bands = bands.reshape(batch, self.n_chans, self.n_bands, self.n_times)
        maps = torch.einsum("bcnt,ndc->bndt", bands, self.spatial).reshape(batch, self.n_maps, self.n_times)
        y = self.activation(maps + self.bias)
        if self.pad_end > 0:
            y = F.pad(y, (0, self.pad_end))
        return self.classifier(self.statistic(y).flatten(1))


def _check_shape(x: torch.Tensor, n_chans: int, n_times: int) -> None:
    torch._assert(x.dim() == 3, "expected input of shape (batch, n_chans, n_times)")
    torch._assert(x.shape[1] == n_chans, "input channel count differs from the model's n_chans")
    torch._assert(x.shape[2] == n_times, "input length differs from the model's n_times")


class InferenceFBLightConvNet(nn.Module):
    """Frozen eval-mode :class:`~eegzoo.models.FBLightConvNet`: the FIR filter bank as a
    fixed ``conv1d`` over its taps, the eval batch norm folded into the spatial weights, then
    activation, window log-variance, the attention's softmax weights and the linear head as
    plain ops: ``(B, n_chans, n_times) -> (B, n_outputs)``. It stores the taps and weights
    only (tens of KB), unlike a dense DFT-matrix form."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.n_chans: int = model.n_chans
        self.n_times: int = model.n_times
        self.n_outputs: int = model.n_outputs
        self.n_bands: int = model.n_bands
        self.n_filters: int = model.n_filters_spat
        self.n_windows: int = model.n_windows
        self.heads: int = model.heads
        self.n_used: int = model.n_times_truncated
        self.bank = model.spectral_filtering.inference_module()  # refuses IIR banks
        with torch.no_grad():
            weight, bias = model._folded_spatial()  # (F, nb, C), (F,)
            self.register_buffer("spatial", weight.detach().reshape(self.n_filters, -1).clone())
            self.register_buffer("bias", bias.detach().clone()[:, None])
            self.register_buffer("attention", model.attn_conv.head_weights().detach().clone())
            att_bias = model.attn_conv.bias
            self.register_buffer(
                "attention_bias",
                att_bias.detach().clone() if att_bias is not None else torch.zeros(self.n_filters),
            )
        self.activation = frozen(model.spatial_conv[2])
        self.statistic = model.temporal_layer.inference_module()
        self.final_layer = plain_linear(model.final_layer)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_shape(x, self.n_chans, self.n_times)
        bands = self.bank(x)  # (B, nb, C, T)
        maps = torch.matmul(self.spatial, bands.reshape(x.shape[0], -1, self.n_times)) + self.bias
        y = self.activation(maps[:, :, : self.n_used])
        features = self.statistic(y)  # (B, F, W)
        grouped = features.reshape(-1, self.n_filters // self.heads, self.heads, self.n_windows)
        pooled = (grouped * self.attention).sum(dim=-1).reshape(-1, self.n_filters) + self.attention_bias
        return self.final_layer(pooled)


class InferenceSequential(nn.Module):
    """Frozen eval-mode block-sequence model: each block's own frozen form
    (``block.inference_module()``) where it has one, an eval-mode copy otherwise."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.n_chans: int = model.n_chans
        self.n_times: int = model.n_times
        self.n_outputs: int = model.n_outputs
        with torch.no_grad():
            self.blocks = nn.Sequential(
                *(b.inference_module() if callable(getattr(b, "inference_module", None)) else frozen(b) for b in model.blocks)
            )
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_shape(x, self.n_chans, self.n_times)
        return self.blocks(x)
