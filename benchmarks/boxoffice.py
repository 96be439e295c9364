"""A door sale at the box office, measured on the real processes (P10: ``sale_p95_ms``).

Prints one JSON object. Everything runs as it does at a venue, on loopback:

* the platform is a ``gatehouse-platform serve`` subprocess with one event, one ticket
  type and a batch of plain-code tickets (for the baseline's scans);
* the agent is an ``edge-agent run`` subprocess enrolled with it (token file 0600); a
  supervisor device takes a lease from the platform, a box-office device opens a till.

``sale_p95_ms``: ``POST /api/v1/boxoffice/sales`` for one cash ticket, answered after the
lease check, the ledger commit and the ticket's signature — N sequential sales, each with
a fresh ``request_id``, over one keep-alive HTTP connection.

Baseline in the same run, on the same agent, interleaved one-for-one with the sales so a
noisy machine weighs on both alike: ``POST /api/v1/scans`` of a fresh plain-code ticket
(a verdict made durable in the same ledger). ``sale_vs_scan_p95`` is the ratio.

``list_p95_ms``: after the sales, ``GET /api/v1/boxoffice/sales?limit=50`` (the till's
sales screen: 50 receipts, each ticket with its ``qr_svg``), 20 times.
"""

# ruff: noqa: E402  (the path fix below must run before the project is imported)
from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python benchmarks/boxoffice.py``, this file's directory comes first on
# sys.path and ``benchmarks/sync.py`` would shadow the ``sync`` package the agent imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.cli.control_client import control_request
from edge_agent.config import Config, load_config
from edge_agent.domain.agent_certificate import b64url_encode
from edge_agent.key_files import write_key_file
from sync.reference_platform.admin_client import AdminClient
from sync.reference_platform.data_dir import read_admin_token

BIN = Path(sys.executable).parent
PLATFORM = str(BIN / "gatehouse-platform")
AGENT = str(BIN / "edge-agent")
EVENT_ID = 1001
TICKET_TYPE = 0
PRICE_CENTS = 4500
WARMUP = 10
TARGET_MS = 50.0
LIST_LIMIT = 50
LIST_TIMES = 20
CONFIG = """\
[agent]
agent_id = "bench-box-office"
data_dir = "data"

[event]
event_id = {event_id}
keyring = "keyring.json"

[api]
listen = ["127.0.0.1"]
port = 0

[sync]
platform_url = "{url}"
token_file = "agent.token"
manifest_interval_s = 3600
upload_interval_s = 3600

[log]
level = "info"
format = "json"
"""


def stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
        "max": round(ordered[-1], 2),
    }


