"""Time-ordered unique ids generated on the agent (UUIDv7 layout, RFC 9562).

Ids made at the edge make uploads idempotent: the platform stores each id once, however
often a batch is re-sent.
"""

from __future__ import annotations

import os
import uuid


def uuid7(now_ms: int) -> str:
    """A UUIDv7 string: 48-bit Unix milliseconds, then 74 random bits."""
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)
    value = (
        ((now_ms & 0xFFFF_FFFF_FFFF) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    )
    return str(uuid.UUID(int=value))
