"""Door agents for the evidence tests: real runtimes (the LAN app) enrolled on a real
reference platform, with their own key files, and one admission-claim store shared
between them — the stand-in for the mesh's replicated bucket (same interface as the
claimer the pipeline takes), so a ticket admitted at one gate is refused at the other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.api.app import create_app
from edge_agent.config.sections import Config
from edge_agent.devices.roles import Role
from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.gate.claims import ClaimResult
from edge_agent.runtime import AgentRuntime
from tests.edge_agent.platform_link.agent_setup import config_text, write_agent_files
from tests.helpers import AiohttpClient, pair, runtime_of
from tests.platform_fixture import PlatformFixture, order_body


class SharedClaims:
    """First claim wins; a claim made without knowing the current holder loses."""

    def __init__(self) -> None:
        self.claims: dict[str, AdmissionRecord] = {}

    async def claim(
        self,
        ticket_id: str,
        previous: AdmissionRecord | None,
        proposed: AdmissionRecord,
        *,
        claim_id: str = "",
    ) -> ClaimResult:
        current = self.claims.get(ticket_id)
        if current is not None and current != previous:
            return ClaimResult(won=False, winner=current)
        self.claims[ticket_id] = proposed
        return ClaimResult(won=True)


@dataclass
class Gate:
    config: Config
    client: TestClient[Any, Any]
    scanner: dict[str, str]
    boss: dict[str, str]

    @property
    def runtime(self) -> AgentRuntime:
        return runtime_of(self.client)

    async def scan(self, code: str, direction: str = "in") -> dict[str, Any]:
        resp = await self.client.post(
            "/api/v1/scans", json={"code": code, "direction": direction}, headers=self.scanner
        )
        assert resp.status == 200, await resp.text()
        doc: dict[str, Any] = await resp.json()
        return doc

    async def sync(self) -> dict[str, Any]:
        resp = await self.client.post("/api/v1/sync/now", headers=self.boss)
        assert resp.status == 200, await resp.text()
        doc: dict[str, Any] = await resp.json()
        return doc

    async def checkpoint_and_upload(self) -> None:
        """Sign the head now (instead of waiting for the signer's tick), then upload."""
        signer = self.runtime.chain_signer
        assert signer is not None
        await signer.sign_now()
        await self.sync()
        await self.sync()  # checkpoints go up once the platform holds their rows


def agent_files(
    root: Path, platform: PlatformFixture, agent_id: str, gate_id: str, gate_name: str, token: str,
    key: Ed25519PrivateKey,
) -> Config:  # fmt: skip
    text = config_text(agent_id, platform.event_id, platform.url)
    text += f'\n[gate]\nid = "{gate_id}"\nname = "{gate_name}"\n\n[policy]\nreentry = true\n'
    text = text.replace('data_dir = "data"', 'data_dir = "data"\nvenue = "Riverside Hall"')
    return write_agent_files(root, token, text, agent_key=key)


async def start_gate(
    root: Path,
    platform: PlatformFixture,
    aiohttp_client: AiohttpClient,
    *,
    agent_id: str,
    gate_id: str,
    gate_name: str,
    claims: SharedClaims,
) -> Gate:
    key = Ed25519PrivateKey.generate()
    token = await platform.enrol(agent_id, key)
    config = agent_files(root, platform, agent_id, gate_id, gate_name, token, key)
    client = await aiohttp_client(create_app(config, claims))
    gate = Gate(
        config, client, await pair(client, Role.SCANNER), await pair(client, Role.SUPERVISOR)
    )
    await gate.sync()
    return gate


async def one_ticket_order(platform: PlatformFixture, customer: int) -> tuple[str, str, str]:
    """A new order of one GH1 ticket: (order id, ticket id, code)."""
    doc = await platform.admin.create_order(
        platform.event_id, order_body(customer, [{"ticket_type": 1, "code": "gh1"}])
    )
    ticket = doc["tickets"][0]
    return doc["order_id"], ticket["ticket_id"], ticket["code"]
