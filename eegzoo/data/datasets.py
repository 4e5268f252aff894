"""Registered datasets as mne objects: ``load_dataset(name)`` →
``{subject: {split: mne.Epochs}}``, the shape of :func:`simulated_motor_imagery`, so
``from_epochs``, ``fit`` and ``evaluate`` take real recordings unchanged.

Every epoch set is in volts, with the spec's channel names and types, its montage where
known, the class names of the spec as ``event_id`` (codes 1..n in class order) and, for
continuous recordings, the recording's annotations."""

from __future__ import annotations

import csv
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import mne
import numpy as np

from eegzoo.core.errors import DatasetError
from eegzoo.data.events import cut_with_report, match_events, normalise_annotations, stim_to_annotations
from eegzoo.data.fetch import archive_dir, cache_status, fetch_dataset, sha256_of
from eegzoo.registry.datasets import dataset_spec
from eegzoo.specs.dataset import DatasetSpec, MoabbSource, RecordingFile

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
    try:
        wanted_subjects = _check_subset(subjects, spec.subjects, "subject", spec.name)
        wanted_splits = _check_subset(splits, spec.splits, "split", spec.name)
    except ValueError as err:  # a local/BIDS root or file that is not there
        raise DatasetError(str(err)) from None
    if isinstance(spec.source, MoabbSource):
        return _load_moabb(spec, wanted_subjects, wanted_splits)
    if spec.on_disk:
        return _load_on_disk(spec, wanted_subjects, wanted_splits)
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
            reader = readers.get(rec.format)
            raw = reader(path, preload=True, verbose="error") if reader else read_any_raw(path, rec.format)
        raws.append(_prepare_raw(spec, raw, path.name, montage))
    return raws[0] if len(raws) == 1 else mne.concatenate_raws(raws)


def channel_mismatch(have: Sequence[str], expected: Sequence[str]) -> Optional[str]:
    """What differs between a file's channels and the expected ones, by name, or None."""
    if list(have) == list(expected):
        return None
    missing = [c for c in expected if c not in have]
    extra = [c for c in have if c not in expected]
    if not missing and not extra:
        return f"the same {len(have)} channels in another order (file: {list(have)[:8]}{'...' if len(have) > 8 else ''})"
    parts = []
    if missing:
        parts.append(f"missing {missing[:12]}{'...' if len(missing) > 12 else ''} ({len(missing)})")
    if extra:
        parts.append(f"not in the spec {extra[:12]}{'...' if len(extra) > 12 else ''} ({len(extra)})")
    return "; ".join(parts)


def _prepare_raw(spec: DatasetSpec, raw: mne.io.BaseRaw, label: str, montage: Optional[mne.channels.DigMontage]) -> mne.io.BaseRaw:
    """Check a raw against the spec (channels by name, rate, amplitude), convert to volts,
    set names, types and montage, turn stim-channel events into annotations, resample."""
    rec = spec.recording
    if rec.stim_channel is not None:
        try:
            stim_to_annotations(raw, rec.stim_channel, rec.stim_mask)
        except ValueError as err:
            raise DatasetError(f"{label}: {err} Fix recording.stim_channel in the spec of '{spec.name}'.") from None
    normalise_annotations(raw)
    expected = list(rec.file_ch_names or rec.ch_names)
    problem = channel_mismatch(raw.ch_names, expected)
    if problem is not None:
        if spec.on_disk and set(expected) <= set(raw.ch_names) and set(raw.ch_names) == set(expected):
            raw.reorder_channels(expected)  # own files: channels are identified by name
        else:
            raise DatasetError(
                f"{label} has {len(raw.ch_names)} channels, the spec of '{spec.name}' expects {len(expected)}: {problem}. "
                "Fix recording.ch_names / file_ch_names in the spec (eegzoo datasets init writes them from a file)."
            )
    if abs(raw.info["sfreq"] - rec.sfreq) > 1e-6:
        raise DatasetError(f"{label} is sampled at {raw.info['sfreq']:g} Hz; the spec of '{spec.name}' says {rec.sfreq:g} Hz: "
                           "fix recording.sfreq, or keep files of one rate in one dataset.")
    if rec.to_volts != 1.0:
        raw.apply_function(lambda x: x * rec.to_volts, picks="all", channel_wise=False)
    if rec.file_ch_names is not None:
        raw.rename_channels(dict(zip(rec.file_ch_names, rec.ch_names)))
    raw.set_channel_types(dict(zip(rec.ch_names, rec.types)), on_unit_change="ignore")
    if montage is not None:
        raw.set_montage(montage, on_missing="warn")
    _check_volts(spec, raw.get_data(picks="data"), label)
    if spec.epochs.resample is not None:  # annotations are in seconds: the events follow
        raw.resample(spec.epochs.resample, method="polyphase", verbose="error")
    return raw


