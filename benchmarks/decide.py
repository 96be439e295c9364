"""P1–P3: decision pipeline throughput and latency against raw Ed25519 verify.

Prints one JSON object (``--json``). Every rate is also given as a ratio against the
raw ``cryptography`` verify loop measured in the same run, because machines are noisy.

- raw_verify_per_s: ``Ed25519PublicKey.verify`` on pre-decoded (signature, message) pairs
- pipeline_per_s:   unique signed codes through ``ScanPipeline.scan`` — parse, verify,
                    ``decide()``, claim, and the durable ledger append (group commit,
                    synchronous=FULL) — the verdict future resolves only after COMMIT
- rescan_per_s:     the same codes again (signature cached; verdict ``already_admitted``,
                    still a durable ledger row each)
- rescan_decide_only_*: breakdown of the above without the ledger append (cached read
                    + ``decide()``), to show where a re-scan's time goes
- latency_*:        open-loop arrivals at ``offered_per_s`` for ``--seconds``; time from
                    a scan's scheduled arrival to its durable verdict
- pretix_pipeline_*: unique pretix signed codes (``pretix_sig1``, as pretix writes them)
                    through the same ``ScanPipeline.scan`` — strict parse, verify against
                    the event's pretix key, ``decide()`` with a pretix check-in list's rules,
                    durable append (P12); ratio against the same raw verify rate
- pretix_read_only_*: breakdown: the strict parse + verify alone (``read_credential``),
                    comparable to pretix's own parse+verify (~0.89 × raw, measured with
                    pretix's code)
- commit_*:         the same-run baseline of P3: a bare durable single-row SQLite commit
                    (WAL, synchronous=FULL, a file beside the ledger) paced at the same
                    rate for the same time, half just before the scans and half just
                    after; the disk's fsync is the floor of any verdict.
                    ``latency_p99_ratio`` = scan p99 / commit p99 (target ≤ 2.5) and
                    ``latency_max_excess_ms`` = scan max − commit max (target ≤ 10)
- rules:            ``realistic`` (default): 3 events, 10 check-in lists, 5 zones
                    (``benchmarks/_rules.py``), every scan through them; ``none``: the
                    single-event gate of before; pretix codes meet the same rules (their
                    products mapped to the demo's types)
- P2 (re-scans, ``rescan_ratio``) is retired as a target and still reported
"""

# ruff: noqa: E402  (the path fix below must run before the project is imported)
from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python benchmarks/decide.py``, this file's directory comes first on sys.path and
# ``benchmarks/sync.py`` would shadow the ``sync`` package; the checkout goes on instead,
# for ``benchmarks._stack``.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks._rules import realistic_rules
from benchmarks._stack import percentile
from demo.event import EVENT_ID, issue, make_demo_event
from edge_agent.cli.manifest_cmd import import_manifest
from edge_agent.config.loading import load_config
from edge_agent.domain.decide import decide
from edge_agent.domain.keyring import keyring_entry_for_pretix, load_keyring, merge_keyrings
from edge_agent.domain.pretix_payload import PretixTicket
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.pretix_sig1 import sign_pretix_ticket
from edge_agent.domain.reasons import Direction, ReasonCode
from edge_agent.domain.ticket_codec import parse_gh1
from edge_agent.domain.verification import read_credential
from edge_agent.runtime import AgentRuntime


def raw_verify_rate(codes: list[str], public_key: object, rounds: int = 3) -> float:
    pairs = []
    for code in codes:
        t = parse_gh1(code)
        pairs.append((t.signature, t.signing_message()))
    verify = public_key.verify  # type: ignore[attr-defined]
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for sig, msg in pairs:
            verify(sig, msg)
        best = max(best, len(pairs) / (time.perf_counter() - t0))
    return best


async def run_through(rt: AgentRuntime, codes: list[str], submitters: int = 500) -> float:
    """Feed every code through the pipeline from ``submitters`` concurrent streams (many
    lanes and devices at once), each awaiting its durable verdict before the next scan."""
    scan = rt.pipeline.scan
    feed = iter(codes)

    async def stream() -> None:
        for code in feed:
            await scan(code, lane="lane-1", device_id="bench", device_kind="bench")

    t0 = time.perf_counter()
    await asyncio.gather(*(stream() for _ in range(submitters)))
    return len(codes) / (time.perf_counter() - t0)


