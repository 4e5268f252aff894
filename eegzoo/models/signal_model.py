"""What models taking a ``(batch, n_chans, n_times)`` EEG window share: braindecode's signal
parameters as read-only properties, and the cheap input checks every forward runs."""

from __future__ import annotations

import warnings
from typing import Any, Dict, Optional, Union

import torch

from eegzoo.core.signal import SignalParams, TruncationWarning
from eegzoo.blocks.shapes import shape_text
from eegzoo.models.arguments import positive_int
from eegzoo.models.base import ZooModel


class SignalModel(ZooModel):
    """Mixin for architectures built for one signal shape; subclasses call
    :meth:`_init_signal` first in ``__init__`` and :meth:`check_input` first in
    ``forward_features``.

    Written for TorchScript: ``torch.jit.script(model)`` compiles the training module, and
    the forward path calls only public methods and public attributes, so braindecode's
    tests (which copy a model's public methods onto a plain ``nn.Module``) script it too.
    """

    #: Left out of torch.jit.script: descriptions with no TorchScript type that forward
    #: does not use.
    __jit_unused_properties__ = ["chs_info", "sfreq", "input_window_seconds", "num_classes", "input_shape"]
    __jit_ignored_attributes__ = ["_chs_info", "_sfreq", "_input_window_seconds", "eegzoo_spec", "eegzoo_params", "eegzoo_classes"]

    #: Reject NaN/Inf inputs at forward. Off by default: it is a full pass over the input
    #: and a graph break under torch.compile; turn it on where inputs are untrusted
    #: (``model.check_finite = True``).
    check_finite = False

    def forward(self, x: torch.Tensor, return_features: bool = False) -> Union[torch.Tensor, Dict[str, torch.Tensor]]:
        """Raw logits ``forward_head(forward_features(x))``; with ``return_features`` the
        dict ``{"features", "logits"}``. ``x`` is ``(batch, n_chans, n_times)``, or
        ``(batch, n_chans, n_times, 1)`` as braindecode also accepts it."""
        if x.dim() == 4 and x.shape[3] == 1:
            x = x.squeeze(3)
        features = self.forward_features(x)  # type: ignore[attr-defined]
        logits = self.forward_head(features)  # type: ignore[attr-defined]
        if return_features:
            return {"features": features, "logits": logits}
        return logits

    def _init_signal(self, signal: SignalParams, n_outputs: Any) -> None:
        if n_outputs is None:
            raise ValueError(
                f"{type(self).__name__} needs n_outputs: pass n_outputs=<number of classes>."
            )
        self._n_outputs = positive_int("n_outputs", n_outputs)
        self._n_chans = signal.n_chans
        self._chs_info = signal.chs_info
        self._n_times = signal.n_times
        self._sfreq = signal.sfreq
        self._input_window_seconds = signal.input_window_seconds
        self.model_name = type(self).__name__  # for error messages (TorchScript has no type(self))
        self.check_finite = type(self).check_finite

    @property
    def n_outputs(self) -> int:
        return self._n_outputs

    @property
    def n_chans(self) -> int:
        return self._n_chans

    @property
    def n_times(self) -> int:
        return self._n_times

    @property
    def sfreq(self) -> float | None:
        """Sampling rate in Hz (``None`` when neither given nor inferable and not needed)."""
        return self._sfreq

    @property
    def input_window_seconds(self) -> float | None:
        return self._input_window_seconds

    @property
    def chs_info(self) -> list[dict] | None:
        """Channel descriptions given at construction (``None`` when only ``n_chans`` was)."""
        return self._chs_info

    def check_input(self, x: torch.Tensor, min_times: int, max_times: Optional[int], longer: str = "") -> None:
        """Rank, channels, dtype and length checks (plus NaN/Inf when ``check_finite``).
        ``max_times=None`` accepts longer inputs; ``longer`` is then a warning to emit for
        them (``TruncationWarning``, ``{n}`` standing for the input's length), empty for none."""
        if x.dim() != 3:
            raise ValueError(
                f"{self.model_name} expects input of shape (batch, n_chans, n_times) = "
                f"(B, {self.n_chans}, {self.n_times}), got {shape_text(x)}."
            )
        if x.shape[1] != self.n_chans:
            raise ValueError(
                f"Input has {x.shape[1]} channels but the model was built for n_chans={self.n_chans}."
            )
        if x.shape[2] < min_times:
            raise ValueError(
                f"Input has {x.shape[2]} samples, fewer than the {min_times} the model needs "
                f"(n_times={self.n_times})."
            )
        if max_times is not None and x.shape[2] > max_times:
            raise ValueError(
                f"Input has {x.shape[2]} samples but {self.model_name} takes exactly n_times={self.n_times}: "
                f"crop the input to {self.n_times} samples or build the model with n_times={x.shape[2]}."
            )
        if not x.is_floating_point():
            raise ValueError(f"Input must be a floating-point tensor, got dtype {x.dtype}.")
        if self.check_finite and not bool(torch.isfinite(x).all()):
            bad = (~torch.isfinite(x)).nonzero()[0]
            raise ValueError(
                f"Input contains NaN or Inf (first at batch {int(bad[0])}, channel {int(bad[1])}, sample "
                f"{int(bad[2])}); clean or interpolate bad samples before calling the model."
            )
        if longer != "" and x.shape[2] > self.n_times and not torch.jit.is_tracing():
            if not torch.jit.is_scripting():
                warnings.warn(longer.format(n=x.shape[2]), TruncationWarning, stacklevel=3)

    # the name the architectures' forward_features used before check_input was public
    _check_input = check_input
