"""Errors every layer raises, and the helpers that make their messages name the fix."""

from __future__ import annotations

import difflib
import os
import sys

from pydantic import ValidationError


class SpecError(ValueError):
    """A spec (file, override or plugin) is invalid; the message names source, field and fix."""


class UnsupportedOptionError(ValueError, NotImplementedError):
    """An option value the architecture does not implement (an unknown layer name, say).
    A ``ValueError`` like every bad argument, and the ``NotImplementedError`` braindecode
    raises for the same call, so code written for either catches it."""


def format_validation_error(err: ValidationError, source: str) -> str:
    """One line per problem: ``<source>: field 'a.b': <message> (got <value>)``."""
    lines = [f"Invalid spec in {source}:"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        got = e.get("input")
        got_text = "" if e["type"] in ("missing", "value_error") else f" (got {got!r})"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field; remove it or check its spelling"
        lines.append(f"  field '{loc}': {msg}{got_text}" if loc else f"  {msg}")
    return "\n".join(lines)


def unknown_names_message(unknown: list[str], valid: list[str], what: str) -> str:
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, valid, n=1)
        parts.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return f"Unknown {what} {', '.join(parts)}; valid ones are: {', '.join(sorted(valid))}."


class RegistryError(KeyError):
    """Unknown or ambiguous model/architecture name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DatasetError(RuntimeError):
    """A dataset cannot be fetched or loaded (unreachable registry, sha256 mismatch, corrupt
    cache, files that do not match their spec); the message names the command or fix."""


class InputContractWarning(UserWarning):
    """Input data were converted to match what a model was trained on (e.g. volts to
    microvolts, channel names matched ignoring case); the message says what and how to
    make the data match so that no conversion is needed."""


def caller_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first caller outside eegzoo, so
    that it names the user's line however deep inside eegzoo it is raised."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level
