"""Manifest pages applied to a real ledger and the live gate state, page by page, from
a scripted platform on loopback (each answer chosen by the test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from demo.event import issue, raw_public
from edge_agent.domain.keyring import dump_keyring, keyring_entry_for_platform
from edge_agent.domain.reasons import ReasonCode
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.migrations.manifest_lookup import LOOKUP_TRIGGERS
from edge_agent.ledger.sync_tables import find_manifest_tickets
from edge_agent.platform_link.store import LedgerSyncStore
from sync.errors import CursorUnknown, ProtocolError, ServerError
from tests.edge_agent.platform_link.scripted import ScriptedPlatform, error
from tests.edge_agent.platform_link.stack import EVENT, TOKEN, Stack, sha, sync_stack

pytestmark = pytest.mark.integration

T0 = 1_767_205_000_000


def page(
    cursor: str,
    more: bool,
    *,
    tickets: list[dict[str, Any]] | None = None,
    revocations: list[dict[str, Any]] | None = None,
    keyring: dict[str, Any] | None = None,
    status: str = "on_sale",
    at_ms: int = T0,
) -> dict[str, Any]:
    return {
        "format": "gatehouse-manifest-v1",
        "event_id": EVENT,
        "cursor": cursor,
        "more": more,
        "generated_at_ms": at_ms,
        "event": {"name": "Gala", "venue": "Hall", "status": status, "starts_at_ms": 0,
                  "postponed_to": None},
        "keyring": keyring or {"keys": []},
        "ticket_types": [{"ticket_type": 1, "name": "Standing", "capacity": 10}],
        "tickets": tickets or [],
        "revocations": revocations or [],
    }  # fmt: skip


def ticket(n: int, code: str | None = None, **kw: Any) -> dict[str, Any]:
    return {
        "ticket_id": f"T-{n:06d}", "ticket_type": 1, "order_id": f"O-{n // 2}",
        "holder_name": f"Holder {n}", "holder_email": f"h{n}@example.org",
        "plain_code_sha256": sha(code) if code else None, "valid_from": 0, "valid_until": 0,
        **kw,
    }  # fmt: skip


@pytest.fixture
async def platform(aiohttp_server: Any) -> tuple[ScriptedPlatform, TestServer]:
    scripted = ScriptedPlatform()
    server = await aiohttp_server(scripted.app())
    return scripted, server


async def scan(stack: Stack, code: str) -> ReasonCode:
    result = await stack.pipeline.scan(code, lane="l1", device_id="d1", device_kind="test")
    return result.decision.reason


async def test_pages_stream_into_ledger_and_gate_with_their_cursor(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    key = Ed25519PrivateKey.generate()
    keyring = dump_keyring([keyring_entry_for_platform(raw_public(key), [EVENT])])
    scripted.queue(200, page("c:2", True, tickets=[ticket(1, "CODE-1"), ticket(2)]))
    scripted.queue(200, page("c:4", True, tickets=[ticket(3, "CODE-3")], keyring=keyring))
    scripted.queue(
        200,
        page("c:5", False, revocations=[{"ticket_id": "T-000003", "kind": "refunded",
                                         "at_ms": T0}], keyring=keyring, at_ms=T0 + 9),
    )  # fmt: skip
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        sync = await stack.manifest(limit=2)
        signed = issue(key, EVENT, 1)
        assert await scan(stack, signed) is ReasonCode.UNKNOWN_KEY  # no keyring yet
        done = await sync.sync()
        assert (done.pages, done.tickets, done.revocations) == (3, 3, 1)
        assert (done.cursor, done.manifest_at_ms) == ("c:5", T0 + 9)
        # the requests: paged with the previous cursor, authenticated, clock header
        sent = scripted.received
        assert [r.query.get("since") for r in sent] == [None, "c:2", "c:4"]
        assert {r.query["limit"] for r in sent} == {"2"}
        assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in sent)
        assert all(int(r.headers["X-Agent-Time-Ms"]) > T0 for r in sent)
        # ledger: tickets, plain codes, revocation, cursor and manifest time together
        assert stack.sql("SELECT count(*) FROM manifest_tickets") == [(3,)]
        assert stack.sql("SELECT ticket_id FROM plain_codes ORDER BY 1") == [
            ("T-000001",), ("T-000003",)
        ]  # fmt: skip
        assert stack.sql("SELECT manifest_cursor, manifest_at_ms FROM sync_state") == [
            ("c:5", T0 + 9)
        ]
        # the live gate: refunded plain ticket refused, platform key trusted, type names
        assert await scan(stack, "CODE-3") is ReasonCode.REFUNDED
        assert await scan(stack, "CODE-1") is ReasonCode.ADMITTED
        assert await scan(stack, signed) is ReasonCode.ADMITTED  # new credential cache
        assert stack.state.ticket_type_name(1) == "Standing"
        # every scan row carries the manifest time it was judged with (null before)
        assert stack.sql("SELECT manifest_at_ms FROM scans ORDER BY seq") == [
            (None,), (T0 + 9,), (T0 + 9,), (T0 + 9,)
        ]  # fmt: skip
        # the first load filled the lookup table at its end, and its triggers are back
        triggers = {r[0] for r in stack.sql("SELECT name FROM sqlite_schema WHERE type='trigger'")}
        assert set(LOOKUP_TRIGGERS) <= triggers
        assert stack.sql("SELECT count(*) FROM manifest_lookup") == [(9,)]


async def test_lifted_revocations_changed_codes_and_a_cancelled_event(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    scripted.queue(
        200,
        page("c:2", False, tickets=[ticket(1, "OLD-1")],
             revocations=[{"ticket_id": "T-000001", "kind": "suspended", "at_ms": T0}]),
    )  # fmt: skip
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        sync = await stack.manifest()
        await sync.sync()
        assert await scan(stack, "OLD-1") is ReasonCode.SUSPENDED
        # the platform lifts the hold and gives the ticket a new plain code
        scripted.answers.clear()
        scripted.queue(
            200,
            page("c:4", False, tickets=[ticket(1, "NEW-1")],
                 revocations=[{"ticket_id": "T-000001", "kind": None}]),
        )  # fmt: skip
        await sync.sync()
        assert stack.state.revocation("T-000001") is None
        assert stack.sql("SELECT count(*) FROM revocations") == [(0,)]
        assert await scan(stack, "OLD-1") is ReasonCode.UNKNOWN_CODE  # old text is gone
        assert await scan(stack, "NEW-1") is ReasonCode.ADMITTED
        # the event is cancelled: every entry is refused as event_cancelled
        scripted.answers.clear()
        scripted.queue(200, page("c:5", False, status="cancelled"))
        await sync.sync()
        assert await scan(stack, "NEW-1") is ReasonCode.EVENT_CANCELLED
        last = stack.sql("SELECT reason FROM scans ORDER BY seq DESC LIMIT 1")
        assert last == [("event_cancelled",)]  # the ledger tells it from a cancelled ticket
        assert stack.sql("SELECT event_status FROM sync_state") == [("cancelled",)]
        # lookups for the box office use the stored holder details
        reader = open_read_connection(stack.path)
        try:
            [found] = find_manifest_tickets(reader, email="H1@EXAMPLE.ORG")
            assert found.ticket_id == "T-000001" and found.plain_code_sha256 == sha("NEW-1")
            assert find_manifest_tickets(reader, order_id="O-0") == [found]
            assert find_manifest_tickets(reader, name_prefix="holder") == [found]
            assert find_manifest_tickets(reader, name_prefix="Holdes") == []
        finally:
            reader.close()


async def test_a_failed_page_leaves_the_last_committed_one_and_resumes_there(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    scripted.queue(200, page("c:2", True, tickets=[ticket(1, "CODE-A"), ticket(2)]))
    scripted.queue(503, error("unavailable", "maintenance"))
    path = tmp_path / "ledger.sqlite3"
    async with sync_stack(path, str(server.make_url(""))) as stack:
        sync = await stack.manifest(limit=2)
        with pytest.raises(ServerError):
            await sync.sync()
        assert stack.sql("SELECT manifest_cursor, manifest_at_ms FROM sync_state") == [
            ("c:2", None)
        ]
        # a first load in progress: tickets stored, codes and indexes wait for its end
        assert stack.sql("SELECT bulk_load, (SELECT count(*) FROM plain_codes) FROM sync_state")[
            0
        ] == (1, 0)
    # a new process: resumes after the last committed page, not from the start
    scripted.answers.clear()
    # ticket 1's code changed on the platform while the load was cut off
    scripted.queue(200, page("c:3", False, tickets=[ticket(3, "CODE-C"), ticket(1, "CODE-B")]))
    async with sync_stack(path, str(server.make_url(""))) as stack:
        sync = await stack.manifest(limit=2)
        await sync.sync()
        assert scripted.received[-1].query["since"] == "c:2"
        assert stack.sql("SELECT count(*) FROM manifest_tickets") == [(3,)]
        assert stack.sql("SELECT bulk_load FROM sync_state") == [(0,)]
        assert await scan(stack, "CODE-A") is ReasonCode.UNKNOWN_CODE  # never lingers
        assert await scan(stack, "CODE-B") is ReasonCode.ADMITTED
        assert await scan(stack, "CODE-C") is ReasonCode.ADMITTED
        triggers = {r[0] for r in stack.sql("SELECT name FROM sqlite_schema WHERE type='trigger'")}
        assert set(LOOKUP_TRIGGERS) <= triggers


async def test_unknown_cursor_restarts_with_a_full_load_once(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    scripted.queue(200, page("c:9", False, tickets=[ticket(1)]))
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        sync = await stack.manifest()
        await sync.sync()
        scripted.answers.clear()
        scripted.queue(409, error("cursor_unknown"))
        scripted.queue(200, page("c:1", False, tickets=[ticket(1), ticket(2)]))
        done = await sync.sync()
        assert done.full_reload
        assert [r.query.get("since") for r in scripted.received[-2:]] == ["c:9", None]
        assert stack.sql("SELECT manifest_cursor FROM sync_state") == [("c:1",)]
        # a platform that refuses even the full load: reported, not looped
        scripted.answers.clear()
        scripted.queue(409, error("cursor_unknown"))
        before = len(scripted.received)
        with pytest.raises(CursorUnknown):
            await sync.sync()
        assert [r.query.get("since") for r in scripted.received[before:]] == ["c:1", None]


async def test_a_page_that_breaks_the_contract_changes_nothing(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    bad = page("c:2", False, tickets=[ticket(1, "X"), ticket(2, holder_email=5)])
    scripted.queue(200, bad)
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        sync = await stack.manifest()
        with pytest.raises(ProtocolError, match=r"tickets\[1\].holder_email"):
            await sync.sync()
        assert stack.sql("SELECT count(*) FROM manifest_tickets") == [(0,)]
        assert stack.sql("SELECT manifest_cursor FROM sync_state") == [("",)]
        # a keyring the gate could not use is refused before anything is stored
        scripted.answers.clear()
        scripted.queue(
            200,
            page(
                "c:2",
                False,
                tickets=[ticket(1)],
                keyring={"keys": [{"public_key": "xx", "role": "platform"}]},
            ),
        )
        with pytest.raises(ProtocolError, match="keyring refused"):
            await sync.sync()
        assert stack.sql("SELECT count(*), (SELECT manifest_cursor FROM sync_state)"
                         " FROM manifest_tickets") == [(0, "")]  # fmt: skip


async def test_a_data_dir_moved_to_another_event_forgets_the_old_manifest_state(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    scripted.queue(200, page("c:3", False, tickets=[ticket(1)], status="postponed"))
    path = tmp_path / "ledger.sqlite3"
    async with sync_stack(path, str(server.make_url(""))) as stack:
        await (await stack.manifest()).sync()
        assert (await stack.store.load()).manifest_cursor == "c:3"
        other = LedgerSyncStore(stack.writer, path, EVENT + 1)
        try:
            stored = await other.load()
        finally:
            await other.close()
        assert (stored.manifest_cursor, stored.manifest_at_ms, stored.event) == ("", None, None)
        assert stack.sql("SELECT event_id, keyring_json FROM sync_state") == [(EVENT + 1, None)]
