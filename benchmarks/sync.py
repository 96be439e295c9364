"""Sync with the reference platform, measured on the real processes (P6, P7, P8, P11).

Prints one JSON object. Everything runs as it does at a venue, on loopback:

* the platform is a ``gatehouse-platform serve`` subprocess, its event filled by
  ``gatehouse-platform seed`` (plain-code tickets, the same manifest path as GH1);
* each agent is an ``edge-agent run`` subprocess with ``[sync]`` pointing at it,
  enrolled like docs/install.md says (key → ``enrol`` → token file 0600).

Figures:

* ``upload_100k_s`` (P6): an agent whose ledger holds ``--rows`` scan rows (written by the
  real ``LedgerWriter``) starts with sync; from its "sync started" log line until the
  platform has acknowledged every row (outbox depth 0, polled on the control socket).
  The platform's copy of the last row is then compared with the ledger's chain value.
* ``manifest_1m_s`` (P7): a fresh agent for the seeded event, from process spawn until
  its status shows the first full manifest applied (every page committed, plain codes
  and lookup indexes built); ``manifest_peak_rss_mb`` is that process's ``VmHWM``.
* ``start_ready_s`` (P8): the agent restarted on that data dir, spawn → "listening"
  (median of three restarts; each restart's figure is listed too).
* ``steady_rss_mb`` (P11): ``VmRSS`` after ready, a few scans and a sync round with
  nothing new to download; the larger of the agent that did the first load and a
  restarted one.

While the first load runs, a paired scanner scans at ``PROBE_PER_S`` (issue 17: the
writer never blocks a scan longer than 20 ms): ``load_scan_*`` are those verdicts'
latencies (client side, loopback HTTP included); ``load_writer_blocked_max_ms`` the
longest any scan was held back before the writer took it, ``load_writer_wait_max_ms``
the longest until its durable commit (status ``ledger``, ``docs/hardening.md``).

Baselines measured in the same run: ``baseline_fetch_only_s`` fetches every manifest
page from the platform and decodes it, and nothing else (the floor the agent's load
stands on); ``baseline_python_import_s`` is a process that only imports the agent
(the floor of ``start_ready_s``).
"""

# ruff: noqa: E402  (the path fix below must run before the project is imported)
from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python benchmarks/sync.py``, this file's directory comes first on sys.path and
# its own name would shadow the ``sync`` package the agent imports; the checkout goes on
# instead, for ``benchmarks._stack``.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import tempfile
import time
from typing import Any

import aiohttp

from benchmarks._stack import Agent, Platform
from edge_agent.config.sections import Config
from edge_agent.ids import uuid7
from edge_agent.ledger.records import ScanRow
from edge_agent.ledger.writer import LedgerWriter

MANIFEST_EVENT = 1001
UPLOAD_EVENT = 1002
#: Plain-code tickets issued through the admin API beside the seeded ones, so the
#: steady-state agent has real codes to scan.
SCAN_TICKETS = 5


def mb(kb: int) -> float:
    return round(kb / 1024, 1)


