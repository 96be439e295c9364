"""The trusted clock (issue 17): jumps are held on the monotonic clock, a clock before
the build floor is a lower bound until NTP sets it, and the platform's offset corrects
or confirms it."""

from __future__ import annotations

import time
from pathlib import Path

from edge_agent.timekeeping.trusted_clock import CLOCK_FLOOR_MS, ClockState, TrustedClock
from edge_agent.timekeeping.wall import ShiftedWallClock

HOUR = 3_600_000
NOW = CLOCK_FLOOR_MS + 400 * 24 * HOUR


class Clocks:
    """A wall and a monotonic clock the test moves."""

    def __init__(self, wall: int) -> None:
        self.wall = wall
        self.mono = 1_000

    def tick(self, ms: int) -> None:
        self.wall += ms
        self.mono += ms


def make(wall: int, **kw: int) -> tuple[Clocks, TrustedClock, list[tuple[str, str]]]:
    c = Clocks(wall)
    changes: list[tuple[str, str]] = []
    clock = TrustedClock(
        lambda: c.wall, lambda: c.mono, on_change=lambda s, why: changes.append((s, why)), **kw
    )
    return c, clock, changes


def test_a_good_clock_is_used_as_is_and_flags_nothing() -> None:
    c, clock, changes = make(NOW)
    c.tick(90_000)
    assert clock.read() == (NOW + 90_000, ClockState.OK, NOW + 90_000)
    assert changes == []


def test_a_jump_of_an_hour_either_way_is_held_on_the_monotonic_clock() -> None:
    for jump in (HOUR, -HOUR):
        c, clock, changes = make(NOW)
        c.tick(10_000)
        c.wall += jump  # someone set the clock, or a bad NTP server
        c.tick(5_000)
        reading = clock.read()
        assert reading.ms == NOW + 15_000 and reading.state is ClockState.HELD
        assert reading.wall_ms == NOW + 15_000 + jump
        assert "jumped" in changes[-1][1]
        # the platform measures: the true time is the wall clock minus the jump
        clock.note_platform(-jump, 40)
        assert clock.read() == (NOW + 15_000, ClockState.CORRECTED, NOW + 15_000 + jump)


def test_a_slow_ntp_slew_is_not_a_jump() -> None:
    c, clock, _ = make(NOW)
    c.tick(HOUR)
    c.wall += 1_800  # 0.5 ms/s over an hour
    assert clock.read().state is ClockState.OK


def test_a_clock_in_1970_is_a_lower_bound_until_ntp_sets_it() -> None:
    last_row = NOW - 2 * HOUR  # the ledger's newest time
    c, clock, changes = make(0, known_after_ms=last_row)
    assert clock.read() == (last_row, ClockState.ESTIMATED, 0)
    assert "before this build's floor" in changes[-1][1]
    c.tick(60_000)
    assert clock.read().ms == last_row + 60_000
    c.wall = NOW  # NTP steps the clock to the real time (later than the bound)
    c.tick(1)
    assert clock.read() == (NOW + 1, ClockState.OK, NOW + 1)
    assert changes[-1] == (ClockState.OK, "")


def test_the_platform_corrects_a_clock_that_is_off_and_confirms_one_that_is_not() -> None:
    _, clock, _ = make(NOW)
    clock.note_platform(-HOUR, 30)  # the box runs an hour fast
    assert clock.read().ms == NOW - HOUR and clock.state is ClockState.CORRECTED
    clock.note_platform(900, 30)  # within the tolerance: the wall clock is fine
    assert clock.read() == (NOW, ClockState.OK, NOW)
    clock.note_platform(-HOUR, 60_000)  # a minute's round trip says too little
    assert clock.state is ClockState.OK


def test_the_test_clock_shifts_the_wall_clock_by_its_file(tmp_path: Path) -> None:
    offset = tmp_path / "offset"
    offset.write_text(str(-HOUR))
    wall = ShiftedWallClock(offset)
    assert abs(wall() - (time.time_ns() // 1_000_000 - HOUR)) < 1_000
