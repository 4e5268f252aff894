"""``eegzoo datasets init`` and ``eegzoo datasets hash``: a dataset spec written from a folder
of recordings, a BIDS root or one file, checked by loading it before it is written.

What the files say goes into the spec (channels and their types, sampling rate, the unit
that makes the signal's amplitude plausible EEG, the events found with their counts, the
sha256 of every file and of the files read with it); what a person must decide is left as
a comment (which events are classes, which names share a class, the protocol, license)."""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import mne
import numpy as np

from eegzoo.core.errors import DatasetError
from eegzoo.core.files import atomic_write_text
from eegzoo.data.datasets import EPOCHS_SUFFIXES, load_dataset, read_any
from eegzoo.data.events import NOT_TRIALS, event_name, normalise_annotations
from eegzoo.data.fetch import sha256_of
from eegzoo.specs.dataset import UNIT_TO_VOLTS, DatasetSpec

#: Extensions of recordings (the files a reader opens; companions are found from them).
RECORDING_EXTENSIONS = (".vhdr", ".set", ".bdf", ".edf", ".gdf", ".fif", ".cnt", ".fif.gz")
MIN_TRIALS = 5  # an event seen fewer times is commented out (k-fold needs trials of each class in each fold)


def hash_lines(path: str | os.PathLike) -> list[str]:
    """``sha256  relative/path`` (sha256sum's format) for a file, or every file under a folder."""
    path = Path(path)
    if path.is_file():
        return [f"{sha256_of(path)}  {path.name}"]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    files = sorted(p for p in path.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
    return [f"{sha256_of(p)}  {p.relative_to(path).as_posix()}" for p in files]


def is_bids_root(path: Path) -> bool:
    return path.is_dir() and (path / "dataset_description.json").is_file()


def companions(path: Path) -> list[Path]:
    """Files a reader opens with ``path``: BrainVision's marker and data files, EEGLAB's .fdt."""
    out = []
    if path.suffix == ".vhdr":
        text = path.read_text(encoding="latin-1", errors="replace")
        for key in ("DataFile", "MarkerFile"):
            m = re.search(rf"^{key}=(.+)$", text, re.MULTILINE)
            if m:
                out.append(path.parent / m.group(1).strip())
    elif path.suffix == ".set":
        out += [p for p in (path.with_suffix(".fdt"), path.with_suffix(".FDT")) if p.is_file()][:1]
    return [p for p in out if p.is_file()]


def _bids_sidecars(path: Path) -> list[Path]:
    stem = path.name[: path.name.rfind("_")]
    names = [f"{stem}_events.tsv", f"{stem}_events.json", f"{stem}_channels.tsv", path.name.split(".")[0] + ".json"]
    return [path.parent / n for n in names if (path.parent / n).is_file()]


def _find_recordings(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(RECORDING_EXTENSIONS)
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    if not found:
        raise DatasetError(f"{path}: no recording found (looked for {', '.join(RECORDING_EXTENSIONS)}); give a folder of "
                           "recordings, a BIDS root, or one file.")
    return found


def _unit(std_as_read: float) -> tuple[str, bool]:
    """(the unit that makes the amplitude plausible EEG, whether one does)."""
    best = min(UNIT_TO_VOLTS, key=lambda u: abs(math.log10(max(std_as_read, 1e-30) * UNIT_TO_VOLTS[u]) - math.log10(1e-5)))
    volts = std_as_read * UNIT_TO_VOLTS[best]
    return best, 1e-7 <= volts <= 1e-3


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def init_spec(path: str | os.PathLike, name: str, tmin: float, tmax: float, out: str | os.PathLike | None = None,
              *, pattern: str | None = None, force: bool = False) -> tuple[Path, DatasetSpec, str]:
    """Write a dataset spec for the recordings at ``path`` (a folder, a BIDS root or one file)
    to ``out`` (default ``./NAME.toml``), after loading it to check that it works as written.
    Returns (the spec file, the spec, a summary of what was found)."""
    path = Path(path).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise ValueError(f"--name {name!r}: use lower-case letters, digits, '.', '_' and '-' (it is the registered name).")
    out = Path(out) if out is not None else Path.cwd() / f"{name}.toml"
    if out.suffix != ".toml":
        raise ValueError(f"--out {out}: a spec file ends in .toml.")
    if out.stem != name:
        raise ValueError(f"--out {out}: the file name is the dataset's name; call it {name}.toml (or pass --name {out.stem}).")
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists; pass --force to replace it.")
    out = out.resolve()
    bids = is_bids_root(path)
    root = path if path.is_dir() else path.parent
    if bids:
        import mne_bids

        found = mne_bids.find_matching_paths(root, datatypes="eeg", suffixes="eeg",
                                             extensions=[".vhdr", ".set", ".edf", ".bdf", ".fif", ".cnt", ".gdf"])
        bids_paths = sorted(found, key=lambda p: str(p.fpath))
        files = [Path(p.fpath) for p in bids_paths]
        if not files:
            raise DatasetError(f"{root}: a BIDS root (dataset_description.json) without EEG recordings.")
    else:
        files, bids_paths = _find_recordings(path), []

    # read every file: channels, rate, events, amplitude
    first = None
    counts: Counter[str] = Counter()
    partners: dict[str, set[str]] = {}
    stds, notes, epoched = [], [], False
    stim_channel = None
    for i, file in enumerate(files):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if bids:
                import mne_bids

                data = mne_bids.read_raw_bids(bids_paths[i], verbose="error")
                data.load_data(verbose="error")
            else:
                data = read_any(file)
        label = file.relative_to(root).as_posix()
        if isinstance(data, mne.io.BaseRaw):
            normalise_annotations(data)
            stims = [n for n, t in zip(data.ch_names, data.get_channel_types()) if t == "stim"]
            described = [d for d in data.annotations.description if not NOT_TRIALS.match(d)]
            if not described and stims:
                stim_channel = stims[0]
                events = mne.find_events(data, stim_channel=stims[0], shortest_event=1, initial_event=True, verbose="error")
                described = [str(c) for c in events[:, 2] if c != 0]
            counts.update(described)
            at: dict[float, set[str]] = {}
            for onset, d in zip(data.annotations.onset, data.annotations.description):
                if not NOT_TRIALS.match(d):
                    at.setdefault(round(float(onset) * data.info["sfreq"]), set()).add(d)
            for names in at.values():
                for d in names:
                    partners.setdefault(d, set()).update(names - {d})
            signal = data.copy().pick("data", exclude=())
        else:
            epoched = True
            names = {c: n for n, c in data.event_id.items()}
            counts.update(event_name(names[c]) for c in data.events[:, 2])
            signal = data.copy().pick("data", exclude=())
        chans = [n for n in data.ch_names if n != stim_channel]
        types = [t for n, t in zip(data.ch_names, data.get_channel_types()) if n != stim_channel]
        x = signal.get_data()
        stds.append(float(np.median(x.std(axis=-1))))
        if first is None:
            first = (label, chans, types, float(data.info["sfreq"]))
        else:
            if set(chans) != set(first[1]):
                missing = [c for c in first[1] if c not in chans]
                extra = [c for c in chans if c not in first[1]]
                raise DatasetError(f"{label} and {first[0]} have different channels (missing in {label}: {missing[:12]}; "
                                   f"only in {label}: {extra[:12]}): make one dataset per montage, or pick the files.")
            if abs(float(data.info["sfreq"]) - first[3]) > 1e-6:
                raise DatasetError(f"{label} is sampled at {data.info['sfreq']:g} Hz, {first[0]} at {first[3]:g} Hz: one "
                                   "dataset holds one rate (resample the files, or make two datasets).")
    assert first is not None
    _, ch_names, ch_types, sfreq = first
    unit, plausible = _unit(float(np.median(stds)))
    trial_events = {k: v for k, v in counts.items() if v >= MIN_TRIALS}
    rare = {k: v for k, v in counts.items() if v < MIN_TRIALS}
    # events at the same onset as others cannot all be trials: leave out, one at a time, the
    # event coinciding with the most different names (a trial-start code beside every cue)
    coinciding: dict[str, list[str]] = {}
    while True:
        clash = {k: partners.get(k, set()) & set(trial_events) for k in trial_events}
        clash = {k: v for k, v in clash.items() if v}
        if not clash:
            break
        worst = max(clash, key=lambda k: (len(clash[k]), trial_events[k], k))
        coinciding[worst] = sorted(clash[worst])
        trial_events.pop(worst)
    if len(trial_events) < 2:
        raise DatasetError(f"{path}: fewer than two event names occur {MIN_TRIALS} times or more (found: "
                           f"{dict(counts) or 'none'}); a classification dataset needs at least two classes.")

    # subjects and splits
    entries = []
    for file in files:
        rel = file.relative_to(root).as_posix()
        parts = companions(file) + (_bids_sidecars(file) if bids else [])
        subject, split = 1, "all"
        if not bids:
            regex = pattern or r"sub-(?P<subject>\d+)"
            m = re.search(regex, rel)
            if m and m.groupdict().get("subject"):
                subject = int(m.group("subject"))
            if m and m.groupdict().get("split"):
                split = re.sub(r"[^A-Za-z0-9_-]+", "-", m.group("split")).strip("-") or "all"
        entries.append((rel, sha256_of(file), subject, split, {p.relative_to(root).as_posix(): sha256_of(p) for p in parts}))
    splits = list(dict.fromkeys(e[3] for e in entries))
    subjects = sorted({e[2] for e in entries})

    try:
        root_text = os.path.relpath(root, out.parent)
    except ValueError:  # another drive
        root_text = str(root)
    root_text = root_text.replace(os.sep, "/")
    fmt = "auto"
    lines = [
        f"# Dataset spec written by `eegzoo datasets init {path}` — check every line marked DECIDE.",
        f"# {len(files)} recording(s), {len(subjects)} subject(s), {len(ch_names)} channels at {sfreq:g} Hz.",
        f"description = {_toml(f'Recordings in {path.name} ({len(files)} file(s)).')}  # DECIDE: what the data are",
        'paradigm = "unknown"  # DECIDE: e.g. "motor imagery", "visual ERP"',
        f'tags = ["local"{", " + _toml("bids") if bids else ""}]',
        'license = "private: not for publication"  # DECIDE: the data\'s license; it is stated on the cards of weights trained on them',
        'citation = "unpublished"  # DECIDE: a reference or BibTeX',
        "caveats = []",
        "",
        "[source]",
        f'registry = "{"bids" if bids else "local"}"',
        f"root = {_toml(root_text)}  # relative to this file; absolute, ~ and $VARIABLES work too",
    ]
    if bids:
        lines.append('split_by = "none"  # DECIDE: "session", "run" or "task" to make splits of them')
    lines.append("")
    for rel, sha, subject, split, parts in entries:
        lines += ["[[files]]", f"path = {_toml(rel)}", f'sha256 = "{sha}"']
        if not bids:
            lines += [f"subject = {subject}", f"split = {_toml(split)}"]
        if parts:
            lines.append("parts = { " + ", ".join(f"{_toml(k)} = \"{v}\"" for k, v in parts.items()) + " }")
        lines.append("")
    all_eeg = all(t == "eeg" for t in ch_types)
    lines += [
        "[recording]",
        f'format = "{fmt}"  # chosen by extension: BrainVision, EEGLAB, BDF, EDF, GDF, FIF, CNT, -epo.fif',
        f"sfreq = {float(sfreq)!r}",
        f'units = "{unit}"  # values as mne reads them; median channel SD {float(np.median(stds)):.3g} -> '
        + (f"{float(np.median(stds)) * UNIT_TO_VOLTS[unit] * 1e6:.3g} uV" if plausible else "NOT plausible EEG: DECIDE"),
        f"ch_names = {_toml(ch_names)}",
        f"ch_types = {_toml('eeg' if all_eeg else ch_types)}",
        "# montage = \"standard_1020\"  # DECIDE: an mne template, if the names are 10-20 names",
    ]
    if stim_channel:
        lines.append(f"stim_channel = {_toml(stim_channel)}  # events are its codes")
    lines += [
        "reject_by_annotation = false  # true: drop trials overlapping BAD_* annotations (always counted and reported)",
        "",
        "# DECIDE: which events are trials, and their class; several names may give one class",
        '# (upright = "face" and inverted = "face"). Counts over all files:',
        "[events]",
    ]
    for event, n in sorted(trial_events.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"{_toml(event)} = {_toml(_class_name(event))}  # {n} trials")
    for event, others in sorted(coinciding.items()):
        lines.append(f"# {_toml(event)} = {_toml(_class_name(event))}  # {counts[event]}, at the same onsets as "
                     f"{', '.join(others)}: left out")
    for event, n in sorted(rare.items()):
        lines.append(f"# {_toml(event)} = {_toml(_class_name(event))}  # only {n}: left out")
    n_folds = max(2, min(5, min(trial_events.values()) if trial_events else 5))
    lines += ["", "[epochs]", f"tmin = {float(tmin)!r}", f"tmax = {float(tmax)!r}",
              'relative_to = "event onset"  # DECIDE: what the events mark', ""]
    lines += ["[protocol]  # DECIDE: a default within-subject protocol"]
    if len(splits) > 1:
        lines += ['kind = "train-test"', f"train = {_toml(splits[:-1])}", f"test = {_toml(splits[-1:])}",
                  f'description = "Train on {", ".join(splits[:-1])}, test on {splits[-1]}, within each subject."']
    else:
        lines += ['kind = "k-fold"  # "chronological-k-fold" when neighbouring trials overlap in time', f"split = {_toml(splits[0])}",
                  f"n_folds = {n_folds}", f'description = "Stratified {n_folds}-fold cross-validation within each subject."']
    text = "\n".join(lines) + "\n"

    # check: the spec loads as written (validated, every file read and epoched) before it is written
    from eegzoo.registry.spec_files import tomllib

    # the root is relative to the spec's folder, which must exist for the path to resolve;
    # folders made here are removed again when the check fails
    made = [p for p in reversed(out.parents) if not p.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        spec = DatasetSpec.model_validate({"name": name, **tomllib.loads(text)}).with_spec_dir(out.parent)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = load_dataset(spec)
    except BaseException:
        for folder in reversed(made):
            folder.rmdir()
        raise
    trials = Counter()
    for splits_ in data.values():
        for epochs in splits_.values():
            names = {c: n for n, c in epochs.event_id.items()}
            trials.update(names[c] for c in epochs.events[:, 2])
    atomic_write_text(out, text)
    summary = (f"wrote {out}: {len(files)} recording(s) ({'epoched' if epoched else 'continuous'}), subjects {subjects}, "
               f"splits {splits}, {len(ch_names)} channels at {sfreq:g} Hz, units '{unit}'; classes "
               + ", ".join(f"{k} {v}" for k, v in trials.items()) + f" in the window {tmin:g}..{tmax:g} s"
               + (f"; left out (fewer than {MIN_TRIALS}): " + ", ".join(f"{k} {v}" for k, v in sorted(rare.items())) if rare else "")
               + (f"; left out (same onsets as other events): " + ", ".join(sorted(coinciding)) if coinciding else ""))
    if not plausible:
        summary += "; WARNING: no unit makes the amplitude plausible EEG, check 'units'"
    return out, spec, summary


def _class_name(event: str) -> str:
    name = event_name(event).strip()
    return re.sub(r"\s+", "_", name) or event
