"""What a registered dataset is: where its files come from (a package archive pinned by
sha256, MOABB, a folder of the user's own recordings, or a BIDS dataset), how to read them,
which events are which class, the epoch window, the evaluation protocol, license and
citation. Torch-free; validated when a spec file is read, so a wrong spec fails before any
download.

Local and BIDS sources name files on this machine: their ``root`` may be absolute, start with
``~``, hold ``$VARIABLES`` or be relative to the spec file; :meth:`DatasetSpec.recordings`
lists the files (explicit entries, glob patterns, or what mne-bids finds) with their subject
and split."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, PrivateAttr, StrictFloat, StrictInt, model_validator

from eegzoo.specs.model import Frozen

SHA256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="sha256 (64 lower-case hex digits)")]
UNIT_TO_VOLTS = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "nV": 1e-9}


class PypiSource(Frozen):
    """A wheel or sdist on PyPI, fetched with ``python -m pip download --no-deps``."""

    registry: Literal["pypi"]
    package: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str = Field(description="pinned version (==)")
    archive: str = Field(description="file name pip downloads (a .whl, .tar.gz or .zip)")
    sha256: SHA256

    @model_validator(mode="after")
    def _archive_matches_package(self) -> "PypiSource":
        stem = re.sub(r"[-_.]+", "_", self.package).lower()
        prefix = re.sub(r"[-_.]+", "_", self.archive).lower()
        if not prefix.startswith(f"{stem}_{re.sub(r'[-_.]+', '_', self.version).lower()}"):
            raise ValueError(
                f"archive {self.archive!r} is not a file of {self.package}=={self.version}; "
                "give the file name pip downloads for that version."
            )
        if not self.archive.endswith((".whl", ".tar.gz", ".zip")):
            raise ValueError(f"archive {self.archive!r} must be a wheel (.whl) or an sdist (.tar.gz, .zip).")
        return self

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def is_sdist(self) -> bool:
        return not self.archive.endswith(".whl")


class DebianSource(Frozen):
    """A Debian package, fetched with ``apt-get download`` (no installation, no root)."""

    registry: Literal["debian"]
    package: str = Field(pattern=r"^[a-z0-9][a-z0-9+.-]+$")
    version: str
    architecture: str = Field(default="all", description="the .deb's architecture (amd64, all, ...)")
    archive: str = Field(description="file name apt-get downloads")
    sha256: SHA256

    @model_validator(mode="after")
    def _archive_matches_package(self) -> "DebianSource":
        expected = f"{self.package}_{self.version.replace(':', '%3a')}_{self.architecture}.deb"
        if self.archive != expected:
            raise ValueError(f"archive {self.archive!r} is not the file of {self.package} {self.version} "
                             f"({self.architecture}); expected {expected!r}.")
        return self

    @property
    def requirement(self) -> str:
        return f"{self.package}:{self.architecture}={self.version}" if self.architecture != "all" else f"{self.package}={self.version}"


class MoabbSource(Frozen):
    """A MOABB dataset: MOABB downloads it from its data server (needs internet once, then
    MOABB's cache); ``sessions`` maps MOABB session names to eegzoo split names."""

    registry: Literal["moabb"]
    dataset: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="class in moabb.datasets")
    moabb_version: str = Field(default=">=1.0", description="MOABB versions whose layout this spec describes")
    kwargs: dict[str, Union[StrictInt, StrictFloat, bool, str]] = Field(default_factory=dict, description="dataset constructor arguments")
    subjects: list[StrictInt] = Field(min_length=1)
    sessions: dict[str, str] = Field(min_length=1, description="MOABB session -> split")


