"""Structured, quiet-by-default logging that never carries secrets or fills the disk.

Per-scan lines are DEBUG; INFO holds start, stop, pairing and similar lifecycle events.
A redaction filter runs on every record as a second line of defence: bearer tokens,
GH1 codes, pairing codes and anything shaped like a card number are masked even if a
message or an exception text would otherwise include them.

Before it, ``RepeatLimiter`` keeps any one client from filling the disk through the log:
a line that repeats (same logger, level and message, digits aside) is written at most
``burst`` times a minute, and all lines together at most ``per_s`` a second beyond a
burst; the next line written says how many were left out. A slowloris once made the
agent log 1.7 MiB/s of identical EMFILE tracebacks. DEBUG lines are not limited: they
are off unless someone asked for them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edge_agent.domain.card_numbers import looks_like_pan

_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[redacted]"),
    (re.compile(r"\bgh_[A-Za-z0-9_-]{16,}"), "[token]"),
    (re.compile(r"GH1:[0-9A-Z$%*+\-./:]+(?: [0-9A-Z$%*+\-./:]+)*"), "GH1:[code]"),
    (re.compile(r"\b[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}\b"), "[pairing-code]"),
    (re.compile(r'("private_key"\s*:\s*")[^"]*'), r"\1[redacted]"),
)

_STD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


#: Wider than the refusal's finder (``domain/card_numbers.py``): a run touching letters is
#: masked too. Masking an id's digits in a log line costs nothing, and a line is free text,
#: not a parsed document; which runs are card numbers is the shared rule's call.
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d)*(?!\d)", re.ASCII)  # 0-9 only
_GROUP = re.compile(r"\d+", re.ASCII)
_MAX_PAN_DIGITS = 19


def _mask_card(match: re.Match[str]) -> str:
    """Mask every card number inside one run of digit groups.

    A card number may sit next to another number in the same run (``seq 1767000000000
    4111 1111 1111 1111``), so the run is not judged as a whole: each span of whole
    groups of 13–19 digits is tried, longest first, from each group on."""
    run = match.group(0)
    groups = [(g.start(), g.end()) for g in _GROUP.finditer(run)]
    out: list[str] = []
    last = i = 0
    while i < len(groups):
        end_group = _card_span(run, groups, i)
        if end_group is None:
            i += 1
            continue
        out += [run[last : groups[i][0]], "[card-number]"]
        last, i = groups[end_group][1], end_group + 1
    return "".join([*out, run[last:]])


def _card_span(run: str, groups: list[tuple[int, int]], first: int) -> int | None:
    """The last group of the longest card number starting at group ``first``, if any."""
    best = None
    digits = 0
    for j in range(first, len(groups)):
        digits += groups[j][1] - groups[j][0]
        if digits > _MAX_PAN_DIGITS:
            break
        if looks_like_pan(run[groups[first][0] : groups[j][1]]):
            best = j
    return best


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return _DIGIT_RUN.sub(_mask_card, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        for key, value in list(vars(record).items()):
            if key not in _STD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


_DIGITS = re.compile(r"[0-9]+")


class RepeatLimiter(logging.Filter):
    """At most ``burst`` lines per kind of line per ``window_s``, and ``per_s`` lines a
    second overall (bursts of ``total_burst``); INFO and above only."""

    def __init__(
        self,
        *,
        burst: int = 5,
        window_s: float = 60.0,
        per_s: float = 10.0,
        total_burst: float = 100.0,
        max_kinds: int = 2000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._burst = burst
        self._window_s = window_s
        self._per_s = per_s
        self._total_burst = total_burst
        self._max_kinds = max_kinds
        self._clock = clock
        #: kind -> [window start, lines written, lines left out]
        self._kinds: dict[tuple[str, int, str], list[float]] = {}
        self._tokens = total_burst
        self._at = clock()
        self._left_out_total = 0
        #: Lines left out since start (tests and status may read it).
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return True
        now = self._clock()
        text = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
        kind = (record.name, record.levelno, _DIGITS.sub("#", text[:120]))
        seen = self._kinds.get(kind)
        if seen is None or now - seen[0] >= self._window_s:
            if seen is None and len(self._kinds) >= self._max_kinds:
                self._kinds.pop(next(iter(self._kinds)))
            left_out = int(seen[2]) if seen is not None else 0
            seen = self._kinds[kind] = [now, 0, 0]
            if left_out:
                record.repeats_left_out = left_out
        if seen[1] >= self._burst:
            seen[2] += 1
            self.suppressed += 1
            return False
        if not self._take(now):
            self.suppressed += 1
            return False
        seen[1] += 1
        if seen[1] == self._burst:
            record.repeats_limited_for_s = self._window_s
        if self._left_out_total:
            record.lines_left_out = self._left_out_total
            self._left_out_total = 0
        return True

    def _take(self, now: float) -> bool:
        self._tokens = min(self._total_burst, self._tokens + (now - self._at) * self._per_s)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self._left_out_total += 1
        return False


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                doc[key] = value
        if record.exc_text:
            doc["exc"] = record.exc_text
        return json.dumps(doc, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {
            k: v for k, v in vars(record).items() if k not in _STD_ATTRS and not k.startswith("_")
        }
        if extras:
            base += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return base


def setup_logging(level: str = "info", fmt: str = "json", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RepeatLimiter())  # first: a left-out line costs no redaction
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp's access log would add a line per scan; it is DEBUG-only noise here.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
