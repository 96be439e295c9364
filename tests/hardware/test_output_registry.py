"""Output config parsing by ``type`` and the fake / console outputs of the same shape."""

from __future__ import annotations

import asyncio
import io

import pytest

from hardware.console_output import ConsoleOutput, ConsoleOutputOptions
from hardware.errors import HardwareConfigError
from hardware.fake_output import FakeOutput, FakeOutputOptions
from hardware.gpio_output import GpioOutput, GpioOutputOptions
from hardware.health import DeviceHealth
from hardware.registry import OUTPUTS, build_output, parse_output_options
from hardware.signals import GateOutput, Signal


def test_gpio_keys_parse_into_frozen_options() -> None:
    opts = parse_output_options(
        "lights-1",
        "gpio",
        {"pin_factory": "mock", "green_pin": 17, "relay_pin": 24, "relay_active_high": False},
    )
    assert opts == GpioOutputOptions(
        pin_factory="mock", green_pin=17, relay_pin=24, relay_active_high=False
    )


@pytest.mark.parametrize(
    ("type_", "raw", "key", "text"),
    [
        ("gpio", {"green_pin": 17, "relay_puls_ms": 400}, "relay_puls_ms", "unknown key"),
        ("gpio", {"green_pin": "17"}, "green_pin", "expected an integer, got string '17'"),
        (
            "gpio",
            {"green_pin": 17, "relay_active_high": 1},
            "relay_active_high",
            "expected true or false, got integer 1",
        ),
        ("gpio", {"green_pin": 17, "pin_factory": "lgpio"}, "pin_factory", "'default'"),
        ("gpio", {}, None, "no pins configured"),
        ("gpio", {"green_pin": 17, "red_pin": 17}, "red_pin", "already used"),
        ("fake", {"color": True}, "color", "unknown key"),
        ("console", {"stream": "printer"}, "stream", "'stdout'"),
        ("blinkenlights", {}, "type", "unknown output type"),
    ],
)
def test_bad_output_config_names_the_key(
    type_: str, raw: dict[str, object], key: str | None, text: str
) -> None:
    with pytest.raises(HardwareConfigError, match=text) as err:
        parse_output_options("lights-1", type_, raw)
    assert err.value.key == key
    assert err.value.device_id == "lights-1"


def test_every_registered_output_builds_and_has_the_gate_output_shape() -> None:
    raw: dict[str, dict[str, object]] = {
        "gpio": {"pin_factory": "mock", "green_pin": 17},
        "fake": {},
        "console": {"color": False},
    }
    assert set(raw) == set(OUTPUTS)

    async def main() -> None:
        for type_, keys in raw.items():
            out: GateOutput = build_output(
                f"{type_}-1", type_, parse_output_options(f"{type_}-1", type_, keys)
            )
            assert out.id == f"{type_}-1"
            assert isinstance(out.health, DeviceHealth) and out.health.type == type_
            out.release()
            await out.close()
            await out.close()

    asyncio.run(main())
    assert isinstance(build_output("x", "fake", FakeOutputOptions()), FakeOutput)
    with pytest.raises(HardwareConfigError):
        build_output("x", "gpio", FakeOutputOptions())
    assert GpioOutput  # registered under "gpio"


async def test_fake_output_records_signals_in_order_with_times() -> None:
    fake = FakeOutput("lights-1")
    waiter = asyncio.create_task(fake.wait_for(2))
    await fake.signal(Signal.ADMIT)
    await fake.signal(Signal.REFUSE)
    async with asyncio.timeout(2):
        assert await waiter == [Signal.ADMIT, Signal.REFUSE]
    assert fake.records[0].at_ns <= fake.records[1].at_ns
    assert fake.health.reads == 2
    await fake.close()
    assert fake.closed and fake.releases == 1


async def test_console_output_prints_a_line_per_signal() -> None:
    buf = io.StringIO()
    out = ConsoleOutput("gate-3", ConsoleOutputOptions(color=False), stream=buf)
    await out.signal(Signal.ADMIT)
    await out.signal(Signal.ATTENTION)
    assert buf.getvalue().splitlines() == ["[gate-3]  ADMIT     ", "[gate-3]  ATTENTION "]
    coloured = io.StringIO()
    await ConsoleOutput("g", ConsoleOutputOptions(), stream=coloured).signal(Signal.REFUSE)
    assert "\x1b[1;37;41m REFUSE" in coloured.getvalue()
    buf.close()
    await out.signal(Signal.REFUSE)  # a closed stream is a health error, not a crash
    assert out.health.errors == 1 and out.health.reads == 2


def test_health_snapshot_is_a_json_ready_copy() -> None:
    h = DeviceHealth(id="usb-1", kind="usb", type="evdev")
    h.ok(1000)
    snap = h.snapshot()
    h.fail("unplugged", 2000, disconnected=True)
    assert snap["connected"] is True and snap["reads"] == 1 and snap["errors"] == 0
    assert h.snapshot() == {
        "id": "usb-1",
        "kind": "usb",
        "type": "evdev",
        "connected": False,
        "last_read_ms": 1000,
        "reads": 1,
        "errors": 1,
        "last_error": "unplugged",
        "last_error_ms": 2000,
    }
