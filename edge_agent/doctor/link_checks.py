"""Checks that talk to something: the running agent (control socket), the platform,
the venue's mesh (a seam the mesh fills through the agent's status)."""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from edge_agent.cli.control_client import AgentNotRunning, control_request
from edge_agent.config.key_files import read_token_file
from edge_agent.config.sections import Config
from edge_agent.doctor.outcome import Check, failed, passed, warned
from edge_agent.errors import GatehouseError
from sync.client import PlatformClient, redact_url
from sync.clock import ClockSample
from sync.errors import Forbidden, SyncError, TransportError, Unauthorized


async def agent_status(config: Config) -> tuple[Check, dict[str, Any] | None]:
    """The running agent's status over its control socket, or why there is none."""
    name = "agent running"
    try:
        status = await control_request(config.control_socket, "GET", "/control/status", None)
    except AgentNotRunning:
        return (
            warned(
                name,
                "not running: devices are checked from their files only",
                "start it: sudo systemctl start gatehouse",
            ),
            None,
        )
    except GatehouseError as exc:
        return warned(
            name, str(exc), "run the doctor as the agent's user: sudo -u gatehouse …"
        ), None
    agent = status.get("agent", {}) if isinstance(status, dict) else {}
    text = f"running: version {agent.get('version', '?')}, up {agent.get('uptime_s', '?')} s"
    return passed(name, text), status


async def platform_check(config: Config) -> tuple[Check, ClockSample | None]:
    """One authenticated request (the conflicts report: small, read-only); its answer's
    time header gives a fresh clock offset too."""
    name = "platform reachable"
    if not config.sync.enabled:
        return passed(name, "sync off (sync.platform_url is empty): the gate works offline"), None
    url = redact_url(config.sync.platform_url)
    try:
        token = read_token_file(config.sync_token_path)
    except GatehouseError as exc:
        return failed(name, str(exc), "put the enrolment token in sync.token_file (mode 600)"), None
    samples: list[ClockSample] = []
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        client = PlatformClient(
            config.sync.platform_url,
            token,
            session,
            timeout_s=min(10, config.sync.timeout_s),
            on_clock=samples.append,
        )
        try:
            await client.get_conflicts(config.event.event_id)
        except (Unauthorized, Forbidden) as exc:
            return failed(
                name, f"{url} refused the agent token ({exc})", "re-enrol this box on the platform"
            ), None
        except TransportError as exc:
            return warned(
                name,
                f"{url} cannot be reached ({exc})",
                "check the venue's internet line and sync.platform_url; the gate works offline",
            ), None
        except SyncError as exc:
            return warned(
                name, f"{url} answered with an error: {exc}", "call the platform team"
            ), None
    ms = (time.perf_counter() - started) * 1000
    return passed(name, f"{url} answered in {ms:.0f} ms"), (samples[-1] if samples else None)


def mesh_check(config: Config, status: dict[str, Any] | None) -> Check:
    """The venue mesh (``[mesh]``, docs/mesh.md) as the running agent's status tells it:
    members up of the roster, quorum, boxes lost. A box without ``[mesh]`` is a venue of
    one, which is a valid venue (DESIGN.md)."""
    name = "mesh members and quorum"
    mesh = (status or {}).get("mesh")
    if not config.mesh.enabled and not isinstance(mesh, dict):
        return passed(name, "mesh: not configured — this box is a venue of one")
    if not isinstance(mesh, dict):
        return warned(name, "mesh configured, agent not running: quorum unknown", "start the agent")
    if mesh.get("mode") == "alone":
        return passed(
            name, "mesh: alone — a venue of one until another box joins (edge-agent mesh code)"
        )
    members = mesh.get("members")
    listed = members if isinstance(members, list) else []
    # the members that answer (the status' "up"), not merely the roster's length
    up = mesh.get("up", len(listed) if isinstance(members, list) else members)
    expected = mesh.get("expected")
    text = f"{up} member(s) up" + (f" of {expected}" if expected is not None else "")
    if mesh.get("quorum") is False:
        return failed(
            name,
            f"{text}, no quorum: admissions are decided locally and marked unconfirmed",
            "bring the other boxes back on the LAN (power, cable, switch)",
        )
    lost = [str(m.get("name")) for m in listed if isinstance(m, dict) and m.get("up") is False]
    if lost:
        return warned(
            name,
            f"{text}, quorum; lost contact with {', '.join(lost)}",
            "check that box's power and cable; remove it only if it is gone for good"
            " (edge-agent mesh remove NAME)",
        )
    return passed(name, f"{text}, quorum")
