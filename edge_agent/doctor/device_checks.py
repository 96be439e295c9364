"""Is each configured scanner there, and do the outputs and the printer answer?

With the agent running, its own view wins: it holds the devices (a grabbed scanner, the
GPIO pins, the printer's socket), and its status says whether each is connected and its
last error. Without it, the doctor looks for what it can without taking anything: the
scanner's device file (or a device with its name / USB id), the serial port, the GPIO
chip, the network printer's port.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from edge_agent.config.lanes import DeviceSpec
from edge_agent.config.sections import Config
from edge_agent.doctor.outcome import Check, failed, passed, warned
from scanner.inputs.evdev_source import EvdevSource

_PLUG_IN = "plug it in (or fix its id in the config) and watch its line in the TUI's Devices"
_NETWORK_INPUTS = ("tcp", "websocket")


def device_checks(
    config: Config, status: dict[str, Any] | None, evdev: EvdevSource | None
) -> list[Check]:
    health = _health_by_id(status)
    checks: list[Check] = []
    for lane in config.lanes:
        for spec in lane.inputs:
            name = f"scanner {spec.id} ({spec.type}, lane {lane.id})"
            seen = health.get(spec.id)
            checks.append(
                _from_health(name, seen) if seen is not None else _input_at_rest(name, spec, evdev)
            )
        for spec in lane.outputs:
            name = f"output {spec.id} ({spec.type}, lane {lane.id})"
            seen = health.get(spec.id)
            checks.append(
                _from_health(name, seen) if seen is not None else _output_at_rest(name, spec)
            )
    if config.printer is not None:
        name = f"printer {config.printer.id} ({config.printer.type})"
        seen = (status or {}).get("printer")
        if isinstance(seen, dict):
            checks.append(_from_health(name, seen))
        else:
            checks.append(_printer_at_rest(name, config.printer))
    if not checks:
        checks.append(
            passed("scanners and outputs", "no lanes configured: scans come over the API")
        )
    return checks


def _health_by_id(status: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for lane in (status or {}).get("lanes") or []:
        for item in [*lane.get("inputs", []), *lane.get("outputs", [])]:
            if isinstance(item, dict) and "id" in item:
                out[str(item["id"])] = item
    return out


def _from_health(name: str, health: dict[str, Any]) -> Check:
    if health.get("connected"):
        errors = int(health.get("errors") or 0)
        text = f"connected (agent), {health.get('reads', 0)} reads, {errors} errors"
        if errors and health.get("last_error"):
            return warned(name, f"{text}; last: {health['last_error']}", "see the agent's log")
        return passed(name, text)
    last = health.get("last_error") or "not connected"
    return failed(name, f"not connected (agent): {last}", _PLUG_IN)


def _input_at_rest(name: str, spec: DeviceSpec, evdev: EvdevSource | None) -> Check:
    o = spec.options
    if spec.type == "evdev":
        return _find_evdev(name, o, evdev)
    if spec.type == "serial":
        return _path_there(name, str(o.port))
    if spec.type == "camera":
        device = str(getattr(o, "device", ""))
        if getattr(o, "camera", "opencv") == "replay":
            return _path_there(name, str(o.path))
        if device.startswith("/dev/"):
            return _path_there(name, device)
        return passed(name, f"camera {device!r}: opened when the agent starts")
    if spec.type in _NETWORK_INPUTS:
        return passed(name, "network input: listens when the agent starts")
    return passed(name, f"{spec.type}: nothing to look for")


def _path_there(name: str, path: str) -> Check:
    if Path(path).exists():
        return passed(name, f"{path} is there")
    return failed(name, f"{path} is not there (unplugged?)", _PLUG_IN)


def _find_evdev(name: str, o: Any, evdev: EvdevSource | None) -> Check:
    if o.path:
        return _path_there(name, str(o.path))
    if evdev is None:
        from scanner.inputs.evdev_source import RealEvdevSource

        evdev = RealEvdevSource()
    wanted = f"name containing {o.name!r}" if o.name else f"USB id {o.usb_id}"
    try:
        paths = evdev.list_paths()
    except OSError as exc:
        return warned(
            name, f"cannot list input devices: {exc}", "run the doctor as root or gatehouse"
        )
    for path in paths:
        try:
            device = evdev.open(path)
        except OSError:
            continue
        try:
            if o.name and o.name.lower() in device.name.lower():
                return passed(name, f"{device.name} at {path}")
            if o.usb_id:
                vendor, product = (int(x, 16) for x in o.usb_id.split(":"))
                if (device.info.vendor, device.info.product) == (vendor, product):
                    return passed(name, f"{device.name} at {path}")
        finally:
            device.close()
    return failed(name, f"no input device with {wanted} among {len(paths)}", _PLUG_IN)


def _output_at_rest(name: str, spec: DeviceSpec) -> Check:
    if spec.type == "gpio" and getattr(spec.options, "pin_factory", "default") == "default":
        chips = sorted(Path("/dev").glob("gpiochip*"))
        if not chips:
            return failed(
                name, "no /dev/gpiochip* on this machine", 'run on the Pi, or pin_factory = "mock"'
            )
        return passed(name, f"{chips[0]} is there; the agent drives the pins when it runs")
    return passed(name, f"{spec.type}: answers when the agent runs")


def _printer_at_rest(name: str, spec: DeviceSpec) -> Check:
    o = spec.options
    if spec.type != "network":
        return passed(name, f"{spec.type}: opened when the agent prints")
    try:
        with socket.create_connection((str(o.host), int(o.port)), timeout=2.0):
            return passed(name, f"{o.host}:{o.port} answers")
    except OSError as exc:
        return failed(
            name,
            f"{o.host}:{o.port} does not answer ({exc.strerror or exc})",
            "switch the printer on, check its cable and that its address is printer.host",
        )