class Agent:
    """``edge-agent run`` as a child; finds its URL in the "listening" log line."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lines: list[dict[str, Any]] = []
        self.proc = subprocess.Popen(
            [AGENT, "run", "--config", str(config.source)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            try:
                self.lines.append(json.loads(line))
            except json.JSONDecodeError:
                self.lines.append({"msg": line.rstrip()})

    async def listening(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for doc in list(self.lines):
                if doc.get("msg") == "listening":
                    self.url = doc["urls"][0]
                    return
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.02)
        self.proc.kill()
        raise RuntimeError("agent did not start:\n" + "\n".join(map(str, self.lines)))

    async def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await control_request(self.config.control_socket, method, path, body)

    async def manifest_applied(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = await self.control("GET", "/control/status")
            if status["sync"]["manifest"]["at"] is not None:
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("the agent never applied the platform's manifest")

    async def pair(self, http: aiohttp.ClientSession, role: str) -> dict[str, str]:
        code = (await self.control("POST", "/control/pairing-codes", {"role": role}))["code"]
        async with http.post(f"{self.url}/api/v1/pair", json={"code": code}) as r:
            token = (await r.json())["token"]
        return {"Authorization": f"Bearer {token}"}

    async def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.proc.wait, 60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._reader.join(timeout=5)


def serve_platform(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    subprocess.run([PLATFORM, "init", "--data", str(data_dir)], check=True, capture_output=True)
    proc = subprocess.Popen(
        [PLATFORM, "serve", "--data", str(data_dir), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    url: str = json.loads(proc.stdout.readline())["url"]
    return proc, url


async def set_up_platform(admin: AdminClient, tickets: int) -> list[str]:
    """Event, ticket type (room for the lease) and ``tickets`` plain codes for scans."""
    await admin.create_event(EVENT_ID, "Benchmark night", "Loopback Hall", 1_798_747_200_000)
    await admin.put_ticket_type(EVENT_ID, TICKET_TYPE, "General admission", 10 * tickets, 4500)
    codes: list[str] = []
    while len(codes) < tickets:
        n = min(50, tickets - len(codes))
        order = {
            "customer_name": "Bench Customer",
            "customer_email": "bench@example.org",
            "purchased_at_ms": 1_767_000_000_000,
            "payment": {"brand": "visa", "last4": "4242"},
            "tickets": [{"ticket_type": TICKET_TYPE, "code": "plain"} for _ in range(n)],
        }
        doc = await admin.create_order(EVENT_ID, order)
        codes += [t["code"] for t in doc["tickets"]]
    return codes


def write_agent_files(root: Path, token: str, url: str) -> Config:
    root.mkdir(parents=True)
    fd = os.open(root / "agent.token", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    (root / "keyring.json").write_text('{"keys": []}\n')
    (root / "config.toml").write_text(CONFIG.format(event_id=EVENT_ID, url=url))
    return load_config(root / "config.toml")


async def timed_post(
    http: aiohttp.ClientSession, url: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[float, int, Any]:
    t0 = time.perf_counter()
    async with http.post(url, json=body, headers=headers) as r:
        doc = await r.json()
        status = r.status
    return (time.perf_counter() - t0) * 1000, status, doc


def sale_body() -> dict[str, Any]:
    return {
        "request_id": str(uuid.uuid4()),
        "items": [{"ticket_type": TICKET_TYPE, "quantity": 1}],
        "payment": {"method": "cash", "tendered_cents": 5000},
        "delivery": "screen",
    }


async def time_receipt_list(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> dict[str, float]:
    """``GET …/sales?limit=LIST_LIMIT`` (what the iPad's sales screen loads), LIST_TIMES
    times after the sales."""
    ms: list[float] = []
    for _ in range(LIST_TIMES):
        t0 = time.perf_counter()
        async with http.get(url, params={"limit": str(LIST_LIMIT)}, headers=headers) as r:
            doc = await r.json()
            status = r.status
        ms.append((time.perf_counter() - t0) * 1000)
        if status != 200 or len(doc["sales"]) != LIST_LIMIT:
            raise RuntimeError(f"list: {status} {len(doc.get('sales', []))} sales")
        if not all(t["qr_svg"].startswith("<svg") for s in doc["sales"] for t in s["tickets"]):
            raise RuntimeError("a listed ticket has no QR")
    return stats(ms)


async def measure(agent: Agent, codes: list[str], n: int) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        supervisor = await agent.pair(http, "supervisor")
        till = await agent.pair(http, "box_office")
        scanner = await agent.pair(http, "scanner")
        base = agent.url
        _, status, doc = await timed_post(
            http,
            f"{base}/api/v1/boxoffice/leases",
            {"ticket_type": TICKET_TYPE, "count": n + WARMUP},
            supervisor,
        )
        if status != 201:
            raise RuntimeError(f"lease: {status} {doc}")
        _, status, doc = await timed_post(
            http,
            f"{base}/api/v1/boxoffice/sessions",
            {"operator": "Bench", "float_cents": 10000},
            till,
        )
        if status != 201:
            raise RuntimeError(f"open session: {status} {doc}")
        sale_ms: list[float] = []
        scan_ms: list[float] = []
        for i in range(n + WARMUP):
            ms, status, doc = await timed_post(
                http, f"{base}/api/v1/boxoffice/sales", sale_body(), till
            )
            if status != 201 or len(doc["tickets"]) != 1:
                raise RuntimeError(f"sale {i}: {status} {doc}")
            scan, status, verdict = await timed_post(
                http, f"{base}/api/v1/scans", {"code": codes[i]}, scanner
            )
            if status != 200 or verdict["outcome"] != "admit":
                raise RuntimeError(f"scan {i}: {status} {verdict}")
            if i >= WARMUP:
                sale_ms.append(ms)
                scan_ms.append(scan)
        async with http.get(f"{base}/api/v1/boxoffice", headers=till) as r:
            figures = await r.json()
        list_ms = await time_receipt_list(http, f"{base}/api/v1/boxoffice/sales", till)
    sold = next(t for t in figures["ticket_types"] if t["ticket_type"] == TICKET_TYPE)
    if sold["sold_here"] != n + WARMUP or figures["session"]["sales"] != n + WARMUP:
        raise RuntimeError(f"the agent counts other sales than were made: {figures}")
    sale, scan = stats(sale_ms), stats(scan_ms)
    return {
        "sales": n,
        "sale_p50_ms": sale["p50"],
        "sale_p95_ms": sale["p95"],
        "sale_max_ms": sale["max"],
        # does a sale get slower as the ledger fills? (p50 of the first and last tenth)
        "sale_p50_first_tenth_ms": stats(sale_ms[: max(1, n // 10)])["p50"],
        "sale_p50_last_tenth_ms": stats(sale_ms[-max(1, n // 10) :])["p50"],
        "sale_target_p95_ms": TARGET_MS,
        "sale_within_target": sale["p95"] <= TARGET_MS,
        "baseline_scan_p50_ms": scan["p50"],
        "baseline_scan_p95_ms": scan["p95"],
        "sale_vs_scan_p95": round(sale["p95"] / scan["p95"], 2),
        # the till's list of its last LIST_LIMIT receipts, each ticket with its QR
        "list_receipts": LIST_LIMIT,
        "list_p50_ms": list_ms["p50"],
        "list_p95_ms": list_ms["p95"],
    }


async def main_async(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-boxoffice-") as tmp:
        root = Path(tmp)
        proc, url = await asyncio.to_thread(serve_platform, root / "platform")
        admin = AdminClient(url, read_admin_token(root / "platform"))
        try:
            codes = await set_up_platform(admin, n + WARMUP)
            # the key the agent signs door-sold tickets with, enrolled as install.md says
            key = Ed25519PrivateKey.generate()
            public = b64url_encode(key.public_key().public_bytes_raw())
            enrolled = await admin.enrol(EVENT_ID, "bench-box-office", public)
            config = write_agent_files(root / "agent", enrolled["token"], url)
            config.agent.data_dir.mkdir(parents=True, mode=0o700)
            write_key_file(config.agent_key_path, key)
            agent = Agent(config)
            try:
                await agent.listening()
                await agent.manifest_applied()
                return await measure(agent, codes, n)
            finally:
                await agent.stop()
        finally:
            await admin.close()
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--short", action="store_true", help="50 sales instead of 300")
    parser.add_argument("--sales", type=int, help="how many sales to time")
    args = parser.parse_args()
    n = args.sales or (50 if args.short else 300)
    result = asyncio.run(main_async(n))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
