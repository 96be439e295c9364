"""Input backends by their config ``type``: options class + factory, one line each.

The agent's config loader parses every ``[[lanes.inputs]]`` table through
:func:`parse_input_options` (strict: unknown keys are errors naming the key), and the lane
runner builds the inputs with :func:`build_input`. A backend module exposes a frozen options
dataclass and a factory ``(input_id, options, context) -> CodeInput``; adding a backend is
one entry in :data:`BACKENDS`.

Backends are imported when a config first names their type, not before: the camera backend
pulls in OpenCV and NumPy (half a second), which a box with only USB scanners — and every
``edge-agent`` command that reads a config — should not pay for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from scanner.errors import ScannerConfigError
from scanner.inputs.context import InputContext
from scanner.options import parse_options
from scanner.reads import CodeInput

Factory = Callable[[str, Any, InputContext], CodeInput]


class Backend(NamedTuple):
    """``module`` holds the frozen ``options`` dataclass and the ``factory`` function."""

    module: str
    options: str
    factory: str

    def load(self) -> tuple[type[Any], Factory]:
        mod = importlib.import_module(self.module)
        options: type[Any] = getattr(mod, self.options)
        factory: Factory = getattr(mod, self.factory)
        return options, factory


BACKENDS: dict[str, Backend] = {
    "evdev": Backend("scanner.inputs.wedge", "WedgeOptions", "make_wedge_input"),
    "serial": Backend("scanner.inputs.serial", "SerialOptions", "make_serial_input"),
    "tcp": Backend("scanner.inputs.tcp", "TcpOptions", "make_tcp_input"),
    "websocket": Backend("scanner.inputs.websocket", "WebSocketOptions", "make_websocket_input"),
    "camera": Backend("scanner.inputs.camera", "CameraOptions", "make_camera_input"),
    "fake": Backend("scanner.inputs.fake", "FakeInputOptions", "make_fake_input"),
}


def parse_input_options(
    input_id: str, input_type: str, raw: Mapping[str, Any], base_dir: Path | None = None
) -> Any:
    """The backend's frozen options for ``raw`` (the table without ``id`` and ``type``);
    relative ``Path`` options resolve against ``base_dir`` (the config file's folder).
    Id first, then type: the same order as ``hardware.registry``'s builders."""
    backend = BACKENDS.get(input_type)
    if backend is None:
        known = ", ".join(sorted(BACKENDS))
        raise ScannerConfigError(input_id, "type", f"unknown input type {input_type!r} ({known})")
    options, _ = backend.load()
    return parse_options(options, input_id, raw, base_dir)


def build_input(input_id: str, input_type: str, options: Any, ctx: InputContext) -> CodeInput:
    _, factory = BACKENDS[input_type].load()
    return factory(input_id, options, ctx)
