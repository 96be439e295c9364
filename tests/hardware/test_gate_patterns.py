"""The pure pattern table: the safety rules hold for any timings (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hardware.gate_patterns import Part, PatternTimings, Step, pattern
from hardware.signals import Signal

ms = st.integers(min_value=1, max_value=5000)
timings = st.builds(
    PatternTimings,
    admit_ms=ms,
    refuse_ms=ms,
    attention_ms=ms,
    blink_ms=ms,
    short_beep_ms=ms,
    long_beep_ms=ms,
    beep_gap_ms=ms,
    relay_pulse_ms=ms,
)


def on_spans(steps: tuple[Step, ...], part: Part) -> list[tuple[int, int]]:
    spans, start = [], None
    for s in steps:
        if s.part is not part:
            continue
        if s.on:
            assert start is None, f"{part} switched on twice"
            start = s.at_ms
        else:
            assert start is not None, f"{part} switched off while off"
            spans.append((start, s.at_ms))
            start = None
    assert start is None, f"{part} left on"
    return spans


@given(timings, st.sampled_from(list(Signal)), st.booleans())
def test_every_part_switched_on_is_switched_off_and_time_moves_forward(
    t: PatternTimings, signal: Signal, has_amber: bool
) -> None:
    steps = pattern(signal, t, has_amber=has_amber)
    assert [s.at_ms for s in steps] == sorted(s.at_ms for s in steps)
    for part in Part:
        on_spans(steps, part)


@given(timings, st.booleans())
def test_relay_closes_only_on_admit_for_exactly_the_pulse(t: PatternTimings, amber: bool) -> None:
    for admit in (Signal.ADMIT, Signal.CHECK):  # a flagged admit is an admission too
        assert on_spans(pattern(admit, t, has_amber=amber), Part.RELAY) == [(0, t.relay_pulse_ms)]
    for signal in (Signal.REFUSE, Signal.ATTENTION):
        assert not [s for s in pattern(signal, t, has_amber=amber) if s.part is Part.RELAY]


def test_default_patterns_are_distinct_to_eye_and_ear() -> None:
    t = PatternTimings()
    admit = pattern(Signal.ADMIT, t, has_amber=True)
    refuse = pattern(Signal.REFUSE, t, has_amber=True)
    attention = pattern(Signal.ATTENTION, t, has_amber=True)
    assert on_spans(admit, Part.GREEN) == [(0, 1000)]
    assert on_spans(admit, Part.BUZZER) == [(0, 100)]
    assert on_spans(refuse, Part.RED) == [(0, 1500)]
    assert on_spans(refuse, Part.BUZZER) == [(0, 700)]
    assert len(on_spans(attention, Part.AMBER)) == 3
    assert on_spans(attention, Part.BUZZER) == [(0, 100), (220, 320)]
    assert not on_spans(attention, Part.RED)
    no_amber = pattern(Signal.ATTENTION, t, has_amber=False)
    assert len(on_spans(no_amber, Part.RED)) == 3


def test_a_flagged_admit_looks_and_sounds_like_neither_admit_nor_attention() -> None:
    t = PatternTimings()
    check = pattern(Signal.CHECK, t, has_amber=True)
    assert on_spans(check, Part.GREEN) == [(0, 1500)]
    assert len(on_spans(check, Part.AMBER)) == 3  # amber blinks beside the green
    assert on_spans(check, Part.BUZZER) == [(0, 100), (220, 320), (440, 540)]
    assert not on_spans(check, Part.RED)
    patterns = {s: pattern(s, t, has_amber=True) for s in Signal}
    assert len(set(patterns.values())) == len(Signal)