class LocalSource(Frozen):
    """Recordings on this machine, never fetched: a ``root`` folder and its files, listed in
    ``files`` (path, optional sha256, subject and split) and/or matched by ``include`` glob
    patterns (relative to ``root``, ``**`` for any depth; ``exclude`` removes matches).
    ``pattern`` is a regular expression searched in each relative path whose named groups
    ``subject`` (digits) and ``split`` give a file's subject and split when its entry does not;
    otherwise subject 1, split 'all'."""

    registry: Literal["local"]
    root: str = Field(min_length=1, description="folder: absolute, ~, $VARS, or relative to the spec file")
    include: list[str] = Field(default_factory=list, description="glob patterns relative to root, e.g. '*.vhdr', 'sub-*/**/*.set'")
    exclude: list[str] = Field(default_factory=list, description="glob patterns of files to leave out")
    pattern: Optional[str] = Field(default=None, description="regex with named groups (?P<subject>\\d+) and/or (?P<split>...)")

    @model_validator(mode="after")
    def _valid_pattern(self) -> "LocalSource":
        if self.pattern is not None:
            try:
                groups = re.compile(self.pattern).groupindex
            except re.error as err:
                raise ValueError(f"pattern {self.pattern!r} is not a regular expression: {err}.") from None
            if not {"subject", "split"} & set(groups):
                raise ValueError(f"pattern {self.pattern!r} has no named group (?P<subject>...) or (?P<split>...): "
                                 "name the part of the file name that gives the subject or split.")
        for glob in [*self.include, *self.exclude]:
            if glob.startswith(("/", "\\")) or ".." in glob.replace("\\", "/").split("/"):
                raise ValueError(f"glob {glob!r} must be relative to root, without '..'.")
        return self


class BidsSource(Frozen):
    """A BIDS dataset read with mne-bids: recordings of ``datatype`` found under ``root``
    (filtered by subjects/sessions/tasks/runs; empty = all), events from ``*_events.tsv``,
    channel types, units and bad channels from the sidecars. BIDS subject labels become
    subject numbers through ``subject_numbers``, else the digits in the label ('s01' -> 1);
    ``split_by`` names the entity whose value is the split ('ses-1', 'run-2', ...)."""

    registry: Literal["bids"]
    root: str = Field(min_length=1, description="BIDS root folder: absolute, ~, $VARS, or relative to the spec file")
    datatype: Literal["eeg", "meg", "ieeg"] = "eeg"
    subjects: list[str] = Field(default_factory=list, description="BIDS subject labels (without 'sub-'); empty: all")
    sessions: list[str] = Field(default_factory=list)
    tasks: list[str] = Field(default_factory=list)
    runs: list[str] = Field(default_factory=list)
    split_by: Literal["none", "session", "task", "run", "acquisition"] = Field(
        default="none", description="BIDS entity that names the split; 'none': every recording in split 'all'")
    subject_numbers: dict[str, StrictInt] = Field(default_factory=dict, description="BIDS label -> subject number")


Source = Annotated[Union[PypiSource, DebianSource, MoabbSource, LocalSource, BidsSource], Field(discriminator="registry")]
ON_DISK = ("local", "bids")


class DataFile(Frozen):
    """One file: its path inside the archive (or under a local/BIDS root), sha256, and where
    it belongs. Archives need all three; for local and BIDS sources sha256 is optional
    (checked when given) and subject/split come from the source when left out."""

    path: str = Field(min_length=1, description="path inside the archive, or relative to a local/BIDS root")
    sha256: Optional[SHA256] = None
    subject: Optional[StrictInt] = Field(default=None, ge=0)
    split: Optional[str] = Field(default=None, pattern=r"^[A-Za-z0-9_-]+$", description="e.g. 'train', 'test', 'all', a session or run")
    parts: dict[str, SHA256] = Field(
        default_factory=dict, description="sha256 of the files read with this one (BrainVision .vmrk/.eeg, EEGLAB .fdt, "
        "BIDS sidecars), by path relative to the root; local and BIDS sources")

    @model_validator(mode="after")
    def _relative_path(self) -> "DataFile":
        for path in (self.path, *self.parts):
            pieces = path.replace("\\", "/").split("/")
            if path.startswith(("/", "\\")) or ".." in pieces:
                raise ValueError(f"path {path!r} must be relative to the archive (or root) folder, without '..'.")
        return self


