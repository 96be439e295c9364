"""Time-ordered unique ids generated on the agent (UUIDv7 layout, RFC 9562).

Ids made at the edge make uploads idempotent: the platform stores each id once, however
often a batch is re-sent.
"""

from __future__ import annotations

import os
import random

#: Scan ids must be unique, not secret (they are uploaded and printed in evidence), so a
#: PRNG seeded once from the OS saves a getrandom() syscall on every scan.
_rng = random.Random(os.urandom(32))


def uuid7(now_ms: int) -> str:
    """A UUIDv7 string: 48-bit Unix milliseconds, version 7, 12 random bits, the RFC
    variant, 62 random bits. Built from bytes because it is on every scan's hot path
    (several times faster than going through ``uuid.UUID``); a unit test checks that the
    result parses as a valid version-7 UUID carrying ``now_ms``."""
    r = _rng.randbytes(10)
    head = (now_ms & 0xFFFF_FFFF_FFFF).to_bytes(6, "big")
    raw = head + bytes((0x70 | (r[0] & 0x0F), r[1], 0x80 | (r[2] & 0x3F))) + r[3:]
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
