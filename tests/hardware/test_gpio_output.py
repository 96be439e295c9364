"""GPIO gate output against gpiozero's MockFactory: the real gpiozero device code runs and
we read back every pin change (``MockPin.states``) to check what a turnstile would see."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from gpiozero import Device, DigitalOutputDevice
from gpiozero.exc import PinFactoryFallback
from gpiozero.pins.mock import MockFactory, MockPin

from hardware.errors import HardwareConfigError, OutputError
from hardware.gate_patterns import Part
from hardware.gpio_output import GpioOutput, GpioOutputOptions
from hardware.signals import Signal

pytestmark = pytest.mark.integration

GREEN, RED, AMBER, BUZZER, RELAY = 17, 27, 22, 23, 24

FAST = GpioOutputOptions(
    pin_factory="mock",
    green_pin=GREEN,
    red_pin=RED,
    amber_pin=AMBER,
    buzzer_pin=BUZZER,
    relay_pin=RELAY,
    admit_ms=60,
    refuse_ms=80,
    attention_ms=90,
    blink_ms=15,
    short_beep_ms=10,
    long_beep_ms=40,
    beep_gap_ms=10,
    relay_pulse_ms=30,
)


def history(pin: MockPin) -> list[tuple[float, bool]]:
    """(seconds since the first recorded state, state) for every change of ``pin``."""
    t = 0.0
    out = []
    for i, st in enumerate(pin.states):
        if i:
            t += st.timestamp
        out.append((t, bool(st.state)))
    return out


def levels(pin: MockPin) -> list[bool]:
    return [s for _, s in history(pin)]


def high_spans(pin: MockPin) -> list[float]:
    """Durations (s) of every high period that has ended."""
    spans, start = [], None
    for t, s in history(pin):
        if s and start is None:
            start = t
        elif not s and start is not None:
            spans.append(t - start)
            start = None
    return spans


@pytest.fixture
async def gate() -> AsyncIterator[tuple[GpioOutput, MockFactory]]:
    factory = MockFactory()
    out = GpioOutput("lights-1", FAST, pin_factory=factory)
    for pin in (GREEN, RED, AMBER, BUZZER, RELAY):
        factory.pin(pin).clear_states()
    yield out, factory
    await out.close()


async def test_admit_pulses_relay_lights_green_and_beeps_once(
    gate: tuple[GpioOutput, MockFactory],
) -> None:
    out, f = gate
    await out.signal(Signal.ADMIT)
    assert f.pin(RELAY).state and f.pin(GREEN).state  # on as soon as signal() returns
    await out.wait_idle()
    assert levels(f.pin(RELAY)) == [False, True, False]
    assert levels(f.pin(GREEN)) == [False, True, False]
    assert levels(f.pin(BUZZER)) == [False, True, False]
    assert levels(f.pin(RED)) == [False] and levels(f.pin(AMBER)) == [False]
    (pulse,) = high_spans(f.pin(RELAY))
    (green,) = high_spans(f.pin(GREEN))
    assert pulse >= 0.030 - 0.002  # never shorter than configured
    assert green >= 0.060 - 0.002
    assert high_spans(f.pin(BUZZER))[0] < green  # a short beep, not the whole pattern
    assert out.health.reads == 1 and out.health.connected and out.health.errors == 0


async def test_refuse_never_touches_the_relay(gate: tuple[GpioOutput, MockFactory]) -> None:
    out, f = gate
    await out.signal(Signal.REFUSE)
    await out.wait_idle()
    assert levels(f.pin(RELAY)) == [False]
    assert levels(f.pin(RED)) == [False, True, False]
    assert levels(f.pin(GREEN)) == [False]
    (beep,) = high_spans(f.pin(BUZZER))
    assert beep >= 0.040 - 0.002  # the long beep


async def test_attention_blinks_amber_with_two_beeps_and_no_relay(
    gate: tuple[GpioOutput, MockFactory],
) -> None:
    out, f = gate
    await out.signal(Signal.ATTENTION)
    await out.wait_idle()
    assert levels(f.pin(RELAY)) == [False]
    assert len(high_spans(f.pin(AMBER))) == 3  # 90 ms at 15 on / 15 off
    assert len(high_spans(f.pin(BUZZER))) == 2
    assert levels(f.pin(GREEN)) == [False] and levels(f.pin(RED)) == [False]


async def test_attention_uses_red_when_no_amber_lamp_is_wired() -> None:
    f = MockFactory()
    out = GpioOutput("g", replace(FAST, amber_pin=None), pin_factory=f)
    try:
        await out.signal(Signal.ATTENTION)
        await out.wait_idle()
        assert len(high_spans(f.pin(RED))) == 3
        assert levels(f.pin(RELAY)) == [False]
    finally:
        await out.close()


async def test_new_signal_cancels_admit_and_relay_opens_at_once() -> None:
    slow = GpioOutput(
        "slow", replace(FAST, admit_ms=5000, relay_pulse_ms=5000), pin_factory=MockFactory()
    )
    try:
        sf = slow.pin_factory
        await slow.signal(Signal.ADMIT)
        await asyncio.sleep(0.02)
        assert sf.pin(RELAY).state
        await slow.signal(Signal.REFUSE)
        # The admit pattern is gone before refuse starts: relay open, green off, red on.
        assert not sf.pin(RELAY).state
        assert not sf.pin(GREEN).state
        assert sf.pin(RED).state
        await slow.wait_idle()
        assert levels(sf.pin(RELAY))[-1] is False
        assert levels(sf.pin(RELAY)).count(True) == 1
    finally:
        await slow.close()


async def test_close_mid_pattern_releases_everything() -> None:
    f = MockFactory()
    out = GpioOutput("g", replace(FAST, admit_ms=5000, relay_pulse_ms=5000), pin_factory=f)
    await out.signal(Signal.ADMIT)
    await asyncio.sleep(0.01)
    assert f.pin(RELAY).state
    await out.close()
    for pin in (GREEN, RED, AMBER, BUZZER, RELAY):
        assert not f.pin(pin).state
    assert not out.health.connected
    await out.close()  # idempotent
    await out.signal(Signal.ADMIT)  # a late verdict after close is ignored, not raised
    assert not f.pin(RELAY).state and out.health.reads == 1


class OnceBrokenPin(MockPin):
    """A pin whose driver fails the first time it is switched off (a flaky GPIO line)."""

    broken = False  # armed by the test once the device is built

    def _set_state(self, value: Any) -> None:
        if not value and self.broken:
            self.broken = False
            raise OSError("GPIO write failed")
        super()._set_state(value)


async def test_crash_mid_pattern_leaves_relay_open_and_is_recorded() -> None:
    f = MockFactory()
    out = GpioOutput("g", FAST, pin_factory=f)
    # Swap in a breaking buzzer pin *after* construction (construction drives it off).
    out._devices[Part.BUZZER].close()
    f.pins.pop(next(i for i, p in f.pins.items() if p is f.pin(BUZZER)))
    f.pin(BUZZER, pin_class=OnceBrokenPin)
    out._devices[Part.BUZZER] = DigitalOutputDevice(BUZZER, pin_factory=f)
    f.pin(BUZZER).broken = True
    try:
        await out.signal(Signal.ADMIT)
        await out.wait_idle()
        # The beep's "off" step raised mid-pattern while the relay was closed.
        assert not f.pin(RELAY).state
        assert levels(f.pin(RELAY)) == [False, True, False]
        assert not f.pin(GREEN).state
        assert out.health.errors >= 1
        assert "GPIO write failed" in (out.health.last_error or "")
        # The gate still works afterwards.
        await out.signal(Signal.ADMIT)
        await out.wait_idle()
        assert levels(f.pin(RELAY)).count(True) == 2 and not f.pin(RELAY).state
    finally:
        await out.close()


async def test_active_low_relay_is_released_high_and_pulses_low() -> None:
    f = MockFactory()
    out = GpioOutput("g", replace(FAST, relay_active_high=False), pin_factory=f)
    try:
        assert f.pin(RELAY).state  # released at construction = high for an active-low board
        f.pin(RELAY).clear_states()
        await out.signal(Signal.ADMIT)
        await out.wait_idle()
        assert levels(f.pin(RELAY)) == [True, False, True]
        await out.signal(Signal.REFUSE)
        await out.wait_idle()
        assert levels(f.pin(RELAY)) == [True, False, True]
    finally:
        await out.close()


def test_process_exit_releases_the_relay_mid_pulse() -> None:
    """A real interpreter exits (sys.exit) during a long pulse; the atexit hook releases.

    A hook registered before the output runs after the output's own hook (atexit is
    LIFO), so it reports the relay level as the process leaves."""
    script = textwrap.dedent(
        """
        import asyncio, atexit, sys
        from gpiozero.pins.mock import MockFactory
        from hardware.gpio_output import GpioOutput, GpioOutputOptions
        from hardware.signals import Signal
        f = MockFactory()
        atexit.register(lambda: print("relay at exit:", f.pin(24).state, flush=True))
        out = GpioOutput("g", GpioOutputOptions(pin_factory="mock", relay_pin=24,
                         green_pin=17, admit_ms=60000, relay_pulse_ms=10000), pin_factory=f)
        async def main():
            await out.signal(Signal.ADMIT)
            await asyncio.sleep(0.01)
            print("relay during pulse:", f.pin(24).state, flush=True)
            sys.exit(3)
        asyncio.run(main())
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert "relay during pulse: True" in proc.stdout, proc.stderr
    assert "relay at exit: False" in proc.stdout, proc.stderr


def test_default_factory_off_a_pi_is_a_clear_output_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.setattr(Device, "pin_factory", None)
    with (
        pytest.warns(PinFactoryFallback),
        pytest.raises(OutputError, match=r"cannot claim GPIO pins.*pin_factory = \"mock\""),
    ):
        GpioOutput("lights-9", replace(FAST, pin_factory="default"))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"red_pin": GREEN}, "red_pin"),
        ({"relay_pin": 40}, "relay_pin"),
        ({"relay_pulse_ms": 20_000}, "relay_pulse_ms"),
        ({"blink_ms": 0}, "blink_ms"),
    ],
)
def test_unsafe_options_are_refused_naming_the_key(change: dict[str, Any], key: str) -> None:
    with pytest.raises(HardwareConfigError) as err:
        replace(FAST, **change).validate("lights-1")
    assert err.value.key == key
    assert str(err.value).startswith(f"lights-1: {key}: ")
