"""What a device knows about its own health, so the status endpoint and the TUI can
show a venue tech which scanner, light or printer is unplugged without reading logs.

Each device owns one mutable :class:`DeviceHealth` and updates it as it works; readers
take a :meth:`DeviceHealth.snapshot` (a plain dict) rather than sharing the object.
Times are wall milliseconds passed in by the caller, so this module has no clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeviceHealth:
    """Mutable health record a device keeps about itself; status() snapshots it."""

    id: str
    """The config id, e.g. ``"usb-1"``, ``"lights-1"``."""
    kind: str
    """E.g. ``usb``, ``serial``, ``tcp``, ``websocket``, ``camera``, ``lights``, ``printer``."""
    type: str
    """The config ``type`` value, e.g. ``"evdev"``, ``"fake"``, ``"gpio"``."""
    connected: bool = False
    last_read_ms: int | None = None
    """Wall ms of the last successful read (inputs) or action (outputs)."""
    reads: int = 0
    """Codes read (inputs) or actions done (outputs)."""
    errors: int = 0
    last_error: str | None = None
    """Human text, never a secret."""
    last_error_ms: int | None = None

    def snapshot(self) -> dict[str, object]:
        """A JSON-ready copy for ``GET /api/v1/status``; later updates do not change it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "type": self.type,
            "connected": self.connected,
            "last_read_ms": self.last_read_ms,
            "reads": self.reads,
            "errors": self.errors,
            "last_error": self.last_error,
            "last_error_ms": self.last_error_ms,
        }

    def ok(self, now_ms: int) -> None:
        """Record one successful read or action: the device is evidently connected."""
        self.connected = True
        self.last_read_ms = now_ms
        self.reads += 1

    def fail(self, message: str, now_ms: int, *, disconnected: bool = False) -> None:
        """Record an error; ``disconnected=True`` when the device itself is gone, not just
        one operation (a lost USB scanner, an unreachable printer)."""
        self.errors += 1
        self.last_error = message
        self.last_error_ms = now_ms
        if disconnected:
            self.connected = False