@dataclass(frozen=True)
class RecordingFile:
    """A resolved file of a local or BIDS dataset: absolute ``path``, its path relative to the
    root, subject, split, the sha256 to check (or None) and, for BIDS, the mne-bids path."""

    path: Path
    relative: str
    subject: int
    split: str
    sha256: Optional[str] = None
    bids_path: Any = None
    parts: tuple[tuple[str, str], ...] = ()  # (path relative to the root, sha256) of companion files

    def pinned(self, root: Path) -> dict[Path, str]:
        """Every file of this recording whose sha256 the spec pins: path -> sha256."""
        out = {self.path: self.sha256} if self.sha256 else {}
        out.update({root / rel: sha for rel, sha in self.parts})
        return out


class MontageFile(Frozen):
    """Electrode positions shipped with the data (a BIDS ``*_electrodes.tsv``)."""

    path: str
    sha256: SHA256
    format: Literal["bids-electrodes-tsv"] = "bids-electrodes-tsv"


#: Continuous formats read by ``mne.io.read_raw`` (by extension under "auto"), epoched ones,
#: and the sktime/aeon text format.
CONTINUOUS_FORMATS = ("gdf", "edf", "bdf", "brainvision", "eeglab", "fif", "cnt", "auto")
EPOCHED_FORMATS = ("epochs-fif", "eeglab-epochs")
FORMATS = (*CONTINUOUS_FORMATS, *EPOCHED_FORMATS, "ts")


class Recording(Frozen):
    """How the files are read and what they contain."""

    format: Literal[FORMATS] = Field(  # type: ignore[valid-type]
        description="continuous: gdf, edf, bdf, brainvision (.vhdr), eeglab (.set), fif, cnt, or 'auto' (mne.io.read_raw "
        "by extension; an epoched .set or -epo.fif is read as epochs); epoched: epochs-fif (-epo.fif), eeglab-epochs; "
        "ts: sktime/aeon text")
    sfreq: StrictFloat = Field(gt=0, description="sampling rate (Hz)")
    units: Literal["V", "mV", "uV", "nV"] = Field(description="unit of the values as read (mne for gdf/edf; the text for ts)")
    ch_names: list[str] = Field(min_length=1, description="channel names, in the file's order")
    file_ch_names: Optional[list[str]] = Field(default=None, description="names as stored in the file, when they differ")
    ch_types: Union[str, list[str]] = Field(default="eeg", description="one mne channel type, or one per channel")
    montage: Optional[str] = Field(default=None, description="an mne built-in montage name")
    montage_file: Optional[MontageFile] = None
    reject_by_annotation: bool = Field(default=False, description="drop epochs overlapping BAD_* annotations (counted and reported)")
    stim_channel: Optional[str] = Field(
        default=None, description="read events from this stim channel (BioSemi 'Status', FIF 'STI 014'): the event "
        "codes, as text, are the keys of 'events'; default: the annotations (BIDS: *_events.tsv)")
    stim_mask: Optional[StrictInt] = Field(default=None, ge=1, description="bit mask for the stim values (BioSemi: 255 or 65535)")

    @model_validator(mode="after")
    def _consistent(self) -> "Recording":
        n = len(self.ch_names)
        if len(set(self.ch_names)) != n:
            raise ValueError("ch_names must be unique.")
        if self.file_ch_names is not None and len(self.file_ch_names) != n:
            raise ValueError(f"file_ch_names lists {len(self.file_ch_names)} channels but ch_names {n}; make them agree.")
        if isinstance(self.ch_types, list) and len(self.ch_types) != n:
            raise ValueError(f"ch_types lists {len(self.ch_types)} types but ch_names {n} channels; make them agree.")
        if self.montage is not None and self.montage_file is not None:
            raise ValueError("give montage (a built-in name) or montage_file, not both.")
        if self.stim_mask is not None and self.stim_channel is None:
            raise ValueError("stim_mask needs stim_channel.")
        if self.stim_channel is not None and self.format in (*EPOCHED_FORMATS, "ts"):
            raise ValueError(f"stim_channel needs a continuous recording; format {self.format!r} is already epoched.")
        return self

    @property
    def epoched(self) -> bool:
        return self.format in EPOCHED_FORMATS or self.format == "ts"

    @property
    def types(self) -> list[str]:
        return list(self.ch_types) if isinstance(self.ch_types, list) else [self.ch_types] * len(self.ch_names)

    @property
    def to_volts(self) -> float:
        return UNIT_TO_VOLTS[self.units]


