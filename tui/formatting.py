"""Pure text helpers: verdict words and symbols, times, ages, sizes.

Verdicts never rely on colour alone: each carries a symbol and a word ("✔ ADMIT",
"✘ REFUSE", "↩ EXIT"), so a monochrome terminal over SSH reads the same as a colour one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

#: outcome -> (symbol and word, CSS class for colour where the terminal has it)
VERDICTS: dict[str, tuple[str, str]] = {
    "admit": ("✔ ADMIT", "admit"),
    "exit": ("↩ EXIT", "exit"),
    "refuse": ("✘ REFUSE", "refuse"),
}


#: An admit staff must check first (ID, 18+, a note, a zone over capacity).
CHECK_LABEL = "! CHECK"


def verdict_label(outcome: str, check: bool = False) -> str:
    if check and outcome == "admit":
        return CHECK_LABEL
    return VERDICTS.get(outcome, (f"? {outcome.upper()}", ""))[0]


def verdict_style(outcome: str, check: bool = False) -> str:
    """Rich style for a verdict: bold always (reads on monochrome), colour on top; a
    flagged admit has its own colour (and its own word, ``CHECK_LABEL``)."""
    if check and outcome == "admit":
        return "bold black on yellow"
    return {"admit": "bold green", "exit": "bold cyan", "refuse": "bold red reverse"}.get(
        outcome, "bold"
    )


def zone_text(name: str, inside: int, capacity: int) -> str:
    """ "Hall B 80/100", "Hall B 100/100 FULL", "Foyer 12" (no capacity)."""
    if not capacity:
        return f"{name} {inside}"
    return f"{name} {inside}/{capacity}" + (" FULL" if inside >= capacity else "")


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def clock_text(text: str | None, tz: tzinfo) -> str:
    """HH:MM:SS of an ISO time in ``tz``; "—" when absent."""
    at = parse_iso(text)
    return "—" if at is None else at.astimezone(tz).strftime("%H:%M:%S")


def ms_clock_text(at_ms: int | None, tz: tzinfo) -> str:
    if at_ms is None:
        return "—"
    return datetime.fromtimestamp(at_ms / 1000, tz=tz).strftime("%H:%M:%S")


def age_text(seconds: float | None) -> str:
    """ "12 s", "4 min", "2.5 h", "3 d"; "never" when absent."""
    if seconds is None:
        return "never"
    s = max(0.0, seconds)
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172_800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.0f} d"


def age_since(text: str | None, now_s: float) -> float | None:
    at = parse_iso(text)
    return None if at is None else now_s - at.timestamp()


def size_text(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit in ("B", "kB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def short_id(value: str | None, n: int = 8) -> str:
    """The start of a long id (enough to tell tickets apart on one screen)."""
    if not value:
        return "—"
    return value if len(value) <= n + 1 else value[:n] + "…"


def counts_text(by_outcome: Mapping[str, int]) -> str:
    """ "✔12 ✘3 ↩1" — admitted, refused, exited."""
    return (
        f"✔{by_outcome.get('admit', 0)} ✘{by_outcome.get('refuse', 0)} ↩{by_outcome.get('exit', 0)}"
    )
