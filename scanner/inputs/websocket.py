"""Phones and browser-based scanners over WebSocket (``type = "websocket"``).

The socket itself is the agent's API route ``/api/v1/scans/ws`` (same port, same device
tokens as the rest of the LAN API); this input is how a lane *owns* those clients: a
client that names this lane (``?lane=ID``) has its codes debounced, judged with the lane's
direction and shown on the lane's outputs, and the lane's status counts it. The route calls
:meth:`WebSocketInput.answer` for each code.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hardware.health import DeviceHealth
from scanner.inputs.context import InputContext, Judge
from scanner.inputs.network_health import NetworkHealth
from scanner.reads import CodeRead, Emit


@dataclass(frozen=True)
class WebSocketOptions:
    #: WebSocket clients attached to this lane at once; more are refused.
    max_clients: int = 32

    def __post_init__(self) -> None:
        if not 1 <= self.max_clients <= 1024:
            raise ValueError("max_clients: expected 1..1024")


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class WebSocketInput:
    kind = "websocket"

    def __init__(self, input_id: str, options: WebSocketOptions, judge: Judge) -> None:
        self.id = input_id
        self.options = options
        self.net = NetworkHealth(input_id, self.kind, "websocket")
        self.health: DeviceHealth = self.net
        self._judge = judge
        self._running = False

    async def run(self, emit: Emit) -> None:
        """Accept clients (through the API route) until cancelled."""
        self._running = True
        self.health.connected = True
        try:
            await asyncio.Event().wait()
        finally:
            self._running = False
            self.health.connected = False

    @contextlib.contextmanager
    def attach(self) -> Iterator[bool]:
        """Count one client for as long as it is connected; yields False when full."""
        if not self._running or self.net.clients >= self.options.max_clients:
            yield False
            return
        self.net.clients += 1
        try:
            yield True
        finally:
            self.net.clients -= 1

    async def answer(
        self, text: str, device_id: str, request_id: str | None = None
    ) -> Mapping[str, object]:
        self.health.ok(_wall_ms())
        read = CodeRead(text, self.id, self.kind, time.monotonic_ns(), request_id)
        return await self._judge(read, device_id)


def make_websocket_input(input_id: str, options: Any, ctx: InputContext) -> WebSocketInput:
    assert isinstance(options, WebSocketOptions)
    if ctx.judge is None:
        raise TypeError("a WebSocket input needs the agent's judge callable")
    return WebSocketInput(input_id, options, ctx.judge)
