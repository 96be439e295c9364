"""pretix pages through the agent's store: rows in the ledger, the gate's rules, revocations
and pretix's check-in state live at once and again after a restart, judged by the real
pipeline (the pretix server itself is played by ``tests/sync/pretix_fakes``)."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.gate_policy import PlainTicket
from edge_agent.domain.pretix_keys import raw_to_pem_b64
from edge_agent.domain.pretix_payload import PretixTicket
from edge_agent.domain.pretix_sig1 import pretix_ticket_id, sign_pretix_ticket
from edge_agent.domain.trusted_key import Keyring
from edge_agent.gate.claims import LocalClaimer
from edge_agent.gate.live_manifest import LiveManifest
from edge_agent.gate.pipeline import ScanPipeline
from edge_agent.gate.state import GateState
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.flag_queries import holder_name
from edge_agent.ledger.queries import lookup_plain_code
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.pretix.store import PretixLedgerStore, load_gate_state
from edge_agent.platform_link.pretix.translate import position_ticket_id
from edge_agent.runtime import wall_clock_ms
from sync.pretix.client import PretixClient
from sync.pretix.download import PretixManifestSync
from tests.edge_agent.platform_link.stack import policy
from tests.sync import pretix_fakes
from tests.sync.pretix_fakes import FakePretix, iso, order, position

pytestmark = pytest.mark.integration

KEY = Ed25519PrivateKey.from_private_bytes(b"\x21" * 32)
NOW = wall_clock_ms()


def secret(seed: str, item: int = 1, **kw: int) -> str:
    return sign_pretix_ticket(PretixTicket(seed, item, **kw), KEY)


class Gate:
    def __init__(self, path: Path, writer: LedgerWriter) -> None:
        self.reader = open_read_connection(path)

        def plain(code: str) -> PlainTicket | None:
            row = lookup_plain_code(self.reader, code)
            if row is None:
                return None
            return PlainTicket(row.ticket_id, row.event_id, row.ticket_type, 0, 0, row.subevent)

        self.state = GateState(plain)
        # as the runtime does: a flagged admit shows the holder's name from the manifest
        self.state.set_holder_lookup(lambda ticket_id: holder_name(self.reader, ticket_id))
        empty = Keyring(MappingProxyType({}))
        self.pipeline = ScanPipeline(
            policy=policy(),
            keyring=empty,
            state=self.state,
            writer=writer,
            claimer=LocalClaimer(),
            clock_ms=wall_clock_ms,
        )
        self.live = LiveManifest(self.state, self.pipeline, empty)

    async def scan(self, code: str, direction: str = "in") -> Any:
        from edge_agent.domain.reasons import Direction

        result = await self.pipeline.scan(
            code, lane="l", device_id="d", device_kind="t", direction=Direction(direction)
        )
        return result.decision


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakePretix:
    event = {
        **pretix_fakes.EVENT,
        "valid_keys": {"pretix_sig1": [raw_to_pem_b64(KEY.public_key().public_bytes_raw())]},
    }
    monkeypatch.setattr(pretix_fakes, "EVENT", event)
    fake = FakePretix()
    fake.orders = [
        order(
            "PAID",
            NOW,
            [
                position(1, secret("aliceSeed")),
                position(2, secret("satSeed", 2, variation=7), item=2, variation=7),
                position(3, "k4x9qzwpf2b7s3rmvd8hcj6tnyeg5au1"),
                position(
                    4,
                    secret("inSeed"),
                    checkins=[
                        {"list": 5, "type": "entry", "datetime": iso(NOW - 60_000), "device_id": 3}
                    ],
                ),
            ],
        ),
        order("PEND", NOW + 1, [position(5, secret("pendSeed"))], status="n"),
        order("CANC", NOW + 2, [position(6, secret("cancSeed"))], status="c"),
        order("BLOK", NOW + 3, [position(7, secret("blokSeed"), blocked=["admin"])]),
    ]
    fake.revoked = [{"secret": secret("oldSeed"), "created": iso(NOW)}]
    fake.blocked = [
        {"secret": "k4x9qzwpf2b7s3rmvd8hcj6tnyeg5au1", "updated": iso(NOW), "blocked": False}
    ]
    return fake


async def test_pages_reach_ledger_and_gate_and_survive_a_restart(
    tmp_path: Path, fake: FakePretix
) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "gate-a")
    gate = Gate(path, writer)
    store = PretixLedgerStore(
        writer,
        path,
        event_id=1001,
        organizer="org",
        state=gate.state,
        live=gate.live,
        clock_ms=wall_clock_ms,
    )
    try:
        await store.load()
        sync = PretixManifestSync(
            cast(PretixClient, fake), store, event="ev", list_id=5, clock_ms=wall_clock_ms
        )
        await sync.sync()
        assert len(gate.pipeline.keyring.pretix_keys) == 1  # valid_keys became the keyring
        first = await gate.scan(secret("aliceSeed"))
        assert (first.reason, first.ticket_type) == ("admitted", 1)
        assert first.ticket_id == pretix_ticket_id("aliceSeed")
        sat = await gate.scan(secret("satSeed", 2, variation=7))
        assert (sat.reason, gate.state.ticket_type_name(sat.ticket_type)) == (
            "admitted",
            "Tagespass – Sat",
        )
        plain = await gate.scan("k4x9qzwpf2b7s3rmvd8hcj6tnyeg5au1")
        assert plain.reason == "admitted"
        assert plain.ticket_id == position_ticket_id("org", "ev", 3)
        elsewhere = await gate.scan(secret("inSeed"))
        assert elsewhere.reason == "already_admitted" and "pretix device 3" in elsewhere.message
        for seed, reason in (
            ("pendSeed", "unpaid"),
            ("cancSeed", "cancelled"),
            ("blokSeed", "blocked"),
            ("oldSeed", "reissued"),
        ):
            assert (await gate.scan(secret(seed))).reason == reason, seed
        # pretix pays the pending order and unblocks: the next round lifts both
        fake.orders[1] = order("PEND", NOW + 10, [position(5, secret("pendSeed"))])
        fake.orders[3] = order("BLOK", NOW + 11, [position(7, secret("blokSeed"))])
        await sync.sync()
        assert (await gate.scan(secret("pendSeed"))).reason == "admitted"
        assert (await gate.scan(secret("blokSeed"))).reason == "admitted"
        assert (await gate.scan(secret("oldSeed"))).reason == "reissued"  # final
        # what a restart loads: the same rules and pretix's check-in state
        again = Gate(path, writer)
        load_gate_state(again.reader, again.state)
        rules = again.state.pretix_rules()
        assert rules is not None and rules.ticket_type(2, 8) == 3 and rules.list_types is None
        remote = again.state.admission(pretix_ticket_id("inSeed"))
        assert remote is not None and remote.inside and remote.first_gate == "pretix device 3"
        rows = gate.reader.execute(
            "SELECT order_id, holder_name FROM manifest_tickets WHERE ticket_id = ?",
            (pretix_ticket_id("aliceSeed"),),
        ).fetchall()
        assert rows == [("PAID", "Person 1")]
        again.reader.close()
    finally:
        gate.reader.close()
        await store.close()
        await writer.close()


async def test_another_pretix_list_starts_the_download_over(
    tmp_path: Path, fake: FakePretix
) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "gate-a")
    gate = Gate(path, writer)

    def store(link: str) -> PretixLedgerStore:
        return PretixLedgerStore(
            writer,
            path,
            event_id=1001,
            organizer="org",
            state=gate.state,
            live=gate.live,
            clock_ms=wall_clock_ms,
            link=link,
        )

    try:
        first = store("org/ev/5")
        stored = await first.load()
        sync = PretixManifestSync(
            cast(PretixClient, fake), first, event="ev", list_id=5, clock_ms=wall_clock_ms
        )
        await sync.sync()
        await first.close()
        same = store("org/ev/5")
        assert (await same.load()).manifest_cursor == sync.cursor != ""
        await same.close()
        again = store("org/other/9")
        assert (await again.load()).manifest_cursor == ""
        await again.close()
        assert stored.manifest_cursor == ""
    finally:
        gate.reader.close()
        await writer.close()


async def test_a_pretix_products_checkin_attention_is_a_check_verdict_until_lifted(
    tmp_path: Path, fake: FakePretix, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [
        {**pretix_fakes.ITEMS[0], "checkin_attention": True, "checkin_text": "Wristband"},
        {
            **pretix_fakes.ITEMS[1],
            "variations": [
                {"id": 7, "value": {"en": "Sat"}},
                {"id": 8, "value": {"en": "Sun"}, "checkin_attention": True},
            ],
        },
    ]
    monkeypatch.setattr(pretix_fakes, "ITEMS", items)
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "gate-a")
    gate = Gate(path, writer)
    store = PretixLedgerStore(
        writer,
        path,
        event_id=1001,
        organizer="org",
        state=gate.state,
        live=gate.live,
        clock_ms=wall_clock_ms,
    )
    try:
        await store.load()
        sync = PretixManifestSync(
            cast(PretixClient, fake), store, event="ev", list_id=5, clock_ms=wall_clock_ms
        )
        await sync.sync()
        flagged = await gate.scan(secret("aliceSeed"))
        assert (flagged.reason, flagged.needs_check) == ("admitted", True)
        assert flagged.message == "Welcome — admit · Attention · Wristband · Name: Person 1"
        assert (await gate.scan(secret("satSeed", 2, variation=7))).needs_check is False
        # what a restart loads: the types' flags are in the ledger (schema v7 columns)
        rows = dict(
            gate.reader.execute(
                "SELECT ticket_type, flags || '|' || note FROM ticket_types WHERE event_id = 1001"
            ).fetchall()
        )
        assert rows == {1: "attention|Wristband", 2: "|", 3: "attention|"}
        # pretix lifts the attention: the next round takes it off the gate
        lifted = [{**items[0], "checkin_attention": False, "checkin_text": None}, items[1]]
        monkeypatch.setattr(pretix_fakes, "ITEMS", lifted)
        fake.orders[0] = order("PAID", NOW + 20, [position(1, secret("aliceSeed"))])
        await sync.sync()
        await gate.scan(secret("aliceSeed"), "out")
        back = await gate.scan(secret("aliceSeed"))
        assert back.needs_check is False and back.flags is None
    finally:
        gate.reader.close()
        await store.close()
        await writer.close()
