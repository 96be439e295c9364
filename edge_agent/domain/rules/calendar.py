"""Local wall-clock time for doors windows and event days, from a Unix time and a zone.

Windows are wall-clock times ("doors open 18:30"), so a scan is placed on the local wall
clock and compared as ``day ordinal * 1440 + minute``: a window across midnight is one
integer interval, and a daylight-saving change moves the wall clock, never the rule
(an 18:30 opening is 18:30 on the night the clocks change, too). Memoised per minute:
every scan asks, and a gate sees at most a few thousand distinct minutes a night.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache

from edge_agent.domain.rules.model import DAY_MINUTES, DoorsWindow


@lru_cache(maxsize=8192)
def _local_key(minute: int, tz: tzinfo) -> int:
    local = datetime.fromtimestamp(minute * 60, tz=UTC).astimezone(tz)
    return local.toordinal() * DAY_MINUTES + local.hour * 60 + local.minute


def local_key(now_ms: int, tz: tzinfo) -> int:
    """The local wall-clock minute of ``now_ms`` in ``tz`` as one integer."""
    return _local_key(now_ms // 60_000, tz)


def key_date(key: int) -> date:
    return date.fromordinal(key // DAY_MINUTES)


def key_clock(key: int) -> str:
    """HH:MM of a local key."""
    minute = key % DAY_MINUTES
    return f"{minute // 60:02d}:{minute % 60:02d}"


def window_at(windows: Iterable[DoorsWindow], key: int) -> DoorsWindow | None:
    """The window open at ``key``, if any."""
    for window in windows:
        if window.start_key <= key < window.end_key:
            return window
    return None


def next_window(windows: Iterable[DoorsWindow], key: int) -> DoorsWindow | None:
    """The first window that opens after ``key`` (for "Doors open 18:30")."""
    later = [w for w in windows if w.start_key > key]
    return min(later, key=lambda w: w.start_key) if later else None


def last_window(windows: Iterable[DoorsWindow], key: int) -> DoorsWindow | None:
    """The last window that closed at or before ``key`` (for "Doors closed at 23:00")."""
    earlier = [w for w in windows if w.end_key <= key]
    return max(earlier, key=lambda w: w.end_key) if earlier else None


def event_day(windows: tuple[DoorsWindow, ...], key: int) -> date:
    """The event day a scan belongs to: the day of the doors window it falls in (so
    01:00 after a Saturday night still counts as Saturday), else the local date."""
    window = window_at(windows, key) if windows else None
    return window.day if window is not None else key_date(key)