class EpochWindow(Frozen):
    """The trial window ``[tmin, tmax)`` in seconds relative to each event."""

    tmin: StrictFloat
    tmax: StrictFloat
    relative_to: str = Field(description="what the event marks, e.g. 'cue', 'key press'")
    step: Optional[StrictFloat] = Field(
        default=None, gt=0,
        description="cut a window every `step` seconds within each event's annotation (e.g. a resting-state run)",
    )
    resample: Optional[StrictFloat] = Field(
        default=None, gt=0,
        description="resample the continuous recording to this rate (Hz) before cutting epochs (mne, polyphase "
        "with its anti-alias filter): for data whose content lies far below the recording's Nyquist frequency, "
        "so models train on half the samples or fewer at no loss",
    )
    baseline: Optional[tuple[StrictFloat, StrictFloat]] = Field(
        default=None,
        description="subtract each channel's mean over [a, b] s of every trial (mne's baseline correction), "
        "e.g. the whole window to remove an amplifier's DC offset that carries no information",
    )

    @model_validator(mode="after")
    def _ordered(self) -> "EpochWindow":
        if self.tmax <= self.tmin:
            raise ValueError(f"tmax={self.tmax} must be greater than tmin={self.tmin}.")
        if self.baseline is not None and not self.tmin <= self.baseline[0] < self.baseline[1] <= self.tmax:
            raise ValueError(f"baseline={list(self.baseline)} must be an interval inside the window [{self.tmin}, {self.tmax}].")
        return self

    def n_times(self, sfreq: float) -> int:
        return round((self.tmax - self.tmin) * sfreq)


class Protocol(Frozen):
    """How to evaluate: the official train/test split, or k-fold cross-validation within each
    subject where there is none (``chronological`` keeps folds contiguous in time, for
    data whose neighbouring trials overlap); ``none`` for data without a task."""

    kind: Literal["train-test", "k-fold", "chronological-k-fold", "none"]
    train: list[str] = Field(default_factory=list, description="splits to train on (train-test)")
    test: list[str] = Field(default_factory=list, description="splits to test on (train-test)")
    split: Optional[str] = Field(default=None, description="split to cross-validate (k-fold kinds)")
    n_folds: Optional[StrictInt] = Field(default=None, ge=2)
    description: str = ""

    @model_validator(mode="after")
    def _complete(self) -> "Protocol":
        if self.kind == "train-test":
            if not self.train or not self.test:
                raise ValueError("kind 'train-test' needs train and test split lists.")
            if self.split is not None or self.n_folds is not None:
                raise ValueError("kind 'train-test' takes train/test, not split/n_folds.")
        elif self.kind == "none":
            if self.train or self.test or self.split is not None or self.n_folds is not None:
                raise ValueError("kind 'none' takes no splits or folds.")
        else:
            if self.split is None or self.n_folds is None:
                raise ValueError(f"kind {self.kind!r} needs split and n_folds.")
            if self.train or self.test:
                raise ValueError(f"kind {self.kind!r} takes split/n_folds, not train/test.")
        return self

    @property
    def splits(self) -> list[str]:
        if self.kind == "none":
            return []
        return [*self.train, *self.test] if self.kind == "train-test" else [str(self.split)]


