"""``gatehouse-demo``: a whole gate in one command, for a newcomer's first minute.

Makes a demo event in a temp dir, starts a real agent on loopback, pairs a scanner
through the control socket exactly as a venue tech would, feeds a stream of scans over
HTTP (valid, repeated, revoked, forged, foreign, expired, plain codes, exits and
re-entries) and prints each verdict as it comes back, then a summary.

Meanwhile a second lane has a camera: a file-replay camera plays pictures of rendered demo
tickets (a valid one, another, a refunded and a forged one, then the first again), decoded
by the same camera pipeline a real camera uses; its verdicts are printed as they come
(tagged ``cam``), with the lane's signal.

Beside the agent runs a real reference platform (``demo_platform``): the agent is
enrolled and syncs with it, an online ticket admits, a refund made on the platform
reaches the gate on its next sync and the gate refuses that ticket, and the summary
compares the platform's copy of the scan rows with the ledger.

The box office (``demo_boxoffice``): a supervisor takes a lease of door-sale seats from
the platform, and the demo prints the iPad sales page's URL with a one-time pairing code.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from demo.boxoffice import open_box_office, stay_until_interrupted
from demo.camera import CameraWatch, add_camera_lane, revoked_code
from demo.event import DemoEvent, make_demo_event
from demo.platform_stack import DemoPlatform, wait_until
from demo.printing import print_verdict
from edge_agent.cli.control_client import control_request
from edge_agent.cli.manifest_cmd import import_manifest
from edge_agent.cli.run_cmd import start_agent
from edge_agent.config.key_files import read_key_file
from edge_agent.config.loading import load_config
from edge_agent.errors import GatehouseError
from edge_agent.evidence.core.verify import verify_pack
from edge_agent.evidence.export import export_pack
from edge_agent.evidence.files import write_pack_files
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.queries import scan_ids_and_chain


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gatehouse-demo",
        description="A demo venue on loopback: a reference platform, an agent, a stream of"
        " scans with their verdicts, door sales and an evidence pack.",
    )
    p.add_argument("--tickets", type=int, default=300, help="tickets in the demo event")
    p.add_argument("--scans", type=int, default=80, help="scans to feed")
    p.add_argument("--rate", type=float, default=25.0, help="scans per second")
    p.add_argument("--dir", type=Path, help="keep the demo event here (default: a temp dir)")
    p.add_argument("--seed", type=int, help="random seed for a repeatable scan stream")
    p.add_argument(
        "--no-camera", dest="camera", action="store_false", help="leave out the camera lane"
    )
    p.add_argument(
        "--gates",
        type=int,
        default=1,
        help="boxes acting as one gate (3: the venue mesh tour, docs/mesh.md)",
    )
    p.add_argument(
        "--stay",
        action="store_true",
        help="keep the agent and platform running after the tour (sell on the iPad page)"
        " until Ctrl-C",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return cmd_demo(args)
    except GatehouseError as exc:
        print(f"gatehouse-demo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def cmd_demo(args: argparse.Namespace) -> int:
    root = args.dir or Path(tempfile.mkdtemp(prefix="gatehouse-demo-"))
    if root.exists() and any(root.iterdir()):
        raise GatehouseError(f"{root} is not empty; give --dir a new or empty directory")
    if args.gates > 1:
        if args.gates != 3:
            raise GatehouseError("--gates: the mesh tour runs three boxes (--gates 3)")
        from demo.mesh_tour import run_mesh_demo

        return asyncio.run(run_mesh_demo(root, args.gates))
    return asyncio.run(
        run_demo(
            root,
            args.tickets,
            args.scans,
            args.rate,
            args.seed,
            camera=args.camera,
            stay=args.stay,
        )
    )


def scan_script(ev: DemoEvent, n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(what it is, code, direction): a guided tour first, then a realistic mix."""
    v = ev.valid
    tour = [
        ("valid ticket", v[0], "in"),
        ("valid ticket", v[1], "in"),
        ("valid ticket", v[2], "in"),
        ("same ticket again", v[0], "in"),
        ("refunded ticket", revoked_code(ev, "refunded"), "in"),
        ("charged-back ticket", revoked_code(ev, "charged_back"), "in"),
        ("forged signature", ev.forged[0], "in"),
        ("ticket for another event", ev.wrong_event[0], "in"),
        ("ticket from an unknown issuer", ev.foreign[0], "in"),
        ("expired ticket", ev.expired[0], "in"),
        ("backstage ticket at the main gate", ev.backstage[0], "in"),
        ("plain barcode from the list", ev.plain[0], "in"),
        ("unknown barcode", "4006381333931", "in"),
        ("garbage", "GH1:not-a-ticket", "in"),
        ("exit scan", v[1], "out"),
        ("re-entry after exit", v[1], "in"),
        ("exit scan, never came in", v[3], "out"),
    ]
    out = tour[:n]
    fresh = v[:-2]  # the last two are the camera lane's (``camera_script``)
    reentry = ev.config.policy.reentry
    inside = inside_after(out, set(v), reentry)
    used = 4
    while len(out) < n:
        roll = rng.random()
        if roll < 0.70 and used < len(fresh):
            out.append(("valid ticket", fresh[used], "in"))
            inside.append(fresh[used])
            used += 1
        elif roll < 0.85 and inside:
            # a repeat is a code that is inside now; one that went out comes back in
            # as a re-entry (the tour shows that), never as a "repeat"
            out.append(("repeat", rng.choice(inside), "in"))
        elif roll < 0.90:
            out.append(("revoked", rng.choice(list(ev.revoked)), "in"))
        elif roll < 0.95:
            out.append(("forged", rng.choice(ev.forged), "in"))
        else:
            out.append(("other event", rng.choice(ev.wrong_event), "in"))
    return out


