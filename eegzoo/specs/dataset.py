"""What a registered dataset is: where its files come from (pinned by sha256), how to read
them, which events are which class, the epoch window, the evaluation protocol, license and
citation. Torch-free; validated when a spec file is read, so a wrong spec fails before any
download."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional, Union

from pydantic import Field, StrictFloat, StrictInt, model_validator

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


Source = Annotated[Union[PypiSource, DebianSource, MoabbSource], Field(discriminator="registry")]


class DataFile(Frozen):
    """One recording inside the archive: its member path, sha256, and where it belongs."""

    path: str = Field(min_length=1, description="member path inside the archive")
    sha256: SHA256
    subject: StrictInt = Field(ge=0)
    split: str = Field(pattern=r"^[A-Za-z0-9_-]+$", description="e.g. 'train', 'test', 'all', a session or run")

    @model_validator(mode="after")
    def _relative_path(self) -> "DataFile":
        parts = self.path.replace("\\", "/").split("/")
        if self.path.startswith(("/", "\\")) or ".." in parts:
            raise ValueError(f"path {self.path!r} must be relative to the archive root, without '..'.")
        return self


class MontageFile(Frozen):
    """Electrode positions shipped with the data (a BIDS ``*_electrodes.tsv``)."""

    path: str
    sha256: SHA256
    format: Literal["bids-electrodes-tsv"] = "bids-electrodes-tsv"


class Recording(Frozen):
    """How the files are read and what they contain."""

    format: Literal["gdf", "edf", "ts"] = Field(description="gdf/edf: continuous (mne); ts: epoched text (sktime/aeon)")
    sfreq: StrictFloat = Field(gt=0, description="sampling rate (Hz)")
    units: Literal["V", "mV", "uV", "nV"] = Field(description="unit of the values as read (mne for gdf/edf; the text for ts)")
    ch_names: list[str] = Field(min_length=1, description="channel names, in the file's order")
    file_ch_names: Optional[list[str]] = Field(default=None, description="names as stored in the file, when they differ")
    ch_types: Union[str, list[str]] = Field(default="eeg", description="one mne channel type, or one per channel")
    montage: Optional[str] = Field(default=None, description="an mne built-in montage name")
    montage_file: Optional[MontageFile] = None
    reject_by_annotation: bool = Field(default=False, description="drop epochs overlapping BAD_* annotations")

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
        return self

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
    """A registered dataset (``registry/datasets/<name>.toml``)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="registry name (lower case)")
    description: str
    paradigm: str = Field(description="e.g. 'motor imagery', 'slow cortical potentials'")
    tags: list[str] = Field(default_factory=list)
    source: Source
    files: list[DataFile] = Field(default_factory=list, description="recordings in the archive (pypi/debian)")
    recording: Recording
    events: dict[str, str] = Field(min_length=1, description="event code / annotation / label -> class name")
    epochs: EpochWindow
    protocol: Protocol
    license: str = Field(description="the data's license, and where it comes from")
    citation: str = Field(description="BibTeX or a reference")
    caveats: list[str] = Field(default_factory=list, description="what a user must know before trusting results")

    @model_validator(mode="after")
    def _consistent(self) -> "DatasetSpec":
        if isinstance(self.source, MoabbSource):
            if self.files:
                raise ValueError("MOABB datasets list no files: MOABB fetches and checks them itself.")
            splits = set(self.source.sessions.values())
        else:
            if not self.files:
                raise ValueError(f"registry {self.source.registry!r} needs at least one entry in 'files'.")
            paths = [f.path for f in self.files]
            if len(set(paths)) != len(paths):
                raise ValueError("files lists the same path twice.")
            splits = {f.split for f in self.files}
        missing = [s for s in self.protocol.splits if s not in splits]
        if missing:
            raise ValueError(f"protocol names split(s) {missing} that no file/session provides (splits: {sorted(splits)}).")
        rate = self.epochs.resample
        if rate is not None and self.recording.format == "ts":
            raise ValueError("epochs.resample needs a continuous recording (gdf, edf, MOABB); format 'ts' is already cut "
                             "into short trials, whose edges resampling would distort: remove epochs.resample.")
        if rate is not None and rate >= self.recording.sfreq:
            raise ValueError(f"epochs.resample={rate:g} Hz must be below the recording's {self.recording.sfreq:g} Hz "
                             "(upsampling adds no information): lower it or remove it.")
        if self.epochs.n_times(self.sfreq) < 1:
            raise ValueError("the epoch window is shorter than one sample.")
        if self.recording.montage_file is not None and isinstance(self.source, MoabbSource):
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
    def subjects(self) -> list[int]:
        if isinstance(self.source, MoabbSource):
            return list(self.source.subjects)
        return sorted({f.subject for f in self.files})

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
        return list(dict.fromkeys(f.split for f in self.files))
