"""One-time pairing codes: issued on the box, redeemed once by a device.

A code is 8 characters of a 31-letter alphabet (~40 bits), valid for minutes and usable
once; ``pairing_guard`` limits the wrong guesses (per address and in total).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from edge_agent.devices.roles import Role
from edge_agent.devices.tokens import new_pairing_code, normalise_pairing_code


@dataclass(frozen=True, slots=True)
class PendingPairing:
    code: str
    role: Role
    name: str
    expires_ms: int


class PairingCodes:
    def __init__(self, ttl_ms: int) -> None:
        self._ttl_ms = ttl_ms
        self._pending: dict[str, PendingPairing] = {}

    def issue(self, role: Role, name: str, now_ms: int) -> PendingPairing:
        self._expire(now_ms)
        code = new_pairing_code()
        while code in self._pending:
            code = new_pairing_code()
        pending = PendingPairing(code, role, name, now_ms + self._ttl_ms)
        self._pending[code] = pending
        return pending

    def redeem(self, text: str, now_ms: int) -> PendingPairing | None:
        """Consume a code; ``None`` if unknown or expired (the caller can't tell which)."""
        self._expire(now_ms)
        wanted = normalise_pairing_code(text)
        for code, pending in list(self._pending.items()):
            if hmac.compare_digest(code.encode(), wanted.encode()):
                del self._pending[code]
                return pending
        return None

    def _expire(self, now_ms: int) -> None:
        for code in [c for c, p in self._pending.items() if p.expires_ms < now_ms]:
            del self._pending[code]
