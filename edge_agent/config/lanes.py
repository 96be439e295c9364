"""The ``[[lanes]]`` and ``[printer]`` parts of the agent's config.

The loader reads each device table's ``id`` and ``type``; every other key belongs to the
backend (``scanner.inputs.registry`` for inputs, ``hardware.registry`` for outputs and the
printer), which parses it strictly into its own frozen options dataclass, so a typo in a
relay or scanner key stops the agent at start with the dotted key named.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.config.tables import build_section
from edge_agent.errors import ConfigError
from hardware.errors import HardwareConfigError
from hardware.registry import parse_output_options, parse_printer_options
from hardware.typed_tables import type_name
from scanner.errors import ScannerConfigError
from scanner.inputs.registry import parse_input_options
from scanner.inputs.tcp import TcpOptions
from scanner.inputs.websocket import WebSocketOptions


@dataclass(frozen=True)
class DeviceSpec:
    """One device table: ``id``, ``type``, and the backend's own keys, parsed strictly
    into the backend's frozen options dataclass while the config loads."""

    #: Unique across the whole config; shown in the status and stored with each scan.
    id: str
    #: Picks the backend (``scanner.inputs.registry`` for inputs, ``hardware.registry`` for the
    #: rest); every other key of the table belongs to it.
    type: str
    options: Any = None


@dataclass(frozen=True)
class LaneSection:
    """One lane: where people pass one at a time, with its scanners and its lights."""

    id: str
    #: "in" (entry) or "out" (exit lane: scans record exits).
    direction: str = "in"
    #: The same code read again on this lane within this many ms counts once.
    debounce_ms: int = 1500
    #: Check-in lists of this lane; empty = the gate's (``gate.lists``).
    lists: tuple[str, ...] = ()
    #: The zone this lane enters; "" = the gate's (``gate.zone``).
    zone: str = ""
    #: Staff-message language of this lane's network scanners; "" = ``gate.language``.
    language: str = ""
    inputs: tuple[DeviceSpec, ...] = ()
    outputs: tuple[DeviceSpec, ...] = ()


DEVICE_SECTIONS = ("lanes", "printer")
_LANE_DIRECTIONS = ("in", "out")


def lanes_from_toml(raw: Any, file: str, base: Path) -> tuple[LaneSection, ...]:
    if not isinstance(raw, list):
        raise ConfigError(file, "lanes", f"expected [[lanes]] tables, got {type_name(raw)}")
    lanes = []
    for i, table in enumerate(raw):
        key = f"lanes[{i}]"
        if not isinstance(table, dict):
            raise ConfigError(file, key, f"expected a table, got {type_name(table)}")
        devices = {k: table[k] for k in ("inputs", "outputs") if k in table}
        rest = {k: v for k, v in table.items() if k not in devices}
        lane = build_section(LaneSection, rest, file, prefix=f"{key}.")
        parsed: dict[str, tuple[DeviceSpec, ...]] = {}
        for role in ("inputs", "outputs"):
            items = devices.get(role, [])
            if not isinstance(items, list):
                raise ConfigError(file, f"{key}.{role}", f"expected [[lanes.{role}]] tables")
            parsed[role] = tuple(
                device_from_toml(t, file, f"{key}.{role}[{j}]", role, base)
                for j, t in enumerate(items)
            )
        lanes.append(dataclasses.replace(lane, inputs=parsed["inputs"], outputs=parsed["outputs"]))
    return tuple(lanes)


def device_from_toml(table: Any, file: str, key: str, role: str, base: Path) -> DeviceSpec:
    """``id`` + ``type`` here; the backend's registry checks every other key strictly."""
    if not isinstance(table, dict):
        raise ConfigError(file, key, f"expected a table, got {type_name(table)}")
    for required in ("id", "type"):
        if required not in table:
            raise ConfigError(file, f"{key}.{required}", "missing required key")
        if not isinstance(table[required], str) or not table[required]:
            got = type_name(table[required])
            raise ConfigError(file, f"{key}.{required}", f"expected a string, got {got}")
    device_id, type_ = table["id"], table["type"]
    raw = {k: v for k, v in table.items() if k not in ("id", "type")}
    try:
        if role == "inputs":
            options = parse_input_options(device_id, type_, raw, base)
        elif role == "outputs":
            options = parse_output_options(device_id, type_, raw)
        else:
            options = parse_printer_options(device_id, type_, raw)
    except (ScannerConfigError, HardwareConfigError) as exc:
        where = f"{key}.{exc.key}" if exc.key else key
        raise ConfigError(file, where, exc.problem) from None
    return DeviceSpec(device_id, type_, options)


def validate_lanes(
    lanes: tuple[LaneSection, ...], printer: DeviceSpec | None, api_port: int, file: str
) -> None:
    seen_lanes: set[str] = set()
    seen_devices: dict[str, str] = {}
    tcp_ports: dict[int, str] = {}

    def device_id(spec: DeviceSpec, key: str) -> None:
        if len(spec.id) > 64:
            raise ConfigError(file, f"{key}.id", "expected 1 to 64 characters")
        if spec.id in seen_devices:
            raise ConfigError(
                file, f"{key}.id", f"id {spec.id!r} is already used by {seen_devices[spec.id]}"
            )
        seen_devices[spec.id] = key

    for i, lane in enumerate(lanes):
        key = f"lanes[{i}]"
        if not lane.id or len(lane.id) > 64:
            raise ConfigError(file, f"{key}.id", "expected 1 to 64 characters")
        if lane.id in seen_lanes:
            raise ConfigError(file, f"{key}.id", f"lane {lane.id!r} is defined twice")
        seen_lanes.add(lane.id)
        if lane.direction not in _LANE_DIRECTIONS:
            raise ConfigError(file, f"{key}.direction", 'expected "in" or "out"')
        if not 0 <= lane.debounce_ms <= 600_000:
            raise ConfigError(file, f"{key}.debounce_ms", "expected 0..600000 (0 = off)")
        websockets = 0
        for j, spec in enumerate(lane.inputs):
            ikey = f"{key}.inputs[{j}]"
            device_id(spec, ikey)
            if isinstance(spec.options, WebSocketOptions):
                websockets += 1
                if websockets > 1:
                    raise ConfigError(file, ikey, "a lane takes at most one websocket input")
            if isinstance(spec.options, TcpOptions) and spec.options.port:
                port = spec.options.port
                if port == api_port or port in tcp_ports:
                    other = tcp_ports.get(port, "api.port")
                    raise ConfigError(file, f"{ikey}.port", f"port {port} is already {other}")
                tcp_ports[port] = f"{ikey}.port"
        for j, spec in enumerate(lane.outputs):
            device_id(spec, f"{key}.outputs[{j}]")
    if printer is not None:
        device_id(printer, "printer")