def _epochs_from_raw(spec: DatasetSpec, raw: mne.io.BaseRaw, label: str) -> mne.Epochs:
    classes = spec.classes
    present = dict(Counter(raw.annotations.description))
    try:
        class_of = match_events(spec.events, present, label, f"the 'events' of the spec of '{spec.name}'")
    except ValueError as err:
        raise DatasetError(str(err)) from None
    code_of = {desc: classes.index(cls) + 1 for desc, cls in class_of.items()}
    window = spec.epochs
    # with `step`, one window every `step` seconds inside each matching annotation
    events, _ = mne.events_from_annotations(raw, event_id=code_of, chunk_duration=window.step, verbose="error")
    samples, first = np.unique(events[:, 0], return_index=True)
    if len(samples) < len(events):
        shared = Counter()
        for sample in samples[np.bincount(np.searchsorted(samples, events[:, 0])) > 1]:
            at = sorted({d for d, t in zip(raw.annotations.description, raw.annotations.onset)
                         if d in code_of and abs(raw.time_as_index(t, use_rounding=True)[0] + raw.first_samp - sample) < 1})
            shared[" & ".join(at)] += 1
        raise DatasetError(
            f"{label}: events of the spec of '{spec.name}' share onsets ("
            + "; ".join(f"{k} at {v} onset(s)" for k, v in sorted(shared.items()))
            + "), so those trials would be cut twice: keep one name of each pair in 'events'."
        )
    event_id = {cls: i + 1 for i, cls in enumerate(classes) if i + 1 in set(events[:, 2])}
    epochs, _ = cut_with_report(
        raw, events, event_id, window.tmin, window.tmin + (spec.n_times - 1) / spec.sfreq,
        spec.recording.reject_by_annotation, f"dataset '{spec.name}', {label}", baseline=window.baseline,
    )
    return epochs


# ------------------------------------------------------------------ any file mne reads
EPOCHS_SUFFIXES = ("-epo.fif", "_epo.fif", "-epo.fif.gz", "_epo.fif.gz")
_RAW_READERS = {"gdf": "read_raw_gdf", "edf": "read_raw_edf", "bdf": "read_raw_bdf", "brainvision": "read_raw_brainvision",
                "eeglab": "read_raw_eeglab", "fif": "read_raw_fif", "cnt": "read_raw_cnt"}


def read_any_raw(path: str | Path, format: str = "auto") -> mne.io.BaseRaw:
    """A continuous recording, preloaded: ``format`` names the mne reader, ``"auto"`` lets
    ``mne.io.read_raw`` choose by extension. An epoched file is an error naming the format
    to use."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if format == "auto":
                return normalise_annotations(mne.io.read_raw(path, preload=True, verbose="error"))
            return normalise_annotations(getattr(mne.io, _RAW_READERS[format])(path, preload=True, verbose="error"))
    except (ValueError, TypeError) as err:
        if "read_epochs_eeglab" in str(err):
            raise DatasetError(f"{path.name} is an epoched EEGLAB file: use format = 'eeglab-epochs' (or 'auto').") from None
        raise DatasetError(f"mne could not read {path} as {format!r}: {err}") from None
    except FileNotFoundError as err:
        raise DatasetError(f"{path}: {err}") from None


def read_any(path: str | Path, format: str = "auto") -> mne.io.BaseRaw | mne.BaseEpochs:
    """Raw or epochs from any file mne reads: ``-epo.fif`` and epoched EEGLAB ``.set`` files
    as epochs, everything else through :func:`read_any_raw`."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if format == "epochs-fif" or (format == "auto" and path.name.endswith(EPOCHS_SUFFIXES)):
            return mne.read_epochs(path, preload=True, verbose="error")
        if format == "eeglab-epochs":
            return mne.read_epochs_eeglab(path, verbose="error")
        if format == "auto" and path.suffix == ".set":
            try:
                return read_any_raw(path, "eeglab")
            except DatasetError as err:
                if "epoched EEGLAB" not in str(err):
                    raise
                return mne.read_epochs_eeglab(path, verbose="error")
    return read_any_raw(path, format)


def check_sha256(spec: DatasetSpec, rec: RecordingFile) -> None:
    """Every file of ``rec`` whose sha256 the spec pins must match it."""
    for path, expected in rec.pinned(spec.root).items():
        if not path.is_file():
            raise DatasetError(f"dataset '{spec.name}': {path} (pinned with {rec.relative}) does not exist: restore it or "
                               "remove it from the spec.")
        got = sha256_of(path)
        if got != expected:
            raise DatasetError(
                f"dataset '{spec.name}': sha256 mismatch for {path}: the spec pins {expected}, the file has {got}. The file "
                "changed since the spec was written; if that is intended, update its sha256 (eegzoo datasets hash "
                f"{path}), else restore the original."
            )


