"""Entry-point plugins, whatever they add: which ones are installed, which ran, what each
registered, and which the user switched off.

Every kind of registry (models here, other spec kinds beside it) discovers its plugins
through :func:`load_entry_points`, which honours ``EEGZOO_DISABLE_PLUGINS`` and records one
:class:`PluginRecord` per entry point, and names its discovery in
:func:`register_plugin_group` so that :func:`plugin_report` (``eegzoo plugins``) lists them
all. A plugin's failure is recorded and reported as an :class:`EEGZooPluginWarning`, never
raised: one broken package must not break the zoo.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any, Literal

DISABLE_ENV = "EEGZOO_DISABLE_PLUGINS"
_ALL = {"1", "true", "yes", "on", "all", "*"}
_NONE = {"", "0", "false", "no", "off"}

Status = Literal["loaded", "failed", "disabled"]


class EEGZooPluginWarning(UserWarning):
    """A plugin could not be loaded or registered something invalid; it was skipped."""


@dataclass
class PluginRecord:
    """One entry point of an eegzoo plugin group, as discovery found it."""

    group: str  # entry-point group, e.g. "eegzoo.models"
    name: str  # entry-point name
    value: str  # "module:callable"
    distribution: str | None
    version: str | None
    status: Status
    registered: dict[str, list[str]] = field(default_factory=dict)  # kind -> names, e.g. "models"
    error: str | None = None  # why it failed, or why it is disabled
    notes: list[str] = field(default_factory=list)  # partial problems, e.g. a name clash
    kind: str = "plugin"  # how messages call it, e.g. "dataset plugin"

    @property
    def label(self) -> str:
        """How messages name the plugin: ``plugin 'tiny' (pkg:register, from pkg 0.1)``."""
        origin = f", from {self.distribution} {self.version}" if self.distribution else ""
        return f"{self.kind} '{self.name}' ({self.value}{origin})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DisabledPlugins:
    """What ``EEGZOO_DISABLE_PLUGINS`` says: all plugins off, or a set of names (entry-point
    or distribution names, compared case-insensitively with ``-``/``_``/``.`` alike)."""

    all: bool
    names: frozenset[str]

    def blocks(self, ep_name: str, distribution: str | None) -> bool:
        return self.all or _normalise(ep_name) in self.names or (
            distribution is not None and _normalise(distribution) in self.names
        )


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def disabled_plugins() -> DisabledPlugins:
    """Parse ``EEGZOO_DISABLE_PLUGINS``: ``1``/``true``/``all`` turns autoload off (as
    pytest's ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``), a comma-separated list blocks those plugins."""
    value = os.environ.get(DISABLE_ENV, "").strip()
    if value.lower() in _ALL:
        return DisabledPlugins(True, frozenset())
    if value.lower() in _NONE:
        return DisabledPlugins(False, frozenset())
    return DisabledPlugins(False, frozenset(_normalise(n) for n in value.split(",") if n.strip()))


_RECORDS: dict[str, list[PluginRecord]] = {}  # group -> records of its last discovery
_DISCOVERERS: dict[str, Callable[[], None]] = {}  # group -> function that runs its discovery
_LOCK = threading.RLock()


def register_plugin_group(group: str, discover: Callable[[], None]) -> None:
    """Name a registry's entry-point group and the (idempotent) function that discovers its
    plugins, so that :func:`plugin_report` runs and lists it."""
    _DISCOVERERS[group] = discover


def load_entry_points(
    group: str, load: Callable[[metadata.EntryPoint, PluginRecord], Mapping[str, list[str]]], kind: str = "plugin"
) -> list[PluginRecord]:
    """Run every plugin of ``group`` not disabled by ``EEGZOO_DISABLE_PLUGINS``.

    ``load(entry_point, record)`` imports the entry point (``entry_point.load()``), runs it
    and returns what it registered (kind -> names); it may append to ``record.notes``. An
    exception marks the plugin failed (``load`` undoes its partial registrations first) and
    is reported as an :class:`EEGZooPluginWarning`."""
    disabled = disabled_plugins()
    records = []
    for ep in metadata.entry_points(group=group):
        dist = getattr(ep, "dist", None)
        record = PluginRecord(
            group=group, name=ep.name, value=ep.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None, status="loaded", kind=kind,
        )
        records.append(record)
        if disabled.blocks(ep.name, record.distribution):
            record.status = "disabled"
            record.error = f"disabled by {DISABLE_ENV}={os.environ.get(DISABLE_ENV, '')}"
            continue
        try:
            record.registered = {kind: list(names) for kind, names in load(ep, record).items()}
        except Exception as err:  # noqa: BLE001 - any plugin failure must not break the zoo
            record.status, record.error = "failed", f"{type(err).__name__}: {err}"
            warnings.warn(f"eegzoo skipped {record.label}: {record.error}", EEGZooPluginWarning, stacklevel=4)
    with _LOCK:
        _RECORDS[group] = records
    return records


def plugin_report() -> list[PluginRecord]:
    """Every eegzoo plugin of every registered group, after discovery: loaded, failed
    (with the error) or disabled, and what each registered."""
    for discover in list(_DISCOVERERS.values()):
        discover()
    with _LOCK:
        return [r for group in sorted(_RECORDS) for r in _RECORDS[group]]


def unknown_disabled_names() -> list[str]:
    """Names in ``EEGZOO_DISABLE_PLUGINS`` that match no installed plugin (likely typos)."""
    disabled = disabled_plugins()
    known: set[str] = set()
    for group in _DISCOVERERS:
        for ep in metadata.entry_points(group=group):
            dist = getattr(ep, "dist", None)
            known.add(_normalise(ep.name))
            if dist is not None:
                known.add(_normalise(dist.metadata["Name"]))
    return sorted(disabled.names - known)
