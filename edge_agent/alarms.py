"""The agent's own alarms: what it knows is wrong right now, loud in status and the log.

Why a board: a full disk, a clock known to be wrong, open files near the limit and a
supervisor's halt are each found by a different part of the agent, but a venue tech
needs them in one place (``GET /api/v1/status`` → ``alarms``, the TUI's alerts) and once
each in the log — when raised, when the message changes, when cleared — not a line per
scan. Codes are stable strings (``docs/hardening.md`` lists them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

log = logging.getLogger(__name__)

#: Stable alarm codes.
LEDGER_NOT_RECORDING = "ledger_not_recording"
OPEN_FILES = "open_files_near_limit"
CLOCK_UNTRUSTED = "clock_untrusted"
ADMISSIONS_HALTED = "admissions_halted"
#: Every code, for ``/metrics`` (a scraper alerts on a known series going to 1).
CODES = (LEDGER_NOT_RECORDING, OPEN_FILES, CLOCK_UNTRUSTED, ADMISSIONS_HALTED)


class Alarm(NamedTuple):
    code: str
    #: "error" (act now) or "warning"
    level: str
    message: str
    since_ms: int


class AlarmBoard:
    """Alarms by code; raising one again with the same message changes nothing."""

    def __init__(self, clock_ms: Callable[[], int]) -> None:
        self._clock_ms = clock_ms
        self._alarms: dict[str, Alarm] = {}

    def raise_alarm(self, code: str, level: str, message: str) -> None:
        old = self._alarms.get(code)
        if old is not None and (old.level, old.message) == (level, message):
            return
        since = old.since_ms if old is not None else self._clock_ms()
        self._alarms[code] = Alarm(code, level, message, since)
        log.log(
            logging.ERROR if level == "error" else logging.WARNING,
            "ALARM %s: %s",
            code,
            message,
            extra={"alarm": code},
        )

    def clear(self, code: str) -> None:
        if self._alarms.pop(code, None) is not None:
            log.info("alarm cleared: %s", code, extra={"alarm": code})

    def active(self) -> list[Alarm]:
        """Errors first, then by code."""
        return sorted(self._alarms.values(), key=lambda a: (a.level != "error", a.code))

    def __contains__(self, code: object) -> bool:
        return code in self._alarms
