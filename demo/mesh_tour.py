"""``gatehouse-demo --gates 3``: three boxes acting as one gate (``docs/mesh.md``).

A reference platform on loopback, three real agents, each with its own ``nats-server``;
box a has the uplink, the two others join with one-time codes. The tour shows what a
venue cares about: one ticket raced at two gates is admitted once; a refund made on the
platform, learned by the one box with an uplink, refused at another box; and a box
killed in the middle of a stream of scans while the others keep admitting (unconfirmed
for the few seconds a new leader takes, confirmed after).
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from demo.mesh_venue import Box, MeshVenue, http_json
from demo.platform_stack import DemoPlatform


def _scan(box: Box, token: str, code: str) -> dict[str, object]:
    doc: dict[str, object] = http_json(f"{box.url}/api/v1/scans", {"code": code}, token)
    return doc


def _line(box: Box, verdict: dict[str, object]) -> str:
    mark = "✔" if verdict.get("outcome") == "admit" else "✘"
    conf = "" if verdict.get("confirmed", True) else "  (UNCONFIRMED)"
    return f"  {box.gate:<7} {mark} {verdict.get('reason')}: {verdict.get('message')}{conf}"


def _race(venue: MeshVenue, token: str) -> None:
    a, b = venue.boxes[:2]
    code = venue.event.valid[0]
    print("\n1. One ticket raced at two gates at the same moment:")
    with ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = list(pool.map(lambda box: _scan(box, token, code), (a, b)))
    for box, verdict in zip((a, b), verdicts, strict=True):
        print(_line(box, verdict))


def _kill_mid_stream(venue: MeshVenue, token: str) -> None:
    a = venue.boxes[0]
    codes = list(venue.event.valid)
    leader = a.status()["stores"]["KV_claims"]["leader"]
    victim = venue.box(leader)
    survivors = [x for x in venue.boxes if x is not victim]
    print(f"\n3. A stream of scans at {survivors[0].gate} and {survivors[1].gate}; "
          f"{victim.gate} (the claims' leader) loses power mid-stream:")  # fmt: skip
    stream = codes[1:111]
    killer = threading.Timer(1.0, venue.kill, args=(victim,))
    killer.start()
    t0 = time.monotonic()
    confirmed = unconfirmed = back = 0
    for i, code in enumerate(stream):
        box = survivors[i % 2]
        verdict = _scan(box, token, code)
        ok = bool(verdict.get("confirmed", True))
        confirmed += ok
        unconfirmed += not ok
        back = back + 1 if ok and unconfirmed else 0
        if i % 6 == 0 or back == 1:
            print(f"  t+{time.monotonic() - t0:4.1f}s" + _line(box, verdict)[1:])
        if back >= 10:  # confirmed again for a while: a new leader serves the claims
            break
        time.sleep(0.12)
    killer.join()
    print(
        f"  {confirmed + unconfirmed} scans answered around {victim.gate}'s loss: "
        f"{confirmed} confirmed, {unconfirmed} unconfirmed (admitted, checked afterwards)"
    )
    print(f"  the ticket of step 1 at {survivors[1].gate}:")
    print(_line(survivors[1], _scan(survivors[1], token, codes[0])))


async def run_mesh_demo(root: Path, gates: int) -> int:
    platform = await DemoPlatform.start(root / "platform", int(time.time() * 1000))
    venue = MeshVenue(root / "venue", gates, tickets=120, log_level="warning")
    a = venue.boxes[0]
    await platform.enrol(a.config_path, a.name, a.root / "data")
    print(f"Venue of {gates} boxes on 127.0.0.1 (each an edge-agent with its own nats-server)")
    try:
        t0 = time.monotonic()
        await asyncio.to_thread(venue.form)
        print(f"  formed in {time.monotonic() - t0:.1f} s: " + ", ".join(
            f"{b.gate} ({b.url})" for b in venue.boxes))  # fmt: skip
        token = await asyncio.to_thread(venue.pair, a)
        await asyncio.sleep(0.5)  # the pairing reaches every box as a venue event
        online = platform.tickets
        await asyncio.to_thread(_race, venue, token)
        print("\n2. A refund made on the platform (only Gate A's box has an uplink):")
        far = venue.boxes[-1]
        before = http_json(f"{far.url}/api/v1/status", token=token)["manifest"]["revocations"]
        await platform.admin.refund(online[1].ticket_id, "changed plans")
        t1 = time.monotonic()
        while time.monotonic() - t1 < 20:
            doc = await asyncio.to_thread(http_json, f"{far.url}/api/v1/status", None, token)
            if doc["manifest"]["revocations"] > before:
                break
            await asyncio.sleep(0.1)
        verdict = await asyncio.to_thread(_scan, far, token, online[1].code)
        print(f"  refunded on the platform; {time.monotonic() - t1:.1f} s later at {far.gate}:")
        print(_line(far, verdict))
        await asyncio.to_thread(_kill_mid_stream, venue, token)
        alive = [b for b in venue.boxes if b.proc is not None and b.proc.poll() is None]
        await asyncio.sleep(2.5)  # the status' view of the stores is refreshed every 2 s
        status = await asyncio.to_thread(alive[0].status)
        print(
            f"\nMesh now: {status['up']}/{status['expected']} boxes up, quorum "
            f"{status['quorum']}, conflicts {status['conflicts']} "
            f"(edge-agent mesh status --config {alive[0].config_path})"
        )
    finally:
        await asyncio.to_thread(venue.stop_all)
        await platform.stop()
    return 0
