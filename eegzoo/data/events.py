"""Events as labs store them: annotations (with format-specific spellings made equal), stim
channels, several names for one class, and trials that overlap ``BAD_*`` annotations —
counted and reported the same way on every path (datasets, CLI, API, predict).

BrainVision files store a marker's type with its text, so mne reads ``Comment/face`` or
``Stimulus/S  1`` where an EEGLAB file of the same recording says ``face`` or ``S  1``:
:func:`event_name` drops the BrainVision type, so one spec (and one model's class names)
serves both formats."""

from __future__ import annotations

import difflib
import re
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence

import mne
import numpy as np

from eegzoo.core.errors import caller_stacklevel

#: Marker types of the BrainVision format (mne reads ``<type>/<description>``).
BRAINVISION_TYPES = ("Stimulus", "Response", "Comment", "Marker", "New Segment", "SyncStatus", "Optic", "Voltage",
                     "Impedance", "DC Correction", "Bad Interval", "Time 0", "Segmentation", "Average")
_PREFIX = re.compile(r"^(?:%s)/" % "|".join(re.escape(t) for t in BRAINVISION_TYPES))


#: Annotations that never mark trials (mne's BAD_/EDGE segments, EEGLAB's boundary events).
NOT_TRIALS = re.compile(r"^(bad|edge|boundary)", re.IGNORECASE)


class TrialsDroppedWarning(RuntimeWarning):
    """Trials were left out (a window outside the recording, or BAD_* annotations with
    ``reject_by_annotation``), or kept although they overlap BAD_* annotations; the message
    counts them by reason."""


def event_name(description: str) -> str:
    """A marker's name without the BrainVision type (``Comment/face`` -> ``face``)."""
    return _PREFIX.sub("", str(description))


def normalise_annotations(raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
    """Rename BrainVision ``<type>/<name>`` annotations to ``<name>`` (in place) unless two
    types share a name (``Stimulus/S  1`` and ``Response/S  1`` stay apart); returns ``raw``."""
    descriptions = set(raw.annotations.description)
    by_name: dict[str, set[str]] = {}
    for d in descriptions:
        by_name.setdefault(event_name(d), set()).add(d)
    mapping = {d: name for name, ds in by_name.items() for d in ds if d != name and len(ds) == 1}
    if mapping:
        raw.annotations.rename(mapping, verbose="error")
    return raw


def event_counts(descriptions: Sequence[str]) -> Counter[str]:
    return Counter(str(d) for d in descriptions)


def describe_counts(counts: Mapping[str, int], limit: int = 20) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"'{k}' ({v})" for k, v in items[:limit])
    return text + (f", ... ({len(items) - limit} more)" if len(items) > limit else "") if items else "none"


def match_events(wanted: Mapping[str, str], present: Mapping[str, int], where: str, fix: str) -> dict[str, str]:
    """``present description -> class`` for a spec's ``wanted`` (event name -> class), names
    compared without BrainVision types. A wanted name that the recording does not contain is
    an error listing the names it has (with the closest one), never a class silently short
    of trials."""
    by_name: dict[str, list[str]] = {}
    for d in present:
        by_name.setdefault(event_name(d), []).append(d)
    out, missing = {}, []
    for name, cls in wanted.items():
        hits = [name] if name in present else by_name.get(event_name(name), [])
        if not hits:
            missing.append(name)
        for d in hits:
            out[d] = cls
    if missing:
        names = sorted({event_name(d) for d in present})
        hints = []
        for name in missing:
            close = difflib.get_close_matches(event_name(name), names, n=1, cutoff=0.5)
            hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise ValueError(
            f"{where}: event(s) {', '.join(hints)} named in {fix} are not in the recording, which has "
            f"{describe_counts(present)}. Fix the names (a class may list several), or drop the event."
        )
    return out


