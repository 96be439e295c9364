"""What every scanner input hands to its lane: one `CodeRead` per code, through `Emit`.

Inputs (USB wedge, serial, TCP, WebSocket, camera, fake) differ in how they get bytes; they
all end here so the lane runner can debounce and verify them the same way. An input owns its
device's life (unplug, replug, reconnect with backoff) and reports it in its `health`; a lost
device is a warning, never an exception out of `run()`, so one bad scanner can't stop a gate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple, Protocol

from hardware.health import DeviceHealth


class CodeRead(NamedTuple):
    """One code as read by one input, before debounce and verification."""

    text: str  # the decoded text exactly as read (the pipeline strips CR/LF/space/tab)
    input_id: str  # config id of the input, e.g. "usb-1", "cam-1"
    device_kind: str  # "usb" | "serial" | "tcp" | "websocket" | "camera" (the ledger's device_kind)
    at_ns: int  # time.monotonic_ns() when read (debounce uses it)
    #: The network scanner's id for this read: a retry with it gets the first verdict back.
    request_id: str | None = None


Emit = Callable[[CodeRead], Awaitable[None]]


class CodeInput(Protocol):
    """A source of codes for one lane, chosen by `type` in config."""

    id: str
    health: DeviceHealth

    async def run(self, emit: Emit) -> None:
        """Read until cancelled. Handles unplug/replug/reconnect itself (with backoff): a
        lost device is a warning + health.fail(..., disconnected=True), never an exception
        out of run()."""
        ...
