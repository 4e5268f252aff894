"""Fetching dataset files with the ordinary package clients, verified and cached.

The archive named by a dataset spec is downloaded with ``python -m pip download --no-deps``
(PyPI) or ``apt-get download`` (Debian) into a temporary folder, its sha256 is checked, and
only the spec's files are extracted, each checked against its sha256 and renamed into the
cache in one step: an interrupted fetch leaves no file under its final name, so it is never
used. Files are extracted once; every load checks them again, so a truncated or modified
cached file is noticed. The archive itself is not kept.

Cache: ``$EEGZOO_DATA`` or, by default, ``<user cache dir>/eegzoo/datasets``, laid out as
``<registry>/<package>/<version>/<member path>`` (datasets from one archive share it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Optional

from eegzoo.core.errors import DatasetError
from eegzoo.core.files import temp_file_beside
from eegzoo.registry.datasets import dataset_spec
from eegzoo.specs.dataset import DatasetSpec, DebianSource, MoabbSource, PypiSource

DATA_ENV = "EEGZOO_DATA"
_CHUNK = 1 << 20


class DatasetWarning(UserWarning):
    """Something about cached dataset files was repaired (e.g. a corrupt file fetched again)."""


def data_home() -> Path:
    """Root of the dataset cache: ``$EEGZOO_DATA``, else ``<user cache dir>/eegzoo/datasets``."""
    value = os.environ.get(DATA_ENV)
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("eegzoo")) / "datasets"


def archive_dir(spec: DatasetSpec) -> Path:
    """Where the files extracted from the spec's archive live."""
    source = spec.source
    if isinstance(source, MoabbSource):
        raise DatasetError(f"Dataset '{spec.name}' is stored by MOABB in its own cache (MNE_DATA), not by eegzoo.")
    if spec.on_disk:
        raise DatasetError(f"Dataset '{spec.name}' is read where it is ({source.registry} source), not from eegzoo's cache.")
    return data_home() / source.registry / source.package / source.version


def needed_files(spec: DatasetSpec) -> dict[str, str]:
    """Member path -> sha256 of every file the spec needs from its archive."""
    files = {f.path: f.sha256 for f in spec.files}
    if spec.recording.montage_file is not None:
        files[spec.recording.montage_file.path] = spec.recording.montage_file.sha256
    return files


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_status(spec: DatasetSpec) -> dict[str, str]:
    """Member path -> ``"ok"``, ``"missing"`` or ``"corrupt"`` (sha256 differs: truncated or
    modified) for every file of the spec."""
    root = archive_dir(spec)
    status = {}
    for member, expected in needed_files(spec).items():
        path = root / member
        if not path.is_file():
            status[member] = "missing"
        else:
            status[member] = "ok" if sha256_of(path) == expected else "corrupt"
    return status


