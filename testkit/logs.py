"""The site's log as data: one JSON object per line, its own events named by an ``event`` field."""

import json
import logging


def log_lines(text: str) -> list[dict]:
    """Every line of a process's output, parsed; a line that is not one JSON object fails the test."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise AssertionError(f"line {number} is not JSON: {line!r}") from error
        assert isinstance(record, dict), f"line {number} is not one JSON object: {line!r}"
        lines.append(record)
    return lines


def events(text: str, name: str | None = None) -> list[dict]:
    """The site's own events in a process's output (``name`` picks one kind)."""
    found = [line for line in log_lines(text) if "event" in line]
    return [line for line in found if line["event"] == name] if name else found


def recorded_events(records: list[logging.LogRecord], name: str | None = None) -> list[logging.LogRecord]:
    """The same from pytest's ``caplog.records``: records with an ``event`` attribute (``name`` picks one kind)."""
    found = [record for record in records if hasattr(record, "event")]
    return [record for record in found if record.event == name] if name else found