def proc_status_kb(pid: int, key: str) -> int:
    """``VmHWM`` (peak resident) or ``VmRSS`` of a process, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (``/proc/PID/stat``): a figure the
    other load on a shared machine hardly changes, unlike the wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ the measurements


async def fill(path: Path, agent_id: str, rows: int, event_id: int) -> None:
    """``rows`` scan rows through the real writer (half admissions, like a busy night)."""
    writer = await LedgerWriter.open(path, agent_id)
    now = int(time.time() * 1000)
    try:
        for start in range(0, rows, 5000):
            futs = []
            for i in range(start, min(rows, start + 5000)):
                admit = i % 2 == 0
                row = ScanRow(
                    uuid7(now + i), now + i, "gate-3", "lane-1", "bench", "bench", "in",
                    "gh1", event_id, f"{i:032x}", 0, "a2a8de93", f"{i:064x}",
                    "admit" if admit else "refuse",
                    "admitted" if admit else "already_admitted",
                )  # fmt: skip
                futs.append(writer.submit_scan(row))
            await asyncio.gather(*futs)
    finally:
        await writer.close()


async def measure_upload(platform: Platform, root: Path, rows: int) -> dict[str, Any]:
    config = await platform.enrol_agent(root, "bench-upload", UPLOAD_EVENT)
    config.ledger_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    await fill(config.ledger_path, config.agent.agent_id, rows, UPLOAD_EVENT)
    fill_s = time.perf_counter() - t0
    platform_cpu = cpu_s(platform.proc.pid)
    agent = Agent(config)
    try:
        await agent.listening()
        done = await agent.wait_for(
            lambda s: s["outbox"]["scans"]["uploaded_through_seq"] >= rows, timeout_s=600
        )
        agent_cpu = cpu_s(agent.proc.pid)
        platform_cpu = cpu_s(platform.proc.pid) - platform_cpu
        started = agent.seen("sync started")
        assert started is not None
    finally:
        await agent.stop()
    stored = await platform.admin.stored_rows(config.agent.agent_id, after_seq=rows - 1, limit=2)
    conn = sqlite3.connect(f"file:{config.ledger_path}?mode=ro", uri=True)
    (chain,) = conn.execute("SELECT chain FROM scans WHERE seq = ?", (rows,)).fetchone()
    conn.close()
    if [r["row"]["seq"] for r in stored] != [rows] or stored[0]["row"]["chain"] != chain:
        raise RuntimeError(f"platform does not hold the agent's last row: {stored}")
    return {
        "upload_rows": rows,
        "upload_s": round(done - started[0], 2),
        "upload_spawn_to_done_s": round(done - agent.spawned, 2),
        "upload_fill_ledger_s": round(fill_s, 1),
        "upload_agent_cpu_s": round(agent_cpu, 1),
        "upload_platform_cpu_s": round(platform_cpu, 1),
    }


async def steady(agent: Agent, codes: list[str]) -> tuple[int, list[str]]:
    """A few scans and sync rounds with nothing new to download; VmRSS (kB) after."""
    token = await agent.pair_scanner()
    await agent.sync_now()
    outcomes = [await agent.scan(token, code) for code in codes]
    await agent.sync_now()  # uploads the scans; the manifest has nothing new
    await agent.sync_now()
    await asyncio.sleep(1.0)
    return proc_status_kb(agent.proc.pid, "VmRSS"), outcomes


#: Scans per second sent while the first manifest loads.
PROBE_PER_S = 50


async def probe_scans(agent: Agent, code: str, stop: asyncio.Event) -> list[float]:
    """Scan ``code`` every 1/``PROBE_PER_S`` s until ``stop``; each verdict's ms."""
    token = await agent.pair_scanner()
    headers = {"Authorization": f"Bearer {token}"}
    times: list[float] = []
    async with aiohttp.ClientSession(headers=headers) as http:
        while not stop.is_set():
            t0 = time.perf_counter()
            async with http.post(f"{agent.url}/api/v1/scans", json={"code": code}) as r:
                await r.read()
            times.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(max(0.0, 1 / PROBE_PER_S - (time.perf_counter() - t0)))
    return times


async def measure_manifest(
    platform: Platform, root: Path, tickets: int, scan_codes: list[str]
) -> dict[str, Any]:
    config = await platform.enrol_agent(root, "bench-gate", MANIFEST_EVENT)
    platform_cpu = cpu_s(platform.proc.pid)
    agent = Agent(config)
    try:
        first_listening_s = await agent.listening()
        stop = asyncio.Event()
        probe = asyncio.ensure_future(probe_scans(agent, scan_codes[0], stop))
        try:
            done = await agent.wait_for(lambda s: s["manifest"]["at"] is not None, timeout_s=900)
        finally:
            stop.set()
        probe_ms = await probe
        ledger_status = (await agent.control("GET", "/control/status"))["ledger"]
        manifest_s = done - agent.spawned
        agent_cpu = cpu_s(agent.proc.pid)
        platform_cpu = cpu_s(platform.proc.pid) - platform_cpu
        started = agent.seen("sync started")
        assert started is not None
        from_sync_start_s = done - started[0]
        peak_kb = proc_status_kb(agent.proc.pid, "VmHWM")
        rss_after_load_kb, outcomes = await steady(agent, scan_codes)
    finally:
        await agent.stop()
    conn = sqlite3.connect(f"file:{config.ledger_path}?mode=ro", uri=True)
    (stored,) = conn.execute("SELECT count(*) FROM manifest_tickets").fetchone()
    (codes,) = conn.execute("SELECT count(*) FROM plain_codes").fetchone()
    conn.close()
    if stored != tickets + SCAN_TICKETS or codes != stored:
        raise RuntimeError(f"ledger holds {stored} tickets and {codes} plain codes")

    starts: list[float] = []
    agent_reported: list[float] = []
    rss_after_restart_kb = 0
    for i in range(3):
        agent = Agent(config)
        try:
            starts.append(await agent.listening())
            ready = agent.seen("agent ready")
            assert ready is not None
            agent_reported.append(ready[1]["start_s"])
            if i == 2:
                rss_after_restart_kb, _ = await steady(agent, scan_codes)
        finally:
            await agent.stop()
    return {
        "load_scans": len(probe_ms),
        "load_scan_p50_ms": round(statistics.median(probe_ms), 2),
        "load_scan_p99_ms": round(sorted(probe_ms)[int(len(probe_ms) * 0.99)], 2),
        "load_scan_max_ms": round(max(probe_ms), 2),
        "load_writer_wait_max_ms": ledger_status.get("scan_wait_max_ms"),
        "load_writer_blocked_max_ms": ledger_status.get("scan_blocked_max_ms"),
        "load_writer_blocked_over_20ms": ledger_status.get("scans_blocked_over_20ms"),
        "load_writer_slice_max_ms": ledger_status.get("slice_max_ms"),
        "load_writer_slices_over_20ms": ledger_status.get("slices_over_20ms"),
        "manifest_tickets": stored,
        "manifest_s": round(manifest_s, 2),
        "manifest_peak_rss_mb": mb(peak_kb),
        "manifest_from_sync_start_s": round(from_sync_start_s, 2),
        "manifest_agent_cpu_s": round(agent_cpu, 1),
        "manifest_platform_cpu_s": round(platform_cpu, 1),
        "first_start_listening_s": round(first_listening_s, 2),
        "steady_scans": outcomes,
        "steady_rss_after_load_mb": mb(rss_after_load_kb),
        "steady_rss_after_restart_mb": mb(rss_after_restart_kb),
        "start_ready_runs_s": [round(s, 3) for s in starts],
        "start_ready_s": round(statistics.median(starts), 3),
        "start_agent_reported_s": [round(s, 3) for s in agent_reported],
        "ledger_mb": round(config.ledger_path.stat().st_size / 1e6, 1),
        "config": config,
    }


