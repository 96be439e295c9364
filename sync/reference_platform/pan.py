"""Refusing card numbers (PANs) anywhere in a request body.

The platform keeps only a payment's brand, last four digits and 3-D Secure result; a
full card number must never be stored or logged (PCI DSS). A body is refused if any
string in it (keys included) holds a run of 13–19 digits — possibly split by single
spaces or dashes, as people type them — that is not part of a longer word (a letter,
digit or dash right before or after it makes it part of one: UUIDs and hex hashes are
full of digit runs) and passes the Luhn check, or if any integer in it is such a
number. 13-digit values in the Unix millisecond range (2001–2033) are let through: every
timestamp in the protocol has that shape, and no issuer's 13-digit numbers start with 1.

A 1000-row scan batch is half a megabyte of JSON with a 13-digit timestamp in every
row, so the raw-text check is two-staged: ``str.translate`` masks digits, spaces and
dashes (C speed), a trivial regex finds runs of 13 or more masked characters, and only
those runs get the exact check. A body with backslash-u escapes (which could spell digits)
is checked on its parsed values instead.
"""

from __future__ import annotations

import re
from typing import Any

from edge_agent.domain.luhn import luhn_ok

# The leading ``\d`` lets the regex engine skip to digits quickly; the lookbehind after
# it then refuses a start in the middle of a word.
_CARDISH = re.compile(r"\d(?<![0-9A-Za-z-]\d)(?:[ -]?\d){12,18}(?![0-9A-Za-z-])")
_EPOCH_MS = range(1_000_000_000_000, 2_000_000_000_000)
_MIN_PAN = 10**12  # 13 digits
_MAX_PAN = 10**19 - 1


def looks_like_pan(candidate: str) -> bool:
    digits = "".join(ch for ch in candidate if ch.isdigit())
    if not 13 <= len(digits) <= 19:
        return False
    if len(digits) == 13 and int(digits) in _EPOCH_MS:
        return False
    return luhn_ok(digits)


def text_has_pan(text: str) -> bool:
    return len(text) >= 13 and any(looks_like_pan(m.group(0)) for m in _CARDISH.finditer(text))


_MASK = str.maketrans(dict.fromkeys("0123456789 -", "0"))
_RUN = re.compile("0000000000000+")  # a literal prefix: searched at C speed


def body_has_pan(text: str, doc: Any) -> bool:
    """True if a request body (raw ``text``, parsed ``doc``) holds a card number."""
    if "\\u" in text:
        return contains_pan(doc)
    size = len(text)
    for run in _RUN.finditer(text.translate(_MASK)):
        start, end = run.span()
        # Trim separators at the edges (``"at_ms": 1767…,`` masks to a space + digits):
        # a card number starts and ends with a digit.
        while start < end and text[start] in " -":
            start += 1
        while end > start and text[end - 1] in " -":
            end -= 1
        if end - start < 13:
            continue
        segment = text[start:end]
        if end - start == 13 and segment[0] == "1" and segment.isdigit():
            continue  # 13 digits starting with 1: a Unix-ms time, in every scan row
        in_word = (start and text[start - 1] in _WORD) or (end < size and text[end] in _WORD)
        if in_word and " " not in segment:
            # Inside a word (a UUID, a hex hash): without a space in the run, a card
            # number would have to span it exactly, and a word character touches it.
            continue
        if not segment.isdigit():  # spaces or dashes inside: the general check
            if text_has_pan(text[max(0, start - 1) : end + 1]):
                return True
        elif end - start <= 19 and looks_like_pan(segment):
            return True
    return False


_WORD = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-")


def contains_pan(doc: Any) -> bool:
    """True if the parsed JSON ``doc`` holds something shaped like a card number."""
    stack = [doc]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str:
            if text_has_pan(value):
                return True
        elif kind is int:
            if _MIN_PAN <= value <= _MAX_PAN and looks_like_pan(str(value)):
                return True
        elif kind is float:
            if (
                value.is_integer()
                and _MIN_PAN <= value <= _MAX_PAN
                and looks_like_pan(str(int(value)))
            ):
                return True
        elif kind is dict:
            stack.extend(value.keys())
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
    return False
