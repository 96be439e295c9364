"""The snapshot tests' fixed documents (``replay.py``) keep the real agent's shapes:
every key the real API answers with is in them, at every level the TUI reads."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent
from edge_agent.devices.roles import Role
from tests.edge_agent.api.test_api_tickets_devices import add_holders
from tests.helpers import pair
from tests.tui.replay import DEVICES, PAIRING_CODE, STATUS, TICKET_DETAIL, TICKETS

pytestmark = pytest.mark.integration

#: Maps keyed by data (outcomes, reasons, lanes), not by field names.
DATA_KEYED = ("by_outcome", "by_reason", "by_lane")


def same_keys(real: Any, fixed: Any, where: str = "") -> None:
    if where.endswith(DATA_KEYED):
        return
    if isinstance(real, dict) and isinstance(fixed, dict):
        assert set(real) == set(fixed), f"{where}: {set(real) ^ set(fixed)}"
        for key in real:
            if real[key] is not None and fixed[key] is not None:
                same_keys(real[key], fixed[key], f"{where}.{key}")
    elif isinstance(real, list) and isinstance(fixed, list) and real and fixed:
        same_keys(real[0], fixed[0], f"{where}[0]")


async def test_replayed_documents_have_the_real_shapes(
    client: TestClient[Any, Any], event: DemoEvent, scanner: dict[str, str]
) -> None:
    ids = await add_holders(client, event, scanner)
    sup = await pair(client, Role.SUPERVISOR, "Sam")
    await client.post(
        f"/api/v1/tickets/{ids[0]}/override", json={"direction": "in", "reason": "x"}, headers=sup
    )
    status = await (await client.get("/api/v1/status", headers=sup)).json()
    fixed = {k: v for k, v in STATUS.items() if k not in ("sync", "lanes", "printer")}
    same_keys({k: v for k, v in status.items() if k not in ("sync", "lanes", "printer")}, fixed)
    assert set(status) == set(STATUS)
    found = await (await client.get("/api/v1/tickets", params={"q": "ada"}, headers=sup)).json()
    same_keys(found["tickets"][0], TICKETS[0])
    detail = await (await client.get(f"/api/v1/tickets/{ids[0]}", headers=sup)).json()
    same_keys(detail, TICKET_DETAIL)
    same_keys(await (await client.get("/api/v1/devices", headers=sup)).json(), DEVICES)
    code = await client.post("/api/v1/pairing-codes", json={"role": "scanner"}, headers=sup)
    same_keys(await code.json(), PAIRING_CODE)