def inside_after(script: list[tuple[str, str, str]], valid: set[str], reentry: bool) -> list[str]:
    """The valid codes that are inside after ``script`` (in the order they came in): an
    entry admits once, an exit takes a code that is inside out, and a code that went
    out comes back only where the policy allows re-entry."""
    inside: dict[str, None] = {}
    left: set[str] = set()
    for _, code, direction in script:
        if code not in valid:
            continue
        if direction == "out":
            if code in inside:
                del inside[code]
                left.add(code)
        elif code not in left or reentry:
            inside[code] = None
    return list(inside)


async def run_demo(
    root: Path,
    tickets: int,
    scans: int,
    rate: float,
    seed: int | None,
    *,
    camera: bool = True,
    stay: bool = False,
) -> int:
    colour = sys.stdout.isatty()
    rng = random.Random(seed)
    print(f"Gatehouse demo — building event 1001 with {tickets} tickets in {root}")
    ev = make_demo_event(root, tickets=max(tickets, 20), now_s=int(time.time()), rng=rng)
    await import_manifest(ev.config, ev.manifest)
    cam_script = add_camera_lane(ev) if camera else []
    platform = await DemoPlatform.start(root, int(time.time() * 1000))
    try:
        await platform.enrol(ev.config_path, ev.config.agent.agent_id, ev.config.agent.data_dir)
        ev.config = load_config(ev.config_path)
        print(f"Platform up at {platform.url}: event 1001, an online order, this gate enrolled")
        return await _run_agent(ev, platform, cam_script, scans, rate, rng, colour, stay)
    finally:
        await platform.stop()


async def _run_agent(
    ev: DemoEvent,
    platform: DemoPlatform,
    cam_script: list[tuple[str, str]],
    scans: int,
    rate: float,
    rng: random.Random,
    colour: bool,
    stay: bool = False,
) -> int:
    agent = await start_agent(ev.config)
    url = agent.urls[0]
    camera_watch = CameraWatch(agent, cam_script, colour)
    try:
        pairing = await control_request(
            ev.config.control_socket,
            "POST",
            "/control/pairing-codes",
            {"role": "scanner", "name": "demo handheld"},
        )
        print(f"Agent up at {url}; paired a scanner with one-time code {pairing['code']}")
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/api/v1/pair", json={"code": pairing["code"]}) as r:
                token = (await r.json())["token"]
            headers = {"Authorization": f"Bearer {token}"}

            async def status() -> dict[str, Any]:
                async with http.get(f"{url}/api/v1/status", headers=headers) as r:
                    doc: dict[str, Any] = await r.json()
                    return doc

            async def synced() -> bool:
                return (await status())["manifest"]["at"] is not None

            _, took = await wait_until(synced, "the first sync with the platform")
            print(f"First sync: the platform's manifest and keyring arrived in {took:.1f} s")
            await open_box_office(http, url, ev.config.control_socket)
            print()
            latencies, reasons = await _feed(
                http, url, headers, scan_script(ev, scans, rng), rate, colour
            )
            await camera_watch.wait()
            reasons.update(v.decision.reason.value for v in camera_watch.seen)
            reasons.update(await _platform_round_trip(http, url, headers, platform, status, colour))
            stored = await _uploaded(platform, ev, status)
            final = await status()
            if stay:
                await stay_until_interrupted(url)
    finally:
        await agent.stop()
    report = check_ledger(ev.config.ledger_path, ev.config.agent.agent_id)
    _summary(latencies, reasons, final, report.summary(), ev, stored)
    _evidence(ev, platform.tickets[0].order_id)
    return 0


def _evidence(ev: DemoEvent, order_id: str) -> None:
    """The online order's evidence pack, from the stopped agent's ledger (as a support
    agent would ask for it weeks later), checked by the same verifier a reviewer runs."""
    exported = export_pack(
        ev.config,
        read_key_file(ev.config.agent_key_path),
        order_id=order_id,
        ticket_id=None,
        now_ms=int(time.time() * 1000),
    )
    out = ev.root / "evidence" / order_id
    written = write_pack_files(out, exported.pack_bytes, exported.signature)
    report = verify_pack(exported.pack_bytes, (out / "evidence.json.sig").read_bytes())
    print(f"\nChargeback evidence for order {order_id} (what this gate saw):")
    for ticket in exported.pack["conclusion"]["tickets"]:
        print(f"  {ticket['text']}")
    print(f"  evidence pack: {out} ({', '.join(p.name for p in written)})")
    print(f"  {report.text().splitlines()[0]}")
    print(f"  check it yourself: edge-agent evidence verify {out}")


