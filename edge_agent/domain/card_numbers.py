"""What counts as a card number (PAN): the one rule of the agent, the box office, the
reference platform and the log redaction.

Nothing here may log or store a full card number (PCI DSS): a terminal payment is kept as
its brand and last four digits. So anything shaped like one is refused before a handler
reads it (``api/card_guard.py`` on the LAN API, ``reference_platform/web/validation.py``
on the platform, ``domain/sale.py: refuse_card_numbers`` on the box office's free text),
and masked in log lines (``logs.py``). One rule, so what one side calls a card number the
others do too. A card number is:

- a run of 13–19 ASCII digits, possibly split by single spaces or dashes as people type
  them, passing Luhn, in any string of the document (keys included) or as an integer (or
  a whole float);
- not part of a longer word: a letter, digit or dash right before or after the run makes
  it part of one. Deliberately so, for free text too (the box office once counted such
  runs): UUIDs, 32-hex ticket ids, hashes and GH1 text are full of digit runs touching
  letters — counting them would refuse about one hex ticket id or UUID in 500 and one
  SHA-256 in 250 — and a person typing a card number separates it from the words around
  it. (The log redaction, where masking too much costs nothing, masks those runs too);
- not part of a decimal number either: a run right after ``<digit>.`` or right before
  ``.<digit>`` is a fraction or a version (``0.8444218515250481``), which is how random
  numbers and measurements print; a full stop ending a sentence is no digit;
- 13 digits starting with 1 are let through: Unix-millisecond times (2001–2033) have that
  shape, and no issuer's 13-digit numbers start with 1;
- a string that *is* a well-formed GH1 ticket code (``docs/formats/ticket-v1.md``) is never
  refused: zero-valued fields encode as runs of ``0``, which pass Luhn, so about one real
  code in a thousand would otherwise look like a card number, and a ticket must scan.

A scanned ticket code of any other kind (a numeric barcode: EAN-13, a partner's 16–19
digits) passes Luhn one time in ten. Where a field holds one — the ``code`` of a scan,
stored only as its SHA-256 and never logged — the caller names it in ``exempt``
(``holds_card_number``); everything else of that document is still checked.

Pure: values in, a bool out.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from edge_agent.domain.errors import CodecError
from edge_agent.domain.ticket_codec import PREFIX, parse_gh1, strip_code

# The leading ``\d`` lets the regex engine skip to digits quickly; the lookbehinds after
# it then refuse a start in the middle of a word or of a decimal number.
# ASCII: ``\d`` is 0-9 only (a card number is ASCII digits; an Arabic-Indic digit next to
# one must not hide it by joining the run).
_CARDISH = re.compile(
    r"\d(?<![0-9A-Za-z-]\d)(?<!\d\.\d)(?:[ -]?\d){12,18}(?![0-9A-Za-z-])(?!\.\d)", re.ASCII
)
_EPOCH_MS = range(1_000_000_000_000, 2_000_000_000_000)
_MIN_PAN = 10**12  # 13 digits
_MAX_PAN = 10**19 - 1
_DIGITS13 = re.compile(r"\d(?:[ -]?\d){12}", re.ASCII)


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` (ASCII 0-9 only) passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def looks_like_pan(candidate: str) -> bool:
    """True for 13–19 digits (separators ignored) passing Luhn, but not a Unix-ms time."""
    digits = "".join(ch for ch in candidate if ch.isdigit())
    if not 13 <= len(digits) <= 19 or not digits.isascii():
        return False
    if len(digits) == 13 and int(digits) in _EPOCH_MS:
        return False
    return luhn_ok(digits)


def _is_ticket_code(text: str) -> bool:
    code = strip_code(text)
    if not code.startswith(PREFIX):
        return False
    try:
        parse_gh1(code)
    except CodecError:
        return False
    return True


def text_has_card_number(text: str) -> bool:
    """True if the text holds a card number (see the module docstring)."""
    if len(text) < 13 or _DIGITS13.search(text) is None:
        return False
    if not any(looks_like_pan(m.group(0)) for m in _CARDISH.finditer(text)):
        return False
    return not _is_ticket_code(text)


def holds_card_number(doc: Any, *, exempt: Collection[str] = ()) -> bool:
    """True if the parsed JSON ``doc`` holds a card number in any key or value.

    ``exempt``: fields of an object ``doc`` holding a scanned ticket code; their value is
    not looked at when it is a string (a code is text: a number there is still refused).
    """
    if exempt and type(doc) is dict:
        stack: list[Any] = []
        for key, value in doc.items():
            stack.append(key)
            if not (key in exempt and type(value) is str):
                stack.append(value)
    else:
        stack = [doc]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str:
            if text_has_card_number(value):
                return True
        elif kind is int:
            if _MIN_PAN <= value <= _MAX_PAN and looks_like_pan(str(value)):
                return True
        elif kind is float:
            whole = value.is_integer() and _MIN_PAN <= value <= _MAX_PAN
            if whole and looks_like_pan(str(int(value))):
                return True
        elif kind is dict:
            stack.extend(value.keys())
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
    return False


# ---------------------------------------------------------------- large bodies, fast
#
# The platform receives 1000-row upload batches: half a megabyte of JSON with a 13-digit
# time in every row, too slow to walk value by value in Python. So the raw text is looked
# at first: ``str.translate`` masks digits, spaces and dashes (C speed), a literal regex
# finds runs of 13 or more masked characters, and only a run that could hold a card
# number sends the parsed document to the exact check above, which alone decides. The
# raw text can only be trusted where it spells the values: a body with backslash-u
# escapes (which could spell digits) or with a number in exponent or long-decimal form
# (whose value is not its digits) goes to the exact check at once.

_MASK = str.maketrans(dict.fromkeys("0123456789 -", "0"))
_RUN = re.compile("0000000000000+")  # a literal prefix: searched at C speed
_WORD = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-")
#: A JSON number whose value its digits do not spell: an exponent, or a fraction after
#: 13+ digits (``4111111111111110.99999999`` is the float 4111111111111111.0).
_FLOATISH = re.compile(r"[\[:,]\s*-?(?:\d{13,}\.|\d[\d.]*[eE])")


def _may_hold_card_number(text: str) -> bool:
    """False only if no value of the JSON ``text`` can be a card number."""
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
        escaped = start >= 2 and text[start - 2] == "\\" and text[start - 1] in "bfnrt"
        # ``\n4111…``: an escaped line end is no word character before the run
        in_word = (start and not escaped and text[start - 1] in _WORD) or (
            end < size and text[end] in _WORD
        )
        if in_word and " " not in segment:
            # Inside a word (a UUID, a hex hash): without a space in the run, a card
            # number would have to span it exactly, and a word character touches it.
            continue
        if not segment.isdigit():
            # Spaces or dashes inside: the regex, with the two characters either side
            # that its lookarounds read (a decimal point before changes where it starts).
            window = text[start if escaped else max(0, start - 2) : end + 2]
            if any(looks_like_pan(m.group(0)) for m in _CARDISH.finditer(window)):
                return True
        elif end - start <= 19 and looks_like_pan(segment):
            return True
    return False


def body_has_card_number(text: str, doc: Any) -> bool:
    """``holds_card_number(doc)`` for a request body, ``text`` its raw JSON, faster."""
    if "\\u" in text or not isinstance(doc, dict | list) or _FLOATISH.search(text):
        return holds_card_number(doc)
    return _may_hold_card_number(text) and holds_card_number(doc)