class DatasetSpec(Frozen):
    """A registered dataset (``registry/datasets/<name>.toml``, or any spec file)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="registry name (lower case)")
    description: str
    paradigm: str = Field(description="e.g. 'motor imagery', 'slow cortical potentials'")
    tags: list[str] = Field(default_factory=list)
    source: Source
    files: list[DataFile] = Field(default_factory=list, description="recordings in the archive (pypi/debian), or files of a "
                                  "local/BIDS root (sha256 checked when given)")
    recording: Recording
    events: dict[str, str] = Field(min_length=1, description="event code / annotation / label -> class name (several "
                                   "names may give one class)")
    epochs: EpochWindow
    protocol: Protocol
    license: str = Field(description="the data's license, and where it comes from")
    citation: str = Field(description="BibTeX or a reference")
    caveats: list[str] = Field(default_factory=list, description="what a user must know before trusting results")
    #: the folder of the spec file it was read from (relative roots are resolved against it)
    _spec_dir: Optional[Path] = PrivateAttr(default=None)
    _resolved: Optional[list[RecordingFile]] = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> "DatasetSpec":
        source = self.source
        splits: Optional[set[str]] = None
        paths = [f.path for f in self.files]
        if len(set(paths)) != len(paths):
            raise ValueError("files lists the same path twice.")
        if isinstance(source, MoabbSource):
            if self.files:
                raise ValueError("MOABB datasets list no files: MOABB fetches and checks them itself.")
            splits = set(source.sessions.values())
        elif isinstance(source, (PypiSource, DebianSource)):
            if not self.files:
                raise ValueError(f"registry {source.registry!r} needs at least one entry in 'files'.")
            incomplete = [f.path for f in self.files if f.sha256 is None or f.subject is None or f.split is None]
            if incomplete:
                raise ValueError(f"registry {source.registry!r} needs sha256, subject and split for every file; "
                                 f"missing for {incomplete[:3]}.")
            splits = {str(f.split) for f in self.files}
        elif isinstance(source, LocalSource):
            if not self.files and not source.include:
                raise ValueError("a local source needs its files: [[files]] entries (path, optional sha256, subject, "
                                 "split) or include = ['*.vhdr', ...] glob patterns relative to root.")
            if source.pattern is None and not source.include and all(f.split is not None for f in self.files):
                splits = {str(f.split) for f in self.files}
        else:  # BIDS: mne-bids finds the recordings; files pin checksums
            if self.recording.format == "ts" or self.recording.epoched:
                raise ValueError("a BIDS source holds continuous recordings; use format = 'auto' (or the data's format).")
        if self.recording.format == "ts" and isinstance(source, (LocalSource, BidsSource)):
            raise ValueError("format 'ts' is for archives (aeon/sktime); a local source reads formats mne reads.")
        if splits is not None:
            missing = [s for s in self.protocol.splits if s not in splits]
            if missing:
                raise ValueError(f"protocol names split(s) {missing} that no file/session provides (splits: {sorted(splits)}).")
        rate = self.epochs.resample
        if rate is not None and self.recording.epoched:
            raise ValueError(f"epochs.resample needs a continuous recording; format {self.recording.format!r} is already cut "
                             "into trials, whose edges resampling would distort: remove epochs.resample.")
        if rate is not None and rate >= self.recording.sfreq:
            raise ValueError(f"epochs.resample={rate:g} Hz must be below the recording's {self.recording.sfreq:g} Hz "
                             "(upsampling adds no information): lower it or remove it.")
        if self.epochs.n_times(self.sfreq) < 1:
            raise ValueError("the epoch window is shorter than one sample.")
        if self.recording.montage_file is not None and isinstance(source, MoabbSource):
            raise ValueError("montage_file needs an archive; MOABB sets montages itself.")
        return self

    @property
    def classes(self) -> list[str]:
        """Class names in index order: first appearance in ``events``."""
        return list(dict.fromkeys(self.events.values()))

    @property
    def sfreq(self) -> float:
        """The epochs' sampling rate: ``epochs.resample`` where given, else the recording's."""
        return self.epochs.resample if self.epochs.resample is not None else self.recording.sfreq

    @property
    def n_times(self) -> int:
        return self.epochs.n_times(self.sfreq)

    @property
    def on_disk(self) -> bool:
        """Whether the files are the user's own (local or BIDS), read where they are."""
        return self.source.registry in ON_DISK

    @property
    def subjects(self) -> list[int]:
        if isinstance(self.source, MoabbSource):
            return list(self.source.subjects)
        if self.on_disk:
            return sorted({r.subject for r in self.recordings()})
        return sorted({int(f.subject) for f in self.files if f.subject is not None})

    def signal_arguments(self) -> dict:
        """Model arguments matching these data (``create_model(name, **spec.signal_arguments())``):
        the EEG channels (by name), one output per class, the window's length and rate."""
        eeg = [n for n, t in zip(self.recording.ch_names, self.recording.types) if t == "eeg"]
        return {"n_chans": len(eeg), "chs_info": [{"ch_name": n} for n in eeg], "n_outputs": len(self.classes),
                "n_times": self.n_times, "sfreq": self.sfreq}

    @property
    def splits(self) -> list[str]:
        if isinstance(self.source, MoabbSource):
            return list(dict.fromkeys(self.source.sessions.values()))
        if self.on_disk:
            return list(dict.fromkeys(r.split for r in self.recordings()))
        return list(dict.fromkeys(str(f.split) for f in self.files))

    # ------------------------------------------------------------------ local and BIDS files
    def with_spec_dir(self, folder: Optional[Path]) -> "DatasetSpec":
        """This spec, remembering the folder of its file (relative roots are resolved there)."""
        self._spec_dir = None if folder is None else Path(folder).resolve()
        self._resolved = None
        return self

    @property
    def root(self) -> Path:
        """The local/BIDS root folder: ``~`` and ``$VARIABLES`` expanded, a relative path taken
        relative to the spec file (or the working directory for a spec not read from a file)."""
        source = self.source
        if not isinstance(source, (LocalSource, BidsSource)):
            raise ValueError(f"dataset '{self.name}' comes from {source.registry}, not from a local or BIDS folder.")
        expanded = os.path.expandvars(os.path.expanduser(source.root))
        unset = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", expanded)
        if unset:
            raise ValueError(f"dataset '{self.name}': source.root {source.root!r} uses the environment variable(s) "
                             f"{', '.join('$' + u for u in unset)}, which are not set: set them, or write the folder's path.")
        path = Path(expanded)
        if not path.is_absolute():
            path = (self._spec_dir or Path.cwd()) / path
        return path

    def recordings(self) -> list[RecordingFile]:
        """The files of a local or BIDS dataset with their subject and split (cached); a missing
        root or file, a glob matching nothing, or a subject that the pattern cannot read is an
        error (``ValueError``) naming the path and the fix."""
        if self._resolved is None:
            self._resolved = _resolve_bids(self) if isinstance(self.source, BidsSource) else _resolve_local(self)
            missing = [s for s in self.protocol.splits if s not in {r.split for r in self._resolved}]
            if missing:
                raise ValueError(f"dataset '{self.name}': the protocol names split(s) {missing} that no file provides "
                                 f"(splits: {sorted({r.split for r in self._resolved})}); fix 'protocol' or the files' splits.")
        return list(self._resolved)