def _load_on_disk(spec: DatasetSpec, subjects: list[int], splits: list[str]) -> Dataset:
    """A local or BIDS dataset: each file checked (sha256 when pinned), read where it is."""
    try:
        recordings = spec.recordings()
    except ValueError as err:
        raise DatasetError(str(err)) from None
    montage = _montage(spec, spec.root)
    out: Dataset = {}
    for subject in subjects:
        for split in splits:
            chosen = [r for r in recordings if r.subject == subject and r.split == split]
            parts = []
            for rec in chosen:
                check_sha256(spec, rec)
                parts.append(_read_recording(spec, rec, montage))
            if parts:
                epochs = _concat(parts)
                epochs.info["description"] = f"eegzoo dataset '{spec.name}', subject {subject}, split '{split}'"
                out.setdefault(subject, {})[split] = epochs
    return out


def _read_recording(spec: DatasetSpec, rec: RecordingFile, montage: Optional[mne.channels.DigMontage]) -> mne.BaseEpochs:
    fmt = spec.recording.format
    if rec.bids_path is not None:
        import mne_bids

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = mne_bids.read_raw_bids(rec.bids_path, verbose="error")
        data.load_data(verbose="error")
    else:
        data = read_any(rec.path, fmt)
    if isinstance(data, mne.io.BaseRaw):
        raw = _prepare_raw(spec, data, rec.relative, montage)
        return _epochs_from_raw(spec, raw, rec.relative)
    return _epochs_from_file(spec, data, rec.relative)


def _epochs_from_file(spec: DatasetSpec, epochs: mne.BaseEpochs, label: str) -> mne.BaseEpochs:
    """Epochs read from a file, checked against the spec and relabelled with its classes;
    the spec's window is cropped out of the file's."""
    rec = spec.recording
    expected = list(rec.file_ch_names or rec.ch_names)
    problem = channel_mismatch(epochs.ch_names, expected)
    if problem is not None:
        if set(epochs.ch_names) != set(expected):
            raise DatasetError(f"{label}: {problem}. Fix recording.ch_names in the spec of '{spec.name}'.")
        epochs.reorder_channels(expected)
    if abs(epochs.info["sfreq"] - rec.sfreq) > 1e-6:
        raise DatasetError(f"{label} is sampled at {epochs.info['sfreq']:g} Hz; the spec of '{spec.name}' says {rec.sfreq:g} Hz.")
    if rec.to_volts != 1.0:
        epochs.apply_function(lambda x: x * rec.to_volts, picks="all", channel_wise=False)
    if rec.file_ch_names is not None:
        epochs.rename_channels(dict(zip(rec.file_ch_names, rec.ch_names)))
    epochs.set_channel_types(dict(zip(rec.ch_names, rec.types)), on_unit_change="ignore")
    _check_volts(spec, epochs.get_data(picks="data"), label)
    counts = Counter({name: int((epochs.events[:, 2] == code).sum()) for name, code in epochs.event_id.items()})
    try:
        class_of = match_events(spec.events, counts, label, f"the 'events' of the spec of '{spec.name}'")
    except ValueError as err:
        raise DatasetError(str(err)) from None
    classes = spec.classes
    code_to_class = {epochs.event_id[d]: classes.index(c) + 1 for d, c in class_of.items()}
    keep = np.isin(epochs.events[:, 2], list(code_to_class))
    epochs = epochs[np.flatnonzero(keep)]
    events = epochs.events.copy()
    events[:, 2] = [code_to_class[c] for c in events[:, 2]]
    window = spec.epochs
    tmax = window.tmin + (spec.n_times - 1) / spec.sfreq
    if window.tmin < epochs.tmin - 1e-9 or tmax > epochs.tmax + 1e-9:
        raise DatasetError(f"{label}: the epochs span {epochs.tmin:g} s to {epochs.tmax:g} s; the spec's window "
                           f"{window.tmin:g} s to {tmax:g} s does not fit inside: fix epochs.tmin/tmax in the spec.")
    data = epochs.copy().crop(window.tmin, tmax, include_tmax=True).get_data()[..., :spec.n_times]
    event_id = {cls: i + 1 for i, cls in enumerate(classes) if i + 1 in set(events[:, 2])}
    out = mne.EpochsArray(data, epochs.info, events=events, tmin=window.tmin, event_id=event_id,
                          baseline=window.baseline, verbose="error")
    return out


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
    if spec.on_disk:
        out = {}
        for rec in spec.recordings():
            for path, expected in (rec.pinned(spec.root).items() or {rec.path: None}.items()):
                out[str(path)] = ("missing" if not path.is_file() else "not pinned (no sha256)" if expected is None
                                  else "ok" if sha256_of(path) == expected else "changed (sha256 differs)")
        return out
    root = archive_dir(spec)
    return {str(root / m): s for m, s in cache_status(spec).items()}


__all__ = ["Dataset", "describe_cache", "load_dataset"]
