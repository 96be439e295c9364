"""Pure parts of the inputs: serial framing, debounce, strict options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.debounce import Debouncer
from scanner.errors import ScannerConfigError
from scanner.inputs.registry import BACKENDS, parse_input_options
from scanner.inputs.serial_framing import Framer
from scanner.options import parse_options

MS = 1_000_000


@pytest.mark.parametrize(
    ("framing", "stream", "frames"),
    [
        ("cr_or_lf", b"AB\rCD\nEF\r\n\r\nGH", [b"AB", b"CD", b"EF"]),
        ("cr", b"A\nB\rC\r", [b"A\nB", b"C"]),
        ("lf", b"A\rB\nC\n", [b"A\rB", b"C"]),
        ("crlf", b"A\rB\r\nC\nD\r\n", [b"A\rB", b"C\nD"]),
        ("tab", b"A\tB\t", [b"A", b"B"]),
        ("hex:1d0a", b"A\x1d\nB\x1d\nC", [b"A", b"B"]),
        ("stx_etx", b"noise\x02AB\x03junk\x02C\rD\x03\x02EF", [b"AB", b"C\rD"]),
        ("stx_etx", b"\x02AB\x02CD\x03", [b"CD"]),  # an unterminated frame is noise
    ],
)
def test_framings(framing: str, stream: bytes, frames: list[bytes]) -> None:
    assert Framer(framing).feed(stream) == frames


@given(
    codes=st.lists(
        st.binary(min_size=1, max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b),
        max_size=8,
    ),
    cuts=st.lists(st.integers(0, 400), max_size=10),
)
def test_frames_survive_any_split_of_the_stream(codes: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(c + b"\r\n" for c in codes)
    framer = Framer("cr_or_lf")
    out: list[bytes] = []
    last = 0
    for cut in [*sorted(c for c in cuts if c <= len(stream)), len(stream)]:
        out += framer.feed(stream[last:cut])
        last = cut
    assert out == codes


def test_overlong_frames_are_dropped_not_buffered_forever() -> None:
    framer = Framer("cr", max_length=4)
    assert framer.feed(b"ABCDEFGH") == []
    assert framer.feed(b"IJ\rOK\r") == [b"OK"]
    assert framer.overflows == 1
    stx = Framer("stx_etx", max_length=2)
    assert stx.feed(b"\x02ABC\x03\x02OK\x03") == [b"OK"]


def test_unknown_framing_is_refused() -> None:
    with pytest.raises(ValueError, match="framing"):
        Framer("semicolon")


def test_debounce_window_slides_and_counts_once() -> None:
    d: Debouncer[str] = Debouncer(window_ms=1000)
    assert d.repeat_of("A", 0) == (False, None)
    d.remember("A", 0, "first")
    assert d.repeat_of("A", 900 * MS) == (True, "first")
    assert d.repeat_of("A", 1800 * MS) == (True, "first")  # 900 ms after the last sighting
    assert d.repeat_of("B", 1800 * MS) == (False, None)  # another code is not a repeat
    assert d.repeat_of("A", 2900 * MS) == (False, None)  # out of sight for a whole window
    assert d.suppressed == 2


def test_debounce_forget_and_off() -> None:
    d: Debouncer[int] = Debouncer(window_ms=1000)
    d.remember("A", 0, 1)
    d.forget("A")  # e.g. not recorded: the next read must count
    assert d.repeat_of("A", 1) == (False, None)
    off: Debouncer[int] = Debouncer(window_ms=0)
    off.remember("A", 0, 1)
    assert off.repeat_of("A", 0) == (False, None)


def test_debounce_is_bounded() -> None:
    d: Debouncer[int] = Debouncer(window_ms=10_000, max_entries=3)
    for i in range(10):
        d.remember(str(i), i, i)
    assert d.repeat_of("0", 10) == (False, None)
    assert d.repeat_of("9", 10) == (True, 9)


@dataclass(frozen=True)
class _Opts:
    port: str
    baud: int = 9600
    ratio: float = 0.5
    on: bool = True
    roi: tuple[float, ...] | None = None
    file: Path | None = None


def test_options_are_strict_and_name_the_key(tmp_path: Path) -> None:
    ok = parse_options(
        _Opts, "s1", {"port": "/dev/x", "ratio": 1, "roi": [0, 0.5], "file": "a"}, tmp_path
    )
    assert ok == _Opts("/dev/x", 9600, 1.0, True, (0.0, 0.5), tmp_path / "a")
    cases = [
        ({}, "port", "missing required key"),
        ({"port": "x", "bad": 1}, "bad", "unknown key"),
        ({"port": "x", "baud": "9600"}, "baud", "expected an integer"),
        ({"port": "x", "on": 1}, "on", "expected true or false"),
        ({"port": "x", "roi": [0, "a"]}, "roi[1]", "expected a number"),
    ]
    for raw, key, problem in cases:
        with pytest.raises(ScannerConfigError) as err:
            parse_options(_Opts, "s1", raw)
        assert (err.value.input_id, err.value.key) == ("s1", key)
        assert problem in err.value.problem


def test_every_backend_parses_and_validates() -> None:
    assert set(BACKENDS) >= {"evdev", "serial", "tcp", "websocket", "camera", "fake"}
    bad = {
        "evdev": ({}, "give path, name or usb_id"),
        "serial": ({"port": "/dev/ttyACM0", "framing": "x"}, "framing"),
        "tcp": ({"port": 9000, "host": "localhost"}, "expected an IP address"),
        "websocket": ({"max_clients": 0}, "max_clients"),
        "fake": ({"interval_ms": -1}, "interval_ms"),
    }
    for kind, (raw, problem) in bad.items():
        with pytest.raises(ScannerConfigError, match=problem):
            parse_input_options("x", kind, raw)
    with pytest.raises(ScannerConfigError, match="unknown input type"):
        parse_input_options("x", "bluetooth", {})
    assert parse_input_options("u", "evdev", {"name": "Honeywell", "layout": "de"}).layout == "de"
    with pytest.raises(ScannerConfigError, match="layout"):
        parse_input_options("u", "evdev", {"name": "x", "layout": "qwertz"})
