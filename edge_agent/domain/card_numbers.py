"""What counts as a card number (PAN) in something a client sent the agent.

The agent must never log or store a full card number (PCI DSS): the box office records a
terminal payment's brand and last four digits only. So a request holding anything shaped
like one is refused before a handler reads it (``api/card_guard.py``). The rule, the
reference platform's (``sync/reference_platform/pan.py``) with one addition:

- a run of 13–19 digits, possibly split by single spaces or dashes as people type them,
  passing Luhn (``domain/luhn.py``, shared with the log redaction), in any string of the
  document (keys included) or as an integer;
- not part of a longer word: a letter, digit or dash right before or after the run makes
  it part of one (UUIDs, hex ticket ids and hashes are full of digit runs);
- added here: not part of a decimal number either — a run right after ``<digit>.`` or
  right before ``.<digit>`` is a fraction or a version (``0.8444218515250481``), which is
  how random numbers and measurements print; a full stop ending a sentence is no digit;
- 13 digits starting with 1 are let through: Unix-millisecond times (2001–2033) have that
  shape, and no issuer's 13-digit numbers start with 1;
- added here: a string that *is* a well-formed GH1 ticket code (``docs/formats/ticket-v1.md``)
  is never refused. Its base45 text may by chance hold a run of digits and spaces that
  passes Luhn (about one code in a million), and a ticket code must always scan.

Pure: values in, a bool out.
"""

from __future__ import annotations

import re
from typing import Any

from edge_agent.domain.errors import CodecError
from edge_agent.domain.luhn import luhn_ok
from edge_agent.domain.ticket_codec import PREFIX, parse_gh1, strip_code

# The leading ``\d`` lets the regex engine skip to digits quickly; the lookbehinds after
# it then refuse a start in the middle of a word or of a decimal number.
_CARDISH = re.compile(r"\d(?<![0-9A-Za-z-]\d)(?<!\d\.\d)(?:[ -]?\d){12,18}(?![0-9A-Za-z-])(?!\.\d)")
_EPOCH_MS = range(1_000_000_000_000, 2_000_000_000_000)
_MIN_PAN = 10**12  # 13 digits
_MAX_PAN = 10**19 - 1
_DIGITS13 = re.compile(r"\d(?:[ -]?\d){12}")


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


def holds_card_number(doc: Any) -> bool:
    """True if the parsed JSON ``doc`` holds a card number in any key or value."""
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
