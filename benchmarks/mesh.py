"""The venue mesh, measured on real processes (P9 of PERFORMANCE.md). Prints one JSON object.

Three ``edge-agent run`` boxes on loopback, each with its own ``nats-server`` (claims
bucket and venue events at 3 replicas), box a enrolled with a real reference platform;
a fourth box of the same event without ``[mesh]`` is the same-run baseline. Figures:

- ``claim_p50_ms`` / ``claim_p99_ms``: the claim itself — a create-if-absent of a new
  ticket in the R3 bucket over mutual TLS, as the claimer makes it (``claim_ops.put``),
  from this process with box a's member credentials, N in a row;
- ``scan_p50_ms`` / ``scan_p99_ms``: whole verdicts (``POST /api/v1/scans`` of unique
  codes round-robin at the three boxes: read, decide, claim, fsync), against
  ``local_p50_ms`` / ``local_p99_ms``: the same kind of scans at the box without mesh;
- ``same_code_races``, ``same_code_admits``: codes scanned at all three gates at once,
  and how many admissions that made; ``double_admits``: tickets admitted more than once
  over the three ledgers (all scans of the run);
- ``revocation_spread_p99_ms``: refunds on the platform; from box a showing the new
  revocation count until boxes b and c show it (status polled every 10 ms);
- ``failover_gap_s``: SIGKILL of the box that leads the claims bucket (the worst case)
  while a survivor scans every 20 ms, until a scan sent after the kill is answered
  confirmed; ``failover_unconfirmed`` counts the answers in between (all within budget);
- ``unconfirmed_p99_ms``: a second box killed (no quorum left): scans at the last box,
  answered unconfirmed.
"""

# ruff: noqa: E402  (the path fix below must run before the project is imported)
from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import asyncio
import http.client
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from demo.mesh_venue import Box, MeshVenue, http_json
from demo.platform_stack import DemoPlatform

TARGETS = {
    "claim_p99_ms": 5.0,
    "failover_gap_s": 5.0,
    "unconfirmed_p99_ms": 150.0,
    "revocation_spread_p99_ms": 1000.0,
}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))], 3)