async def open_loop(rt: AgentRuntime, codes: list[str], rate: float, seconds: float) -> list[float]:
    """Open-loop arrivals from a separate thread, as packets from scanners would arrive:
    each scan is handed to the event loop at its due time (``call_soon_threadsafe`` wakes
    the loop at once, like a socket becoming readable), whether or not earlier scans are
    done. Latency = durable verdict time − due time, so any queueing in the agent counts.
    (Sleeping on the loop itself would add epoll's millisecond rounding to every scan.)"""
    loop = asyncio.get_running_loop()
    n = int(rate * seconds)
    latencies: list[float] = []
    done = asyncio.Event()
    remaining = n

    async def one(code: str, due: float) -> None:
        nonlocal remaining
        await rt.pipeline.scan(code, lane="lane-1", device_id="bench", device_kind="bench")
        latencies.append((time.perf_counter() - due) * 1000)
        remaining -= 1
        if remaining == 0:
            done.set()

    in_flight: set[asyncio.Task[None]] = set()

    def arrive(code: str, due: float) -> None:
        task = loop.create_task(one(code, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    def arrivals() -> None:
        start = time.perf_counter() + 0.05
        for i in range(n):
            due = start + i / rate
            while (delay := due - time.perf_counter()) > 0:
                time.sleep(min(delay, 0.002) if delay > 0.0005 else 0)
            loop.call_soon_threadsafe(arrive, codes[i % len(codes)], due)

    feeder = threading.Thread(target=arrivals, name="arrivals", daemon=True)
    feeder.start()
    await done.wait()
    feeder.join()
    return latencies


def decide_only_rate(rt: AgentRuntime, codes: list[str]) -> float:
    """Breakdown, not a target: a re-scan's cached read + ``decide()`` without the ledger
    append, through the pipeline's own cache, state and policy."""
    cache, state = rt.pipeline._cache, rt.pipeline.state
    lanes = getattr(rt.pipeline, "lane_policies", {})  # older code had one policy
    policy = lanes.get("lane-1", rt.pipeline.policy)
    now = int(time.time() * 1000)
    t0 = time.perf_counter()
    for code in codes:
        credential, _ = cache.read(code)
        decide(credential, Direction.IN, state, policy, now)
    return len(codes) / (time.perf_counter() - t0)


def pretix_codes(n: int, rng: random.Random) -> tuple[Ed25519PrivateKey, list[str]]:
    """``n`` unique pretix secrets of one event's key, shaped as pretix signs them today
    (a random 9-character seed, item, both validity fields)."""
    key = Ed25519PrivateKey.generate()
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    codes = [
        sign_pretix_ticket(
            PretixTicket("".join(rng.choice(letters) for _ in range(9)), rng.choice((1, 2, 3))),
            key,
        )
        for _ in range(n)
    ]
    return key, codes


def link_pretix(rt: AgentRuntime, key: Ed25519PrivateKey) -> None:
    """What a pretix link's first download gives the gate: the event's key in the
    keyring and the check-in list's rules (products 1–3 as the demo's types 0–2)."""
    raw = key.public_key().public_bytes_raw()
    pretix = load_keyring({"keys": [keyring_entry_for_pretix(raw, [EVENT_ID])]})
    rt.pipeline.replace_keyring(merge_keyrings(rt.pipeline.keyring, pretix))
    rt.state.set_pretix_rules(PretixRules(products={(1, 0): 0, (2, 0): 1, (3, 0): 2}))


def read_only_rate(rt: AgentRuntime, codes: list[str]) -> float:
    keyring = rt.pipeline.keyring
    t0 = time.perf_counter()
    for code in codes:
        read_credential(code, keyring)
    return len(codes) / (time.perf_counter() - t0)


def bare_commits(path: Path, rate: float, seconds: float) -> list[float]:
    """Milliseconds of each INSERT + COMMIT of one row into a WAL file with
    ``synchronous=FULL``, one every 1/``rate`` s for ``seconds`` (the P3 baseline)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (seq INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    first = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM t").fetchone()[0]
    times: list[float] = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t(seq, v) VALUES (?, ?)", (first + i, "x" * 200))
        conn.execute("COMMIT")
        times.append((time.perf_counter() - t0) * 1000.0)
    conn.close()
    return times


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(1)
    root = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    now_s = int(time.time())
    ev = make_demo_event(root, tickets=20, now_s=now_s, rng=rng)
    config = ev.config
    if args.rules == "realistic":
        with ev.config_path.open("a") as handle:
            handle.write("\n" + realistic_rules(now_s))
        config = load_config(ev.config_path)
    await import_manifest(config, ev.manifest)
    codes = [issue(ev.platform_key, EVENT_ID, rng.choice((0, 1, 2))) for _ in range(args.n)]
    raw = raw_verify_rate(codes, ev.platform_key.public_key())
    rt = await AgentRuntime.start(config)
    try:
        pipeline = await run_through(rt, codes)
        admitted = rt.pipeline.stats.by_reason[ReasonCode.ADMITTED.value]
        assert admitted == len(codes), f"expected every unique code admitted, got {admitted}"
        rescan = await run_through(rt, codes)
        decide_only = decide_only_rate(rt, codes)
        lat_codes = [
            issue(ev.platform_key, EVENT_ID, 0) for _ in range(int(args.rate * args.seconds) // 2)
        ]
        mix = [c for pair in zip(lat_codes, codes, strict=False) for c in pair]
        # the baseline half before and half after the scans: the disk's fsync drifts
        # minute to minute, and one window alone was measured 4x apart between runs
        bare = ev.config.ledger_path.with_name("bare-commit.sqlite3")
        commits = await asyncio.to_thread(bare_commits, bare, args.rate, args.seconds / 2)
        latencies = await open_loop(rt, mix, args.rate, args.seconds)
        commits += await asyncio.to_thread(bare_commits, bare, args.rate, args.seconds / 2)
        key, px_codes = pretix_codes(args.n, rng)
        link_pretix(rt, key)
        px_read = read_only_rate(rt, px_codes[: min(len(px_codes), 5000)])
        before = rt.pipeline.stats.by_reason[ReasonCode.ADMITTED.value]
        px_pipeline = await run_through(rt, px_codes)
        px_admitted = rt.pipeline.stats.by_reason[ReasonCode.ADMITTED.value] - before
        assert px_admitted == len(px_codes), f"pretix codes admitted: {px_admitted}"
        batches = rt.writer.batches_committed
        rows = rt.writer.head_seq
    finally:
        await rt.stop()
    scan_p99, scan_max = percentile(latencies, 0.99), max(latencies)
    commit_p99, commit_max = percentile(commits, 0.99), max(commits)
    return {
        "benchmark": "decide",
        "codes": len(codes),
        "raw_verify_per_s": round(raw),
        "pipeline_per_s": round(pipeline),
        "pipeline_ratio": round(pipeline / raw, 3),
        "rescan_per_s": round(rescan),
        "rescan_ratio": round(rescan / raw, 3),
        "rescan_decide_only_per_s": round(decide_only),
        "rescan_decide_only_ratio": round(decide_only / raw, 3),
        "rules": args.rules,
        # getattr: the same script measures the code before rules existed, for comparison
        "lists": len(getattr(config, "lists", ())),
        "zones": len(getattr(config, "zones", ())),
        "events": len(
            {config.event.event_id, *(e.event_id for e in getattr(config, "events", ()))}
        ),
        "offered_per_s": args.rate,
        "latency_seconds": args.seconds,
        "latency_p50_ms": round(statistics.median(latencies), 3),
        "latency_p99_ms": round(scan_p99, 3),
        "latency_max_ms": round(scan_max, 3),
        "pretix_codes": len(px_codes),
        "pretix_pipeline_per_s": round(px_pipeline),
        "pretix_pipeline_ratio": round(px_pipeline / raw, 3),
        "pretix_read_only_per_s": round(px_read),
        "pretix_read_only_ratio": round(px_read / raw, 3),
        "commit_p50_ms": round(statistics.median(commits), 3),
        "commit_p99_ms": round(commit_p99, 3),
        "commit_max_ms": round(commit_max, 3),
        "latency_p99_ratio": round(scan_p99 / commit_p99, 2),
        "latency_max_excess_ms": round(scan_max - commit_max, 2),
        "ledger_rows": rows,
        "ledger_batches": batches,
        "targets": {
            "pipeline_ratio": 0.6,
            "pretix_pipeline_ratio": 0.6,
            "latency_p99_ratio": 2.5,
            "latency_max_excess_ms": 10.0,
        },
        "retired": {"rescan_ratio": "P2, reported only"},
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--json", action="store_true", help="print one JSON object (default)")
    p.add_argument("--short", action="store_true", help="a quick run for `make bench`")
    p.add_argument("--n", type=int, default=20_000, help="unique codes for P1/P2")
    p.add_argument("--rate", type=float, default=200.0, help="open-loop scans per second (P3)")
    p.add_argument("--seconds", type=float, default=30.0, help="open-loop duration (P3)")
    p.add_argument(
        "--rules",
        choices=("realistic", "none"),
        default="realistic",
        help="the gate's rule set (realistic: 3 events, 10 lists, 5 zones)",
    )
    args = p.parse_args()
    if args.short:
        args.n, args.seconds = min(args.n, 5_000), min(args.seconds, 5.0)
    result = asyncio.run(main_async(args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
