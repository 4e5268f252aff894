"""Files that are whole or absent: atomic writes (temporary file + rename) and content hashes."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path
from typing import Any


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def temp_file_beside(path: str | os.PathLike, suffix: str = "") -> tuple[int, str]:
    """A new, empty, hidden file in ``path``'s folder: ``(fd, name)``. Created with mode
    0666 less the umask, as ``open(path, "w")`` would create ``path`` itself (``mkstemp``
    always gives 0600, which renaming into place would keep). The name ends with ``path``'s
    own suffix (writers such as ``torch.export.save`` check it), then ``suffix``."""
    path = Path(path)
    for _ in range(100):
        name = path.parent / f".{secrets.token_hex(4)}.{path.name}{suffix}"
        try:
            return os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666), str(name)
        except FileExistsError:
            continue
    raise FileExistsError(f"Could not create a temporary file beside {path}.")


def atomic_write(path: str | os.PathLike, write: Any) -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it into
    place: readers never see a half-written file, and a failure leaves the old file. The
    file gets the permissions the umask gives new files (0644 under the usual 022)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_file_beside(path)
    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, mode)  # some writers (safetensors) recreate the file as 0600
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
