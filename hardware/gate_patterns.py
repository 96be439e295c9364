"""What each gate signal looks like on the lamps, buzzer and relay, as plain data.

A pattern is a sorted tuple of :class:`Step` (``at_ms`` after the start, which part, on or
off), computed from the configured timings without touching any pin. Keeping it as data
means the rules a venue cares about — *the relay only ever closes on ADMIT, and only for
``relay_pulse_ms``* — are visible in one function and checked by tests without GPIO, and
the GPIO driver stays a dumb player of steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from hardware.signals import Signal


class Part(StrEnum):
    """One switchable thing on the gate."""

    GREEN = "green"
    RED = "red"
    AMBER = "amber"
    BUZZER = "buzzer"
    RELAY = "relay"


class Step(NamedTuple):
    """Switch ``part`` ``on`` (or off) ``at_ms`` after the pattern started."""

    at_ms: int
    part: Part
    on: bool


@dataclass(frozen=True)
class PatternTimings:
    """Durations in ms; the defaults are what a person at a turnstile reads comfortably."""

    admit_ms: int = 1000
    """How long green stays on."""
    refuse_ms: int = 1500
    """How long red stays on."""
    attention_ms: int = 1500
    """How long the attention lamp blinks."""
    blink_ms: int = 250
    """Attention lamp on-time and off-time."""
    short_beep_ms: int = 100
    long_beep_ms: int = 700
    beep_gap_ms: int = 120
    """Silence between the two attention beeps."""
    relay_pulse_ms: int = 500
    """How long the turnstile relay is closed on ADMIT (one person through)."""


def pattern(signal: Signal, t: PatternTimings, *, has_amber: bool) -> tuple[Step, ...]:
    """The steps for ``signal``; every part switched on is switched off again by the end.

    ADMIT: green steady, one short beep, relay pulse. CHECK (an admit with a flag: ID,
    18+, …): green steady with amber blinking beside it (green alone if the gate has no
    amber lamp), three short beeps, relay pulse — the verdict is an admission, recorded
    as one. REFUSE: red steady, one long beep. ATTENTION: amber (red if the gate has no
    amber lamp) blinking, two short beeps. The relay appears in ADMIT and CHECK only.
    """
    steps: list[Step] = []
    if signal is Signal.ADMIT:
        steps += _hold(Part.GREEN, 0, t.admit_ms)
        steps += _hold(Part.BUZZER, 0, t.short_beep_ms)
        steps += _hold(Part.RELAY, 0, t.relay_pulse_ms)
    elif signal is Signal.CHECK:
        steps += _hold(Part.GREEN, 0, t.attention_ms)
        if has_amber:
            for start in range(0, t.attention_ms, 2 * t.blink_ms):
                steps += _hold(Part.AMBER, start, min(t.blink_ms, t.attention_ms - start))
        for n in range(3):
            steps += _hold(Part.BUZZER, n * (t.short_beep_ms + t.beep_gap_ms), t.short_beep_ms)
        steps += _hold(Part.RELAY, 0, t.relay_pulse_ms)
    elif signal is Signal.REFUSE:
        steps += _hold(Part.RED, 0, t.refuse_ms)
        steps += _hold(Part.BUZZER, 0, t.long_beep_ms)
    else:
        lamp = Part.AMBER if has_amber else Part.RED
        for start in range(0, t.attention_ms, 2 * t.blink_ms):
            steps += _hold(lamp, start, min(t.blink_ms, t.attention_ms - start))
        steps += _hold(Part.BUZZER, 0, t.short_beep_ms)
        steps += _hold(Part.BUZZER, t.short_beep_ms + t.beep_gap_ms, t.short_beep_ms)
    # Offs before ons at the same instant, so back-to-back holds never overlap.
    return tuple(sorted(steps, key=lambda s: (s.at_ms, s.on)))


def _hold(part: Part, start_ms: int, duration_ms: int) -> list[Step]:
    return [Step(start_ms, part, True), Step(start_ms + duration_ms, part, False)]
