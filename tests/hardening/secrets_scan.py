"""Logs, the ledger and the platform's database scanned for secrets after a night's
worth of everything: pairing, scans, a card number sent where none belongs, sync with
the platform, a crash and restarts. None of the device tokens, pairing codes, the
agent's sync token, the platform's admin token, the agent's private key, any scanned
ticket code or card number may appear in any of them (``docs/hardening.md``).

Heavy (``make hardening``, run last) also sweeps everything the other scenarios left
behind for the card numbers and for anything shaped like a device token."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import uuid
from pathlib import Path

import aiohttp

from edge_agent.cli.control_client import control_request
from tests.agent_process import set_log
from tests.edge_agent.platform_link.agent_setup import enrolled_config
from tests.hardening.common import Agent, Outcome, scan
from tests.platform_fixture import running_platform

#: Card numbers sent where none belongs (test PANs: Luhn-valid, never real cards).
CARDS = ("4111111111111111", "4111 1111 1111 1111", "5555555555554444")
TOKEN_SHAPE = re.compile(rb"gh_[A-Za-z0-9_-]{43}")
#: Files that are the secret's own home (a key file holds its key).
OWN_HOME = {"agent.key", "agent.token", "admin.token"}


def sweep(root: Path, secrets: dict[str, str], shapes: bool) -> list[str]:
    """Every (file, what) where a secret or a token-shaped string is found."""
    found: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in OWN_HOME):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for what, value in secrets.items():
            if value and value.encode() in data:
                found.append(f"{path.relative_to(root)}: {what}")
        if shapes and TOKEN_SHAPE.search(data):
            found.append(f"{path.relative_to(root)}: a device token")
        for card in CARDS:
            if card.encode() in data:
                found.append(f"{path.relative_to(root)}: card number")
    return found


async def pair(http: aiohttp.ClientSession, agent: Agent, role: str,
               secrets: dict[str, str]) -> dict[str, str]:  # fmt: skip
    code = (await agent.control("POST", "/control/pairing-codes", {"role": role}))["code"]
    secrets[f"pairing code ({role})"] = code
    async with http.post(f"{agent.url}/api/v1/pair", json={"code": code}) as r:
        token = (await r.json())["token"]
    secrets[f"device token ({role})"] = token
    return {"Authorization": f"Bearer {token}"}


async def a_night(agent: Agent, codes: list[str], secrets: dict[str, str]) -> None:
    async with aiohttp.ClientSession() as http:
        gate = await pair(http, agent, "scanner", secrets)
        till = await pair(http, agent, "box_office", secrets)
        for code in codes:
            await scan(http, agent.url, gate, code)
        await scan(http, agent.url, gate, CARDS[0])  # a card swiped at the gate
        for wrong in ("000000", "999999"):
            await http.post(f"{agent.url}/api/v1/pair", json={"code": wrong})
        sale = {"request_id": str(uuid.uuid4()), "items": [{"ticket_type": 0, "quantity": 1}],
                "payment": {"method": "cash", "tendered_cents": 5000},
                "customer": {"name": CARDS[1], "email": "x@example.org"}}  # fmt: skip
        await http.post(f"{agent.url}/api/v1/boxoffice/sales", json=sale, headers=till)
        await http.get(f"{agent.url}/api/v1/status", headers=gate)  # a refused role
    await control_request(agent.config.control_socket, "POST", "/control/sync/now", None)


async def run(work: Path, heavy: bool) -> Outcome:
    secrets: dict[str, str] = {}
    async with running_platform(work / "platform", gh1=6, plain=3) as platform:
        config = await enrolled_config(work / "agent", platform)
        set_log(config.source, "debug")  # the chattiest the agent gets
        secrets["agent sync token"] = config.sync_token_path.read_text().strip()
        secrets["admin token"] = platform.admin_token
        key_doc = json.loads(config.agent_key_path.read_text())
        secrets["agent private key"] = key_doc["private_key"]
        codes = [t.code for t in platform.gh1_tickets + platform.plain_tickets]
        for i, code in enumerate(codes):
            secrets[f"ticket code {i}"] = code
        logs: list[str] = []
        for crash in (True, False):
            agent = await asyncio.to_thread(Agent, config.source)
            await a_night(agent, codes, secrets)
            if crash:
                agent.proc.send_signal(signal.SIGKILL)
                agent.proc.wait(20)
            else:
                agent.stop()
            logs.append(agent.log_text())
        (work / "agent" / "agent.log").write_text("".join(logs))
        platform_files = platform.data_dir
        # the platform issued the ticket codes: its own database holds them by design
        platform_found = sweep(
            platform_files,
            {k: v for k, v in secrets.items() if not k.startswith("ticket code")},
            shapes=True,
        )
    agent_found = sweep(work / "agent", secrets, shapes=True)
    swept = 2
    others: list[str] = []
    if heavy:  # what every other scenario left behind
        others = sweep(work.parent, {}, shapes=False)
        swept += 1
    found = platform_found + agent_found + others
    # the sweep itself must see a secret where one is: a planted copy
    planted = work / "control"
    planted.mkdir()
    (planted / "leak.log").write_text(f"oops {secrets['device token (scanner)']}\n")
    control = sweep(planted, secrets, shapes=True)
    figures = {"secrets_checked": len(secrets), "places_swept": swept,
               "log_lines": sum(log.count("\n") for log in logs), "found": found[:10],
               "planted_leak_found": bool(control)}  # fmt: skip
    ok = not found and bool(control)
    return Outcome("Secrets in logs, ledger, platform DB", len(secrets), ok, figures)
