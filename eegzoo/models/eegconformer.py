"""EEG Conformer (Song et al. 2023), weight-compatible with braindecode 1.8.x's ``EEGConformer``."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

from eegzoo.blocks.patch_embedding import PatchEmbedding
from eegzoo.blocks.transformer_encoder_layer import TransformerEncoderLayer
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import activation_path, positive_int, probability, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.eegconformer import EEGConformerParams, check_conformer_shapes


class _FullyConnected(nn.Module):
    """Flatten the tokens, then ``final_fc_length -> 256 -> 32`` with activation and dropout
    (braindecode's ``fc`` module: keys ``fc.fc.0.*``, ``fc.fc.3.*``)."""

    def __init__(self, final_fc_length: int, activation: type[nn.Module]) -> None:
        super().__init__()
        self.hidden_channels = 32
        self.fc = nn.Sequential(
            nn.Linear(final_fc_length, 256), activation(), nn.Dropout(0.5),
            nn.Linear(256, 32), activation(), nn.Dropout(0.3),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.reshape(x.shape[0], -1))


class EEGConformer(SignalModel, nn.Module):
    """EEG Conformer: a ShallowConvNet-like convolutional stem cut into time patches (tokens),
    a pre-norm transformer encoder over the tokens, and a fully connected classifier.

    Accepts braindecode 1.8.x's ``EEGConformer`` constructor arguments with the same meaning
    and defaults, has the same ``state_dict`` keys and shapes
    (``patch_embedding.shallownet.*``, ``patch_embedding.projection.0.*``,
    ``transformer.<i>.0.fn.1.queries.weight``, ``fc.fc.0.*``, ``final_layer.*``) and, under
    the same seed, the same initialisation.

    Args:
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters (see
            :func:`eegzoo.core.signal.resolve_signal_params`); ``n_times`` is required,
            ``sfreq`` is optional.
        n_outputs: number of classes (raw logits are returned).
        n_filters_time: temporal filters, also the transformer's embedding size.
        filter_time_length: samples of the temporal convolution.
        pool_time_length, pool_time_stride: average pooling that cuts the tokens (samples).
        drop_prob: dropout after the pooling.
        num_layers, num_heads: transformer encoder layers and attention heads
            (``num_heads`` divides ``n_filters_time``).
        att_drop_prob: dropout on attention weights and inside the encoder layers.
        final_fc_length: ``"auto"`` or ``tokens * n_filters_time`` (the flattened features;
            any size with ``return_features=True``, where the classifier never runs).
        return_features: ``model(x)`` returns the transformer's tokens ``(B, S, F)`` instead
            of logits (braindecode's switch; ``model(x, return_features=True)`` is eegzoo's).
        activation: activation class of the stem and the classifier (ELU).
        activation_transfor: activation class of the feed-forward networks (GELU).
        fused: run the temporal and spatial convolutions as one (batch norm folded in eval,
            see :class:`eegzoo.blocks.patch_embedding.PatchEmbedding`); same numbers to float
            rounding, faster. ``False`` runs braindecode's operations.

    ``model(x)`` returns raw logits ``(B, n_outputs)``; ``return_features=True`` returns
    ``{"features": (B, S, n_filters_time), "logits": ...}``, the encoder's output tokens.
    """

    architecture_name = "eegconformer"
    params_model = EEGConformerParams

    def __init__(
        self,
        n_outputs: int | None = None,
        n_chans: int | None = None,
        n_filters_time: int = 40,
        filter_time_length: int = 25,
        pool_time_length: int = 75,
        pool_time_stride: int = 15,
        drop_prob: float = 0.5,
        num_layers: int = 6,
        num_heads: int = 10,
        att_drop_prob: float = 0.5,
        final_fc_length: str | int = "auto",
        return_features: bool = False,
        activation: type[nn.Module] | str = nn.ELU,
        activation_transfor: type[nn.Module] | str = nn.GELU,
        n_times: int | None = None,
        chs_info: Any = None,
        input_window_seconds: float | None = None,
        sfreq: float | None = None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "EEGConformer", require_sfreq=False
        )
        self._init_signal(signal, n_outputs)
        for name, value in (
            ("n_filters_time", n_filters_time), ("filter_time_length", filter_time_length),
            ("pool_time_length", pool_time_length), ("pool_time_stride", pool_time_stride),
            ("num_heads", num_heads),
        ):
            positive_int(name, value)
        positive_int("num_layers", num_layers, minimum=0)
        if final_fc_length != "auto":
            positive_int("final_fc_length", final_fc_length)
        probability("drop_prob", drop_prob)
        probability("att_drop_prob", att_drop_prob)
        self.n_tokens, self.final_fc_length = check_conformer_shapes(
            signal.n_times, n_filters_time, filter_time_length, pool_time_length, pool_time_stride,
            num_heads, final_fc_length, bool(return_features),
        )
        if self.n_chans > 64:
            warnings.warn(
                "This model has only been tested on no more than 64 channels. no guarantee to "
                "work with more channels.",
                UserWarning,
                stacklevel=2,
            )
        self.n_filters_time = n_filters_time
        self.filter_time_length = filter_time_length
        self.pool_time_length = pool_time_length
        self.pool_time_stride = pool_time_stride
        self.drop_prob = drop_prob
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.att_drop_prob = att_drop_prob
        self.final_fc_length_arg = final_fc_length
        self.return_features = bool(return_features)
        self.activation = resolve_activation(activation)
        self.activation_transfor = resolve_activation(activation_transfor, "activation_transfor")
        self.fused = fused

        # Submodule names, order and initialisation follow braindecode, so state_dicts are
        # interchangeable and the same seed gives the same weights.
        self.patch_embedding = PatchEmbedding(
            self.n_chans, n_filters_time, filter_time_length, pool_time_length, pool_time_stride,
            drop_prob, self.activation, fused=fused,
        )
        if final_fc_length == "auto":
            self._sizing_pass()
        self.transformer = nn.Sequential(*[
            TransformerEncoderLayer(n_filters_time, num_heads, att_drop_prob, activation=self.activation_transfor)
            for _ in range(num_layers)
        ])
        self.fc = _FullyConnected(self.final_fc_length, self.activation)
        self.final_layer = nn.Linear(32, self.n_outputs)

    def _sizing_pass(self) -> None:
        """braindecode sizes its classifier with one training-mode pass of ones through the
        patch embedding: it moves the batch norm's running statistics and draws a dropout
        mask. The same pass (braindecode's operations, bit for bit) keeps construction, and
        so same-seed initialisation and the initial running statistics, identical."""
        embedding = self.patch_embedding
        fused, embedding.fused = embedding.fused, False
        try:
            with torch.no_grad():
                embedding(torch.ones(1, self.n_chans, self.n_times))
        finally:
            embedding.fused = fused

    # ------------------------------------------------------------------ forward
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Patch embedding and transformer encoder: ``(B, C, T) -> (B, S, n_filters_time)``."""
        self.check_input(x, self.n_times, self.n_times)
        return self.transformer(self.patch_embedding(x))

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """Flatten, two fully connected layers, the final linear layer: ``(B, S, F) ->
        (B, n_outputs)`` raw logits (the tokens themselves when built with
        ``return_features=True``, as braindecode)."""
        if self.return_features:
            return features
        return self.final_layer(self.fc(features))

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        seconds = lambda n: f" ({n / self.sfreq:g} s)" if self.sfreq else ""  # noqa: E731
        act = self.activation.__name__
        return [
            f"1. **Patch embedding**: {self.n_filters_time} temporal filters of {self.filter_time_length} samples"
            f"{seconds(self.filter_time_length)} and {self.n_filters_time} spatial filters over {self.n_chans} "
            f"electrodes (run as one convolution), batch norm, {act}, average pooling over "
            f"{self.pool_time_length} samples{seconds(self.pool_time_length)} every {self.pool_time_stride} -> "
            f"{self.n_tokens} tokens, dropout {self.drop_prob:g}, 1x1 projection.",
            f"2. **Transformer encoder**: {self.num_layers} pre-norm layers, {self.num_heads}-head self-attention "
            f"over the {self.n_tokens} tokens of {self.n_filters_time} features, feed-forward "
            f"{self.n_filters_time} -> {4 * self.n_filters_time} -> {self.n_filters_time} "
            f"({self.activation_transfor.__name__}), dropout {self.att_drop_prob:g}.",
            f"3. **Classifier**: flatten ({self.final_fc_length}) -> 256 -> 32 ({act}, dropout 0.5 / 0.3) -> "
            f"{self.n_outputs} logits.",
        ]

    def get_config(self) -> dict[str, Any]:
        return json_safe(
            {
                "n_outputs": self.n_outputs,
                "n_chans": self.n_chans,
                "n_filters_time": self.n_filters_time,
                "filter_time_length": self.filter_time_length,
                "pool_time_length": self.pool_time_length,
                "pool_time_stride": self.pool_time_stride,
                "drop_prob": self.drop_prob,
                "num_layers": self.num_layers,
                "num_heads": self.num_heads,
                "att_drop_prob": self.att_drop_prob,
                "final_fc_length": self.final_fc_length_arg,
                "return_features": self.return_features,
                "activation": activation_path(self.activation),
                "activation_transfor": activation_path(self.activation_transfor),
                "n_times": self.n_times,
                "chs_info": self._chs_info,
                "input_window_seconds": None,
                "sfreq": self.sfreq,
                "fused": self.fused,
            }
        )
