"""How a pack spells times and durations for people (UTC, second precision)."""

from __future__ import annotations

import datetime


def utc_text(ms: int | None) -> str:
    """``2026-12-31 19:42:07 UTC``; ``"unknown"`` for ``None``."""
    if ms is None:
        return "unknown"
    seconds = ms // 1000
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_date(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms // 1000, tz=datetime.UTC).strftime("%Y-%m-%d")


def duration_text(ms: int) -> str:
    """``3 h 12 min``, ``45 s``, ``850 ms`` (sign dropped; callers say before/after)."""
    ms = abs(ms)
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms // 1000
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"
