"""One-time pairing codes and the limiter that keeps them from being guessed.

A code is 8 characters of a 31-letter alphabet (~40 bits), valid for minutes, usable
once, and each client address gets a handful of wrong guesses a minute.
"""

from __future__ import annotations

import hmac
from collections import deque
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


class AttemptLimiter:
    """At most ``limit`` failed attempts per key within a sliding window."""

    def __init__(self, limit: int, window_ms: int = 60_000, max_keys: int = 10_000) -> None:
        self._limit = limit
        self._window_ms = window_ms
        self._max_keys = max_keys
        self._failures: dict[str, deque[int]] = {}

    def blocked(self, key: str, now_ms: int) -> bool:
        q = self._failures.get(key)
        if q is None:
            return False
        while q and q[0] <= now_ms - self._window_ms:
            q.popleft()
        return len(q) >= self._limit

    def fail(self, key: str, now_ms: int) -> None:
        if key not in self._failures and len(self._failures) >= self._max_keys:
            self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(key, deque()).append(now_ms)
