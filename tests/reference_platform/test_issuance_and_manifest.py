"""Issuance, the manifest feed (pages, cursors, revocations, keyring) and agent enrolment,
against a real platform on loopback."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.keyring import load_keyring
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1
from edge_agent.domain.trusted_key import KeyRole, key_id_of
from edge_agent.domain.verification import code_sha256, inspect_code
from reference_platform.seed import seed_tickets
from reference_platform.store.database import open_connection
from tests.platform_fixture import EVENT_ID, PlatformFixture, issue_tickets

pytestmark = pytest.mark.integration


async def get_page(
    session: aiohttp.ClientSession, fx: PlatformFixture, token: str, **params: Any
) -> dict[str, Any]:
    async with session.get(
        f"{fx.url}/v1/events/{EVENT_ID}/manifest",
        params={k: str(v) for k, v in params.items()},
        headers=fx.agent_headers(token),
    ) as resp:
        assert resp.status == 200, await resp.text()
        assert int(resp.headers["X-Platform-Time-Ms"]) > 0
        doc: dict[str, Any] = await resp.json()
        return doc


async def load_all(
    session: aiohttp.ClientSession, fx: PlatformFixture, token: str, since: str = "", limit: int = 7
) -> tuple[list[dict[str, Any]], str]:
    pages = []
    while True:
        page = await get_page(session, fx, token, since=since, limit=limit)
        pages.append(page)
        since = page["cursor"]
        if not page["more"]:
            return pages, since


async def test_gh1_codes_verify_with_the_manifest_keyring(
    platform: PlatformFixture, agent_key: Ed25519PrivateKey
) -> None:
    token = await platform.enrol("gate-a", agent_key)
    async with aiohttp.ClientSession() as session:
        page = await get_page(session, platform, token)
    keyring = load_keyring(page["keyring"])
    assert keyring.warnings == ()
    now_s = int(time.time())
    for ticket in platform.gh1_tickets:
        verdict = inspect_code(ticket.code, keyring, EVENT_ID, now_s)
        assert verdict["valid"] is True, verdict
        assert verdict["ticket_id"] == ticket.ticket_id
        assert verdict["ticket_type"] == ticket.ticket_type
    # The certified agent key is in the keyring, scoped to the event: a ticket the
    # agent signs at the box office verifies at any gate with this keyring.
    agent_raw = agent_key.public_key().public_bytes_raw()
    trusted = keyring.get(key_id_of(agent_raw))
    assert trusted is not None and trusted.role is KeyRole.AGENT
    assert trusted.agent_id == "gate-a" and trusted.events == frozenset({EVENT_ID})
    door_code = encode_gh1(
        TicketBody(key_id=key_id_of(agent_raw), event_id=EVENT_ID, ticket_id=b"\x01" * 16,
                   ticket_type=0),
        agent_key,
    )  # fmt: skip
    assert inspect_code(door_code, keyring, EVENT_ID, now_s)["reason"] == ReasonCode.OK
    # ... but a key that was never enrolled does not.
    stranger = Ed25519PrivateKey.generate()
    stranger_code = encode_gh1(
        TicketBody(key_id=key_id_of(stranger.public_key().public_bytes_raw()),
                   event_id=EVENT_ID, ticket_id=b"\x02" * 16, ticket_type=0),
        stranger,
    )  # fmt: skip
    assert inspect_code(stranger_code, keyring, EVENT_ID, now_s)["reason"] == "unknown_key"


async def test_full_load_pages_every_ticket_once_with_plain_code_hashes(
    platform: PlatformFixture, agent_key: Ed25519PrivateKey
) -> None:
    token = await platform.enrol("gate-a", agent_key)
    async with aiohttp.ClientSession() as session:
        pages, _ = await load_all(session, platform, token, limit=7)
    # 4 ticket types + 18 tickets = 22 changes, 7 per page.
    assert [p["more"] for p in pages] == [True, True, True, False]
    tickets = [t for p in pages for t in p["tickets"]]
    assert sorted(t["ticket_id"] for t in tickets) == sorted(
        t.ticket_id for t in platform.gh1_tickets + platform.plain_tickets
    )
    assert {t["ticket_type"]: t["name"] for p in pages for t in p["ticket_types"]} == {
        0: "General admission", 1: "VIP", 2: "Student", 3: "Backstage",
    }  # fmt: skip
    by_id = {t["ticket_id"]: t for t in tickets}
    for plain in platform.plain_tickets:
        assert by_id[plain.ticket_id]["plain_code_sha256"] == code_sha256(plain.code)
        assert plain.code not in str(pages)  # the code itself never leaves the platform
    for gh1 in platform.gh1_tickets:
        assert by_id[gh1.ticket_id]["plain_code_sha256"] is None
        assert by_id[gh1.ticket_id]["order_id"] == gh1.order_id
        assert by_id[gh1.ticket_id]["holder_name"].startswith("Customer ")
    for page in pages:
        assert page["format"] == "gatehouse-manifest-v1"
        assert page["event"]["name"] == "New Year Gala" and page["event"]["status"] == "on_sale"
        assert page["keyring"]["keys"], "keyring is in every page"
        assert page["revocations"] == []


async def test_cursor_resumes_with_only_what_changed(
    platform: PlatformFixture, agent_key: Ed25519PrivateKey
) -> None:
    token = await platform.enrol("gate-a", agent_key)
    refunded, charged, reissued = platform.gh1_tickets[:3]
    async with aiohttp.ClientSession() as session:
        _, cursor = await load_all(session, platform, token, limit=1000)
        empty = await get_page(session, platform, token, since=cursor)
        assert (empty["tickets"], empty["revocations"], empty["more"]) == ([], [], False)
        assert empty["cursor"] == cursor

        await platform.admin.refund(refunded.ticket_id, "customer asked")
        await platform.admin.chargeback(charged.ticket_id)
        replacement = (await platform.admin.reissue(reissued.ticket_id))["replacement"]
        new_order = await issue_tickets(platform.admin, EVENT_ID, 2, "plain")
        await platform.admin.postpone_event(EVENT_ID, "2027-01-15")

        pages, cursor2 = await load_all(session, platform, token, since=cursor, limit=1000)
    assert len(pages) == 1
    page = pages[0]
    assert {(r["ticket_id"], r["kind"]) for r in page["revocations"]} == {
        (refunded.ticket_id, "refunded"),
        (charged.ticket_id, "charged_back"),
        (reissued.ticket_id, "reissued"),
    }
    assert all(r["at_ms"] > 0 for r in page["revocations"])
    assert sorted(t["ticket_id"] for t in page["tickets"]) == sorted(
        [replacement["ticket_id"]] + [t.ticket_id for t in new_order]
    )
    assert page["event"]["status"] == "postponed"
    assert page["event"]["postponed_to"] == "2027-01-15"
    assert cursor2 != cursor

    order = await platform.admin.order(reissued.order_id)
    by_id = {t["ticket_id"]: t for t in order["tickets"]}
    assert by_id[reissued.ticket_id]["revocation"]["kind"] == "reissued"
    assert by_id[replacement["ticket_id"]]["replaces"] == reissued.ticket_id
    assert by_id[replacement["ticket_id"]]["revocation"] is None
    assert order["payment"] == {"brand": "visa", "last4": "4242", "three_ds": "authenticated"}
    assert order["purchase"]["ip"].startswith("198.51.100.")


async def test_unknown_cursor_is_409_and_keyring_lists_each_enrolled_agent(
    platform: PlatformFixture,
) -> None:
    keys = [Ed25519PrivateKey.generate() for _ in range(3)]
    tokens = [await platform.enrol(f"gate-{i}", k) for i, k in enumerate(keys)]
    async with aiohttp.ClientSession() as session:
        for since in ("c:999999", "garbage", "c:-1"):
            async with session.get(
                f"{platform.url}/v1/events/{EVENT_ID}/manifest",
                params={"since": since},
                headers=platform.agent_headers(tokens[0]),
            ) as resp:
                assert resp.status == 409
                assert (await resp.json())["error"]["code"] == "cursor_unknown"
        page = await get_page(session, platform, tokens[2])
    keyring = load_keyring(page["keyring"])
    agents = {k.agent_id for k in keyring.keys.values() if k.role is KeyRole.AGENT}
    assert agents == {"gate-0", "gate-1", "gate-2"}
    assert len([k for k in keyring.keys.values() if k.role is KeyRole.PLATFORM]) == 1


async def test_re_enrolment_rotates_the_token(
    platform: PlatformFixture, agent_key: Ed25519PrivateKey
) -> None:
    old = await platform.enrol("gate-a", agent_key)
    new = await platform.enrol("gate-a", agent_key)
    assert old != new
    async with aiohttp.ClientSession() as session:
        for token, status in ((old, 401), (new, 200)):
            async with session.get(
                f"{platform.url}/v1/events/{EVENT_ID}/manifest",
                headers=platform.agent_headers(token),
            ) as resp:
                assert resp.status == status
    stored = b"".join(p.read_bytes() for p in platform.data_dir.glob("platform.sqlite3*"))
    assert new.encode() not in stored and old.encode() not in stored


async def test_a_suspension_is_a_revocation_that_can_be_lifted(
    platform: PlatformFixture, agent_key: Ed25519PrivateKey
) -> None:
    token = await platform.enrol("gate-a", agent_key)
    held, later_refunded = platform.plain_tickets[:2]
    sold_before = {
        t["ticket_type"]: t["sold"] for t in (await platform.admin.event(EVENT_ID))["ticket_types"]
    }
    async with aiohttp.ClientSession() as session:
        _, cursor = await load_all(session, platform, token, limit=1000)
        await platform.admin.suspend(held.ticket_id, "payment under review")
        await platform.admin.suspend(later_refunded.ticket_id)
        page = await get_page(session, platform, token, since=cursor)
        assert {(r["ticket_id"], r["kind"]) for r in page["revocations"]} == {
            (held.ticket_id, "suspended"), (later_refunded.ticket_id, "suspended"),
        }  # fmt: skip
        await platform.admin.unsuspend(held.ticket_id)
        await platform.admin.refund(later_refunded.ticket_id)
        page = await get_page(session, platform, token, since=page["cursor"])
    assert {(r["ticket_id"], r["kind"]) for r in page["revocations"]} == {
        (held.ticket_id, None), (later_refunded.ticket_id, "refunded"),
    }  # fmt: skip
    lifted = next(r for r in page["revocations"] if r["kind"] is None)
    assert lifted["at_ms"] > 0  # when it was lifted
    sold_after = {
        t["ticket_type"]: t["sold"] for t in (await platform.admin.event(EVENT_ID))["ticket_types"]
    }
    expected = dict(sold_before)
    expected[later_refunded.ticket_type] -= 1  # only the refund gave a seat back
    assert sold_after == expected


async def test_a_seeded_event_streams_in_bounded_pages(
    platform: PlatformFixture, agent_key: Ed25519PrivateKey
) -> None:
    """Seeded straight into SQLite while the server runs; the feed pages it with
    LIMIT queries, every ticket once, plain-code hashes matching the codes."""
    conn = open_connection(platform.data_dir / "platform.sqlite3")
    try:
        seeded = await asyncio.to_thread(
            seed_tickets, conn, event_id=EVENT_ID, count=25_000, ticket_type=7, now_ms=1
        )
    finally:
        conn.close()
    token = await platform.enrol("gate-a", agent_key)
    async with aiohttp.ClientSession() as session:
        pages, _ = await load_all(session, platform, token, limit=5000)
    changes = 4 + 18 + 1 + 25_000  # fixture types and tickets, type 7, seeded tickets
    sizes = [len(p["tickets"]) + len(p["ticket_types"]) for p in pages]
    assert sizes == [5000] * 5 + [changes - 5 * 5000]
    tickets = {t["ticket_id"]: t for p in pages for t in p["tickets"]}
    assert len(tickets) == 25_000 + 18
    for code, ticket_id in seeded.samples:
        assert tickets[ticket_id]["plain_code_sha256"] == code_sha256(code)
        assert tickets[ticket_id]["order_id"] == seeded.order_id
    types = {t["ticket_type"]: t for p in pages for t in p["ticket_types"]}
    assert types[7] == {"ticket_type": 7, "name": "Seeded", "capacity": 25_000, "price_cents": 0,
                        "flags": [], "note": ""}  # fmt: skip
