"""ATCNet (Altaheri et al. 2023), weight-compatible with braindecode 1.8.x's ``ATCNet``."""

from __future__ import annotations

import warnings
from typing import Any, List, Optional

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrize import is_parametrized

from eegzoo.blocks.batch_norm_folding import composed_batch_norm_affine, fold_batch_norm, update_running_buffers
from eegzoo.blocks.column_max_norm import ColumnMaxNormLinear
from eegzoo.blocks.fft_correlate import fft_correlate
from eegzoo.blocks.filtered_moments import filtered_moments
from eegzoo.blocks.max_norm import constrain_max_norm
from eegzoo.blocks.multi_head_attention import MultiHeadAttention
from eegzoo.blocks.sliding_windows import SlidingWindows
from eegzoo.blocks.tcn_residual_block import TCNResidualBlock
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import activation_path, positive_int, positive_number, probability, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.atcnet import ATCNetParams, atcnet_sizes

#: braindecode's names of the attention projections (``attention_blocks.<w>.mha.fc_q``, ...),
#: in the order they are created.
_MHA_NAMES = {"query": "fc_q", "key": "fc_k", "value": "fc_v", "output": "fc_o"}


class ATCNet(SignalModel, nn.Module):
    """ATCNet: an EEGNet-like convolutional block, ``n_windows`` sliding windows over its
    feature sequence, each encoded by its own multi-head self-attention and temporal
    convolutional network (:class:`eegzoo.blocks.tcn_residual_block.TCNResidualBlock`);
    the windows' last TCN steps are classified by max-norm linear layers whose logits are
    averaged (``concat=False``) or by one layer on their concatenation (``concat=True``).

    Accepts braindecode 1.8.x's ``ATCNet`` constructor arguments, in the same order, with
    the same meaning and defaults (``sfreq=250``), the same down-scaling of kernels, pools
    and windows for short inputs (with a ``UserWarning``), the same ``state_dict`` keys and
    shapes (``conv_block.conv1.weight``, ``attention_blocks.<w>.mha.fc_q.*``,
    ``temporal_conv_nets.<w>.<i>.conv1.*``, ``final_layer.<w>.parametrizations.weight.original``,
    ...) and, under the same seed, the same initialisation. ``concat=True`` works here (in
    braindecode 1.8.1 it raises a shape error: its window loop zips over the single
    classifier and stops after the first window).

    Args:
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters (see
            :func:`eegzoo.core.signal.resolve_signal_params`); ``sfreq`` defaults to 250 Hz.
        n_outputs: number of classes (raw logits are returned).
        conv_block_n_filters: temporal filters (``F1``).
        conv_block_kernel_length_1, conv_block_kernel_length_2: samples of the temporal
            filters and of the second temporal convolution ("same" padding).
        conv_block_pool_size_1, conv_block_pool_size_2: the two mean poolings.
        conv_block_depth_mult: spatial filters per temporal filter (``F2 = F1 * D``).
        conv_block_dropout: (channel-wise) dropout of the convolutional block.
        n_windows: sliding windows (each ``Tc - n_windows + 1`` steps of the ``Tc`` left).
        head_dim, num_heads: attention heads and their size.
        att_drop_prob: dropout after the attention's output projection.
        tcn_depth, tcn_kernel_size, tcn_drop_prob, tcn_activation: the TCNs (dilations
            1, 2, 4, ...).
        concat: one classifier on the concatenated window features instead of the mean of
            per-window logits.
        max_norm_const: the classifiers' max column norm (braindecode's ``MaxNormLinear``).
        conv_max_norm_const: if given, max L2 norm of each convolution filter (the official
            code's 0.6), as a parametrization.
        fused: run the convolutional block's temporal filters after its spatial ones (both
            linear, the batch norm between them is affine per filter, so they commute): the
            ``conv_block_kernel_length_1``-tap filtering then runs over ``F2`` maps instead
            of ``F1 * n_chans`` electrode signals, through the FFT; in training the batch
            norm's statistics come from the input's second-order statistics
            (:func:`eegzoo.blocks.filtered_moments.filtered_moments`); in eval every batch
            norm is folded into its convolution, and the windows' attention + TCN branches
            run as one batched computation (:meth:`windows_batched`). Same numbers to float
            rounding; ``False`` runs braindecode's operations.

    ``model(x)`` returns raw logits ``(B, n_outputs)``; ``return_features=True`` returns
    ``{"features": (B, n_windows, F2), "logits": ...}``: each window's last TCN step.
    """

    architecture_name = "atcnet"
    params_model = ATCNetParams
    __jit_ignored_attributes__ = [*SignalModel.__jit_ignored_attributes__, "window_weights_cache"]

    def __init__(
        self,
        n_chans: int | None = None,
        n_outputs: int | None = None,
        input_window_seconds: float | None = None,
        sfreq: float | None = 250.0,
        conv_block_n_filters: int = 16,
        conv_block_kernel_length_1: int = 64,
        conv_block_kernel_length_2: int = 16,
        conv_block_pool_size_1: int = 8,
        conv_block_pool_size_2: int = 7,
        conv_block_depth_mult: int = 2,
        conv_block_dropout: float = 0.3,
        n_windows: int = 5,
        head_dim: int = 8,
        num_heads: int = 2,
        att_drop_prob: float = 0.5,
        tcn_depth: int = 2,
        tcn_kernel_size: int = 4,
        tcn_drop_prob: float = 0.3,
        tcn_activation: type[nn.Module] | str = nn.ELU,
        concat: bool = False,
        max_norm_const: float = 0.25,
        conv_max_norm_const: Optional[float] = None,
        chs_info: Any = None,
        n_times: int | None = None,
        *,
        fused: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "ATCNet", require_sfreq=False
        )
        self._init_signal(signal, n_outputs)
        for name, value in (
            ("conv_block_n_filters", conv_block_n_filters), ("conv_block_kernel_length_1", conv_block_kernel_length_1),
            ("conv_block_kernel_length_2", conv_block_kernel_length_2), ("conv_block_pool_size_1", conv_block_pool_size_1),
            ("conv_block_pool_size_2", conv_block_pool_size_2), ("conv_block_depth_mult", conv_block_depth_mult),
            ("n_windows", n_windows), ("head_dim", head_dim), ("num_heads", num_heads), ("tcn_depth", tcn_depth),
            ("tcn_kernel_size", tcn_kernel_size),
        ):
            positive_int(name, value)
        for name, value in (
            ("conv_block_dropout", conv_block_dropout), ("att_drop_prob", att_drop_prob), ("tcn_drop_prob", tcn_drop_prob),
        ):
            probability(name, value)
        positive_number("max_norm_const", max_norm_const)
        if conv_max_norm_const is not None:
            positive_number("conv_max_norm_const", conv_max_norm_const)
        self.config_args = {
            "conv_block_n_filters": conv_block_n_filters, "conv_block_kernel_length_1": conv_block_kernel_length_1,
            "conv_block_kernel_length_2": conv_block_kernel_length_2, "conv_block_pool_size_1": conv_block_pool_size_1,
            "conv_block_pool_size_2": conv_block_pool_size_2, "conv_block_depth_mult": conv_block_depth_mult,
            "conv_block_dropout": conv_block_dropout, "n_windows": n_windows, "head_dim": head_dim,
            "num_heads": num_heads, "att_drop_prob": att_drop_prob, "tcn_depth": tcn_depth,
            "tcn_kernel_size": tcn_kernel_size, "tcn_drop_prob": tcn_drop_prob,
        }
        sizes = atcnet_sizes(
            signal.n_times, conv_block_kernel_length_1, conv_block_kernel_length_2, conv_block_pool_size_1,
            conv_block_pool_size_2, n_windows, tcn_depth, tcn_kernel_size,
        )
        if sizes.scaling_factor is not None:
            warnings.warn(
                f"n_times={signal.n_times} is shorter than the {round(signal.n_times / sizes.scaling_factor)} "
                "samples ATCNet's configuration needs: kernels, pools, windows and the TCN kernel are "
                f"scaled down by {sizes.scaling_factor:.2f}, as braindecode does (to keep them, pass a "
                "longer window or smaller sizes).",
                UserWarning,
                stacklevel=2,
            )
        # Effective sizes, under braindecode's attribute names.
        self.conv_block_n_filters = conv_block_n_filters
        self.conv_block_kernel_length_1 = sizes.kernel_length_1
        self.conv_block_kernel_length_2 = sizes.kernel_length_2
        self.conv_block_pool_size_1 = sizes.pool_size_1
        self.conv_block_pool_size_2 = sizes.pool_size_2
        self.conv_block_depth_mult = conv_block_depth_mult
        self.conv_block_dropout = conv_block_dropout
        self.n_windows = sizes.n_windows
        self.head_dim = head_dim
        self.num_heads = num_heads
        self.att_dropout = att_drop_prob
        self.tcn_depth = tcn_depth
        self.tcn_kernel_size = sizes.tcn_kernel_size
        self.tcn_dropout = tcn_drop_prob
        self.tcn_activation = resolve_activation(tcn_activation, "tcn_activation")
        self.concat = concat
        self.max_norm_const = max_norm_const
        self.conv_max_norm_const = conv_max_norm_const
        self.fused = fused
        self.F2 = conv_block_depth_mult * conv_block_n_filters
        self.tcn_n_filters = self.F2
        self.Tc = sizes.n_steps
        self.Tw = sizes.window_length

        # Submodule names, order and initialisation follow braindecode.
        self.conv_block = _ConvBlock(
            self.n_chans, conv_block_n_filters, sizes.kernel_length_1, sizes.kernel_length_2, sizes.pool_size_1,
            sizes.pool_size_2, conv_block_depth_mult, conv_block_dropout, conv_max_norm_const,
        )
        self.sliding_windows = SlidingWindows(self.n_windows)
        self.attention_blocks = nn.ModuleList(
            _AttentionBlock(self.F2, head_dim, num_heads, att_drop_prob) for _ in range(self.n_windows)
        )
        self.temporal_conv_nets = nn.ModuleList(
            nn.Sequential(
                *[
                    TCNResidualBlock(
                        self.F2, self.tcn_n_filters, self.tcn_kernel_size, dilation=2**i, dropout=tcn_drop_prob,
                        activation=self.tcn_activation, max_norm=conv_max_norm_const,
                        weight_init=nn.init.kaiming_uniform_,
                    )
                    for i in range(tcn_depth)
                ]
            )
            for _ in range(self.n_windows)
        )
        self.final_layer = self.new_head(self.n_outputs)

    def new_head(self, n_outputs: int) -> nn.Module:
        """One max-norm linear classifier per window (``concat=False``) or one on the
        concatenated window features (``concat=True``), in a ``ModuleList``."""
        if self.concat:
            return nn.ModuleList([ColumnMaxNormLinear(self.tcn_n_filters * self.n_windows, n_outputs, self.max_norm_const)])
        return nn.ModuleList(
            ColumnMaxNormLinear(self.tcn_n_filters, n_outputs, self.max_norm_const) for _ in range(self.n_windows)
        )

    # ------------------------------------------------------------------ forward
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the classifiers: ``(B, C, T) -> (B, n_windows, F2)``, each
        window's last TCN step."""
        self.check_input(x, self.n_times, self.n_times)
        if self.fused:
            feats = self.conv_block.forward_fused(x)
        else:
            feats = self.conv_block(x)
        windows = self.sliding_windows(feats)  # (B, F2, n_windows, Tw), a view
        if not torch.jit.is_scripting():
            if self.fused and not self.training and self.windows_batchable():
                return self.windows_batched(windows)
        outputs: List[torch.Tensor] = []
        w = 0
        for attention, tcn in zip(self.attention_blocks, self.temporal_conv_nets):
            outputs.append(tcn(attention(windows[:, :, w]))[:, :, -1])
            w += 1
        return torch.stack(outputs, 1)

    @torch.jit.unused
    def windows_batchable(self) -> bool:
        """The windows' branches run as one batched computation when their activation has no
        weights (ELU, ReLU, ...; a PReLU per branch keeps the loop)."""
        return not any(True for _ in self.temporal_conv_nets[0][0].activation.parameters())

    @torch.jit.unused
    def windows_batched(self, windows: torch.Tensor) -> torch.Tensor:
        """Eval: the ``n_windows`` attention + TCN branches as one computation,
        ``(B, F2, n_windows, Tw) -> (B, n_windows, F2)``: the windows' weights stacked
        (projections as batched products, TCN convolutions as one grouped convolution over
        ``n_windows * F2`` maps, batch norms folded in) and cached while they are unchanged.
        About 25 operations instead of ~40 per window, which is what batch-1 latency is
        made of. The same numbers as the loop to float rounding."""
        (ln_weight, ln_bias, qkv_weight, qkv_bias, out_weight, out_bias, tcn) = self.stacked_window_weights()
        batch, n_maps, n_windows, n_steps = windows.shape
        mha = self.attention_blocks[0].mha
        heads, head_dim = mha.num_heads, mha.head_dim
        x = windows.permute(2, 0, 3, 1)  # (W, B, Tw, F2) tokens
        h = F.layer_norm(x, (n_maps,), eps=self.attention_blocks[0].ln.eps) * ln_weight + ln_bias
        qkv = torch.baddbmm(qkv_bias, h.reshape(n_windows, batch * n_steps, n_maps), qkv_weight)
        qkv = qkv.view(n_windows * batch, n_steps, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
        att = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])  # (W*B, heads, Tw, head_dim)
        att = att.transpose(1, 2).reshape(n_windows, batch * n_steps, heads * head_dim)
        x = x + torch.baddbmm(out_bias, att, out_weight).view(n_windows, batch, n_steps, n_maps)
        y = x.permute(1, 0, 3, 2).reshape(batch, n_windows * n_maps, n_steps)  # window w: maps w*F2...
        activation = self.temporal_conv_nets[0][0].activation
        for weight_1, bias_1, weight_2, bias_2, dilation in tcn:
            pad = (self.tcn_kernel_size - 1) * dilation
            out = activation(F.conv1d(F.pad(y, [pad, 0]), weight_1, bias_1, dilation=dilation, groups=n_windows))
            out = activation(F.conv1d(F.pad(out, [pad, 0]), weight_2, bias_2, dilation=dilation, groups=n_windows))
            y = activation(y + out)
        return y[:, :, -1].reshape(batch, n_windows, n_maps)

    @torch.jit.unused
    def stacked_window_weights(self) -> tuple:
        """The windows' weights stacked for :meth:`windows_batched` (eval batch norms folded),
        cached while no parameter or running statistic changed (in-place updates bump
        ``_version``; ``.to()`` changes ``data_ptr``) and no gradient flows to them."""
        sources = [*self.attention_blocks.parameters(), *self.temporal_conv_nets.parameters(),
                   *self.temporal_conv_nets.buffers()]
        if torch.is_grad_enabled() and any(t.requires_grad for t in sources):
            return self._stack_window_weights()
        key = tuple((t.data_ptr(), t._version) for t in sources)
        cache = getattr(self, "window_weights_cache", None)
        if cache is None or cache[0] != key or torch.jit.is_tracing() or torch.compiler.is_compiling():
            with torch.inference_mode(False), torch.no_grad():
                cache = (key, self._stack_window_weights())
            self.window_weights_cache = cache
        return cache[1]

    @torch.jit.unused
    def _stack_window_weights(self) -> tuple:
        blocks = list(self.attention_blocks)
        ln_weight = torch.stack([b.ln.weight for b in blocks])[:, None, None]
        ln_bias = torch.stack([b.ln.bias for b in blocks])[:, None, None]
        projections = [[layer for layer in b.mha] for b in blocks]  # query, key, value, output
        qkv_weight = torch.stack([torch.cat([p.weight for p in layers[:3]]).t() for layers in projections])
        qkv_bias = torch.stack([torch.cat([p.bias for p in layers[:3]]) for layers in projections])[:, None]
        out_weight = torch.stack([layers[3].weight.t() for layers in projections])
        out_bias = torch.stack([layers[3].bias for layers in projections])[:, None]
        tcn = []
        for depth in range(self.tcn_depth):
            units = [net[depth] for net in self.temporal_conv_nets]
            folded = []
            for conv, bn in (("conv1", "bn1"), ("conv2", "bn2")):
                weights, biases = [], []
                for unit in units:
                    c, n = getattr(unit, conv), getattr(unit, bn)
                    w, b = fold_batch_norm(c.weight, c.bias, n.running_mean, n.running_var, n.weight, n.bias, n.eps)
                    weights.append(w)
                    biases.append(b)
                folded += [torch.cat(weights), torch.cat(biases)]
            tcn.append((*folded, units[0].dilation))
        return ln_weight, ln_bias, qkv_weight, qkv_bias, out_weight, out_bias, tcn

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The classifiers: ``(B, n_windows, F2) -> (B, n_outputs)`` raw logits."""
        if self.concat:
            out = features.flatten(1)
            for layer in self.final_layer:
                out = layer(out)
            return out
        logits: List[torch.Tensor] = []
        w = 0
        for layer in self.final_layer:
            logits.append(layer(features[:, w]))
            w += 1
        if len(logits) == 1:
            return logits[0]
        return torch.stack(logits, 0).mean(0)

    # ------------------------------------------------------------------ training helpers
    def source_optimizer_param_groups(
        self, conv_weight_decay: float = 0.009, dense_weight_decay: float = 0.5
    ) -> list[dict]:
        """The official code's L2 penalties as optimizer parameter groups (braindecode's
        helper): ``conv_weight_decay`` on the convolution and TCN kernels,
        ``dense_weight_decay`` on the classifiers' weights, none on the rest (biases, batch
        norms, attention). Coupled-L2 optimizers (SGD, Adam) reproduce the Keras penalty;
        AdamW's decoupled decay does not."""

        def leaf(module: nn.Module) -> nn.Parameter:
            return module.parametrizations.weight.original if is_parametrized(module, "weight") else module.weight

        conv = [leaf(m) for part in (self.conv_block, self.temporal_conv_nets) for m in part.modules()
                if isinstance(m, (nn.Conv1d, nn.Conv2d))]
        dense = [leaf(m) for m in self.final_layer.modules() if isinstance(m, nn.Linear)]
        taken = {id(p) for p in conv + dense}
        other = [p for p in self.parameters() if id(p) not in taken]
        return [
            {"params": conv, "weight_decay": conv_weight_decay},
            {"params": dense, "weight_decay": dense_weight_decay},
            {"params": other, "weight_decay": 0.0},
        ]

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        act = self.tcn_activation.__name__
        rate = f" ({self.conv_block_kernel_length_1 / self.sfreq:g} s)" if self.sfreq else ""
        dilations = ", ".join(str(2**i) for i in range(self.tcn_depth))
        head = (
            f"one max-norm ({self.max_norm_const:g}) linear layer on the {self.n_windows} concatenated window features -> {self.n_outputs} logits"
            if self.concat
            else f"a max-norm ({self.max_norm_const:g}) linear layer per window -> {self.n_outputs} logits, averaged over the windows"
        )
        return [
            f"1. **Convolutional block**: {self.conv_block_n_filters} temporal filters of {self.conv_block_kernel_length_1} samples{rate}, batch norm, {self.conv_block_depth_mult} spatial filters per temporal filter over {self.n_chans} electrodes, batch norm, ELU, mean-pool {self.conv_block_pool_size_1}, dropout {self.conv_block_dropout:g}; temporal convolution ({self.conv_block_kernel_length_2} samples, {self.F2} maps), batch norm, ELU, mean-pool {self.conv_block_pool_size_2}, dropout {self.conv_block_dropout:g}: {self.Tc} time steps.",
            f"2. **Sliding windows**: {self.n_windows} windows of {self.Tw} steps, one step apart.",
            f"3. **Attention** per window: layer norm, {self.num_heads}-head self-attention ({self.head_dim} features per head, dropout {self.att_dropout:g}), dropout 0.3, residual.",
            f"4. **Temporal convolutional network** per window: {self.tcn_depth} residual blocks of two causal convolutions ({self.tcn_kernel_size} taps, dilations {dilations}, {self.tcn_n_filters} maps, batch norm, {act}, dropout {self.tcn_dropout:g}); the last step.",
            f"5. **Classifier**: {head}.",
        ]

    def get_config(self) -> dict[str, Any]:
        return json_safe(
            {
                "n_chans": self.n_chans,
                "n_outputs": self.n_outputs,
                "input_window_seconds": None,
                "sfreq": self.sfreq,
                **self.config_args,
                "tcn_activation": activation_path(self.tcn_activation),
                "concat": self.concat,
                "max_norm_const": self.max_norm_const,
                "conv_max_norm_const": self.conv_max_norm_const,
                "chs_info": self._chs_info,
                "n_times": self.n_times,
                "fused": self.fused,
            }
        )


