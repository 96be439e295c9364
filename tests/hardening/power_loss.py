"""Power loss during a migration and during a manifest page commit: the writer process
dies at every SQL statement of the step in turn (or, heavy, at each of them several
times), then the part of the write-ahead log past its last commit is torn as a power
cut may leave it (cut short, garbage appended) and the shared-memory index dropped.
The next start must complete the step or refuse with a clear message, and
``edge-agent check``'s reading (``check_ledger``) must name any damage."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from edge_agent.errors import LedgerError
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.schema import SCHEMA_VERSION
from edge_agent.ledger.writer import LedgerWriter
from tests.hardening.common import Outcome
from tests.hardening.power_loss_child import AGENT, PAGES, PER_PAGE, resume_pages
from tests.helpers import scan_row
from tests.paths import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "edge_agent" / "ledger" / "fixtures" / "ledger-v2.sql"


def child(mode: str, path: Path, kill_at: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tests.hardening.power_loss_child", mode, str(path), str(kill_at)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip


def tear_wal(path: Path, rng: random.Random) -> int:
    """Keep the WAL up to its last valid commit frame; cut what follows at a random
    point and append random bytes. Returns how many bytes past the last commit were
    changed (0: nothing was pending)."""
    wal = path.with_name(path.name + "-wal")
    path.with_name(path.name + "-shm").unlink(missing_ok=True)
    if not wal.exists() or wal.stat().st_size < 32:
        return 0
    data = wal.read_bytes()
    page_size = int.from_bytes(data[8:12], "big")
    salts = data[16:24]
    frame = 24 + page_size
    end, offset = 32, 32
    while offset + frame <= len(data) and data[offset + 8 : offset + 16] == salts:
        if int.from_bytes(data[offset + 4 : offset + 8], "big"):  # a commit frame
            end = offset + frame
        offset += frame
    pending = len(data) - end
    cut = rng.randrange(end, len(data) + 1)
    wal.write_bytes(data[:cut] + rng.randbytes(rng.randrange(0, frame)))
    return pending


def v2_ledger(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()


def remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def rows_of(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT seq, scan_id, chain FROM scans ORDER BY seq").fetchall()
    finally:
        conn.close()


async def after_the_cut(mode: str, path: Path) -> str:
    """The next start: "completed", or the refusal's first words."""
    report = check_ledger(path, AGENT)
    if not report.ok:
        return "refused by check: " + report.summary().splitlines()[0][:120]
    try:
        writer = await LedgerWriter.open(path, AGENT)
    except LedgerError as exc:
        return "refused: " + str(exc)[:120]
    try:
        if mode == "pages":
            await resume_pages(writer, path)
    finally:
        await writer.close()
    return "completed"


def complete(mode: str, path: Path, rows_before: list[tuple[Any, ...]]) -> bool:
    if not check_ledger(path, AGENT).ok or rows_of(path) != rows_before:
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if mode == "migrate":
            return int(conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION
        tickets, codes, cursor = conn.execute(
            "SELECT (SELECT count(*) FROM manifest_tickets), (SELECT count(*) FROM plain_codes),"
            " (SELECT manifest_cursor FROM sync_state)"
        ).fetchone()
        return bool(tickets == codes == PAGES * PER_PAGE and cursor == f"c:{PAGES - 1}")
    finally:
        conn.close()


async def step(mode: str, work: Path, heavy: bool, rng: random.Random) -> dict[str, Any]:
    base = work / f"{mode}-base.sqlite3"
    if mode == "migrate":  # a ledger as version 2 left it, rows and all
        v2_ledger(base)
    else:  # a current ledger with scans and no manifest yet: the pages are the step
        writer = await LedgerWriter.open(base, AGENT)
        for i in range(20):
            await writer.submit_scan(scan_row(i))
        await writer.close()
    rows_before = rows_of(base)
    dry = work / f"{mode}-dry.sqlite3"
    shutil.copy(base, dry)
    statements = int(child(mode, dry, 0).stdout.strip() or 0)
    points = list(range(1, statements + 1))
    # every statement of a migration (heavy), 60 of a page load's thousands; light: a
    # few, always the first and the last
    many = 60 if heavy else 1
    if heavy and mode == "migrate":
        many = len(points)
    points = sorted({1, statements, *rng.sample(points, min(many, len(points)))})
    results: dict[str, int] = {}
    bad: list[str] = []
    torn = 0
    for k in points:
        path = work / f"{mode}-{k}.sqlite3"
        shutil.copy(base, path)
        died = child(mode, path, k)
        if died.returncode != -9:
            bad.append(f"k={k}: child rc {died.returncode}")
            continue
        torn += tear_wal(path, rng) > 0
        said = await after_the_cut(mode, path)
        results[said.split(":")[0]] = results.get(said.split(":")[0], 0) + 1
        if said == "completed" and not complete(mode, path, rows_before):
            bad.append(f"k={k}: completed but the ledger is not whole")
        remove(path)
    return {"statements": statements, "cut_points": len(points), "tails_torn": torn,
            **results, "bad": bad}  # fmt: skip


async def run(work: Path, heavy: bool) -> Outcome:
    os.makedirs(work, exist_ok=True)
    rng = random.Random(2026)
    migrate = await step("migrate", work, heavy, rng)
    pages = await step("pages", work, heavy, rng)
    figures = {**{f"migration_{k}": v for k, v in migrate.items()},
               **{f"page_commit_{k}": v for k, v in pages.items()}}  # fmt: skip
    ok = not migrate["bad"] and not pages["bad"] and migrate["statements"] > 0 \
        and pages["statements"] > 0  # fmt: skip
    tries = migrate["cut_points"] + pages["cut_points"]
    return Outcome("Power loss in a migration / a page commit", tries, ok, figures)


if __name__ == "__main__":  # pragma: no cover
    asyncio.run(run(Path(sys.argv[1]), heavy=False))
