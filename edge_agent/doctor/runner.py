"""Runs every check in the order a tech reads them; a broken config stops the rest."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

from edge_agent.config.key_files import read_key_file
from edge_agent.config.loading import load_config
from edge_agent.config.sections import Config
from edge_agent.doctor.box_checks import (
    clock_check,
    data_dir_check,
    keyring_check,
    ledger_check,
    manifest_check,
    platform_offset_check,
    read_stored_state,
    tls_check,
)
from edge_agent.doctor.clock import ClockProbe, probe_clock
from edge_agent.doctor.device_checks import device_checks
from edge_agent.doctor.link_checks import agent_status, mesh_check, platform_check
from edge_agent.doctor.outcome import Check, failed, passed
from edge_agent.errors import GatehouseError
from edge_agent.runtime import policy_from_config
from scanner.inputs.evdev_source import EvdevSource


def run_doctor(
    config_path: Path,
    *,
    evdev: EvdevSource | None = None,
    clock: ClockProbe | None = None,
) -> list[Check]:
    """Every check; ``evdev`` and ``clock`` stand in for the machine's in tests."""
    try:
        config = load_config(config_path)
        policy_from_config(config)
    except GatehouseError as exc:
        return [failed("config", str(exc), "fix that key in the file, then run the doctor again")]
    checks = [
        passed(
            "config",
            f"{config_path}: agent {config.agent.agent_id}, event {config.event.event_id}, "
            f"gate {config.gate.name}",
        )
    ]
    return checks + asyncio.run(_checks(config, evdev, clock or probe_clock()))


async def _checks(config: Config, evdev: EvdevSource | None, clock: ClockProbe) -> list[Check]:
    now_ms = time.time_ns() // 1_000_000
    running, status = await agent_status(config)
    platform, sample = await platform_check(config)
    state, tickets, codes = read_stored_state(config)
    agent_public = None
    if config.agent_key_path.exists():
        try:
            agent_public = read_key_file(config.agent_key_path).public_raw
        except GatehouseError:
            agent_public = None
    offset: int | None
    if sample is not None:
        offset, source = sample.offset_ms, "measured now"
    else:
        offset, source = state.clock_offset_ms, "as sync last measured it"
    return [
        data_dir_check(config),
        ledger_check(config),
        running,
        clock_check(clock),
        platform_offset_check(config, offset, source),
        manifest_check(config, state, tickets, codes, now_ms),
        keyring_check(config, state, agent_public, now_ms // 1000),
        platform,
        *device_checks(config, status, evdev),
        mesh_check(config, status),
        tls_check(config, dt.datetime.now(dt.UTC)),
    ]