class _Conv2d(nn.Conv2d):
    """``nn.Conv2d`` whose weight may carry a max-norm parametrization that also runs under
    TorchScript (which refuses parametrizations at run time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_norm: Optional[float] = None

    def constrain(self, max_norm: Optional[float]) -> None:
        if max_norm is not None:
            self.max_norm = max_norm
            constrain_max_norm(self, max_norm)

    def constrained_weight(self) -> torch.Tensor:
        if torch.jit.is_scripting():
            if hasattr(self, "parametrizations"):
                max_norm = self.max_norm
                assert max_norm is not None
                return self.parametrizations["weight"].original.renorm(2, 0, max_norm)  # type: ignore[index]
        return self.weight


class _ConvBlock(nn.Module):
    """ATCNet's convolutional block, ``(B, C, T) -> (B, F2, Tc)``, braindecode's
    ``conv_block`` (same submodules and weight shapes; braindecode runs it on
    ``(B, 1, T, C)`` with ``(k, 1)`` kernels, here time is the last axis)."""

    def __init__(
        self, n_chans: int, n_filters: int, kernel_length_1: int, kernel_length_2: int, pool_size_1: int,
        pool_size_2: int, depth_mult: int, dropout: float, conv_max_norm: Optional[float],
    ) -> None:
        super().__init__()
        f2 = n_filters * depth_mult
        self.n_filters = n_filters
        self.depth_mult = depth_mult
        self.kernel_length_1 = kernel_length_1
        self.pool_size_1 = pool_size_1
        self.pool_size_2 = pool_size_2
        # "same" padding: (k - 1) // 2 zeros on the left, the rest on the right
        self.left_1 = (kernel_length_1 - 1) // 2
        self.right_1 = kernel_length_1 - 1 - self.left_1
        self.left_2 = (kernel_length_2 - 1) // 2
        self.right_2 = kernel_length_2 - 1 - self.left_2
        self.conv1 = _Conv2d(1, n_filters, (kernel_length_1, 1), padding="same", bias=False)
        self.bn1 = nn.BatchNorm2d(n_filters, eps=1e-4)
        self.conv2 = _Conv2d(n_filters, f2, (1, n_chans), groups=n_filters, padding="valid", bias=False)
        self.bn2 = nn.BatchNorm2d(f2, eps=1e-4)
        self.activation2 = nn.ELU()
        self.pool2 = nn.AvgPool1d(pool_size_1)
        self.drop2 = nn.Dropout2d(dropout)
        self.conv3 = _Conv2d(f2, f2, (kernel_length_2, 1), padding="same", bias=False)
        self.bn3 = nn.BatchNorm2d(f2, eps=1e-4)
        self.activation3 = nn.ELU()
        self.pool3 = nn.AvgPool1d(pool_size_2)
        self.drop3 = nn.Dropout2d(dropout)
        for conv in (self.conv1, self.conv2, self.conv3):
            conv.constrain(conv_max_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """braindecode's operations one by one: ``(B, C, T) -> (B, F2, Tc)``."""
        x = F.pad(x.unsqueeze(1), [self.left_1, self.right_1])
        x = self.bn1(F.conv2d(x, self.conv1.constrained_weight().transpose(2, 3)))  # (B, F1, C, T)
        x = F.conv2d(x, self.conv2.constrained_weight().transpose(2, 3), groups=self.n_filters)
        return self.tail(self.bn2(x)[:, :, 0])

    def forward_fused(self, x: torch.Tensor) -> torch.Tensor:
        """The same map with the spatial filters first: ``F2`` spatially mixed signals
        ``w_o . x``, each filtered (through the FFT) by the temporal kernel of its group
        scaled by the first batch norm, plus that batch norm's shift times ``sum(w_o)``."""
        bn = self.bn1
        taps = self.conv1.constrained_weight()[:, 0, :, 0]  # (F1, K)
        if self.left_1 != self.right_1:  # even K: a zero tap in front makes "same" symmetric
            taps = F.pad(taps, [1, 0])
        if bn.training:
            mean, var = filtered_moments(x, taps, self.right_1)
            update_running_buffers(bn.running_mean, bn.running_var, bn.num_batches_tracked, bn.momentum, mean, var, x.numel())
        else:
            running_mean, running_var = bn.running_mean, bn.running_var
            assert running_mean is not None and running_var is not None
            mean, var = running_mean, running_var
        scale, shift = composed_batch_norm_affine(mean, var, bn.eps, bn.weight, bn.bias)
        spatial = self.conv2.constrained_weight()[:, 0, 0, :]  # (F2, C)
        kernels = (taps * scale[:, None]).repeat_interleave(self.depth_mult, dim=0)
        offset = shift.repeat_interleave(self.depth_mult) * spatial.sum(1)
        bn = self.bn2
        if not bn.training:  # fold the second batch norm too
            kernels, offset = fold_batch_norm(kernels, offset, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
        out = fft_correlate(torch.matmul(spatial, x), kernels, self.right_1) + offset[:, None]
        if bn.training:
            out = bn(out.unsqueeze(-1)).squeeze(-1)
        return self.tail(out)

    def tail(self, x: torch.Tensor) -> torch.Tensor:
        """After the spatial convolution's batch norm: ELU, pool, dropout, temporal
        convolution, batch norm (folded in eval), ELU, pool, dropout:
        ``(B, F2, T) -> (B, F2, Tc)``. The channel dropouts see braindecode's
        ``(B, F2, T', 1)`` maps (same masks)."""
        x = self.drop2(self.pool2(self.activation2(x)).unsqueeze(-1))[..., 0]
        x = F.pad(x, [self.left_2, self.right_2])  # "same"
        weight = self.conv3.constrained_weight()[..., 0]
        bn = self.bn3
        if bn.training:
            x = self.bn3(F.conv1d(x, weight).unsqueeze(-1))[..., 0]
        else:
            weight, bias = fold_batch_norm(weight, None, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
            x = F.conv1d(x, weight, bias)
        return self.drop3(self.pool3(self.activation3(x)).unsqueeze(-1))[..., 0]


class _AttentionBlock(nn.Module):
    """Per-window self-attention, ``(B, F2, Tw) -> (B, F2, Tw)``: layer norm,
    multi-head attention (:class:`eegzoo.blocks.multi_head_attention.MultiHeadAttention`,
    braindecode's ``fc_q``/``fc_k``/``fc_v``/``fc_o`` and dropout after the output
    projection), dropout 0.3 (the official code's), residual. braindecode's
    ``attention_blocks.<w>``."""

    def __init__(self, in_shape: int, head_dim: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.ln = nn.LayerNorm(in_shape, eps=1e-6)
        self.mha = MultiHeadAttention(
            in_shape, num_heads, 0.0, head_dim=head_dim, out_size=in_shape, out_dropout=dropout, names=_MHA_NAMES
        )
        self.drop = nn.Dropout(0.3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.transpose(1, 2)  # (B, Tw, F2)
        return (x + self.drop(self.mha(self.ln(x)))).transpose(1, 2)