async def _platform_round_trip(
    http: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    platform: DemoPlatform,
    status: Any,
    colour: bool,
) -> Counter[str]:
    """Online ticket admits; a refund on the platform reaches the gate by itself."""
    kept, refunded = platform.tickets[:2]
    print(f"\nThe central platform ({platform.url}): order {kept.order_id} bought online")
    reasons = (
        await _feed(http, url, headers, [(f"online, {kept.holder}", kept.code, "in")], 0, colour)
    )[1]
    before = (await status())["manifest"]["revocations"]
    await platform.admin.refund(refunded.ticket_id, "customer asked")
    print(f"  platform: refunded {refunded.holder}'s ticket {refunded.ticket_id[:12]}…")

    async def arrived() -> bool:
        return bool((await status())["manifest"]["revocations"] > before)

    _, took = await wait_until(arrived, "the refund reaching the gate")
    print(f"  gate: the refund arrived with the next sync, {took:.1f} s later — no restart")
    script = [(f"online, {refunded.holder} (refunded)", refunded.code, "in")]
    reasons.update((await _feed(http, url, headers, script, 0, colour))[1])
    return reasons


async def _uploaded(platform: DemoPlatform, ev: DemoEvent, status: Any) -> str:
    """Wait for the outbox to empty, then compare the platform's rows with the ledger's."""

    async def drained() -> bool:
        outbox = (await status())["sync"]["outbox"].get("scans")
        return bool(outbox and outbox["depth"] == 0)

    await wait_until(drained, "the upload of every scan")
    rows = await platform.stored_scan_rows(ev.config.agent.agent_id)
    reader = open_read_connection(ev.config.ledger_path)
    try:
        ours = scan_ids_and_chain(reader)
    finally:
        reader.close()
    theirs = [(r["seq"], r["scan_id"], r["chain"]) for r in rows]
    same = "identical ids and chain values" if theirs == ours else "DIFFERENT from the ledger"
    return f"holds {len(theirs)} of the gate's {len(ours)} scan rows, {same}"


async def _feed(
    http: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    script: list[tuple[str, str, str]],
    rate: float,
    colour: bool,
) -> tuple[list[float], Counter[str]]:
    latencies: list[float] = []
    reasons: Counter[str] = Counter()
    interval = 1.0 / rate if rate > 0 else 0.0
    print(
        f"{'#':>4}  {'time':<12} {'verdict':<7} {'event':<6} {'reason':<20}"
        f" {'what was scanned':<34} message"
    )
    for i, (label, code, direction) in enumerate(script, 1):
        t0 = time.perf_counter()
        async with http.post(
            f"{url}/api/v1/scans",
            headers=headers,
            json={"code": code, "direction": direction, "lane": "lane-1"},
        ) as r:
            v = await r.json()
        ms = (time.perf_counter() - t0) * 1000
        latencies.append(ms)
        v = v.get("verdict", v)
        reasons[v["reason"]] += 1
        print_verdict(
            str(i), v["outcome"], v["reason"], label, v["message"], v["at"][11:23], ms, colour,
            v.get("event_id"),
        )  # fmt: skip
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t0)))
    return latencies, reasons


def _summary(
    latencies: list[float],
    reasons: Counter[str],
    status: dict[str, Any],
    ledger: str,
    ev: DemoEvent,
    uploaded: str,
) -> None:
    lat = sorted(latencies)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print("\nSummary")
    print(
        f"  scans: {len(lat)}   verdict round trip over HTTP: median "
        f"{statistics.median(lat):.1f} ms, p99 {p99:.1f} ms (row fsynced before each answer)"
    )
    for reason, count in reasons.most_common():
        print(f"  {reason:<22} {count}")
    print(f"  tickets inside now: {status['admissions']['inside_now']}")
    print(f"  {ledger}")
    print(f"  platform {uploaded}")
    print(
        f"\nEverything is in {ev.root}: config.toml, keyring.json, manifest.json, data/, platform/."
    )
    print("Try it yourself:")
    print(f"  edge-agent ticket inspect --keyring {ev.root / 'keyring.json'} '{ev.valid[5]}'")
    print(f"  edge-agent check --config {ev.config_path}")
    print(f"  edge-agent run --config {ev.config_path}")
    print(f"  edge-agent pair --config {ev.config_path} --role scanner   # while it runs")
    print(
        f"  edge-agent pair --config {ev.config_path} --role box_office"
        "   # then open <agent URL>/api/v1/pair?code=CODE on an iPad"
    )
    print(f"  edge-agent sync status --config {ev.config_path}           # while it runs")
    print(f"  gatehouse-platform serve --data {ev.root / 'platform'}   # the platform again")
    if shutil.which("edge-agent") is None:
        print("  (edge-agent and gatehouse-platform live in .venv/bin/)")
