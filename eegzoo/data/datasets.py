"""Registered datasets as mne objects: ``load_dataset(name)`` →
``{subject: {split: mne.Epochs}}``, the shape of :func:`simulated_motor_imagery`, so
``from_epochs``, ``fit`` and ``evaluate`` take real recordings unchanged.

Every epoch set is in volts, with the spec's channel names and types, its montage where
known, the class names of the spec as ``event_id`` (codes 1..n in class order) and, for
continuous recordings, the recording's annotations."""

from __future__ import annotations

import csv
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import mne
import numpy as np

from eegzoo.core.errors import DatasetError
from eegzoo.data.fetch import archive_dir, cache_status, fetch_dataset
from eegzoo.registry.datasets import dataset_spec
from eegzoo.specs.dataset import DatasetSpec, MoabbSource

Dataset = dict[int, dict[str, mne.BaseEpochs]]
# Median per-channel standard deviation (V) outside which data are not plausibly EEG in volts.
_PLAUSIBLE_STD = (1e-8, 1e-2)
# mne 1.13 renamed the template montages; specs may use either name.
_MONTAGE_RENAMED = {"standard_1020": "colin27_1020", "standard_1005": "colin27_1005"}


def load_dataset(
    name: str | DatasetSpec,
    subjects: Optional[Sequence[int]] = None,
    splits: Optional[Sequence[str]] = None,
    *,
    download: bool = True,
    progress: Optional[bool] = None,
) -> Dataset:
    """Load a registered dataset (or the path of a dataset spec file) as
    ``{subject: {split: mne.Epochs}}``.

    Files are fetched on first use (``download=False`` makes a missing file an error) and
    checked against their sha256 on every load; a corrupt cached file is fetched again with
    a :class:`DatasetWarning`. MOABB-backed datasets need the ``moabb`` extra and internet
    access the first time.
    """
    spec = name if isinstance(name, DatasetSpec) else dataset_spec(name)
    wanted_subjects = _check_subset(subjects, spec.subjects, "subject", spec.name)
    wanted_splits = _check_subset(splits, spec.splits, "split", spec.name)
    if isinstance(spec.source, MoabbSource):
        return _load_moabb(spec, wanted_subjects, wanted_splits)
    _ensure_cached(spec, download, progress)
    root = archive_dir(spec)
    montage = _montage(spec, root)
    out: Dataset = {}
    for subject in wanted_subjects:
        for split in wanted_splits:
            paths = [root / f.path for f in spec.files if f.subject == subject and f.split == split]
            if not paths:
                continue
            if spec.recording.format == "ts":
                epochs = _concat([_read_ts(spec, path) for path in paths])
            else:
                epochs = _epochs_from_raw(spec, _read_continuous(spec, paths, montage), str(paths[0].name))
            if montage is not None and spec.recording.format == "ts":
                epochs.set_montage(montage)
            epochs.info["description"] = f"eegzoo dataset '{spec.name}', subject {subject}, split '{split}'"
            out.setdefault(subject, {})[split] = epochs
    return out


def _check_subset(chosen: Optional[Sequence], valid: list, what: str, name: str) -> list:
    if chosen is None:
        return list(valid)
    unknown = [c for c in chosen if c not in valid]
    if unknown:
        raise DatasetError(f"Dataset '{name}' has no {what} {unknown}; it has {valid}.")
    return list(chosen)


def _ensure_cached(spec: DatasetSpec, download: bool, progress: Optional[bool]) -> None:
    status = cache_status(spec)
    if all(s == "ok" for s in status.values()):
        return
    if not download:
        problems = ", ".join(f"{m} ({s})" for m, s in status.items() if s != "ok")
        raise DatasetError(
            f"Dataset '{spec.name}' is not fully in the cache ({archive_dir(spec)}): {problems}. "
            f"Run `eegzoo datasets fetch {spec.name}` (or load_dataset(..., download=True)); a corrupt file is "
            "replaced by a verified copy."
        )
    fetch_dataset(spec, progress=progress)


