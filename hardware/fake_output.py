"""A gate output that only remembers what it was told, for tests and the demo.

It has exactly the :class:`hardware.signals.GateOutput` shape, so lane tests exercise the
real lane code and assert on *which* signals reached the gate and when, without GPIO.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import NamedTuple

from hardware.health import DeviceHealth
from hardware.signals import Signal


@dataclass(frozen=True)
class FakeOutputOptions:
    """``type = "fake"`` takes no keys of its own."""


class SignalRecord(NamedTuple):
    """One signal the fake received."""

    signal: Signal
    at_ms: int
    """Wall clock ms (what a human reads in a log)."""
    at_ns: int
    """``time.monotonic_ns()`` (what a test orders and spaces by)."""


class FakeOutput:
    """Records every signal with timestamps; ``release()`` and ``close()`` are counted."""

    def __init__(self, device_id: str, options: FakeOutputOptions | None = None) -> None:
        self.id = device_id
        self.options = options or FakeOutputOptions()
        self.health = DeviceHealth(id=device_id, kind="lights", type="fake", connected=True)
        self.records: list[SignalRecord] = []
        self.releases = 0
        self.closed = False
        self._changed = asyncio.Condition()

    @property
    def signals(self) -> list[Signal]:
        """Just the signals, in order received."""
        return [r.signal for r in self.records]

    async def signal(self, signal: Signal) -> None:
        """Record ``signal`` and wake anyone in :meth:`wait_for`."""
        now_ms = time.time_ns() // 1_000_000
        self.records.append(SignalRecord(Signal(signal), now_ms, time.monotonic_ns()))
        self.health.ok(now_ms)
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, count: int) -> list[Signal]:
        """Wait until at least ``count`` signals arrived (wrap in ``asyncio.timeout``)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.records) >= count)
        return self.signals

    def release(self) -> None:
        """Count the fail-safe call (nothing physical to switch off)."""
        self.releases += 1

    async def close(self) -> None:
        """Release and mark closed; idempotent."""
        self.release()
        self.closed = True
