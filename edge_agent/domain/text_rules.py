"""What counts as text a human or the ledger can carry.

Control characters (Unicode Cc: C0, DEL, C1) and lone surrogates (which JSON can encode
but UTF-8 cannot) never belong in a plain code, a lane, a device or ticket name: a
control character is a misread or an injection attempt, and a lone surrogate cannot be
stored or hashed into the chain.
"""

from __future__ import annotations

import re

_NOT_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_non_text(value: str) -> bool:
    """True if ``value`` holds a control character or a lone surrogate."""
    return _NOT_TEXT.search(value) is not None
