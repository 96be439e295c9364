"""The demo's box office: a lease of door-sale seats and the way to the iPad page.

After the first sync, a supervisor device (paired through the control socket, as a venue
tech would) takes a lease of ``DEMO_LEASE`` seats of the first ticket type from the
platform, so the sales page can sell at once — online or offline. A one-time box-office
pairing code is issued and printed with the page's URL and the pairing link the TUI
shows as a QR (``/api/v1/pair?code=…`` opens the page and pairs it). One door sale is
made the way the page makes it, and one of its tickets — signed by this agent's key —
is scanned at the gate.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from edge_agent.cli.control_client import control_request

DEMO_LEASE = 20
DEMO_TICKET_TYPE = 0


async def open_box_office(http: aiohttp.ClientSession, url: str, control_socket: Path) -> None:
    """Take the demo's lease and print how to open the sales page."""
    supervisor = await _pair(http, url, control_socket, "supervisor", "demo supervisor")
    async with http.post(
        f"{url}/api/v1/boxoffice/leases",
        json={"ticket_type": DEMO_TICKET_TYPE, "count": DEMO_LEASE},
        headers=supervisor,
    ) as r:
        lease: dict[str, Any] = await r.json()
        status = r.status
    if status == 201:
        print(
            f"Box office: leased {lease['count']} seats of ticket type {DEMO_TICKET_TYPE}"
            " from the platform for door sales (sellable offline too)"
        )
        await _door_sale(http, url, supervisor)
    else:
        error = lease.get("error", {})
        print(f"Box office: no lease ({error.get('code')}: {error.get('message')})")
    pairing = await control_request(
        control_socket, "POST", "/control/pairing-codes", {"role": "box_office", "name": "iPad"}
    )
    code = pairing["code"]
    print(f"  sales page: {url}/boxoffice/  (one-time box-office pairing code {code})")
    print(f"  or open {url}/api/v1/pair?code={code} to pair and open it in one go")


async def _door_sale(http: aiohttp.ClientSession, url: str, who: dict[str, str]) -> None:
    """One door sale as the page makes it (a till, two tickets for cash), and one of its
    agent-signed tickets scanned at the gate: it admits like a platform ticket."""
    till = {"operator": "Demo", "float_cents": 10_000}
    async with http.post(f"{url}/api/v1/boxoffice/sessions", json=till, headers=who) as r:
        r.raise_for_status()
    sale = {
        "request_id": str(uuid.uuid4()),
        "items": [{"ticket_type": DEMO_TICKET_TYPE, "quantity": 2}],
        "payment": {"method": "cash", "tendered_cents": 10_000},
    }
    async with http.post(f"{url}/api/v1/boxoffice/sales", json=sale, headers=who) as r:
        receipt: dict[str, Any] = await r.json()
        if r.status != 201:
            error = receipt.get("error", {})
            print(f"  door sale refused: {error.get('code')}: {error.get('message')}")
            return
    pay = receipt["payment"]
    print(
        f"  door sale: order {receipt['order_id']}, {len(receipt['tickets'])} tickets, "
        f"{_money(receipt['total_cents'])} {receipt['currency']} cash, "
        f"change {_money(pay['change_cents'])}; tickets signed with this agent's key"
    )
    code = receipt["tickets"][0]["code"]
    async with http.post(f"{url}/api/v1/scans", json={"code": code}, headers=who) as r:
        verdict: dict[str, Any] = await r.json()
    print(f"  its first ticket at the gate: {verdict['outcome'].upper()} {verdict['reason']}")


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


async def _pair(
    http: aiohttp.ClientSession, url: str, control_socket: Path, role: str, name: str
) -> dict[str, str]:
    pairing = await control_request(
        control_socket, "POST", "/control/pairing-codes", {"role": role, "name": name}
    )
    async with http.post(f"{url}/api/v1/pair", json={"code": pairing["code"]}) as r:
        token = (await r.json())["token"]
    return {"Authorization": f"Bearer {token}"}


async def stay_until_interrupted(url: str) -> None:
    """``--stay``: keep the agent (and the platform) up until Ctrl-C or SIGTERM, so the
    newcomer can sell on the page; then the demo ends as usual, with its summary."""
    print(f"\nThe agent keeps running: sell at {url}/boxoffice/ — press Ctrl-C to finish")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
