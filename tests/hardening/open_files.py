"""The open-file limit: the agent started with the unit's limit (``LimitNOFILE`` in
``deploy/gatehouse.service``, or systemd's default soft limit of 1,024 when the unit
sets none) while 2,000 hostile connections each send half a request and hold it. It
must keep answering a paired scanner, and warn in status (``open_files_near_limit``)
before it reaches the limit — or never come near it (below the warning's 75 %): the
connection guard's caps (the network half of issue 17, ``edge_agent/api/connections``)
keep the held connections bounded. This scenario measures the outcome either way."""

from __future__ import annotations

import asyncio
import re
import resource
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from edge_agent.runtime_limits import WARN_RATIO
from tests.hardening.common import Agent, Outcome, demo_event, percentile, scan
from tests.paths import REPO_ROOT

UNIT = REPO_ROOT / "deploy" / "gatehouse.service"
#: systemd's default soft RLIMIT_NOFILE for services (the hard limit is higher).
SYSTEMD_DEFAULT_NOFILE = 1024


def unit_nofile() -> int:
    found = re.search(r"^LimitNOFILE=(\d+)", UNIT.read_text(), re.MULTILINE)
    return int(found.group(1)) if found else SYSTEMD_DEFAULT_NOFILE


def hostile(url: str, count: int, budget_s: float = 20.0) -> list[socket.socket]:
    """Up to ``count`` connections that each send half a request line and then nothing
    (bounded: at most ``budget_s`` spent connecting, 0.2 s a connection)."""
    parts = urlsplit(url)
    held: list[socket.socket] = []
    deadline = time.monotonic() + budget_s
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(0.2)
        try:
            s.connect((parts.hostname or "127.0.0.1", parts.port or 80))
            s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: gate\r\nX-Slow: ")
        except OSError:
            s.close()
            continue
        held.append(s)
    return held


async def run(work: Path, heavy: bool) -> Outcome:
    nofile, count, hold_s = (unit_nofile(), 2000, 8.0) if heavy else (256, 200, 3.0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    ev = await demo_event(work / "event", tickets=100)
    agent = await asyncio.to_thread(Agent, ev.config_path, nofile=nofile)
    latencies: list[float] = []
    failures = 0
    fresh_ok = fresh_failed = 0
    first_warning_at: int | None = None
    peak_used = 0
    log_before = len(agent.log_text().encode())
    sockets: list[socket.socket] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            headers = await agent.pair(http)
            opener = asyncio.ensure_future(asyncio.to_thread(hostile, agent.url, count))
            deadline = time.monotonic() + hold_s + 30
            while time.monotonic() < deadline:
                if opener.done() and not sockets:
                    sockets = opener.result()
                    deadline = min(deadline, time.monotonic() + hold_s)
                t0 = time.perf_counter()
                try:
                    status, _ = await scan(http, agent.url, headers, ev.valid[0])
                    if status == 200:
                        latencies.append((time.perf_counter() - t0) * 1000)
                    else:
                        failures += 1
                except (aiohttp.ClientError, TimeoutError, OSError):
                    failures += 1
                if await fresh_scan(agent.url, headers, ev.valid[0]):
                    fresh_ok += 1
                else:
                    fresh_failed += 1
                try:
                    doc: dict[str, Any] = await asyncio.wait_for(agent.status(), 2)
                    used = doc["limits"]["open_files"]["used"] or 0
                    peak_used = max(peak_used, used)
                    warned = any(a["code"] == "open_files_near_limit" for a in doc["alarms"])
                    if warned and first_warning_at is None:
                        first_warning_at = used
                except (OSError, TimeoutError, KeyError):
                    pass  # the control socket needs a descriptor too
                await asyncio.sleep(0.1)
            if not sockets:
                sockets = await opener
    finally:
        for s in sockets:
            s.close()
    # status may be unreachable at the limit (its socket needs a descriptor too): the
    # alarm's first log line says how many were in use when it was raised
    logged = re.search(r"ALARM open_files_near_limit: (\d+)\+ of", agent.log_text())
    if logged is not None and first_warning_at is None:
        first_warning_at = int(logged.group(1))
    log_bytes = len(agent.log_text().encode()) - log_before
    tracebacks = agent.log_text().count("Traceback")
    rc = agent.stop()
    answered = len(latencies)
    figures = {
        "nofile": nofile, "hostile_connections_held": len(sockets), "scans_answered": answered,
        "scans_failed": failures, "new_connection_scans_ok": fresh_ok,
        "new_connection_scans_failed": fresh_failed, "scan_p99_ms": percentile(latencies, 0.99),
        "scan_max_ms": round(max(latencies), 1) if latencies else None,
        "peak_open_files": peak_used, "warned_at_open_files": first_warning_at,
        "log_bytes": log_bytes, "tracebacks_logged": tracebacks, "stop_rc": rc,
    }  # fmt: skip
    # the promise is a warning before the limit: with the connection guard's caps the
    # agent may never come near it, and then no warning is owed
    warn_at = int(nofile * WARN_RATIO)
    figures["warn_at_open_files"] = warn_at
    warned_in_time = (
        first_warning_at < nofile if first_warning_at is not None else peak_used < warn_at
    )
    kept_scanning = answered > 0 and failures <= answered // 20 and fresh_failed <= fresh_ok // 20
    quiet_log = log_bytes < 1_000_000 and tracebacks == 0
    notes = (
        []
        if kept_scanning and quiet_log
        else [
            "without per-address and total connection caps, a header timeout and rate-limited "
            "log lines (the network half of issue 17) the held connections use up the limit: "
            "new connections fail and accept() errors flood the log"
        ]
    )
    return Outcome(f"Open-file limit ({nofile}), {count} hostile connections", 1,
                   warned_in_time and kept_scanning and quiet_log, figures, notes)  # fmt: skip


async def fresh_scan(url: str, headers: dict[str, str], code: str) -> bool:
    """A scan on a new connection, as a scanner that reconnects would send it."""
    timeout = aiohttp.ClientTimeout(total=2)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            status, _ = await scan(http, url, headers, code)
    except (aiohttp.ClientError, TimeoutError, OSError):
        return False
    return status == 200
