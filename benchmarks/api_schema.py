"""The request-schema layer on the scan path: decode + validate ``POST /api/v1/scans``'s
body with the agent's own code ("live"), msgspec and pydantic v2. Prints one JSON object.

Why: issue 13 replaces the hand-written schema layer with a library; this picks one with
numbers and keeps watching the choice. Every figure is also a ratio against "live"
measured in the same run (machines here are noisy; compare ratios, not microseconds).

- micro: per-call µs (best of ``--repeat`` rounds of ``--calls`` calls) for a valid body
  and two refused ones (an unknown field, a bad enum value), for
  - ``live``: exactly what the handler runs on the bytes (errors translated to the API's:
    since issue 13, msgspec plus our text rules, and on a refusal the slow path);
  - ``msgspec``: a bare ``Struct`` with the same rules, ``msgspec.json.Decoder``;
  - ``pydantic``: a ``BaseModel`` with the same rules, ``model_validate_json`` (strict);
  - ``json_loads``: ``json.loads`` alone, the floor any dict-based parser pays first.
- http: ``POST /api/v1/scans`` through aiohttp on 127.0.0.1 (one client, in-process
  agent, sequential): a valid scan (each one a durable ledger row) and a refused body
  (422, no ledger write: the path where decoding is most of the work); p50/p95 ms.
"""

# ruff: noqa: E402  (the path fix below must run before the project is imported)
from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python benchmarks/api_schema.py``, this file's directory comes first on sys.path
# and ``benchmarks/sync.py`` would shadow the ``sync`` package; the checkout goes on instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Callable
from typing import Annotated, Any

import aiohttp
import msgspec
import pydantic
from aiohttp import web

from benchmarks._stack import stats
from demo.event import make_demo_event
from edge_agent.api.app import create_app
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import RUNTIME_KEY
from edge_agent.api.schema.decoding import decode_json
from edge_agent.api.schema.requests import ScanRequest
from edge_agent.cli.manifest_cmd import import_manifest
from edge_agent.devices.roles import Role
from edge_agent.domain.reasons import Direction
from edge_agent.domain.text_rules import has_non_text
from edge_agent.runtime import wall_clock_ms

BODIES = {
    "valid": b'{"code": "GH1:NCF3Y7SZ2K5*4J0R$L8", "lane": "lane-2", "direction": "in", '
    b'"device_kind": "wifi"}',
    "unknown_field": b'{"code": "GH1:NCF3Y7SZ2K5*4J0R$L8", "lane": "lane-2", "pan": "1"}',
    "bad_enum": b'{"code": "GH1:NCF3Y7SZ2K5*4J0R$L8", "lane": "lane-2", "direction": "up"}',
}


def live(raw: bytes) -> object:
    """What ``POST /api/v1/scans`` runs on its body (``read_body`` minus the socket read).
    (Before issue 13: ``parse(ScanRequest, json.loads(raw.decode("utf-8")))``.)"""
    return decode_json(raw, ScanRequest)


class MsgspecScan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(max_length=4096)]
    lane: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    direction: Direction = Direction.IN
    device_kind: Annotated[str, msgspec.Meta(max_length=64)] = "network"

    def __post_init__(self) -> None:  # the printable-text rule msgspec has no Meta for
        if (self.lane is not None and has_non_text(self.lane)) or has_non_text(self.device_kind):
            raise ValueError("must be printable text")


class PydanticScan(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True, frozen=True)

    code: Annotated[str, pydantic.Field(max_length=4096)]
    lane: Annotated[str, pydantic.Field(max_length=64)] | None = None
    direction: Direction = Direction.IN
    device_kind: Annotated[str, pydantic.Field(max_length=64)] = "network"

    @pydantic.field_validator("lane", "device_kind")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and has_non_text(value):
            raise ValueError("must be printable text")
        return value


_MSGSPEC = msgspec.json.Decoder(MsgspecScan)
CANDIDATES: dict[str, Callable[[bytes], object]] = {
    "live": live,
    "msgspec": _MSGSPEC.decode,
    "pydantic": PydanticScan.model_validate_json,
    "json_loads": json.loads,
}
REFUSALS = (ApiError, msgspec.ValidationError, pydantic.ValidationError)


def per_call_us(fn: Callable[[bytes], object], raw: bytes, calls: int, repeat: int) -> float:
    """Best of ``repeat`` rounds, in µs per call; a refusal counts as a finished call."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            try:  # noqa: SIM105 (suppress() would cost more than msgspec's call)
                fn(raw)
            except REFUSALS:
                pass
        best = min(best, time.perf_counter() - t0)
    return best / calls * 1e6


def micro(calls: int, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in BODIES.items():
        us = {c: per_call_us(fn, raw, calls, repeat) for c, fn in CANDIDATES.items()}
        out[name] = {
            "us": {c: round(v, 3) for c, v in us.items()},
            "ratio_to_live": {c: round(v / us["live"], 3) for c, v in us.items()},
        }
    return out


async def http(requests: int) -> dict[str, Any]:
    rng = random.Random(13)
    root = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    ev = make_demo_event(root, tickets=20, now_s=int(time.time()), rng=rng)
    await import_manifest(ev.config, ev.manifest)
    app = create_app(ev.config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        async with aiohttp.ClientSession() as session:
            code = app[RUNTIME_KEY].pairing.issue(Role.SCANNER, "bench", wall_clock_ms()).code
            async with session.post(f"{url}/pair", json={"code": code}) as r:
                auth = {"Authorization": f"Bearer {(await r.json())['token']}"}
            headers = {**auth, "Content-Type": "application/json"}

            async def timed(body: bytes, status: int) -> list[float]:
                ms = []
                for _ in range(requests):
                    t0 = time.perf_counter()
                    async with session.post(f"{url}/scans", data=body, headers=headers) as r:
                        await r.read()
                    ms.append((time.perf_counter() - t0) * 1000)
                    assert r.status == status, (r.status, await r.text())
                return ms

            valid = json.dumps({"code": ev.valid[0], "lane": "lane-2", "device_kind": "wifi"})
            await timed(valid.encode(), 200)  # warm-up: caches, first ledger pages
            return {
                "requests": requests,
                "valid_scan_ms": stats(await timed(valid.encode(), 200)),
                "refused_422_ms": stats(await timed(BODIES["unknown_field"], 422)),
            }
    finally:
        await runner.cleanup()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--json", action="store_true", help="print one JSON object (default)")
    p.add_argument("--short", action="store_true", help="a quick run for `make bench`")
    p.add_argument("--calls", type=int, default=20_000, help="calls per timing round")
    p.add_argument("--repeat", type=int, default=7, help="timing rounds (the best counts)")
    p.add_argument("--requests", type=int, default=1_000, help="HTTP requests per kind")
    args = p.parse_args()
    if args.short:
        args.calls, args.repeat, args.requests = 5_000, 3, 200
    result = {
        "benchmark": "api_schema",
        "versions": {"msgspec": msgspec.__version__, "pydantic": pydantic.VERSION},
        "micro": micro(args.calls, args.repeat),
        "http": asyncio.run(http(args.requests)),
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
