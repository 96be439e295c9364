"""Child process for test_ledger_kill.py: append scans forever, in concurrent bursts,
and print ``durable <seq> <scan_id>`` for a row only once its future resolved.

Usage: python ledger_kill_child.py LEDGER_PATH AGENT_ID RUN_TAG
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from edge_agent.ledger.records import ScanRow, StoredScan
from edge_agent.ledger.writer import LedgerWriter


def make_row(tag: str, i: int) -> ScanRow:
    return ScanRow(
        f"{tag}-{i:09d}", 1_715_000_000_000 + i, "gate-1", "lane-a", "dev-1", "wedge", "in",
        "gh1", 7, f"T{i % 997:04d}", 1, "k1", f"{i:064x}", "admit", "ok",
    )  # fmt: skip


async def main(path: Path, agent_id: str, tag: str) -> None:
    writer = await LedgerWriter.open(path, agent_id, max_batch=64)
    out = sys.stdout

    def report(stored: StoredScan) -> None:
        out.write(f"durable {stored.seq} {stored.row.scan_id}\n")

    i = 0
    while True:
        burst = [writer.submit_scan(make_row(tag, i + k)) for k in range(50)]
        i += 50
        for fut in asyncio.as_completed(burst):
            report(await fut)
        out.flush()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
