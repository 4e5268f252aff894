"""Reading declarative spec files (TOML or JSON), shared by every kind of registered spec."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from collections.abc import Iterable
from typing import Any

from eegzoo.core.errors import SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_spec_file(path: Path) -> dict[str, Any]:
    """The parsed contents of one spec file; a parse error names the file."""
    try:
        if path.suffix == ".toml":
            with path.open("rb") as fh:
                return tomllib.load(fh)
        if path.suffix == ".json":
            return json.loads(path.read_text())
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise SpecError(f"{path}: not valid {path.suffix[1:].upper()}: {err}") from err
    raise SpecError(f"{path}: spec files must be .toml or .json.")


def read_named_spec_file(path: Path) -> dict[str, Any]:
    """A spec file's contents with its ``name``: the file name is the registered name, and a
    ``name`` field that says otherwise is an error naming the fix."""
    raw = read_spec_file(path)
    if not isinstance(raw, dict):
        return raw
    if raw.get("name") not in (None, path.stem):
        raise SpecError(
            f"{path}: field 'name': {raw.get('name')!r} differs from the file name "
            f"'{path.stem}'; name the file '{raw.get('name')}{path.suffix}'."
        )
    return {"name": path.stem, **raw}


def as_paths(value: Any) -> list[Path]:
    """What a plugin returned (None, one path, or several) as spec locations."""
    if value is None:
        return []
    if isinstance(value, (str, Path)):
        return [Path(value)]
    if isinstance(value, Iterable):
        return [Path(v) for v in value]
    raise TypeError(f"expected spec paths (str/Path or a list of them), got {type(value).__name__}")


def spec_files(location: Path) -> list[Path]:
    """The spec files in a folder (sorted), or the file itself."""
    if location.is_dir():
        return sorted(p for p in location.iterdir() if p.suffix in (".toml", ".json"))
    return [location]


def builtin_registry_dir() -> Path:
    """Spec files shipped with eegzoo: inside the installed package, or ``registry/`` of a
    source checkout."""
    package_dir = Path(__file__).resolve().parent.parent
    installed = package_dir / "_builtin_registry"
    return installed if installed.is_dir() else package_dir.parent / "registry"
