"""MOABB, both ways: zoo models as MOABB pipelines, and eegzoo datasets as MOABB datasets.

- :func:`write_pipelines` writes MOABB YAML pipeline files (one per zoo model) that
  ``moabb.benchmark(pipelines=DIR, contexts=DIR/"contexts.yaml")`` runs as they are. MOABB
  hands pipelines bare arrays (in µV, ``unit_factor`` 1e6) with no sampling rate, so the
  pipelines declare one rate (``sfreq``, default 128 Hz) and the written ``contexts.yaml``
  makes MOABB resample every dataset to it: no rate is written per dataset.
- :func:`as_moabb_dataset` turns any registered eegzoo dataset (package archives, local
  folders, BIDS) into a ``moabb.datasets.base.BaseDataset``, so MOABB's paradigms and
  evaluations run on eegzoo's offline recordings.

Needs the ``moabb`` extra (``pip install "eegzoo[moabb]"``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Sequence

import mne
import numpy as np

from eegzoo.core.files import atomic_write_text

__all__ = ["DEFAULT_PIPELINE_MODELS", "as_moabb_dataset", "write_pipelines"]

DEFAULT_PIPELINE_MODELS = ("fblightconvnet", "eegnet", "shallowfbcspnet", "fbcnet")
#: MOABB paradigms the written pipelines declare (any number of classes, and left/right)
PARADIGMS = ("LeftRightImagery", "MotorImagery")


def _import_moabb() -> Any:
    try:
        import moabb  # noqa: F401
    except ImportError as err:
        raise ImportError("eegzoo.moabb needs MOABB: pip install 'eegzoo[moabb]'.") from err
    import moabb.datasets.base

    return moabb


def write_pipelines(directory: str | os.PathLike, models: Sequence[str] | None = None, *, sfreq: float = 128.0,
                    recipe: str = "benchmark", epochs: int | None = None, paradigms: Sequence[str] = PARADIGMS,
                    seed: int = 0) -> list[Path]:
    """Write ``<model>.yml`` MOABB pipelines (``eegzoo.sklearn.EEGZooClassifier``) for
    ``models`` (registered names; default: the zoo's four architectures) and
    ``contexts.yaml`` (each paradigm resamples to ``sfreq``) into ``directory``; returns
    the files. Run them with ``moabb.benchmark(pipelines=directory,
    contexts=directory/"contexts.yaml", ...)``."""
    from eegzoo.registry import model_spec

    import yaml

    names = list(models) if models is not None else list(DEFAULT_PIPELINE_MODELS)
    for name in names:
        model_spec(name)  # unknown names fail here, naming the closest
    if sfreq <= 0:
        raise ValueError(f"sfreq must be positive, got {sfreq}.")
    directory = Path(directory)
    written = []
    for name in names:
        parameters: dict[str, Any] = {"model": name, "recipe": recipe, "sfreq": float(sfreq),
                                      "scale": 1.0, "seed": int(seed)}  # MOABB's arrays are in µV already
        if epochs is not None:
            parameters["epochs"] = int(epochs)
        config = {
            "name": f"eegzoo-{name}",
            "paradigms": list(paradigms),
            "citations": [f"eegzoo model '{name}' (see `eegzoo card {name}`)"],
            "pipeline": [{"name": "EEGZooClassifier", "from": "eegzoo.sklearn", "parameters": parameters}],
        }
        file = directory / f"eegzoo-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.yml"
        written.append(atomic_write_text(file, yaml.safe_dump(config, sort_keys=False)))
    contexts = {p: {"resample": float(sfreq)} for p in paradigms}
    # .yaml: MOABB reads every *.yml in the folder as a pipeline
    written.append(atomic_write_text(directory / "contexts.yaml", yaml.safe_dump(contexts, sort_keys=False)))
    return written


def _epochs_to_raw(epochs: mne.BaseEpochs, pad: float = 0.5) -> mne.io.RawArray:
    """A continuous recording of the trials one after another (each padded with ``pad`` s of
    its mirrored edges, so filters and windows never reach the neighbour), with one
    annotation per trial at its event, named by its class."""
    sfreq = epochs.info["sfreq"]
    n_pad = max(1, int(round(pad * sfreq)))
    x = epochs.get_data(copy=True)
    n_trials, _, n_times = x.shape
    padded = np.pad(x, [(0, 0), (0, 0), (n_pad, n_pad)], mode="reflect" if n_times > n_pad else "edge")
    data = padded.transpose(1, 0, 2).reshape(x.shape[1], -1)
    names = {code: name for name, code in epochs.event_id.items()}
    step = (n_times + 2 * n_pad) / sfreq
    onsets = np.arange(n_trials) * step + n_pad / sfreq - epochs.tmin
    raw = mne.io.RawArray(data, epochs.info.copy(), verbose="error")
    raw.set_annotations(mne.Annotations(onsets, 0.0, [names[c] for c in epochs.events[:, 2]]))
    return raw


def as_moabb_dataset(name: str, *, paradigm: str = "imagery", code: str | None = None) -> Any:
    """A MOABB dataset (``moabb.datasets.base.BaseDataset``) of the registered eegzoo dataset
    ``name`` (or a spec file): its subjects, its splits as MOABB sessions, its classes as
    events and its window as ``interval``. MOABB's paradigms then cut, filter and resample
    the trials, and its evaluations run on them offline."""
    moabb = _import_moabb()
    from eegzoo.data.datasets import load_dataset
    from eegzoo.registry.datasets import dataset_spec

    spec = dataset_spec(name)
    if spec.protocol.kind == "none":
        raise ValueError(f"dataset '{spec.name}' has no task (protocol 'none'): MOABB evaluates classification datasets.")
    BaseDataset = moabb.datasets.base.BaseDataset

    class EEGZooDataset(BaseDataset):
        """An eegzoo dataset seen by MOABB (trials as annotations on a continuous recording)."""

        def __init__(self) -> None:
            self.eegzoo_spec = spec
            super().__init__(
                subjects=list(spec.subjects), sessions_per_subject=len(spec.splits),
                events={cls: i + 1 for i, cls in enumerate(spec.classes)},
                code=code or f"EEGZoo-{spec.name}", interval=[spec.epochs.tmin, spec.epochs.tmin + spec.n_times / spec.sfreq],
                paradigm=paradigm, doi=None,
            )

        def _get_single_subject_data(self, subject: int) -> dict[str, dict[str, mne.io.BaseRaw]]:
            data = load_dataset(spec, subjects=[subject])[subject]
            return {f"{i}{split}": {"0": _epochs_to_raw(epochs)} for i, (split, epochs) in enumerate(data.items())}

        def data_path(self, subject: int, path: Any = None, force_update: bool = False, update_path: Any = None,
                      verbose: Any = None) -> list[str]:
            return []

    return EEGZooDataset()
