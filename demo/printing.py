"""How the demo prints a verdict line (shared by the HTTP stream and the camera lane)."""

from __future__ import annotations

import time

_COLOURS = {"admit": "\033[1;32m", "exit": "\033[1;36m", "refuse": "\033[1;31m"}
_RESET = "\033[0m"


def iso_time(at_ms: int) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at_ms / 1000)) + f".{at_ms % 1000:03d}"


def print_verdict(
    tag: str,
    outcome: str,
    reason: str,
    label: str,
    message: str,
    at: str,
    ms: float | None,
    colour: bool,
    event_id: int | None = None,
) -> None:
    """One line per verdict; ``event_id``: the event the scan was for (a box may admit
    several), shown as ``e1001``."""
    verdict = (
        f"{_COLOURS[outcome]}{outcome.upper():<7}{_RESET}" if colour else f"{outcome.upper():<7}"
    )
    took = f"  ({ms:.1f} ms)" if ms is not None else ""
    event = f"e{event_id}" if event_id is not None else "-"
    print(f"{tag:>4}  {at:<12} {verdict} {event:<6} {reason:<20} {label[:34]:<34} {message}{took}")
