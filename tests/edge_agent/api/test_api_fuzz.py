"""Hostile bodies, generated: the scan and pairing routes never fail with a 500, every
refusal has the standard error shape, and the agent still judges correctly after."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent

pytestmark = pytest.mark.integration

ALLOWED = {200, 400, 403, 413, 415, 422, 429}
ATOMS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**64,
    1.5,
    float("inf"),
    "",
    "GH1:",
    "in",
    "out",
    "\x00",
    "\ud800",
    "é" * 50,
    "A" * 5000,
    "GH1:" + "Z" * 146,
]


def value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return rng.choice(ATOMS)
    if roll < 0.75:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["code", "lane", "direction", "device_kind", "name", "x", ""]
    return {rng.choice(keys): value(rng, depth + 1) for _ in range(rng.randrange(5))}


def code_text(rng: random.Random) -> str:
    """Scanner-ish garbage: random code points (incl. controls and surrogates), base45
    soup behind the GH1 prefix, or a valid-looking plain barcode."""
    roll = rng.random()
    n = rng.randrange(0, 200)
    if roll < 0.4:
        return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(n))
    if roll < 0.8:
        return "GH1:" + "".join(
            rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") for _ in range(n)
        )
    return str(rng.randrange(10**12, 10**13))


def body(rng: random.Random) -> tuple[bytes, str]:
    roll = rng.random()
    if roll < 0.15:
        return rng.randbytes(rng.randrange(1, 300)), "application/json"
    if roll < 0.2:
        return b"{}", rng.choice(["text/html", "multipart/form-data", "application/xml"])
    doc = value(rng)
    if rng.random() < 0.6:  # mostly objects with the real field names
        doc = {
            k: value(rng, 2)
            for k in rng.sample(["code", "lane", "direction", "device_kind"], rng.randrange(1, 5))
        }
        if rng.random() < 0.7:
            doc["code"] = code_text(rng)
            doc["direction"] = rng.choice(["in", "out", "in"])
    text = json.dumps(doc, allow_nan=True, ensure_ascii=rng.random() < 0.5)
    return text.encode("utf-8", "surrogatepass"), "application/json"


async def test_generated_hostile_bodies_never_break_the_api(
    client: TestClient[Any, Any], scanner: dict[str, str], event: DemoEvent
) -> None:
    rng = random.Random(20261123)
    statuses: dict[int, int] = {}
    for _ in range(400):
        data, ctype = body(rng)
        route = "/api/v1/scans" if rng.random() < 0.85 else "/api/v1/pair"
        resp = await client.post(route, data=data, headers={**scanner, "Content-Type": ctype})
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
        assert resp.status in ALLOWED, (resp.status, data[:80])
        doc = await resp.json()
        if resp.status >= 400:
            assert set(doc["error"]) == {"code", "message"}, doc
        elif route == "/api/v1/scans":
            assert doc["recorded"] is True and doc["outcome"] in ("admit", "exit", "refuse")
    assert statuses.get(200, 0) > 20 and statuses.get(422, 0) > 20  # both paths exercised
    ok = await client.post("/api/v1/scans", json={"code": event.valid[0]}, headers=scanner)
    assert (await ok.json())["reason"] == "admitted"
