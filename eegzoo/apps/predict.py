"""``eegzoo predict``: one row per trial of a recording (onset, event, predicted class, class
probabilities) from a trained folder, a Hub repo or a registered pretrained model, with the
data prepared as the model's input contract says."""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import mne
import numpy as np
from torch import nn

from eegzoo.api import create_model, from_pretrained, predict_proba
from eegzoo.core.files import atomic_write_text
from eegzoo.data.datasets import read_any
from eegzoo.data.epochs import select_events
from eegzoo.data.events import TrialsDroppedWarning, bad_overlaps, describe_counts, event_counts, event_name
from eegzoo.data.preparation import expected_input


def load_model(source: str) -> nn.Module:
    """A trained folder, a registered model with pinned weights, or a Hub repo id."""
    from eegzoo.registry import list_models

    if Path(source).is_dir():
        return from_pretrained(source)
    if source.lower() in list_models(pretrained=True):
        return create_model(source.lower(), pretrained=True)
    if "/" in source and not Path(source).exists():
        return from_pretrained(source)  # a Hub repo id
    raise FileNotFoundError(f"{source!r} is no trained folder, registered pretrained model (eegzoo list --pretrained) "
                            "or Hub repo id (owner/name).")


def predict_file(model_source: str, data_path: str, out: str | os.PathLike | None = None, *,
                 events: list[str] | None = None, reject_by_annotation: bool = False) -> tuple[list[list[Any]], str, Path | None]:
    """(CSV rows with a header, a summary line, the CSV file written or None)."""
    model = load_model(model_source)
    classes = list(getattr(model, "eegzoo_classes", None) or [str(i) for i in range(model.n_outputs)])
    contract = getattr(model, "eegzoo_input", None)
    # a model trained on a dataset spec knows its recordings' event names (upright, inverted -> face)
    class_of = dict(contract.events) if contract is not None and contract.events else {c: c for c in classes}
    data = read_any(data_path)
    notes = []
    if isinstance(data, mne.io.BaseRaw):
        counts = event_counts(data.annotations.description)
        wanted = events or list(class_of)
        unknown = [e for e in wanted if e not in counts]
        if events is not None and unknown:
            raise ValueError(f"--events {unknown} are not in {data_path}, which has {describe_counts(counts)}.")
        present = [e for e in wanted if e in counts]
        if not present:
            raise ValueError(f"None of the model's events {list(class_of)} is an event of {data_path} (it has "
                             f"{describe_counts(counts)}): name the events that mark the trials with --events a,b.")
        ev, event_id, _ = select_events(data, classes=present)
        target = expected_input(model)
        tmin = target.tmin if target.tmin is not None else 0.0
        window = (target.n_times - 1) / (target.sfreq or data.info["sfreq"])
        overlap = bad_overlaps(data, ev, tmin, tmin + window)
        if reject_by_annotation and overlap.any():
            notes.append(f"{int(overlap.sum())} of {len(ev)} trials overlap BAD_* annotations and were left out")
            ev = ev[~overlap]
        elif overlap.any():
            notes.append(f"{int(overlap.sum())} of {len(ev)} trials overlap BAD_* annotations (predicted anyway; "
                         "--reject-by-annotation leaves them out)")
        inside = (ev[:, 0] - data.first_samp) / data.info["sfreq"] + tmin >= 0
        inside &= (ev[:, 0] - data.first_samp) / data.info["sfreq"] + tmin + window <= data.times[-1]
        if not inside.all():
            notes.append(f"{int((~inside).sum())} of {len(ev)} trials have no full window in the recording and were left out")
            ev = ev[inside]
        names = {code: name for name, code in event_id.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrialsDroppedWarning)  # counted above
            proba = predict_proba(model, data, events=ev, event_id=event_id)
        onsets = (ev[:, 0] - data.first_samp) / data.info["sfreq"]
        labels = [names[c] for c in ev[:, 2]]
    else:
        names = {code: name for name, code in data.event_id.items()}
        proba = predict_proba(model, data)
        onsets = (data.events[:, 0] - data.first_samp if hasattr(data, "first_samp") else data.events[:, 0]) / data.info["sfreq"]
        labels = [event_name(names.get(c, str(c))) for c in data.events[:, 2]]
    predicted = [classes[i] for i in proba.argmax(1)]
    header = ["trial", "onset_s", "event", "predicted", *[f"p_{c}" for c in classes]]
    rows: list[list[Any]] = [header]
    for i, (onset, label, pred, p) in enumerate(zip(onsets, labels, predicted, proba)):
        rows.append([i, f"{onset:.4f}", label, pred, *[f"{v:.6f}" for v in p]])
    summary = f"{len(predicted)} trials of {Path(data_path).name}: predicted " + ", ".join(
        f"{k} {v}" for k, v in Counter(predicted).items())
    known = [(class_of[lab], pred) for lab, pred in zip(labels, predicted) if lab in class_of]
    if known:
        agree = float(np.mean([lab == pred for lab, pred in known]))
        summary += f"; agreement with the event names: {agree:.3f} over {len(known)} trials"
    if notes:
        summary += "; " + "; ".join(notes)
    path = None
    if out is not None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        path = atomic_write_text(Path(out), buffer.getvalue())
    return rows, summary, path
