"""A gate output that prints one coloured line per signal, for the demo and bench tests.

On a laptop with no GPIO the demo still shows what the gate *would* do; the line goes
through a stream chosen in config so it can share a terminal with the agent's log.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Literal, TextIO

from hardware.health import DeviceHealth
from hardware.signals import Signal

_STYLE = {
    Signal.ADMIT: ("\x1b[1;30;42m", "ADMIT    "),
    Signal.REFUSE: ("\x1b[1;37;41m", "REFUSE   "),
    Signal.ATTENTION: ("\x1b[1;30;43m", "ATTENTION"),
    Signal.CHECK: ("\x1b[1;37;44m", "CHECK    "),
}
_RESET = "\x1b[0m"


@dataclass(frozen=True)
class ConsoleOutputOptions:
    """Keys of a ``type = "console"`` output."""

    stream: Literal["stdout", "stderr"] = "stdout"
    color: bool = True


class ConsoleOutput:
    """Writes ``[lights-1] ADMIT`` (coloured unless ``color = false``) per signal."""

    def __init__(
        self, device_id: str, options: ConsoleOutputOptions, *, stream: TextIO | None = None
    ) -> None:
        self.id = device_id
        self.options = options
        self.health = DeviceHealth(id=device_id, kind="lights", type="console", connected=True)
        self._stream = stream
        self._closed = False

    async def signal(self, signal: Signal) -> None:
        """Print the line at once (a line has no pattern to cancel)."""
        start, label = _STYLE[Signal(signal)]
        text = f" {label} " if not self.options.color else f"{start} {label} {_RESET}"
        out = self._stream or (sys.stdout if self.options.stream == "stdout" else sys.stderr)
        now_ms = time.time_ns() // 1_000_000
        try:
            print(f"[{self.id}] {text}", file=out, flush=True)
        except (OSError, ValueError) as exc:  # closed or broken stream: note it, carry on
            self.health.fail(f"cannot write: {exc}", now_ms)
            return
        self.health.ok(now_ms)

    def release(self) -> None:
        """Nothing physical to release."""

    async def close(self) -> None:
        """Idempotent; nothing to free."""
        self._closed = True
