"""One exception tree for the ``scanner`` package.

``scanner`` sits below the agent and may not import ``edge_agent``, so it has its own root;
the agent turns a :class:`ScannerConfigError` into its ``ConfigError`` (file + dotted key)
and anything else into a health record and a log line. Messages are for a venue tech.
"""

from __future__ import annotations


class ScannerError(Exception):
    """Root of every error a scanner input raises on purpose."""


class ScannerConfigError(ScannerError):
    """An input's options are wrong (unknown key, wrong type, bad value); names the key."""

    def __init__(self, input_id: str, key: str | None, problem: str) -> None:
        self.input_id = input_id
        self.key = key
        self.problem = problem
        where = f"{input_id}: {key}" if key else input_id
        super().__init__(f"{where}: {problem}")


class DeviceLost(ScannerError):
    """The device went away (unplugged, port closed); the input will look for it again."""
