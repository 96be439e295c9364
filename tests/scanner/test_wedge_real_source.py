"""The real python-evdev source, as far as a machine without input devices allows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from scanner.inputs.evdev_source import RealEvdevSource
from scanner.inputs.wedge import WedgeInput, WedgeOptions
from scanner.reads import CodeRead


def test_real_source_lists_event_nodes_and_fails_cleanly_on_a_missing_one(tmp_path: Path) -> None:
    source = RealEvdevSource()
    assert all(p.startswith("/dev/input/event") for p in source.list_paths())
    with pytest.raises(FileNotFoundError):
        source.open(str(tmp_path / "event99"))


async def test_a_scanner_that_is_not_there_is_a_health_record_not_an_exception(
    tmp_path: Path,
) -> None:
    options = WedgeOptions(
        path=str(tmp_path / "by-id" / "usb-Scanner-event-kbd"),
        reconnect_min_ms=5,
        reconnect_max_ms=20,
    )
    wedge = WedgeInput("usb-1", options, RealEvdevSource())
    reads: list[CodeRead] = []

    async def emit(read: CodeRead) -> None:
        reads.append(read)

    task = asyncio.create_task(wedge.run(emit))
    await asyncio.sleep(0.2)  # several retries happen meanwhile
    assert not task.done()  # still looking, not crashed
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert wedge.health.connected is False and wedge.health.errors == 1  # reported once
    assert "not found" in str(wedge.health.last_error) and reads == []