def _missing_root(spec: DatasetSpec, root: Path) -> ValueError:
    where = f" (relative to the spec file's folder {spec._spec_dir})" if spec._spec_dir and not Path(
        os.path.expandvars(os.path.expanduser(spec.source.root))).is_absolute() else ""  # type: ignore[union-attr]
    return ValueError(f"dataset '{spec.name}': the root folder {root} does not exist{where}: fix source.root in its spec "
                      "(absolute, ~, $VARS, or relative to the spec file).")


def _from_pattern(source: LocalSource, relative: str) -> dict[str, Any]:
    if source.pattern is None:
        return {}
    match = re.search(source.pattern, relative)
    if match is None:
        raise ValueError(f"{relative}: source.pattern {source.pattern!r} does not match this file: give its subject/split "
                         "in a [[files]] entry, exclude it, or widen the pattern.")
    found = {k: v for k, v in match.groupdict().items() if v is not None and k in ("subject", "split")}
    if "subject" in found:
        if not found["subject"].isdigit():
            raise ValueError(f"{relative}: the pattern's subject group read {found['subject']!r}, not a number; "
                             "make the group match digits only, e.g. sub-(?P<subject>\\d+).")
        found["subject"] = int(found["subject"])
    if "split" in found:
        found["split"] = re.sub(r"[^A-Za-z0-9_-]+", "-", found["split"]).strip("-") or "all"
    return found


