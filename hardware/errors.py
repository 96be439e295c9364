"""One exception tree for the ``hardware`` package.

``hardware`` may not import ``edge_agent`` (it sits below it), so it has its own root,
:class:`HardwareError`; the agent catches that and turns it into health records and log
lines. Messages are for a venue tech: they name the device and say what to check.
"""

from __future__ import annotations


class HardwareError(Exception):
    """Root of every error a hardware backend raises on purpose."""


class HardwareConfigError(HardwareError):
    """A device's options are wrong (unknown key, bad pin, bad value); names the key."""

    def __init__(self, device_id: str, key: str | None, problem: str) -> None:
        self.device_id = device_id
        self.key = key
        self.problem = problem
        where = f"{device_id}: {key}" if key else device_id
        super().__init__(f"{where}: {problem}")


class OutputError(HardwareError):
    """A gate output (lights, buzzer, relay) could not be driven."""


class PrinterError(HardwareError):
    """A ticket could not be printed; nothing was half-printed on purpose."""


class PrinterOffline(PrinterError):
    """The printer cannot be reached (network down, USB unplugged, powered off)."""


class PrinterPaperOut(PrinterError):
    """The printer answered but reports no paper (or the paper is nearly out and it stops)."""
