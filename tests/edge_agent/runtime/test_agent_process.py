"""The real process: drain on SIGTERM, nothing shown-but-lost on SIGKILL, one agent per
data dir, clear refusals for corrupt ledgers, `check`, `pair` and `devices`."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from typing import Any

import aiohttp
import pytest

from demo.event import DemoEvent
from edge_agent.ledger.health import check_ledger
from tests.agent_process import AgentProcess, cli

pytestmark = [pytest.mark.slow, pytest.mark.integration]


async def fire(
    url: str,
    headers: dict[str, str],
    codes: list[str],
    answered: list[dict[str, Any]],
    stop_after: int | None = None,
    on_threshold: Any = None,
) -> None:
    """Send scans with 20 in flight; keep every verdict the agent answered."""
    sem = asyncio.Semaphore(20)

    async def one(http: aiohttp.ClientSession, code: str) -> None:
        async with sem:
            try:
                async with http.post(
                    f"{url}/api/v1/scans", json={"code": code}, headers=headers
                ) as r:
                    if r.status == 200:
                        answered.append(await r.json())
                        if stop_after and len(answered) == stop_after and on_threshold:
                            on_threshold()
            except (TimeoutError, aiohttp.ClientError):
                pass  # the process went away mid-request: that verdict was never shown

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(one(http, c) for c in codes))


def assert_all_answered_are_stored(event: DemoEvent, answered: list[dict[str, Any]]) -> None:
    assert answered
    with sqlite3.connect(event.config.ledger_path) as db:
        stored = dict(db.execute("SELECT seq, scan_id FROM scans").fetchall())
    for v in answered:
        assert stored.get(v["seq"]) == v["scan_id"], v
    report = check_ledger(event.config.ledger_path, "demo-gate-box")
    assert report.ok, report.summary()


async def test_sigterm_drains_every_in_flight_scan(event: DemoEvent) -> None:
    agent = AgentProcess(event.config_path)
    headers = agent.pair()
    answered: list[dict[str, Any]] = []
    codes = (event.valid * 10)[:600]
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(
        fire(
            agent.url,
            headers,
            codes,
            answered,
            stop_after=100,
            on_threshold=lambda: agent.proc.send_signal(signal.SIGTERM),
        )
    )
    await task
    rc = await loop.run_in_executor(None, agent.stop, None)  # SIGTERM was sent mid-stream
    assert rc == 0
    assert_all_answered_are_stored(event, answered)


async def test_sigkill_mid_stream_keeps_every_shown_verdict(event: DemoEvent) -> None:
    agent = AgentProcess(event.config_path)
    headers = agent.pair()
    answered: list[dict[str, Any]] = []
    codes = (event.valid * 20)[:1200]
    await fire(
        agent.url,
        headers,
        codes,
        answered,
        stop_after=300,
        on_threshold=lambda: agent.proc.send_signal(signal.SIGKILL),
    )
    agent.stop(signal.SIGKILL)
    assert 300 <= len(answered) < len(codes)
    assert_all_answered_are_stored(event, answered)
    # and the agent starts again on the same data dir, continuing the chain
    again = AgentProcess(event.config_path)
    try:
        headers = again.pair()
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{again.url}/api/v1/scans", json={"code": event.valid[0]}, headers=headers
            ) as r,
        ):
            v = await r.json()
        assert v["reason"] == "already_admitted"
        assert v["seq"] > max(a["seq"] for a in answered)
    finally:
        assert again.stop(signal.SIGTERM) == 0


def test_second_agent_on_the_same_data_dir_is_refused(event: DemoEvent) -> None:
    agent = AgentProcess(event.config_path)
    try:
        second = cli("run", "--config", str(event.config_path), timeout=30)
        assert second.returncode == 3
        assert "already using data dir" in second.stderr
        assert f"pid {agent.proc.pid}" in second.stderr
    finally:
        assert agent.stop(signal.SIGTERM) == 0


def test_corrupt_ledger_is_refused_with_a_clear_report(event: DemoEvent) -> None:
    path = event.config.ledger_path
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated mid-file
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    run = cli("run", "--config", str(event.config_path))
    assert run.returncode == 3
    assert "Traceback" not in run.stderr and "ledger" in run.stderr.lower()
    check = cli("check", "--config", str(event.config_path))
    assert check.returncode == 1
    assert "BAD" in check.stdout
    path.write_bytes(b"this is not a database at all" * 100)
    run = cli("run", "--config", str(event.config_path))
    assert run.returncode == 3 and "Traceback" not in run.stderr


def test_check_reports_ok_and_names_config_mistakes(event: DemoEvent) -> None:
    ok = cli("check", "--config", str(event.config_path))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "keyring: 1 trusted keys" in ok.stdout
    text = event.config_path.read_text().replace("reentry", "re_entry")
    event.config_path.write_text(text)
    bad = cli("check", "--config", str(event.config_path))
    assert bad.returncode == 1
    assert "policy.re_entry: unknown key" in bad.stdout
    run = cli("run", "--config", str(event.config_path))
    assert run.returncode == 2 and "policy.re_entry" in run.stderr


async def test_devices_list_and_revoke_over_the_control_socket(event: DemoEvent) -> None:
    agent = AgentProcess(event.config_path)
    try:
        assert event.config.api.port == 0  # the system picks the port: only the agent knows it
        told = cli("pair", "--config", str(event.config_path), "--role", "scanner")
        assert told.returncode == 0, told.stderr
        assert f"On the device: POST {agent.url}/api/v1/pair with" in told.stdout
        headers = agent.pair("scanner")
        listing = cli("devices", "--config", str(event.config_path))
        assert listing.returncode == 0 and "scanner" in listing.stdout
        device_id = listing.stdout.split()[0]  # the paired one (an unused code is no device)
        revoked = cli("devices", "--config", str(event.config_path), "--revoke", device_id)
        assert revoked.returncode == 0, revoked.stderr
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{agent.url}/api/v1/status", headers=headers) as r,
        ):
            assert r.status == 401
        mode = event.config.control_socket.stat().st_mode & 0o777
        assert mode == 0o600
    finally:
        assert agent.stop(signal.SIGTERM) == 0
    no_agent = cli("pair", "--config", str(event.config_path), "--role", "scanner")
    assert no_agent.returncode == 2 and "no agent is running" in no_agent.stderr


async def test_logs_hold_no_secrets_even_at_debug(event: DemoEvent) -> None:
    agent = AgentProcess(event.config_path, log_level="debug")
    headers = agent.pair()
    token = headers["Authorization"].split()[1]
    answered: list[dict[str, Any]] = []
    await fire(
        agent.url, headers, [*event.valid[:5], *event.forged[:2], "PLAIN-SECRET-1"], answered
    )
    async with aiohttp.ClientSession() as http:  # a wrong pairing code gets logged as a failure
        await http.post(f"{agent.url}/api/v1/pair", json={"code": "ABCD-EFGH"})
    assert agent.stop(signal.SIGTERM) == 0
    log = "".join(agent.log_lines)
    assert len(answered) == 8
    assert token not in log
    assert not any(code in log for code in event.valid[:5]), "a ticket code reached the log"
    assert "PLAIN-SECRET-1" not in log


def test_info_log_is_quiet(event: DemoEvent) -> None:
    agent = AgentProcess(event.config_path, log_level="info")
    agent.pair()
    assert agent.stop(signal.SIGTERM) == 0
    lines = [line for line in agent.log_lines if line.strip()]
    assert 2 <= len(lines) <= 8, lines  # lifecycle only: ready, listening, paired, stop
