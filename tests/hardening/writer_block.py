"""The writer never blocks a scan for long: a first manifest load while a gate scans.

Heavy: ``benchmarks/sync.py`` on a million seeded tickets — the real platform and agent
processes — with a scanner at 50 scans/s during the load; its figures are the row (and
P7, the load's own time). Light: 100,000 tickets through the agent's sync store into a
real ledger while a scan is submitted every 10 ms. The figure is how long any scan was
held back before the writer took it (``scan_blocked_max_ms``: its own commit's fsync is
the disk's floor, not the writer's doing; ``scan_wait_max_ms`` includes it).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.store import LedgerSyncStore
from sync.manifest_page import parse_manifest_page
from tests.hardening.common import Outcome
from tests.helpers import scan_row
from tests.paths import REPO_ROOT

PAGE = 5000


def page_doc(n: int, more: bool) -> dict[str, Any]:
    tickets = [{"ticket_id": f"{n * PAGE + i:032x}", "ticket_type": 1, "order_id": f"O-{n}",
                "holder_name": f"Guest {n * PAGE + i}", "holder_email": f"g{i}@example.org",
                "plain_code_sha256": hashlib.sha256(f"{n}/{i}".encode()).hexdigest(),
                "valid_from": 0, "valid_until": 0} for i in range(PAGE)]  # fmt: skip
    return {"format": "gatehouse-manifest-v1", "event_id": 1001, "cursor": f"c:{n}",
            "more": more, "generated_at_ms": 1, "event": {"name": "E", "venue": "V",
            "status": "on_sale", "starts_at_ms": 0, "postponed_to": None},
            "keyring": {"keys": []}, "ticket_types": [{"ticket_type": 1, "name": "T"}],
            "tickets": tickets, "revocations": []}  # fmt: skip


async def light(work: Path, tickets: int) -> dict[str, Any]:
    path = work / "ledger.sqlite3"
    os.makedirs(work, exist_ok=True)
    writer = await LedgerWriter.open(path, "gate-load")
    store = LedgerSyncStore(writer, path, 1001)
    stop = asyncio.Event()
    latencies: list[float] = []

    async def gate() -> None:
        i = 0
        while not stop.is_set():
            t0 = time.perf_counter()
            await writer.submit_scan(scan_row(i))
            latencies.append((time.perf_counter() - t0) * 1000)
            i += 1
            await asyncio.sleep(0.01)

    scanning = asyncio.create_task(gate())
    t0 = time.perf_counter()
    try:
        pages = tickets // PAGE
        for n in range(pages):
            await store.commit_manifest_page(parse_manifest_page(page_doc(n, n < pages - 1), 1001))
    finally:
        load_s = time.perf_counter() - t0
        stop.set()
        await scanning
        await store.close()
        await writer.close()
    waits = writer.scan_waits
    return {"tickets": tickets, "load_s": round(load_s, 1), "scans": len(latencies),
            "scan_blocked_max_ms": round(waits.blocked_max_ms, 1),
            "scans_blocked_over_20ms": waits.blocked,
            "scan_wait_max_ms": round(waits.max_ms, 1), "slices": waits.slices,
            "slice_max_ms": round(waits.slice_max_ms, 1),
            "slices_over_20ms": waits.slices_over}  # fmt: skip


def heavy_run() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "sync.py"), "--json",
         "--tickets", "1000000", "--rows", "10000"],
        capture_output=True, text=True, timeout=1200, check=True,
    ).stdout  # fmt: skip
    doc: dict[str, Any] = json.loads(out)
    keys = ("manifest_1m_s", "load_scans", "load_scan_p50_ms", "load_scan_p99_ms",
            "load_scan_max_ms", "load_writer_blocked_max_ms", "load_writer_blocked_over_20ms",
            "load_writer_wait_max_ms", "load_writer_slice_max_ms",
            "load_writer_slices_over_20ms", "manifest_peak_rss_mb", "start_ready_s")  # fmt: skip
    return {k: doc.get(k) for k in keys}


async def run(work: Path, heavy: bool) -> Outcome:
    if heavy:
        figures = await asyncio.to_thread(heavy_run)
        # the promise, measured as it is said: no scan held back by the writer more
        # than 20 ms (the slices' own longest is reported beside it)
        ok = (figures["load_writer_blocked_max_ms"] or 1e9) <= 20.0 and \
            (figures["manifest_1m_s"] or 1e9) <= 30.0  # fmt: skip
        return Outcome("Writer vs a 1M-ticket first load (scans at 50/s)", 1, ok, figures)
    figures = await light(work, 100_000)
    # light runs inside make test on a loaded machine: the bound has room for that; the
    # index builds and the one-statement fill this replaced held the writer 60-250 ms
    # each at this size
    ok = figures["slice_max_ms"] <= 50.0 and figures["scan_blocked_max_ms"] <= 100.0
    return Outcome("Writer vs a first load", 1, ok, figures)