def _resolve_local(spec: DatasetSpec) -> list[RecordingFile]:
    source = spec.source
    assert isinstance(source, LocalSource)
    root = spec.root
    if not root.is_dir():
        raise _missing_root(spec, root)
    entries: dict[str, DataFile] = {f.path.replace("\\", "/"): f for f in spec.files}
    for glob in source.include:
        matched = sorted(p for p in root.glob(glob) if p.is_file())
        matched = [p for p in matched if not any(fnmatch.fnmatch(p.relative_to(root).as_posix(), x) for x in source.exclude)]
        if not matched:
            raise ValueError(f"dataset '{spec.name}': include pattern {glob!r} matches no file under {root}: fix the "
                             "pattern or source.root.")
        for path in matched:
            entries.setdefault(path.relative_to(root).as_posix(), DataFile(path=path.relative_to(root).as_posix()))
    out = []
    for relative, entry in entries.items():
        path = root / relative
        if not path.is_file():
            raise ValueError(f"dataset '{spec.name}': file {path} does not exist: restore it, or fix its [[files]] path or "
                             "source.root in the spec.")
        found = _from_pattern(source, relative) if entry.subject is None or entry.split is None else {}
        subject = entry.subject if entry.subject is not None else found.get("subject", 1)
        split = entry.split if entry.split is not None else found.get("split", "all")
        out.append(RecordingFile(path, relative, int(subject), str(split), entry.sha256, parts=tuple(entry.parts.items())))
    if not out:
        raise ValueError(f"dataset '{spec.name}' lists no files.")
    return out


def bids_subject_number(label: str, numbers: dict[str, int]) -> int:
    """A BIDS subject label as an eegzoo subject number: ``numbers[label]``, else its digits."""
    if label in numbers:
        return int(numbers[label])
    digits = re.sub(r"\D", "", label)
    if not digits:
        raise ValueError(f"BIDS subject 'sub-{label}' has no digits to number it: add source.subject_numbers = "
                         f"{{ {label} = 1 }} to the spec.")
    return int(digits)


def _resolve_bids(spec: DatasetSpec) -> list[RecordingFile]:
    source = spec.source
    assert isinstance(source, BidsSource)
    root = spec.root
    if not root.is_dir():
        raise _missing_root(spec, root)
    try:
        import mne_bids
    except ImportError as err:
        raise ValueError(f"dataset '{spec.name}' is a BIDS dataset, read with mne-bids: pip install 'eegzoo[bids]'.") from err
    extensions = [".vhdr", ".set", ".edf", ".bdf", ".fif", ".cnt", ".gdf"]
    found = mne_bids.find_matching_paths(
        root, subjects=source.subjects or None, sessions=source.sessions or None, tasks=source.tasks or None,
        runs=source.runs or None, datatypes=source.datatype, suffixes=source.datatype, extensions=extensions,
    )
    found = [p for p in found if p.fpath.is_file() or p.fpath.is_dir()]
    if not found:
        raise ValueError(f"dataset '{spec.name}': mne-bids finds no {source.datatype} recording under {root} "
                         f"(subjects={source.subjects or 'all'}, tasks={source.tasks or 'all'}, sessions="
                         f"{source.sessions or 'all'}, runs={source.runs or 'all'}): check source.root and the filters.")
    pinned = {f.path.replace("\\", "/"): f for f in spec.files}
    out, numbers = [], {}
    for bids_path in sorted(found, key=lambda p: str(p.fpath)):
        relative = Path(bids_path.fpath).resolve().relative_to(root.resolve()).as_posix()
        subject = bids_subject_number(str(bids_path.subject), source.subject_numbers)
        if numbers.setdefault(subject, bids_path.subject) != bids_path.subject:
            raise ValueError(f"BIDS subjects 'sub-{numbers[subject]}' and 'sub-{bids_path.subject}' both read as subject "
                             f"{subject}: number them with source.subject_numbers in the spec.")
        if source.split_by == "none":
            split = "all"
        else:
            value = getattr(bids_path, source.split_by)
            prefix = {"session": "ses", "task": "task", "run": "run", "acquisition": "acq"}[source.split_by]
            split = f"{prefix}-{value}" if value is not None else "all"
        if pinned and relative not in pinned:
            raise ValueError(f"dataset '{spec.name}': the BIDS recording {relative} is not among the spec's pinned files: add "
                             "it (eegzoo datasets hash ROOT prints the sha256 lines) or narrow subjects/tasks/sessions/runs.")
        entry = pinned.get(relative)
        out.append(RecordingFile(Path(bids_path.fpath), relative, subject, split, entry.sha256 if entry else None, bids_path,
                                 tuple(entry.parts.items()) if entry else ()))
    return out
