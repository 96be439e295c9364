"""The Luhn check digit rule, the test every payment card number (PAN) passes.

Shared by the log redaction (a card number never reaches a log line) and every place
that refuses a body holding a card number (the reference platform now, the box office
later): one rule, so what one side calls a card number the other does too.
"""

from __future__ import annotations


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` (ASCII 0-9 only) passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
