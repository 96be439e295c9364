"""The time the gate judges with, and whether the wall clock can be trusted for it.

Why: ticket windows (``not_yet_valid``/``expired``) and door-sale leases (whose expiry
is platform time) are judged against "now". A wall clock that jumps an hour, or a
Raspberry Pi without a real-time clock that boots in 1970 before NTP, would expire
good tickets, admit expired ones or sell on a lease the platform already took back.

The agent "knows" its wall clock is wrong in three ways, and says which in every scan
row it records while it does (the ``clock`` extension, ``docs/ledger.md``):

- ``estimated``: the wall clock is before ``CLOCK_FLOOR_MS`` (this build cannot run
  before that date). The time used is a lower bound — the floor or the newest time
  the ledger has seen, whichever is later — carried forward on the monotonic clock.
  Door sales stop (a lower bound cannot prove a lease has not expired).
- ``held``: the wall clock jumped against the monotonic clock (by more than
  ``JUMP_MS``, plus a slew allowance). The time keeps following the monotonic clock
  from before the jump, until the platform measures the offset again. A forward jump
  out of ``estimated`` to at least the estimate is NTP setting the clock: accepted.
- ``corrected``: the platform measured the wall clock off by more than
  ``TOLERANCE_MS``; the time used is wall + that offset.

Otherwise (``ok``) the time is the wall clock and rows carry no flag. The time used is
what ``at_ms`` records; the extension keeps the wall clock's reading beside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import NamedTuple

#: 2026-01-01T00:00:00Z. No box runs this build earlier: a wall clock before it is unset.
CLOCK_FLOOR_MS = 1_767_225_600_000
#: Wall clock vs platform: a difference up to this is normal (NTP keeps far better).
TOLERANCE_MS = 2_000
#: Wall vs monotonic: a step larger than this between two readings is a jump.
JUMP_MS = 2_000
#: Plus this per second between readings (chrony slews at most 500 ppm).
SLEW_PER_S_MS = 1
#: A platform sample with a round trip above this says too little to correct by.
MAX_RTT_MS = 4_000


class ClockState(StrEnum):
    OK = "ok"
    CORRECTED = "corrected"
    HELD = "held"
    ESTIMATED = "estimated"


class Reading(NamedTuple):
    ms: int
    state: ClockState
    wall_ms: int


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class TrustedClock:
    """``read()`` once per decision; ``note_platform`` with every fresh offset sample."""

    def __init__(
        self,
        wall_ms: Callable[[], int],
        mono_ms: Callable[[], int] = monotonic_ms,
        *,
        known_after_ms: int = 0,
        floor_ms: int = CLOCK_FLOOR_MS,
        on_change: Callable[[ClockState, str], None] | None = None,
    ) -> None:
        self._wall = wall_ms
        self._mono = mono_ms
        self._floor = floor_ms
        self._on_change = on_change
        self._last_wall = wall_ms()
        self._last_mono = mono_ms()
        self._delta = 0
        self.state = ClockState.OK
        self.why = ""
        if self._last_wall < floor_ms:
            lower = max(floor_ms, known_after_ms)
            self._set(
                ClockState.ESTIMATED,
                lower - self._last_wall,
                f"the wall clock reads {_utc(self._last_wall)}, before this build's floor "
                f"{_utc(floor_ms)} (not set yet: no RTC, no NTP); times are a lower bound "
                "from the ledger; door sales wait until the time is known",
            )

    def wall_ms(self) -> int:
        """The wall clock as read (what the platform link sends and measures)."""
        return self._wall()

    @property
    def offset_ms(self) -> int:
        """What is added to the wall clock's reading (0 when it is trusted)."""
        return self._delta

    def ms(self) -> int:
        return self.read().ms

    def read(self) -> Reading:
        wall, mono = self._wall(), self._mono()
        elapsed = mono - self._last_mono
        jump = (wall - self._last_wall) - elapsed
        self._last_wall, self._last_mono = wall, mono
        if abs(jump) > JUMP_MS + SLEW_PER_S_MS * (elapsed // 1000):
            self._jumped(jump, wall)
        return Reading(wall + self._delta, self.state, wall)

    def _jumped(self, jump: int, wall: int) -> None:
        estimate = wall - jump + self._delta  # where the time would be without the jump
        if self.state is ClockState.ESTIMATED and wall >= max(self._floor, estimate - TOLERANCE_MS):
            self._set(ClockState.OK, 0, "")  # NTP set the clock: later than any bound
            return
        if self.state is ClockState.ESTIMATED:
            self._delta -= jump  # still unset: keep the bound
            return
        self._set(
            ClockState.HELD,
            self._delta - jump,
            f"the wall clock jumped {jump / 1000:+.0f} s at {_utc(wall)} (wall clock); "
            "the agent keeps the time from before the jump until the platform confirms it",
        )

    def note_platform(self, offset_ms: int, rtt_ms: int) -> None:
        """A fresh measurement: platform time − wall clock, with its round trip."""
        if rtt_ms > MAX_RTT_MS:
            return
        self.read()  # a jump since the last reading is not taken for a new one
        if abs(offset_ms) <= TOLERANCE_MS:
            self._set(ClockState.OK, 0, "")
        else:
            self._set(
                ClockState.CORRECTED,
                offset_ms,
                f"the wall clock is {-offset_ms / 1000:+.1f} s off the platform's "
                f"(±{rtt_ms // 2} ms); the agent corrects its times by the measured offset",
            )

    def _set(self, state: ClockState, delta: int, why: str) -> None:
        changed = (state, why) != (self.state, self.why)
        self.state, self._delta, self.why = state, delta, why
        if changed and self._on_change is not None:
            self._on_change(state, why)


def _utc(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ms / 1000))
