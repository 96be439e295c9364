"""Structured, quiet-by-default logging that never carries secrets.

Per-scan lines are DEBUG; INFO holds start, stop, pairing and similar lifecycle events.
A redaction filter runs on every record as a second line of defence: bearer tokens,
GH1 codes, pairing codes and anything shaped like a card number are masked even if a
message or an exception text would otherwise include them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
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
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp's access log would add a line per scan; it is DEBUG-only noise here.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
