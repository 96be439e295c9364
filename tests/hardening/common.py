"""What the scenarios share: an outcome record, a demo event, the agent as a child
process (with a test clock or an open-file limit when asked), scanning devices, and the
ledger checks every crash scenario ends with."""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from demo.event import DemoEvent, make_demo_event
from edge_agent.cli.control_client import control_request
from edge_agent.cli.manifest_cmd import import_manifest
from edge_agent.config.loading import load_config
from edge_agent.ledger.health import check_ledger
from tests.agent_process import CLI, set_log


@dataclass
class Outcome:
    """One row of the report."""

    scenario: str
    tries: int
    ok: bool
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "tries": self.tries,
                "outcome": "pass" if self.ok else "FAIL", "figures": self.figures,
                "notes": self.notes}  # fmt: skip


async def demo_event(root: Path, tickets: int = 200) -> DemoEvent:
    ev = make_demo_event(root, tickets=tickets, now_s=int(time.time()), rng=random.Random(17))
    await import_manifest(ev.config, ev.manifest)
    set_log(ev.config_path, "info")
    return ev


class Agent:
    """``edge-agent run`` as a child; log lines kept; spawn → "listening" timed."""

    def __init__(
        self, config_path: Path, *, env: Mapping[str, str] | None = None,
        nofile: int | None = None, timeout_s: float = 30,
    ) -> None:  # fmt: skip
        self.config_path = config_path
        self.config = load_config(config_path)
        self.lines: list[str] = []
        limit = None if nofile is None else (nofile, nofile)
        self.spawned = time.perf_counter()
        self.proc = subprocess.Popen(
            [*CLI, "run", "--config", str(config_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            preexec_fn=None if limit is None else (lambda: resource.setrlimit(
                resource.RLIMIT_NOFILE, limit)),
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""
        self.ready_s = self._wait(timeout_s)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def _wait(self, timeout_s: float) -> float:
        deadline = time.monotonic() + timeout_s
        seen = 0
        while time.monotonic() < deadline:
            for line in self.lines[seen:]:
                seen += 1
                if '"listening"' in line:
                    self.url = json.loads(line)["urls"][0]
                    return time.perf_counter() - self.spawned
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        self.proc.kill()
        raise AssertionError("agent did not start:\n" + "".join(self.lines[-30:]))

    async def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await control_request(self.config.control_socket, method, path, body)

    async def status(self) -> dict[str, Any]:
        doc: dict[str, Any] = await self.control("GET", "/control/status")
        return doc

    async def pair(self, http: aiohttp.ClientSession, role: str = "scanner") -> dict[str, str]:
        code = (await self.control("POST", "/control/pairing-codes", {"role": role}))["code"]
        async with http.post(f"{self.url}/api/v1/pair", json={"code": code}) as r:
            token = (await r.json())["token"]
        return {"Authorization": f"Bearer {token}"}

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(20)
        self._reader.join(timeout=5)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self._reader.join(timeout=5)

    def log_text(self) -> str:
        return "".join(self.lines)


def cli(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60,
                          check=False, env={**os.environ, **(env or {})})  # fmt: skip


async def scan(http: aiohttp.ClientSession, url: str, headers: dict[str, str], code: str,
               direction: str = "in") -> tuple[int, dict[str, Any]]:  # fmt: skip
    async with http.post(f"{url}/api/v1/scans", json={"code": code, "direction": direction},
                         headers=headers) as r:  # fmt: skip
        return r.status, await r.json(content_type=None)


@dataclass
class Load:
    """Open-loop scans at ``rate`` per second, spread over several devices, until
    stopped; every answered verdict is kept (seq, scan_id, ticket, reason)."""

    url: str
    devices: list[dict[str, str]]
    codes: list[str]
    rate: float
    answered: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0
    #: answers by HTTP status (0: no answer at all)
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    async def run(self, stop: asyncio.Event, rng: random.Random) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            tasks: set[asyncio.Task[None]] = set()
            start = time.perf_counter()
            n = 0
            while not stop.is_set():
                due = start + n / self.rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                task = asyncio.create_task(self._one(http, n, rng.choice(self.codes)))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            if tasks:
                await asyncio.wait(tasks, timeout=15)

    async def _one(self, http: aiohttp.ClientSession, n: int, code: str) -> None:
        t0 = time.perf_counter()
        try:
            status, doc = await scan(http, self.url, self.devices[n % len(self.devices)], code)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
            self.failed += 1  # the process went away mid-request: nothing was shown
            self.statuses[0] = self.statuses.get(0, 0) + 1
            return
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.answered.append(doc)
            self.latencies_ms.append((time.perf_counter() - t0) * 1000)
        else:
            self.failed += 1


def ledger_verdicts(ledger: Path, agent_id: str, answered: list[dict[str, Any]]) -> dict[str, Any]:
    """The checks every crash scenario ends with: each answered verdict's row is in the
    ledger (same seq and scan_id), no ticket was admitted twice, the chain verifies."""
    conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        stored = dict(conn.execute("SELECT seq, scan_id FROM scans"))
        doubles = conn.execute(
            "SELECT count(*) FROM (SELECT ticket_id FROM scans WHERE reason = 'admitted'"
            " GROUP BY ticket_id HAVING count(*) > 1)"
        ).fetchone()[0]
    finally:
        conn.close()
    missing = [v for v in answered if stored.get(v["seq"]) != v["scan_id"]]
    report = check_ledger(ledger, agent_id)
    return {"answered": len(answered), "answered_in_ledger": len(answered) - len(missing),
            "ledger_rows": len(stored), "double_admissions": doubles,
            "chain_ok": report.ok, "check": report.summary().splitlines()[0]}  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 2) if ordered else 0.0


def python() -> str:
    return sys.executable
