"""Agent start-up with a large ledger: integrity check, full chain check, admission
index rebuild. Prints one JSON object.

Fills a ledger with ``--rows`` scan rows (half admissions, half refusals, like a busy
night) through the real writer, then times ``AgentRuntime.start`` and its parts.
"""

# ruff: noqa: E402  (the path fix below must run before the project is imported)
from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python benchmarks/start.py``, this file's directory comes first on sys.path and
# ``benchmarks/sync.py`` would shadow the ``sync`` package the agent imports (``make
# bench`` failed with "'sync' is not a package"); the checkout goes on instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import asyncio
import json
import random
import tempfile
import time

from demo.event import make_demo_event
from edge_agent.cli.manifest_cmd import import_manifest
from edge_agent.ids import uuid7
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.queries import admission_history
from edge_agent.ledger.records import ScanRow
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.runtime import AgentRuntime


async def fill(path: Path, agent_id: str, rows: int) -> None:
    writer = await LedgerWriter.open(path, agent_id)
    now = int(time.time() * 1000)
    try:
        for start in range(0, rows, 5000):
            futs = []
            for i in range(start, min(rows, start + 5000)):
                admit = i % 2 == 0
                futs.append(
                    writer.submit_scan(
                        ScanRow(
                            uuid7(now + i),
                            now + i,
                            "gate-3",
                            "lane-1",
                            "bench",
                            "bench",
                            "in",
                            "gh1",
                            1001,
                            f"{i:032x}",
                            0,
                            "a2a8de93",
                            f"{i:064x}",
                            "admit" if admit else "refuse",
                            "admitted" if admit else "already_admitted",
                        )
                    )
                )
            await asyncio.gather(*futs)
    finally:
        await writer.close()


async def main_async(rows: int) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="gatehouse-start-"))
    ev = make_demo_event(root, tickets=20, now_s=int(time.time()), rng=random.Random(1))
    await import_manifest(ev.config, ev.manifest)
    t0 = time.perf_counter()
    await fill(ev.config.ledger_path, ev.config.agent.agent_id, rows)
    fill_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = check_ledger(ev.config.ledger_path, ev.config.agent.agent_id)
    check_s = time.perf_counter() - t0
    assert report.ok, report.summary()
    reader = open_read_connection(ev.config.ledger_path)
    t0 = time.perf_counter()
    replayed = sum(1 for _ in admission_history(reader))
    history_s = time.perf_counter() - t0
    reader.close()
    t0 = time.perf_counter()
    rt = await AgentRuntime.start(ev.config)
    start_s = time.perf_counter() - t0
    admitted = rt.state.admitted_count
    await rt.stop()
    return {
        "benchmark": "start",
        "ledger_rows": rows,
        "fill_rows_per_s": round(rows / fill_s),
        "check_ledger_s": round(check_s, 3),
        "admission_rows": replayed,
        "admission_history_read_s": round(history_s, 3),
        "start_ready_s": round(start_s, 3),
        "tickets_admitted_after_start": admitted,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--json", action="store_true", help="print one JSON object (default)")
    p.add_argument("--short", action="store_true", help="20,000 rows instead of --rows")
    p.add_argument("--rows", type=int, default=200_000)
    args = p.parse_args()
    rows = 20_000 if args.short else args.rows
    json.dump(asyncio.run(main_async(rows)), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
