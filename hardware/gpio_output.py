"""Gate lamps, buzzer and turnstile relay on a Raspberry Pi's GPIO header (gpiozero).

Why it is built this way:

* Patterns are played from asyncio (:mod:`hardware.gate_patterns` gives the steps), not
  with gpiozero's background blink threads, so a new signal can cancel the running one
  and *we* decide what state the pins are left in.
* Fail-safe first: the relay is created released, and :meth:`GpioOutput.release` (relay
  first, then buzzer, then lamps, each independently) runs when a pattern ends, is
  cancelled or raises, on :meth:`GpioOutput.close`, and at process exit (``atexit``).
  A crashed pattern can therefore never leave a turnstile unlocked.
* The pin factory is an option: ``"default"`` lets gpiozero pick lgpio/RPi.GPIO on a Pi;
  ``"mock"`` uses gpiozero's ``MockFactory`` so tests and the demo run anywhere and can
  read back every pin change.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import time
from dataclasses import dataclass, fields
from typing import Any, Literal

from hardware.errors import HardwareConfigError, OutputError
from hardware.gate_patterns import Part, PatternTimings, Step, pattern
from hardware.health import DeviceHealth
from hardware.signals import Signal

log = logging.getLogger(__name__)

# Longest relay pulse accepted from config: a typo must not hold a turnstile open.
MAX_RELAY_PULSE_MS = 10_000
MAX_PATTERN_MS = 60_000


@dataclass(frozen=True)
class GpioOutputOptions:
    """Keys of a ``type = "gpio"`` output. Pins are BCM numbers; omit a pin to not use it."""

    pin_factory: Literal["default", "mock"] = "default"
    green_pin: int | None = None
    red_pin: int | None = None
    amber_pin: int | None = None
    buzzer_pin: int | None = None
    relay_pin: int | None = None
    lights_active_high: bool = True
    buzzer_active_high: bool = True
    relay_active_high: bool = True
    # The pattern durations (hardware.gate_patterns.PatternTimings), flat config keys.
    admit_ms: int = PatternTimings.admit_ms
    refuse_ms: int = PatternTimings.refuse_ms
    attention_ms: int = PatternTimings.attention_ms
    blink_ms: int = PatternTimings.blink_ms
    short_beep_ms: int = PatternTimings.short_beep_ms
    long_beep_ms: int = PatternTimings.long_beep_ms
    beep_gap_ms: int = PatternTimings.beep_gap_ms
    relay_pulse_ms: int = PatternTimings.relay_pulse_ms

    def timings(self) -> PatternTimings:
        """The pattern durations as the pure pattern module wants them."""
        return PatternTimings(**{f.name: getattr(self, f.name) for f in fields(PatternTimings)})

    def pins(self) -> dict[Part, int]:
        """The parts that are wired, with their BCM pin."""
        wired = {
            Part.GREEN: self.green_pin,
            Part.RED: self.red_pin,
            Part.AMBER: self.amber_pin,
            Part.BUZZER: self.buzzer_pin,
            Part.RELAY: self.relay_pin,
        }
        return {part: pin for part, pin in wired.items() if pin is not None}

    def validate(self, device_id: str) -> None:
        """Reject configs that cannot be wired or would be unsafe (called by the registry)."""
        pins = self.pins()
        for part, pin in pins.items():
            if not 0 <= pin <= 27:
                raise HardwareConfigError(
                    device_id, f"{part}_pin", f"BCM pin must be 0..27, got {pin}"
                )
        seen: dict[int, Part] = {}
        for part, pin in pins.items():
            if pin in seen:
                raise HardwareConfigError(
                    device_id, f"{part}_pin", f"pin {pin} is already used by {seen[pin]}_pin"
                )
            seen[pin] = part
        if not pins:
            raise HardwareConfigError(device_id, None, "no pins configured (set e.g. green_pin)")
        for f in fields(self):
            if f.name.endswith("_ms"):
                value = getattr(self, f.name)
                if not 0 < value <= MAX_PATTERN_MS:
                    raise HardwareConfigError(
                        device_id, f.name, f"must be 1..{MAX_PATTERN_MS} ms, got {value}"
                    )
        if self.relay_pulse_ms > MAX_RELAY_PULSE_MS:
            raise HardwareConfigError(
                device_id,
                "relay_pulse_ms",
                f"at most {MAX_RELAY_PULSE_MS} ms, got {self.relay_pulse_ms}",
            )


def make_pin_factory(kind: Literal["default", "mock"]) -> Any:
    """``None`` (gpiozero's default) or a fresh ``MockFactory``."""
    if kind == "mock":
        from gpiozero.pins.mock import MockFactory  # type: ignore[import-untyped]

        return MockFactory()
    return None


class GpioOutput:
    """Lamps + buzzer + relay behind the :class:`hardware.signals.GateOutput` shape."""

    def __init__(
        self, device_id: str, options: GpioOutputOptions, *, pin_factory: Any = None
    ) -> None:
        """Claim the pins, all off and the relay released. ``pin_factory`` overrides the
        option (tests pass a ``MockFactory`` they hold on to)."""
        from gpiozero import DigitalOutputDevice  # type: ignore[import-untyped]

        options.validate(device_id)
        self.id = device_id
        self.options = options
        self.health = DeviceHealth(id=device_id, kind="lights", type="gpio")
        self.pin_factory: Any = (
            pin_factory if pin_factory is not None else make_pin_factory(options.pin_factory)
        )
        self._has_amber = options.amber_pin is not None
        self._timings = options.timings()
        self._devices: dict[Part, Any] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        active_high = {
            Part.GREEN: options.lights_active_high,
            Part.RED: options.lights_active_high,
            Part.AMBER: options.lights_active_high,
            Part.BUZZER: options.buzzer_active_high,
            Part.RELAY: options.relay_active_high,
        }
        # Relay first, so it is driven to "released" before anything else can fail.
        order = sorted(options.pins().items(), key=lambda kv: kv[0] is not Part.RELAY)
        try:
            for part, pin in order:
                self._devices[part] = DigitalOutputDevice(
                    pin,
                    active_high=active_high[part],
                    initial_value=False,
                    pin_factory=self.pin_factory,
                )
        except Exception as exc:
            self._close_devices()
            message = (
                f"{device_id}: cannot claim GPIO pins ({type(exc).__name__}: {exc}); on a Pi "
                'install lgpio (apt install python3-lgpio), elsewhere use pin_factory = "mock"'
            )
            self.health.fail(message, _now_ms(), disconnected=True)
            raise OutputError(message) from exc
        atexit.register(self.release)
        self.health.connected = True

    def pin_for(self, part: Part) -> int | None:
        """The BCM pin wired to ``part`` (``None`` when not wired)."""
        return self.options.pins().get(part)

    async def signal(self, signal: Signal) -> None:
        """Cancel the running pattern (which releases), switch on this pattern's first
        parts before returning, and play the rest in a task.

        A failing pin is logged and recorded in ``health`` (the gate is released), not
        raised: the lane's decision stands whether or not a lamp lit. After
        :meth:`close` it does nothing (logged)."""
        if self._closed:  # a late verdict during shutdown: nothing to show it on
            log.warning("%s: %s after close, ignored", self.id, signal)
            return
        log.debug("%s: %s", self.id, signal)
        steps = pattern(Signal(signal), self._timings, has_amber=self._has_amber)
        first = [s for s in steps if s.at_ms == 0]
        rest = steps[len(first) :]
        async with self._lock:
            await self._stop_pattern()
            start = asyncio.get_running_loop().time()
            try:
                for step in first:
                    self._apply(step)
            except Exception as exc:
                self._failed(signal, exc)
                return
            self._task = asyncio.create_task(
                self._play(signal, rest, start), name=f"{self.id}:{signal}"
            )
        self.health.ok(_now_ms())

    async def wait_idle(self) -> None:
        """Wait for the running pattern (if any) to finish; for tests and orderly shutdown."""
        task = self._task
        if task is not None:
            await asyncio.wait([task])

    def release(self) -> None:
        """Relay open, buzzer off, lamps off — each on its own so one failure cannot keep
        the relay closed. Synchronous and idempotent (safe from ``atexit``)."""
        for part in (Part.RELAY, Part.BUZZER, Part.GREEN, Part.RED, Part.AMBER):
            device = self._devices.get(part)
            if device is None:
                continue
            try:
                device.off()
            except Exception as exc:  # keep going: the other parts must still be released
                log.error("%s: could not switch %s off: %s", self.id, part, exc)
                self.health.fail(f"could not switch {part} off: {exc}", _now_ms())

    async def close(self) -> None:
        """Stop the pattern, release, free the pins; idempotent."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            await self._stop_pattern()
        self.release()
        self._close_devices()
        atexit.unregister(self.release)
        self.health.connected = False

    async def _stop_pattern(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])

    async def _play(self, signal: Signal, steps: tuple[Step, ...], start: float) -> None:
        """Play ``steps`` on time from loop time ``start``; whatever happens, end released."""
        loop = asyncio.get_running_loop()
        # When each part really went on (scheduled ms, loop time): a part switched on late
        # (a busy loop) still stays on for its whole span, so a relay pulse is never
        # shorter than configured.
        switched_on: dict[Part, tuple[int, float]] = {}
        try:
            for step in steps:
                due = start + step.at_ms / 1000
                if not step.on and step.part in switched_on:
                    on_ms, on_at = switched_on[step.part]
                    due = max(due, on_at + (step.at_ms - on_ms) / 1000)
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                self._apply(step)
                if step.on:
                    switched_on[step.part] = (step.at_ms, loop.time())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed(signal, exc)
        finally:
            self.release()

    def _apply(self, step: Step) -> None:
        device = self._devices.get(step.part)
        if device is None:
            return
        if step.on:
            device.on()
        else:
            device.off()

    def _failed(self, signal: Signal, exc: Exception) -> None:
        """A pin failed mid-pattern: release the gate and say so."""
        log.error("%s: %s pattern failed, gate released: %s", self.id, signal, exc)
        self.health.fail(f"{signal} pattern failed: {exc}", _now_ms())
        self.release()

    def _close_devices(self) -> None:
        for device in self._devices.values():
            with contextlib.suppress(Exception):
                device.close()
        self._devices.clear()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
