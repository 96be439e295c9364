"""A torn ledger file, a corrupted page, a WAL deleted after a crash: the agent refuses
to start (exit 3) with a message a venue tech can act on, ``edge-agent check`` names
the damage, and the file is left exactly as it was (nothing silently rebuilt)."""

from __future__ import annotations

import asyncio
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import aiohttp

from demo.event import DemoEvent
from tests.hardening.common import Agent, Load, Outcome, cli, demo_event


def torn(path: Path, rng: random.Random) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: rng.randrange(4096, len(data) - 4096)])  # cut mid-file


def corrupted(path: Path, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    page = rng.randrange(2, len(data) // 4096)  # a page past the header
    data[page * 4096 : page * 4096 + 512] = rng.randbytes(512)
    path.write_bytes(bytes(data))


def wal_deleted(path: Path, rng: random.Random) -> None:
    path.with_name(path.name + "-wal").unlink()


DAMAGE: dict[str, Callable[[Path, random.Random], None]] = {
    "torn file": torn,
    "corrupted page": corrupted,
    "WAL deleted after a crash": wal_deleted,
}


async def crashed_ledger(ev: DemoEvent) -> None:
    """Scans, then SIGKILL: the newest rows are still in the WAL."""
    agent = await asyncio.to_thread(Agent, ev.config_path)
    async with aiohttp.ClientSession() as http:
        headers = [await agent.pair(http)]
    load = Load(agent.url, headers, ev.valid, 100.0)
    stop = asyncio.Event()
    task = asyncio.create_task(load.run(stop, random.Random(3)))
    await asyncio.sleep(1.0)
    stop.set()
    await task
    await asyncio.to_thread(agent.kill)


async def run(work: Path, heavy: bool) -> Outcome:
    rng = random.Random(99)
    rounds = 3 if heavy else 1
    figures: dict[str, object] = {}
    notes: list[str] = []
    ok = True
    tries = 0
    # two data dirs to copy from: a crashed agent's (rows still in the WAL) and the
    # same after a clean restart and stop (the WAL folded into the file)
    crashed = await demo_event(work / "crashed", tickets=200)
    await crashed_ledger(crashed)
    clean = work / "clean"
    skip = shutil.ignore_patterns("*.sock", "agent.lock")
    shutil.copytree(crashed.config_path.parent, clean, ignore=skip)
    again = await asyncio.to_thread(Agent, clean / "config.toml")
    assert again.stop() == 0
    for name, damage in DAMAGE.items():
        source = crashed.config_path.parent if name == "WAL deleted after a crash" else clean
        for r in range(rounds):
            tries += 1
            root = work / f"{name.replace(' ', '-')}-{r}"
            shutil.copytree(source, root, ignore=skip)
            config = root / "config.toml"
            path = root / "data" / "ledger.sqlite3"
            damage(path, rng)
            # the main file and its WAL hold the data (-shm is SQLite's index of the WAL)
            kept = [path, path.with_name(path.name + "-wal")]
            before = {p.name: p.read_bytes() for p in kept if p.exists()}
            run_ = cli("run", "--config", str(config))
            check = cli("check", "--config", str(config))
            after = {p.name: p.read_bytes() for p in kept if p.exists()}
            refused = run_.returncode == 3 and "Traceback" not in run_.stderr
            named = check.returncode == 1 and "ledger" in check.stdout.lower()
            untouched = before == after
            ok = ok and refused and named and untouched
            if r == 0:
                figures[name] = (
                    "refused, named, untouched"
                    if refused and named and untouched
                    else f"run={run_.returncode} check={check.returncode} untouched={untouched}"
                )
                said = [line for line in run_.stderr.splitlines() if "ledger" in line]
                notes.append(f"{name}: «{(said or ['?'])[0][:240]}…»")
            shutil.rmtree(root, ignore_errors=True)
    return Outcome("Torn/corrupt ledger, deleted WAL", tries, ok, figures, notes)