class Client:
    """One keep-alive HTTP connection to a box (the same for mesh and baseline)."""

    def __init__(self, box: Box, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", box.api_port, timeout=10)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def scan(self, code: str) -> tuple[float, dict[str, Any]]:
        body = json.dumps({"code": code})
        t0 = time.perf_counter()
        self.conn.request("POST", "/api/v1/scans", body, self.headers)
        doc: dict[str, Any] = json.loads(self.conn.getresponse().read())
        return (time.perf_counter() - t0) * 1000, doc


async def claim_latencies(box: Box, n: int) -> list[float]:
    from edge_agent.domain.gate_policy import AdmissionRecord
    from edge_agent.mesh import claim_ops
    from edge_agent.mesh.claim_values import ClaimValue, ticket_key
    from edge_agent.mesh.connection import ClientCredentials, connect

    mesh = box.root / "data" / "mesh"
    creds = ClientCredentials(
        ca=box.root / "data" / "tls" / "venue-ca.crt",
        cert=mesh / "member.crt",
        key=mesh / "member.key",
        seed=(mesh / "agent.nk").read_bytes().strip(),
    )
    nc = await connect([f"tls://127.0.0.1:{box.client_port}"], creds, name="bench")
    out = []
    try:
        stamp = time.time_ns()
        for i in range(n):
            claim = f"bench-{stamp}-{i}"
            value = ClaimValue(
                AdmissionRecord.first(int(time.time() * 1000), "Bench"), claim, claim,
                "bench", box.name, "gate-bench",
            )  # fmt: skip
            t0 = time.perf_counter()
            await claim_ops.put(nc, ticket_key(claim), value, expected=0, wait_s=1.0)
            out.append((time.perf_counter() - t0) * 1000)
    finally:
        await nc.close()
    return out[n // 10 :]  # the first tenth warms up


def _known_everywhere(venue: MeshVenue, token: str) -> None:
    """Wait until the pairing (a venue event) reached every box."""
    for box in venue.boxes:
        for _ in range(400):
            if "self" in http_json(f"{box.url}/api/v1/mesh", None, token):
                break
            time.sleep(0.05)


def scans(clients: list[Client], codes: list[str]) -> list[float]:
    times = []
    for i, code in enumerate(codes):
        ms, doc = clients[i % len(clients)].scan(code)
        assert doc.get("reason") == "admitted", doc
        times.append(ms)
    return times


def races(venue: MeshVenue, token: str, codes: list[str]) -> int:
    clients = [Client(b, token) for b in venue.boxes]
    admits = 0
    with ThreadPoolExecutor(max_workers=3) as pool:
        for code in codes:
            verdicts = list(pool.map(lambda c, code=code: c.scan(code)[1], clients))
            admits += sum(1 for v in verdicts if v.get("reason") == "admitted")
    return admits


def double_admits(venue: MeshVenue) -> int:
    import sqlite3

    counts: dict[str, int] = {}
    for box in venue.boxes:
        conn = sqlite3.connect(f"file:{box.ledger}?mode=ro", uri=True)
        for (t,) in conn.execute("SELECT ticket_id FROM scans WHERE reason = 'admitted'"):
            counts[t] = counts.get(t, 0) + 1
        conn.close()
    return sum(1 for n in counts.values() if n > 1)


async def revocation_spread(
    platform: DemoPlatform, venue: MeshVenue, token: str, tickets: list[str]
) -> list[float]:
    def count(box: Box) -> int:
        return int(http_json(f"{box.url}/api/v1/status", token=token)["manifest"]["revocations"])

    a, b, c = venue.boxes
    spreads = []
    for ticket_id in tickets:
        base = await asyncio.to_thread(count, a)
        await platform.admin.refund(ticket_id, "bench")
        t_a = t_b = t_c = None
        deadline = time.monotonic() + 20
        while (t_a is None or t_b is None or t_c is None) and time.monotonic() < deadline:
            now = time.perf_counter()
            if t_a is None and await asyncio.to_thread(count, a) > base:
                t_a = now
            if t_b is None and await asyncio.to_thread(count, b) > base:
                t_b = now
            if t_c is None and await asyncio.to_thread(count, c) > base:
                t_c = now
            await asyncio.sleep(0.01)
        if t_a is not None and t_b is not None and t_c is not None:
            spreads.append(max(0.0, (max(t_b, t_c) - t_a) * 1000))
    return spreads


def failover(venue: MeshVenue, token: str, codes: list[str]) -> tuple[float, int, Box]:
    leader = venue.boxes[0].status()["stores"]["KV_claims"]["leader"]
    victim = venue.box(leader)
    survivor = next(b for b in venue.boxes if b is not victim)
    client = Client(survivor, token)
    for code in codes[:5]:
        client.scan(code)
    killed = 0.0
    unconfirmed = 0
    gap = float("nan")
    stop = threading.Event()
    killer = threading.Timer(0.5, lambda: (venue.kill(victim), stop.set()))
    killer.start()
    for code in codes[5:]:
        sent = time.perf_counter()
        _, doc = client.scan(code)
        if stop.is_set() and not killed:
            killed = time.perf_counter()
        if killed and sent > killed:
            if doc.get("confirmed"):
                gap = time.perf_counter() - killed
                break
            unconfirmed += 1
        time.sleep(0.02)
    killer.join()
    return gap, unconfirmed, victim


def unconfirmed_latencies(venue: MeshVenue, token: str, dead: Box, codes: list[str]) -> list[float]:
    alive = [b for b in venue.boxes if b is not dead]
    venue.kill(alive[0])
    last = alive[1]
    client = Client(last, token)
    times = []
    for code in codes:
        ms, doc = client.scan(code)
        assert doc.get("confirmed") is False, doc
        times.append(ms)
    return times


async def run(short: bool) -> dict[str, Any]:
    n_scans, n_claims, n_races = (300, 500, 30) if short else (1000, 2000, 100)
    n_refunds = 5 if short else 20
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-mesh-") as tmp:
        root = Path(tmp)
        platform = await DemoPlatform.start(root / "platform", int(time.time() * 1000))
        refund_orders = [
            await platform.admin.create_order(
                1001,
                {
                    "customer_name": f"R{i}",
                    "customer_email": f"r{i}@example.org",
                    "tickets": [{"ticket_type": 0, "code": "gh1", "holder_name": f"R{i}"}],
                },
            )
            for i in range(n_refunds)
        ]
        venue = MeshVenue(
            root / "venue", 3, tickets=2 * n_scans + n_races + 1200, log_level="warning"
        )
        a = venue.boxes[0]
        await platform.enrol(a.config_path, a.name, a.root / "data")
        lone = venue.lone_box()
        try:
            t0 = time.perf_counter()
            await asyncio.to_thread(venue.form)
            formed_s = time.perf_counter() - t0
            await asyncio.to_thread(venue.start, lone)
            token = await asyncio.to_thread(venue.pair, a)
            lone_token = await asyncio.to_thread(venue.pair, lone)
            await asyncio.to_thread(_known_everywhere, venue, token)
            codes = list(venue.event.valid)
            mesh_codes, codes = codes[:n_scans], codes[n_scans:]
            local_codes, codes = codes[:n_scans], codes[n_scans:]
            race_codes, codes = codes[:n_races], codes[n_races:]
            claims = await claim_latencies(a, n_claims)
            mesh_clients = [Client(b, token) for b in venue.boxes]
            mesh_ms = await asyncio.to_thread(scans, mesh_clients, mesh_codes)
            local_ms = await asyncio.to_thread(scans, [Client(lone, lone_token)], local_codes)
            admits = await asyncio.to_thread(races, venue, token, race_codes)
            tickets = [o["tickets"][0]["ticket_id"] for o in refund_orders]
            spread = await revocation_spread(platform, venue, token, tickets)
            doubles = await asyncio.to_thread(double_admits, venue)
            gap, in_between, dead = await asyncio.to_thread(failover, venue, token, codes[:800])
            unconf = await asyncio.to_thread(
                unconfirmed_latencies, venue, token, dead, codes[800:900]
            )
        finally:
            await asyncio.to_thread(venue.stop_all)
            await asyncio.to_thread(venue.stop, lone)
            await platform.stop()
    result = {
        "claim_p50_ms": pct(claims, 50),
        "claim_p99_ms": pct(claims, 99),
        "scan_p50_ms": pct(mesh_ms, 50),
        "scan_p99_ms": pct(mesh_ms, 99),
        "local_p50_ms": pct(local_ms, 50),
        "local_p99_ms": pct(local_ms, 99),
        "double_admits": doubles,
        "same_code_races": n_races,
        "same_code_admits": admits,
        "failover_gap_s": round(gap, 2),
        "failover_unconfirmed": in_between,
        "unconfirmed_p99_ms": pct(unconf, 99),
        "unconfirmed_max_ms": round(max(unconf), 3),
        "revocation_spread_p99_ms": pct(spread, 99),
        "revocation_spread_p50_ms": pct(spread, 50),
        "venue_formed_s": round(formed_s, 2),
        "claims_measured": len(claims),
        "scans_measured": len(mesh_ms),
        "scan_mean_ms": round(statistics.fmean(mesh_ms), 3),
        "targets": TARGETS,
    }
    result["meets_p9"] = (
        result["double_admits"] == 0
        and admits == n_races
        and all(result[k] <= v for k, v in TARGETS.items())
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--short", action="store_true", help="fewer samples (make bench)")
    args = parser.parse_args()
    result = asyncio.run(run(args.short))
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