# ------------------------------------------------------------------ progress
class _Progress:
    """One-line messages on stderr and a byte bar while extracting; silent when off."""

    def __init__(self, enabled: Optional[bool]) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    @property
    def stream(self) -> Any:
        """Where a client's own progress output goes: our stderr when it is a real file
        (a notebook's stream is not), else nowhere."""
        if not self.enabled:
            return subprocess.DEVNULL
        try:
            sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            return subprocess.DEVNULL
        return sys.stderr

    def say(self, message: str) -> None:
        if self.enabled:
            print(f"eegzoo: {message}", file=sys.stderr, flush=True)

    @contextmanager
    def bar(self, total: int, what: str) -> Iterator[Callable[[int], Any]]:
        if not self.enabled:
            yield lambda n: None
            return
        from tqdm.auto import tqdm

        with tqdm(total=total, unit="B", unit_scale=True, desc=what, file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
            yield bar.update
        self.say(f"{what}: {total / 1e6:.1f} MB")


# ------------------------------------------------------------------ download
def _tail(text: str, lines: int = 6) -> str:
    keep = [line for line in text.strip().splitlines() if line.strip() and not line.startswith("W: ")]
    return "\n".join(f"    {line}" for line in keep[-lines:]) or "    (no output)"


def download_command(spec: DatasetSpec, dest: str = "DIR") -> str:
    """The shell command that downloads the spec's archive (as run by :func:`fetch_dataset`)."""
    source = spec.source
    if isinstance(source, PypiSource):
        binary = "--no-binary :all:" if source.is_sdist else "--only-binary :all:"
        return f"python -m pip download --no-deps {binary} --dest {dest} {source.requirement}"
    if isinstance(source, DebianSource):
        return f"(cd {dest} && apt-get download {source.requirement})"
    if spec.on_disk:
        raise DatasetError(f"Dataset '{spec.name}' is a {source.registry} folder on this machine: nothing is downloaded.")
    raise DatasetError(f"Dataset '{spec.name}' is downloaded by MOABB, not by a package client.")


def _manual_route(spec: DatasetSpec) -> str:
    return (
        f"or download it where the registry is reachable and hand the file to eegzoo:\n"
        f"    {download_command(spec)}\n"
        f"    eegzoo datasets fetch {spec.name} --archive DIR/{spec.source.archive}"
    )


def _pip_download(spec: DatasetSpec, source: PypiSource, dest: Path, progress: _Progress) -> None:
    binary = ["--no-binary", ":all:"] if source.is_sdist else ["--only-binary", ":all:"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *binary, "--dest", str(dest),
           "--progress-bar", "on" if progress.enabled else "off", source.requirement]
    progress.say(f"downloading {source.requirement} from PyPI (python -m pip download) for dataset '{spec.name}'")
    try:
        done = subprocess.run(cmd, stdout=progress.stream, stderr=subprocess.PIPE, text=True, check=False)
    except OSError as err:
        raise DatasetError(f"Could not run pip ({err}); install it (python -m ensurepip), {_manual_route(spec)}") from err
    if done.returncode != 0:
        raise DatasetError(
            f"Could not download {source.requirement} from the package index for dataset '{spec.name}' "
            f"(pip exited with {done.returncode}; the index is unreachable or does not serve this version):\n"
            f"{_tail(done.stderr)}\n"
            f"Check the connection and pip's index settings (PIP_INDEX_URL, pip.conf), then run\n"
            f"    eegzoo datasets fetch {spec.name}\n{_manual_route(spec)}"
        )


def _apt_download(spec: DatasetSpec, source: DebianSource, dest: Path, progress: _Progress) -> None:
    apt = shutil.which("apt-get")
    if apt is None:
        raise DatasetError(
            f"Dataset '{spec.name}' comes from the Debian package {source.package} {source.version} "
            f"({source.architecture}), downloaded with apt-get, which this system does not have. "
            f"Download {source.archive} from Debian's package archive on any machine, then run\n"
            f"    eegzoo datasets fetch {spec.name} --archive PATH/{source.archive}"
        )
    progress.say(f"downloading {source.requirement} from Debian (apt-get download) for dataset '{spec.name}'")
    done = subprocess.run([apt, "download", source.requirement], cwd=dest, stdout=progress.stream,
                          stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        hint = ("apt's package lists do not know this version: run `apt-get update` (as root) first"
                if "Unable to locate" in done.stderr or "was not found" in done.stderr or "Can't select" in done.stderr
                else "the Debian mirror is unreachable")
        raise DatasetError(
            f"Could not download {source.requirement} with apt-get for dataset '{spec.name}' ({hint}):\n"
            f"{_tail(done.stderr)}\n"
            f"Run `apt-get update`, then\n    eegzoo datasets fetch {spec.name}\n{_manual_route(spec)}"
        )


def _download(spec: DatasetSpec, dest: Path, progress: _Progress) -> Path:
    source = spec.source
    if isinstance(source, PypiSource):
        _pip_download(spec, source, dest, progress)
    elif isinstance(source, DebianSource):
        _apt_download(spec, source, dest, progress)
    path = dest / source.archive
    if not path.is_file():
        got = ", ".join(p.name for p in dest.iterdir()) or "nothing"
        raise DatasetError(
            f"The download for dataset '{spec.name}' gave {got}, not {source.archive} (the file the spec pins). "
            f"Fetch that exact file:\n{_manual_route(spec)}"
        )
    return path


# ------------------------------------------------------------------ extraction
def _strip(name: str) -> str:
    return name[2:] if name.startswith("./") else name


@contextmanager
def _deb_data_tar(path: Path) -> Iterator[tarfile.TarFile]:
    """The data tarball of a .deb (an ``ar`` archive), read with the standard library;
    zstd-compressed members go through ``dpkg-deb``."""
    with open(path, "rb") as fh:
        if fh.read(8) != b"!<arch>\n":
            raise DatasetError(f"{path.name} is not a Debian package (no ar header): the file is corrupt.")
        while True:
            header = fh.read(60)
            if len(header) < 60:
                raise DatasetError(f"{path.name} has no data.tar member: the file is corrupt or truncated.")
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            if name.startswith("data.tar"):
                if name.endswith(".zst"):
                    dpkg = shutil.which("dpkg-deb")
                    if dpkg is None:
                        raise DatasetError(f"{path.name} is compressed with zstd; extracting it needs dpkg-deb.")
                    proc = subprocess.Popen([dpkg, "--fsys-tarfile", str(path)], stdout=subprocess.PIPE)
                    try:
                        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                            yield tar
                    finally:
                        proc.kill()
                        proc.wait()
                    return
                with tarfile.open(fileobj=_Window(fh, size), mode="r:*") as tar:
                    yield tar
                return
            fh.seek(size + size % 2, os.SEEK_CUR)


class _Window(IO[bytes]):
    """A read-only view of ``size`` bytes of an open file from its current position."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh, self.start, self.size = fh, fh.tell(), size

    def read(self, n: int = -1) -> bytes:
        left = self.start + self.size - self.fh.tell()
        return self.fh.read(left if n < 0 else min(n, left))

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: self.start, 1: self.fh.tell(), 2: self.start + self.size}[whence]
        return self.fh.seek(base + offset) - self.start

    def tell(self) -> int:
        return self.fh.tell() - self.start

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


@contextmanager
def _members(archive: Path) -> Iterator[tuple[dict[str, int], Callable[[str], IO[bytes]]]]:
    """(member path -> size, open(member)) for a wheel/zip, sdist tarball or .deb."""
    name = archive.name
    try:
        if name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(archive) as zf:
                yield {i.filename: i.file_size for i in zf.infolist()}, zf.open
        elif name.endswith(".deb"):
            with _deb_data_tar(archive) as tar:
                infos = {_strip(m.name): m for m in tar.getmembers() if m.isfile()}
                yield {k: m.size for k, m in infos.items()}, lambda member: tar.extractfile(infos[member])
        else:
            with tarfile.open(archive, "r:*") as tar:
                infos = {_strip(m.name): m for m in tar.getmembers() if m.isfile()}
                yield {k: m.size for k, m in infos.items()}, lambda member: tar.extractfile(infos[member])
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as err:
        if isinstance(err, DatasetError):
            raise
        raise DatasetError(f"Could not read the archive {name}: {err} (the file is corrupt or truncated).") from err


def _extract(spec: DatasetSpec, archive: Path, wanted: dict[str, str], progress: _Progress) -> None:
    root = archive_dir(spec)
    with _members(archive) as (sizes, open_member):
        absent = [m for m in wanted if m not in sizes]
        if absent:
            raise DatasetError(
                f"{archive.name} has no member {', '.join(absent)}: the spec of dataset '{spec.name}' names a "
                "path that is not in this archive; fix 'files' in the spec."
            )
        with progress.bar(sum(sizes[m] for m in wanted), f"extracting {len(wanted)} file(s) of '{spec.name}'") as advance:
            for member, expected in wanted.items():
                dest = root / member
                dest.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = temp_file_beside(dest, suffix=".part")  # the umask's permissions, not 0600
                try:
                    digest = hashlib.sha256()
                    with os.fdopen(fd, "wb") as out, open_member(member) as src:
                        for block in iter(lambda: src.read(_CHUNK), b""):
                            digest.update(block)
                            out.write(block)
                            advance(len(block))
                        out.flush()
                        os.fsync(out.fileno())
                    if digest.hexdigest() != expected:
                        raise DatasetError(
                            f"sha256 mismatch for {member} in {archive.name} (dataset '{spec.name}'): the spec "
                            f"pins {expected}, the archive holds {digest.hexdigest()}. The spec is wrong or the "
                            "package was republished; nothing was written."
                        )
                    os.replace(tmp, dest)
                finally:
                    Path(tmp).unlink(missing_ok=True)


def _remove_stale(root: Path, age_s: float = 3600.0) -> None:
    """Delete what a killed fetch left behind (``.download-*`` folders, ``.*.part`` files)
    once it is old enough not to belong to a fetch still running."""
    now = time.time()
    for path in [*root.glob(".download-*"), *root.rglob(".*.part")]:
        try:
            if now - path.stat().st_mtime > age_s:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError:
            pass


def fetch_dataset(
    name: str | DatasetSpec,
    *,
    archive: str | os.PathLike | None = None,
    force: bool = False,
    progress: Optional[bool] = None,
) -> Path:
    """Make sure every file of ``spec`` is in the cache and intact; return the cache folder.

    Does nothing when all files are already there and match their sha256 (unless
    ``force``). Otherwise downloads the archive (or uses ``archive``, a file you downloaded
    yourself), checks its sha256 and extracts the missing or corrupt files atomically.
    Raises :class:`DatasetError` naming the command to run when the registry is
    unreachable, and on any checksum mismatch.
    """
    spec = name if isinstance(name, DatasetSpec) else dataset_spec(name)
    report = _Progress(progress)
    source = spec.source
    if isinstance(source, MoabbSource):
        raise DatasetError(f"Dataset '{spec.name}' is downloaded by MOABB; use load_dataset('{spec.name}').")
    if spec.on_disk:
        raise DatasetError(f"Dataset '{spec.name}' is a {source.registry} folder ({spec.root}): it is read where it is, "
                           "never fetched; eegzoo datasets info shows whether its files are there and unchanged.")
    status = cache_status(spec)
    corrupt = [m for m, s in status.items() if s == "corrupt"]
    if corrupt:
        warnings.warn(
            f"Cached file(s) of dataset '{spec.name}' failed their sha256 check (truncated or modified) and are "
            f"fetched again: {', '.join(corrupt)}",
            DatasetWarning,
            stacklevel=3,
        )
    wanted = {m: sha for m, sha in needed_files(spec).items() if force or status[m] != "ok"}
    if not wanted:
        return archive_dir(spec)
    archive_dir(spec).mkdir(parents=True, exist_ok=True)
    _remove_stale(archive_dir(spec))
    with tempfile.TemporaryDirectory(prefix=".download-", dir=archive_dir(spec)) as tmp:
        if archive is None:
            path = _download(spec, Path(tmp), report)
        else:
            path = Path(archive)
            if not path.is_file():
                raise DatasetError(f"archive {path}: no such file.")
        got = sha256_of(path)
        if got != source.sha256:
            raise DatasetError(
                f"sha256 mismatch for {path.name} (dataset '{spec.name}'): the spec pins {source.sha256}, "
                f"the file has {got}. It is not the pinned {source.package} {source.version} archive "
                "(corrupted download, a republished package, or a wrong spec); nothing was extracted."
            )
        _extract(spec, path, wanted, report)
    report.say(f"dataset '{spec.name}' is in {archive_dir(spec)}")
    return archive_dir(spec)
