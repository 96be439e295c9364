"""The few things a lane tells its gate hardware, and the shape every output has.

A lane only ever says *admit*, *admit after a check*, *refuse* or *needs attention*; how
that looks (which lamp, how many beeps, whether the turnstile opens) is the output
backend's business and its config's. Keeping the vocabulary this small lets the fake,
the console and the GPIO outputs be swapped by a ``type`` key without the lane noticing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from hardware.health import DeviceHealth


class Signal(StrEnum):
    """What the gate should show; stable values (they appear in logs and fake records)."""

    ADMIT = "admit"
    """Green + short beep + relay pulse."""
    REFUSE = "refuse"
    """Red + long beep; the relay never closes."""
    ATTENTION = "attention"
    """E.g. already admitted / not recorded: amber or red blink + a distinct beep."""
    CHECK = "check"
    """Admitted, but staff must check first (ID, 18+, accessibility, a note, a zone over
    capacity): green with amber blinking, three short beeps, relay pulse."""


class GateOutput(Protocol):
    """A device that shows gate decisions (lights, buzzer, turnstile relay, or a fake)."""

    id: str
    health: DeviceHealth

    async def signal(self, signal: Signal) -> None:
        """Start the pattern and return at once (a new signal cancels the running pattern)."""
        ...

    def release(self) -> None:
        """Fail-safe, synchronous, idempotent: relay open/off, lights off, buzzer off."""
        ...

    async def close(self) -> None:
        """Stop any pattern, release, and free the device; idempotent."""
        ...