# ------------------------------------------------------------------ readers
def _montage(spec: DatasetSpec, root: Path) -> Optional[mne.channels.DigMontage]:
    rec = spec.recording
    if rec.montage is not None:
        name = _MONTAGE_RENAMED.get(rec.montage, rec.montage)
        if name not in mne.channels.get_builtin_montages():
            name = rec.montage  # an mne older than the renaming
        if name not in mne.channels.get_builtin_montages():
            raise DatasetError(f"The spec of '{spec.name}' names montage {rec.montage!r}, which this mne does not "
                               f"know; use one of mne.channels.get_builtin_montages().")
        return mne.channels.make_standard_montage(name)
    if rec.montage_file is None:
        return None
    with open(root / rec.montage_file.path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    positions = {row["name"]: np.array([float(row[k]) for k in "xyz"]) for row in rows}
    return mne.channels.make_dig_montage(ch_pos=positions, coord_frame="head")


def _read_continuous(spec: DatasetSpec, paths: list[Path], montage: Optional[mne.channels.DigMontage]) -> mne.io.BaseRaw:
    rec = spec.recording
    readers = {"gdf": mne.io.read_raw_gdf, "edf": mne.io.read_raw_edf}
    raws = []
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # mne's notes on GDF/EDF header quirks
            raw = readers[rec.format](path, preload=True, verbose="error")
        expected = rec.file_ch_names or rec.ch_names
        if raw.ch_names != list(expected):
            raise DatasetError(
                f"{path.name} has channels {raw.ch_names[:8]}{'...' if len(raw.ch_names) > 8 else ''} "
                f"({len(raw.ch_names)}), the spec of '{spec.name}' expects {list(expected)[:8]}... ({len(expected)}): "
                "fix recording.ch_names / file_ch_names in the spec."
            )
        if abs(raw.info["sfreq"] - rec.sfreq) > 1e-6:
            raise DatasetError(f"{path.name} is sampled at {raw.info['sfreq']} Hz; the spec of '{spec.name}' says {rec.sfreq} Hz.")
        if rec.to_volts != 1.0:
            raw.apply_function(lambda x: x * rec.to_volts, picks="all", channel_wise=False)
        if rec.file_ch_names is not None:
            raw.rename_channels(dict(zip(rec.file_ch_names, rec.ch_names)))
        raw.set_channel_types(dict(zip(rec.ch_names, rec.types)), on_unit_change="ignore")
        if montage is not None:
            raw.set_montage(montage, on_missing="warn")
        _check_volts(spec, raw.get_data(picks="data"), path.name)
        if spec.epochs.resample is not None:  # annotations are in seconds: the events follow
            raw.resample(spec.epochs.resample, method="polyphase", verbose="error")
        raws.append(raw)
    return raws[0] if len(raws) == 1 else mne.concatenate_raws(raws)


def _epochs_from_raw(spec: DatasetSpec, raw: mne.io.BaseRaw, label: str) -> mne.Epochs:
    classes = spec.classes
    code_of = {desc: classes.index(cls) + 1 for desc, cls in spec.events.items()}
    present = {d for d in raw.annotations.description}
    code_of = {d: c for d, c in code_of.items() if d in present}
    if not code_of:
        raise DatasetError(
            f"{label}: none of the spec's events {list(spec.events)} is among the recording's annotations "
            f"{sorted(present)[:12]}; fix 'events' in the spec of '{spec.name}'."
        )
    window = spec.epochs
    # with `step`, one window every `step` seconds inside each matching annotation
    events, _ = mne.events_from_annotations(raw, event_id=code_of, chunk_duration=window.step, verbose="error")
    event_id = {cls: i + 1 for i, cls in enumerate(classes) if i + 1 in set(events[:, 2])}
    epochs = mne.Epochs(
        raw, events, event_id, tmin=window.tmin, tmax=window.tmin + (spec.n_times - 1) / spec.sfreq,
        baseline=window.baseline, preload=True, reject_by_annotation=spec.recording.reject_by_annotation, verbose="error",
        on_missing="ignore",
    )
    if len(epochs) < len(events):
        warnings.warn(f"{label}: {len(events) - len(epochs)} of {len(events)} trials dropped "
                      f"(window outside the recording or rejected): {epochs.drop_log_stats():.1f}%.", RuntimeWarning, stacklevel=3)
    return epochs


def _read_ts(spec: DatasetSpec, path: Path) -> mne.EpochsArray:
    """An sktime/aeon ``.ts`` file: header lines (``@...``), then one case per line with
    channels separated by ``:``, values by ``,`` and the class label last."""
    rec = spec.recording
    trials, labels = [], []
    with open(path, encoding="utf-8", errors="replace") as fh:
        in_data = False
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                in_data = line.lower() == "@data"
                continue
            *channels, label = line.split(":")
            try:
                trials.append([np.array(ch.split(","), dtype=float) for ch in channels])
            except ValueError as err:
                raise DatasetError(f"{path.name}, line {number}: not a numeric .ts case ({err}).") from None
            labels.append(label.strip())
    if not trials:
        raise DatasetError(f"{path.name}: no @data cases found.")
    shapes = {(len(t), len(t[0])) for t in trials} | {(len(t), len(c)) for t in trials for c in t}
    if len(shapes) != 1:
        raise DatasetError(f"{path.name}: cases have unequal channel counts or lengths {sorted(shapes)[:4]}.")
    data = np.asarray(trials) * rec.to_volts
    n_chans, n_times = data.shape[1:]
    if n_chans != len(rec.ch_names) or n_times != spec.n_times:
        raise DatasetError(
            f"{path.name}: cases have {n_chans} channels x {n_times} samples; the spec of '{spec.name}' says "
            f"{len(rec.ch_names)} channels and a {spec.epochs.tmin}..{spec.epochs.tmax} s window at "
            f"{rec.sfreq:g} Hz = {spec.n_times} samples."
        )
    unknown = sorted(set(labels) - set(spec.events))
    if unknown:
        raise DatasetError(f"{path.name}: labels {unknown} are not in the spec's events {list(spec.events)}.")
    _check_volts(spec, data, path.name)
    classes = spec.classes
    codes = np.array([classes.index(spec.events[label]) + 1 for label in labels])
    events = np.column_stack([np.arange(len(codes)) * n_times, np.zeros(len(codes), int), codes]).astype(int)
    info = mne.create_info(list(rec.ch_names), rec.sfreq, rec.types)
    event_id = {cls: i + 1 for i, cls in enumerate(classes) if i + 1 in set(codes)}
    return mne.EpochsArray(data, info, events=events, tmin=spec.epochs.tmin, event_id=event_id,
                           baseline=spec.epochs.baseline, verbose="error")


def _check_volts(spec: DatasetSpec, data: np.ndarray, label: str) -> None:
    """Refuse data whose scale is not EEG in volts (a wrong ``units`` in the spec)."""
    std = float(np.median(np.std(data, axis=-1)))
    low, high = _PLAUSIBLE_STD
    if not low <= std <= high:
        raise DatasetError(
            f"{label}: median channel standard deviation {std:.3g} V after converting from "
            f"'{spec.recording.units}' is not plausible EEG ({low:g}..{high:g} V); fix recording.units in the "
            f"spec of '{spec.name}'."
        )


def _concat(epochs: list[mne.BaseEpochs]) -> mne.BaseEpochs:
    return epochs[0] if len(epochs) == 1 else mne.concatenate_epochs(epochs, verbose="error")


# ------------------------------------------------------------------ MOABB
def _load_moabb(spec: DatasetSpec, subjects: list[int], splits: list[str]) -> Dataset:
    source = spec.source
    assert isinstance(source, MoabbSource)
    try:
        import moabb.datasets
    except ImportError as err:
        raise DatasetError(
            f"Dataset '{spec.name}' is downloaded through MOABB, which is not installed: "
            f"pip install 'eegzoo[moabb]' (MOABB {source.moabb_version}); it needs internet access the first time."
        ) from err
    cls = getattr(moabb.datasets, source.dataset, None)
    if cls is None:
        raise DatasetError(f"This MOABB has no dataset {source.dataset}; the spec of '{spec.name}' expects MOABB {source.moabb_version}.")
    dataset = cls(**source.kwargs)
    try:
        data = dataset.get_data(subjects=list(subjects))
    except OSError as err:  # requests/urllib/pooch network errors are OSErrors
        raise DatasetError(
            f"MOABB could not download {source.dataset} (dataset '{spec.name}'): {type(err).__name__}: {err}\n"
            "Its data come from the dataset's own server, which needs internet access the first time; once "
            "downloaded, MOABB's cache (MNE_DATA) serves it offline. Run, where the server is reachable:\n"
            f"    python -c \"import moabb.datasets as d; d.{source.dataset}().download(subject_list={list(subjects)})\""
        ) from err
    out: Dataset = {}
    for subject in subjects:
        sessions = data[subject]
        unknown = [s for s in source.sessions if s not in sessions]
        if unknown:
            raise DatasetError(f"MOABB's {source.dataset} has sessions {sorted(sessions)}, not {unknown}: "
                               f"this MOABB differs from the {source.moabb_version} the spec of '{spec.name}' describes.")
        for split in splits:
            parts = []
            for session, target in source.sessions.items():
                if target != split:
                    continue
                runs = list(sessions[session].values())
                raw = runs[0] if len(runs) == 1 else mne.concatenate_raws([r.copy() for r in runs])
                parts.append(_moabb_epochs(spec, raw, dict(dataset.event_id)))
            if parts:
                out.setdefault(subject, {})[split] = _concat(parts)
    return out


def _moabb_epochs(spec: DatasetSpec, raw: mne.io.BaseRaw, event_id: dict[str, int]) -> mne.Epochs:
    """Epochs from a MOABB raw: its stim channel (or annotations) carry the event names."""
    if abs(raw.info["sfreq"] - spec.recording.sfreq) > 1e-6:
        warnings.warn(f"'{spec.name}': a recording at {raw.info['sfreq']:g} Hz is resampled to {spec.sfreq:g} Hz.",
                      RuntimeWarning, stacklevel=3)
    if abs(raw.info["sfreq"] - spec.sfreq) > 1e-6:  # once, straight to the epochs' rate
        method = "polyphase" if spec.epochs.resample is not None else "fft"
        raw = raw.copy().resample(spec.sfreq, method=method, verbose="error")
    if any(d in spec.events for d in raw.annotations.description):
        return _epochs_from_raw(spec, raw.copy().pick(spec.recording.ch_names), spec.name)
    stim = [n for n, t in zip(raw.ch_names, raw.get_channel_types()) if t == "stim"]
    if not stim:
        raise DatasetError(f"MOABB's raw for '{spec.name}' has neither annotations nor a stim channel with the events.")
    events = mne.find_events(raw, stim_channel=stim[0], shortest_event=0, verbose="error")
    raw = raw.copy().pick(spec.recording.ch_names)
    names = {code: name for name, code in event_id.items()}
    annotations = mne.annotations_from_events(events, raw.info["sfreq"], event_desc=names or None, first_samp=raw.first_samp)
    raw.set_annotations(raw.annotations + annotations)
    return _epochs_from_raw(spec, raw, spec.name)


def describe_cache(name: str | DatasetSpec) -> dict[str, str]:
    """Member path -> cached path and status, for ``eegzoo datasets info``."""
    spec = name if isinstance(name, DatasetSpec) else dataset_spec(name)
    if isinstance(spec.source, MoabbSource):
        return {}
    root = archive_dir(spec)
    return {str(root / m): s for m, s in cache_status(spec).items()}


__all__ = ["Dataset", "describe_cache", "load_dataset"]
