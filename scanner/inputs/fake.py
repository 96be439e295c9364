"""A scanner with no hardware (``type = "fake"``): codes from a file, or pushed by tests.

The demo feeds a lane from a file of codes (one per line, at a steady pace); tests push
codes with :meth:`FakeInput.feed` and can unplug and replug it. It goes through the same
lane, debounce, pipeline and outputs as a real scanner, and records its reads in the
ledger with ``device_kind = "fake"`` so a simulated scan is never mistaken for a real one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware.health import DeviceHealth
from scanner.inputs.context import InputContext
from scanner.reads import CodeRead, Emit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FakeInputOptions:
    #: Codes to replay, one per line (blank lines skipped). Relative to the config file.
    #: Without it the input waits for codes pushed by tests.
    codes_file: Path | None = None
    #: Pause between codes from the file, and before the first one.
    interval_ms: int = 1000
    start_delay_ms: int = 0
    #: Start again at the top when the file is done (otherwise the input stops).
    loop: bool = False
    #: What the ledger records as the device kind of these reads.
    device_kind: str = "fake"

    def __post_init__(self) -> None:
        if not 0 <= self.interval_ms <= 3_600_000:
            raise ValueError("interval_ms: expected 0..3600000")
        if not 0 <= self.start_delay_ms <= 3_600_000:
            raise ValueError("start_delay_ms: expected 0..3600000")
        if not self.device_kind:
            raise ValueError("device_kind: expected a name")


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class FakeInput:
    def __init__(self, input_id: str, options: FakeInputOptions | None = None) -> None:
        self.id = input_id
        self.options = options or FakeInputOptions()
        self.kind = self.options.device_kind
        self.health = DeviceHealth(input_id, self.kind, "fake")
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()

    def feed(self, text: str) -> None:
        """Push one code as if it had been scanned."""
        self._queue.put_nowait(text)

    def unplug(self) -> None:
        """Lose the device: the next read fails like a pulled cable (a warning, no crash)."""
        self._queue.put_nowait(None)

    async def run(self, emit: Emit) -> None:
        self.health.connected = True
        if self.options.codes_file is not None:
            await self._replay(self.options.codes_file, emit)
            return
        while True:
            text = await self._queue.get()
            if text is None:
                log.warning("%s: fake scanner unplugged", self.id)
                self.health.fail("unplugged", _wall_ms(), disconnected=True)
                text = await self._queue.get()  # the next code is the replug
                while text is None:
                    text = await self._queue.get()
                self.health.connected = True
            await self._emit(text, emit)

    async def _replay(self, path: Path, emit: Emit) -> None:
        try:
            text = await asyncio.to_thread(path.read_text)
        except OSError as exc:
            log.warning("%s: cannot read %s (%s)", self.id, path, exc.strerror)
            self.health.fail(f"cannot read {path}: {exc.strerror}", _wall_ms(), disconnected=True)
            return
        codes = [line.strip() for line in text.splitlines() if line.strip()]
        await asyncio.sleep(self.options.start_delay_ms / 1000)
        while True:
            for text in codes:
                await self._emit(text, emit)
                await asyncio.sleep(self.options.interval_ms / 1000)
            if not self.options.loop:
                return

    async def _emit(self, text: str, emit: Emit) -> None:
        self.health.ok(_wall_ms())
        await emit(CodeRead(text, self.id, self.kind, time.monotonic_ns()))


def make_fake_input(input_id: str, options: Any, ctx: InputContext) -> FakeInput:
    assert isinstance(options, FakeInputOptions)
    return FakeInput(input_id, options)