async def fetch_only(platform: Platform, config: Config) -> tuple[float, int, int]:
    """Every manifest page fetched and decoded, nothing checked or stored."""
    token = config.sync_token_path.read_text().strip()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    page_size = config.sync.manifest_page_size
    cursor, pages, tickets = "", 0, 0
    t0 = time.perf_counter()
    async with aiohttp.ClientSession(headers=headers) as session:
        while True:
            query = f"limit={page_size}" + (f"&since={cursor}" if cursor else "")
            url = f"{platform.url}/v1/events/{MANIFEST_EVENT}/manifest?{query}"
            async with session.get(url) as resp:
                raw = await resp.read()
            doc = await asyncio.to_thread(json.loads, raw)
            pages += 1
            tickets += len(doc["tickets"])
            cursor = doc["cursor"]
            if not doc["more"]:
                break
    return time.perf_counter() - t0, pages, tickets


def python_import_s() -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import edge_agent.cli.main, edge_agent.runtime"], check=True
    )
    return time.perf_counter() - t0


async def main_async(tickets: int, rows: int) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="gatehouse-sync-bench-"))
    platform = await Platform.start(root / "platform")
    try:
        await platform.create_event(MANIFEST_EVENT)
        await platform.create_event(UPLOAD_EVENT)
        scan_codes = await platform.issue_plain(MANIFEST_EVENT, SCAN_TICKETS)
        seed_s = platform.seed(MANIFEST_EVENT, tickets)
        upload = await measure_upload(platform, root / "upload-agent", rows)
        manifest = await measure_manifest(platform, root / "gate-agent", tickets, scan_codes)
        config: Config = manifest.pop("config")
        base_fetch_s, pages, fetched = await fetch_only(platform, config)
    finally:
        await platform.stop()
    steady_mb = max(manifest["steady_rss_after_load_mb"], manifest["steady_rss_after_restart_mb"])
    return {
        "benchmark": "sync",
        "tickets_seeded": tickets,
        "seed_s": round(seed_s, 1),
        "ledger_rows": rows,
        "upload_100k_s": upload["upload_s"],
        "manifest_1m_s": manifest["manifest_s"],
        "manifest_peak_rss_mb": manifest["manifest_peak_rss_mb"],
        "start_ready_s": manifest["start_ready_s"],
        "steady_rss_mb": steady_mb,
        "targets": {
            "upload_100k_s": 10,
            "manifest_1m_s": 30,
            "manifest_peak_rss_mb": 200,
            "start_ready_s": 2,
            "steady_rss_mb": 150,
        },
        "manifest_pages": pages,
        "manifest_page_size": config.sync.manifest_page_size,
        "baseline_fetch_only_s": round(base_fetch_s, 2),
        "baseline_fetch_only_tickets": fetched,
        "baseline_python_import_s": round(python_import_s(), 3),
        **{k: v for k, v in upload.items() if k != "upload_s"},
        **{k: v for k, v in manifest.items() if k not in ("manifest_s", "manifest_peak_rss_mb")},
        "data_dir": str(root),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--json", action="store_true", help="print one JSON object (default)")
    p.add_argument("--short", action="store_true", help="100,000 tickets and 10,000 rows")
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--keep", action="store_true", help="keep the temp data dirs")
    args = p.parse_args()
    tickets, rows = (100_000, 10_000) if args.short else (args.tickets, args.rows)
    result = asyncio.run(main_async(tickets, rows))
    if (tickets, rows) != (1_000_000, 100_000):
        result["note"] = "upload_100k_s and manifest_1m_s hold ledger_rows / tickets_seeded"
    if not args.keep:
        import shutil

        shutil.rmtree(result.pop("data_dir"), ignore_errors=True)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
