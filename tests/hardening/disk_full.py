"""The disk fills up under the gate, and during a manifest load: scans are refused as
``not_recorded`` (HTTP 503) with the ``ledger_not_recording`` alarm in status and the
log, nothing is corrupted, and recording resumes by itself when space returns.

A real full filesystem: the data dir lives on a small tmpfs (``size=``), filled with a
file until ``ENOSPC``. Needs root (``mount``); where mounting is refused the scenario
says so and falls back to nothing (``test_ledger_disk_full.py`` covers the writer with
``PRAGMA max_page_count`` everywhere).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import random
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.store import LedgerSyncStore
from sync.manifest_page import parse_manifest_page
from tests.hardening.common import Agent, Load, Outcome, demo_event, ledger_verdicts

ALARM = "ledger_not_recording"


@contextlib.contextmanager
def small_disk(where: Path, size_mb: int) -> Iterator[Path | None]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs",
                              str(where)], capture_output=True, check=False)  # fmt: skip
    try:
        yield where if mounted.returncode == 0 else None
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(disk: Path) -> Path:
    """Write a filler file until the filesystem is full; return it."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 20, 1 << 12, 1):
            block = b"\0" * chunk
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return filler


async def scans_through_a_full_disk(disk: Path, cycles: int) -> dict[str, Any]:
    ev = await demo_event(disk / "event", tickets=300)
    agent = await asyncio.to_thread(Agent, ev.config_path)
    async with aiohttp.ClientSession() as http:
        headers = [await agent.pair(http) for _ in range(2)]
    load = Load(agent.url, headers, ev.valid, 50.0)
    stop = asyncio.Event()
    task = asyncio.create_task(load.run(stop, random.Random(5)))
    alarm_seen = alarm_cleared = 0
    refused_503 = 0
    try:
        for _ in range(cycles):
            await asyncio.sleep(0.5)
            before = load.statuses.get(503, 0)
            filler = fill(disk)
            await asyncio.sleep(1.5)
            refused_503 += load.statuses.get(503, 0) - before
            codes = [a["code"] for a in (await agent.status())["alarms"]]
            alarm_seen += ALARM in codes
            filler.unlink()
            await asyncio.sleep(1.5)
            codes = [a["code"] for a in (await agent.status())["alarms"]]
            alarm_cleared += ALARM not in codes
    finally:
        stop.set()
        await task
    rc = agent.stop()
    figures = ledger_verdicts(ev.config.ledger_path, "demo-gate-box", load.answered)
    logged = f'"ALARM {ALARM}' in agent.log_text() or f"ALARM {ALARM}" in agent.log_text()
    figures.update(cycles=cycles, refused_not_recorded=refused_503, alarm_in_status=alarm_seen,
                   alarm_cleared_after=alarm_cleared, alarm_logged=logged, stop_rc=rc,
                   integrity=check_ledger(ev.config.ledger_path).ok)  # fmt: skip
    return figures


def page_doc(n: int, per_page: int, more: bool) -> dict[str, Any]:
    tickets = [{"ticket_id": f"{n * per_page + i:032x}", "ticket_type": 1,
                "order_id": f"O-{n}-{i}", "holder_name": f"Guest {n}-{i}" + " x" * 40,
                "holder_email": f"g{n}-{i}@example.org", "plain_code_sha256": f"{n}-{i}".encode(
                ).hex().rjust(64, "0"), "valid_from": 0, "valid_until": 0}
               for i in range(per_page)]  # fmt: skip
    return {"format": "gatehouse-manifest-v1", "event_id": 1001, "cursor": f"c:{n}",
            "more": more, "generated_at_ms": 1, "event": {"name": "E", "venue": "V",
            "status": "on_sale", "starts_at_ms": 0, "postponed_to": None},
            "keyring": {"keys": []}, "ticket_types": [{"ticket_type": 1, "name": "T"}],
            "tickets": tickets, "revocations": []}  # fmt: skip


async def manifest_load_through_a_full_disk(disk: Path, pages: int) -> dict[str, Any]:
    """Pages into a ledger on the small disk (the store the agent uses); the disk fills
    mid-load; the failed page is retried once space returns."""
    path = disk / "manifest" / "ledger.sqlite3"
    path.parent.mkdir()
    writer = await LedgerWriter.open(path, "gate-disk")
    failures: list[str] = []
    writer.failure_listeners.append(failures.append)
    store = LedgerSyncStore(writer, path, 1001)
    filler: Path | None = None
    retried = 0
    try:
        n = 0
        while n < pages:
            page = parse_manifest_page(json.loads(json.dumps(page_doc(n, 2000, n < pages - 1))),
                                       1001)  # fmt: skip
            if n == pages // 2 and filler is None:
                filler = fill(disk)
            try:
                await store.commit_manifest_page(page)
            except Exception:
                if filler is None:
                    raise
                filler.unlink()  # space returns; the sync worker retries the page
                retried += 1
                continue
            n += 1
    finally:
        await store.close()
        await writer.close()
    report = check_ledger(path, "gate-disk")
    conn = sqlite3.connect(path)
    stored = conn.execute("SELECT count(*) FROM manifest_tickets").fetchone()[0]
    codes = conn.execute("SELECT count(*) FROM plain_codes").fetchone()[0]
    conn.close()
    return {"pages": pages, "page_failed_then_retried": retried, "writer_failures":
            len(failures), "tickets_stored": stored, "codes_stored": codes,
            "manifest_ok": report.ok and stored == codes == pages * 2000}  # fmt: skip


async def run(work: Path, heavy: bool) -> Outcome:
    with small_disk(work / "disk", 48 if heavy else 24) as disk:
        if disk is None:
            return Outcome("Disk full", 0, False, notes=["cannot mount a tmpfs here (not root?)"])
        scans = await scans_through_a_full_disk(disk, 3 if heavy else 1)
        load = await manifest_load_through_a_full_disk(disk, 12 if heavy else 6)
    figures = {**scans, **{f"manifest_{k}": v for k, v in load.items()}}
    ok = (
        scans["answered_in_ledger"] == scans["answered"] > 0
        and scans["refused_not_recorded"] > 0
        and scans["alarm_in_status"] == scans["cycles"] == scans["alarm_cleared_after"]
        and scans["alarm_logged"]
        and scans["chain_ok"]
        and scans["integrity"]
        and scans["stop_rc"] == 0
        and load["page_failed_then_retried"] >= 1
        and load["manifest_ok"]
    )
    return Outcome("Disk full (tmpfs): scans and a manifest load", scans["cycles"] + 1, ok,
                   figures)  # fmt: skip
