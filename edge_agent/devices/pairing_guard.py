"""How many wrong pairing codes the agent takes, from one address and from everyone.

Why two limits: a limit per client address alone is multiplied by the number of
addresses a guesser holds (400 addresses at 5 a minute were 3,200 guesses a second), and
it locks out a real device that shares its address with the guesser (a NAT, a guest
Wi-Fi). So besides ``per_address`` wrong codes a minute, the agent takes at most
``total`` wrong codes a minute from all addresses together; the one that reaches it
**locks pairing** for everyone for ``lockout_ms`` — or until a supervisor lifts it (the
TUI's Devices screen, ``POST /api/v1/pairing/lockout/lift``, ``edge-agent pair
--unlock``), which also forgives every address. The arithmetic is in ``docs/api.md``.

Pure: times come in as wall milliseconds, nothing here logs or stores a code.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

WINDOW_MS = 60_000


class PairingRefusal(StrEnum):
    """Why a pairing attempt is refused before its code is even looked at."""

    #: Too many wrong codes from everyone: pairing is locked (``pairing_locked``).
    LOCKED = "pairing_locked"
    #: Too many wrong codes from this address this minute (``too_many_attempts``).
    ADDRESS = "too_many_attempts"


@dataclass(frozen=True, slots=True)
class BlockedAddress:
    address: str
    failures: int
    #: When the oldest failure of the window leaves it (the address may try again).
    until_ms: int


@dataclass(frozen=True, slots=True)
class LockoutView:
    """What a supervisor sees: is pairing locked, since and until when, who is blocked."""

    locked: bool
    locked_at_ms: int | None
    locked_until_ms: int | None
    failures_last_minute: int
    lockouts: int
    blocked: tuple[BlockedAddress, ...]


class PairingGuard:
    """Counts wrong codes per address and in total over a sliding minute."""

    def __init__(
        self, per_address: int, total: int, lockout_ms: int, *, max_addresses: int = 10_000
    ) -> None:
        self._per_address = per_address
        self._total = total
        self._lockout_ms = lockout_ms
        self._max_addresses = max_addresses
        self._by_address: dict[str, deque[int]] = {}
        self._all: deque[int] = deque()
        self._locked_at: int | None = None
        self._locked_until: int | None = None
        #: Lockouts since start (status shows it; a restart forgets, as it forgets all).
        self.lockouts = 0

    def refusal(self, address: str, now_ms: int) -> PairingRefusal | None:
        """Why an attempt from ``address`` is refused now, or None to try its code."""
        if self._locked_until is not None:
            if now_ms < self._locked_until:
                return PairingRefusal.LOCKED
            self._locked_at = self._locked_until = None
        q = self._by_address.get(address)
        if q is not None and len(_trim(q, now_ms)) >= self._per_address:
            return PairingRefusal.ADDRESS
        return None

    def fail(self, address: str, now_ms: int) -> bool:
        """Count one wrong code; True when it is the one that locks pairing."""
        if address not in self._by_address and len(self._by_address) >= self._max_addresses:
            self._by_address.pop(next(iter(self._by_address)))  # the longest-quiet address
        self._by_address.setdefault(address, deque()).append(now_ms)
        self._all.append(now_ms)
        if len(_trim(self._all, now_ms)) >= self._total and self._locked_until is None:
            self._locked_at = now_ms
            self._locked_until = now_ms + self._lockout_ms
            self.lockouts += 1
            return True
        return False

    def lift(self) -> None:
        """A supervisor's word: pairing is open again and every address is forgiven."""
        self._locked_at = self._locked_until = None
        self._by_address.clear()
        self._all.clear()

    def view(self, now_ms: int) -> LockoutView:
        self.refusal("", now_ms)  # lets an expired lockout end
        blocked = []
        for address, q in list(self._by_address.items()):
            if not _trim(q, now_ms):
                del self._by_address[address]
            elif len(q) >= self._per_address:
                blocked.append(BlockedAddress(address, len(q), q[0] + WINDOW_MS))
        return LockoutView(
            locked=self._locked_until is not None,
            locked_at_ms=self._locked_at,
            locked_until_ms=self._locked_until,
            failures_last_minute=len(_trim(self._all, now_ms)),
            lockouts=self.lockouts,
            blocked=tuple(blocked),
        )


def _trim(q: deque[int], now_ms: int) -> deque[int]:
    while q and q[0] <= now_ms - WINDOW_MS:
        q.popleft()
    return q