def stim_to_annotations(raw: mne.io.BaseRaw, channel: str, mask: int | None = None) -> mne.io.BaseRaw:
    """Add one annotation per event of the stim ``channel`` (its code as text, e.g. ``"1"``),
    as BioSemi ``Status`` or FIF ``STI 014`` hold them, and drop the channel (in place)."""
    if channel not in raw.ch_names:
        stims = [n for n, t in zip(raw.ch_names, raw.get_channel_types()) if t == "stim"]
        raise ValueError(f"stim channel {channel!r} is not in the recording; its stim channels: {stims or 'none'}, "
                         f"all channels: {raw.ch_names[:12]}{'...' if len(raw.ch_names) > 12 else ''}.")
    events = mne.find_events(raw, stim_channel=channel, shortest_event=1, mask=mask, mask_type="and",
                             initial_event=True, verbose="error")
    events = events[events[:, 2] != 0]
    if len(events):
        annotations = mne.annotations_from_events(events, raw.info["sfreq"], event_desc={int(c): str(int(c)) for c in
                                                  np.unique(events[:, 2])}, first_samp=raw.first_samp,
                                                  orig_time=raw.annotations.orig_time)
        raw.set_annotations(raw.annotations + annotations)
    raw.drop_channels([channel])
    return raw


def bad_overlaps(raw: mne.io.BaseRaw, events: np.ndarray, tmin: float, tmax: float) -> np.ndarray:
    """Whether each event's window ``[tmin, tmax]`` overlaps a ``BAD*`` annotation (mne's rule:
    descriptions starting with 'bad', any case)."""
    ann = raw.annotations
    bad = np.array([d.lower().startswith("bad") for d in ann.description], dtype=bool)
    if not bad.any() or not len(events):
        return np.zeros(len(events), dtype=bool)
    # annotation onsets are in seconds since the measurement start; events in samples incl. first_samp
    first = raw.first_samp / raw.info["sfreq"]
    onsets = ann.onset[bad] - (first if ann.orig_time is not None else 0.0)
    ends = onsets + ann.duration[bad]
    starts = (events[:, 0] - raw.first_samp) / raw.info["sfreq"] + tmin
    stops = (events[:, 0] - raw.first_samp) / raw.info["sfreq"] + tmax
    return ((starts[:, None] <= ends[None]) & (stops[:, None] >= onsets[None])).any(1)


def trials_report(n_events: int, epochs: mne.BaseEpochs, overlapping_kept: int, reject_by_annotation: bool) -> str | None:
    """A line counting dropped trials by reason (and kept ones that overlap BAD segments), or
    ``None`` when every trial was kept cleanly."""
    reasons: Counter[str] = Counter()
    for log in epochs.drop_log:
        if log and "IGNORED" not in log:
            reasons["outside the recording" if "NO_DATA" in log or "TOO_SHORT" in log else ", ".join(log)] += 1
    parts = []
    dropped = sum(reasons.values())
    if dropped:
        parts.append(f"{dropped} of {n_events} trials dropped (" + ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())) + ")")
    if overlapping_kept:
        parts.append(f"{overlapping_kept} of {n_events} trials overlap BAD_* annotations and are kept "
                     "(reject_by_annotation is off; turn it on to drop them)")
    return "; ".join(parts) if parts else None


def cut_with_report(raw: mne.io.BaseRaw, events: np.ndarray, event_id: Mapping[str, int], tmin: float, tmax: float,
                    reject_by_annotation: bool, label: str, **kwargs) -> tuple[mne.Epochs, str | None]:
    """``mne.Epochs`` with one ``reject_by_annotation`` switch (default everywhere: off), and
    the report of :func:`trials_report`, also issued as a :class:`TrialsDroppedWarning`."""
    epochs = mne.Epochs(raw, events, dict(event_id), tmin=tmin, tmax=tmax, preload=True, on_missing="ignore",
                        reject_by_annotation=reject_by_annotation, verbose="error", **kwargs)
    kept_bad = 0 if reject_by_annotation else int(bad_overlaps(raw, epochs.events, tmin, tmax).sum())
    report = trials_report(len(events), epochs, kept_bad, reject_by_annotation)
    if report:
        warnings.warn(f"{label}: {report}.", TrialsDroppedWarning, stacklevel=caller_stacklevel())
    return epochs, report
