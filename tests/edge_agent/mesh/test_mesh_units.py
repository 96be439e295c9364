"""The mesh's pure parts, and the gate's side of an unconfirmed claim (no NATS here)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from demo.event import DemoEvent
from edge_agent.config.loading import config_from_dict
from edge_agent.config.rules_sections import ZoneSection
from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.domain.reasons import ReasonCode
from edge_agent.errors import ConfigError
from edge_agent.gate.claims import ClaimResult
from edge_agent.ledger.mesh_tables import AdmissionRow
from edge_agent.mesh import cluster_link
from edge_agent.mesh.claim_values import ClaimValue, key_ticket, record_from_json, ticket_key
from edge_agent.mesh.claimer import ClaimIdentity, MeshClaimer
from edge_agent.mesh.errors import JoinRefused, MeshError
from edge_agent.mesh.identity import MemberKeys
from edge_agent.mesh.join import JoinCodes, code_key, normalise, proof, seal, unseal
from edge_agent.mesh.replay import replayed_record
from edge_agent.mesh.roster import Member, Roster, load_roster, save_roster
from edge_agent.mesh.server_config import ServerPaths, ServerPorts, render_config
from edge_agent.mesh.venue_events import EventKind, VenueEvent, chunks
from edge_agent.runtime import AgentRuntime


def member(name: str, port: int = 6222) -> Member:
    keys = MemberKeys.new()
    return Member(
        name=name,
        agent_id=name,
        gate=f"Gate {name}",
        route=f"127.0.0.1:{port}",
        client=f"127.0.0.1:{port + 1}",
        api="http://127.0.0.1:8443",
        pin=keys.pin,
        agent_nkey=keys.agent_nkey,
        admin_nkey=keys.admin_nkey,
    )


def test_a_roster_grows_shrinks_and_never_takes_a_removed_name_back(tmp_path: Path) -> None:
    roster = Roster("v1", "Hall", (member("a"),))
    assert roster.replicas == 1
    roster = roster.added(member("c", 7000)).added(member("b", 7100))
    assert roster.names == ("a", "b", "c") and roster.replicas == 3
    roster = roster.added(member("d", 7200))
    assert roster.replicas == 3  # never more than three copies
    roster = roster.without("c")
    assert roster.names == ("a", "b", "d") and roster.removed == ("c",)
    with pytest.raises(MeshError, match="removed"):
        roster.added(member("c", 7300))
    save_roster(tmp_path, roster)
    assert load_roster(tmp_path) == roster
    assert load_roster(tmp_path / "none") is None


def test_a_roster_member_is_checked_field_by_field() -> None:
    good = dataclasses.asdict(member("a"))
    for key, value in [("name", "a b"), ("route", "nowhere"), ("pin", "00"), ("agent_nkey", "X")]:
        with pytest.raises(MeshError, match=key.split("_")[0]):
            Member.from_json({**good, key: value})


def test_the_server_config_pins_every_member_and_routes_to_the_others() -> None:
    a, b, c = member("a", 6000), member("b", 6100), member("c", 6200)
    roster = Roster("v1", "Hall", (a, b, c))
    paths = ServerPaths(*(Path(f"/d/{n}") for n in ("ca", "crt", "key", "js", "pid", "log")))
    text = render_config(roster, "a", paths, ServerPorts("127.0.0.1", 4222, 6000))
    for m in (a, b, c):
        assert text.count(m.pin) == 2  # clients and routes
        assert m.agent_nkey in text and m.admin_nkey in text
    assert "nats-route://127.0.0.1:6100" in text and "nats-route://127.0.0.1:6200" in text
    assert "nats-route://127.0.0.1:6000" not in text  # not to itself
    assert "handshake_first: true" in text and "verify: true" in text
    peered = render_config(roster, "a", paths, ServerPorts("127.0.0.1", 4222, 6000), peers=["h:1"])
    assert "nats-route://h:1" in peered and "6100" not in peered
    with pytest.raises(ValueError, match="at least one other"):
        render_config(Roster("v1", "Hall", (a,)), "a", paths, ServerPorts("127.0.0.1", 1, 2))


def test_claim_keys_hold_any_ticket_id_and_probes_are_not_tickets() -> None:
    for ticket in ("0f" * 16, "ÄÖÜ ticket/1:2*>", "-x."):
        key = ticket_key(ticket)
        assert key.startswith("t.") and key_ticket(key) == ticket
        assert all(ch.isalnum() or ch in "-_." for ch in key)
    assert key_ticket("p.box-a") is None


def test_an_admission_record_travels_by_its_fields_whatever_they_are() -> None:
    record = AdmissionRecord.first(1_700_000_000_000, "Gate A").left(1_700_000_100_000, "Gate B")
    value = ClaimValue(record, "scan-2", "scan-1", "box-a", "box-a", "gate-a")
    back = ClaimValue.decode(value.encode())
    assert back == value
    # a newer agent's extra field is ignored; a list comes back as a tuple
    doc: dict[str, Any] = {**dataclasses.asdict(record), "zones_of_tomorrow": [1, 2]}
    assert record_from_json(doc) == record
    with pytest.raises(ValueError, match="admission record"):
        record_from_json({"inside": True})
    with pytest.raises(ValueError, match="not JSON"):
        ClaimValue.decode(b"\xff")


def test_a_join_answer_opens_only_with_the_code_that_sealed_it() -> None:
    key = code_key("ABCD-EFGH-JKLM")
    assert code_key("abcd efgh jklm") == key and normalise(" ab-cd ") == "ABCD"
    request = {"member": {"name": "b"}, "nonce": "00"}
    answer = seal(key, request, {"ca_key": "secret"})
    assert "secret" not in str(answer)
    assert unseal(key, request, answer) == {"ca_key": "secret"}
    with pytest.raises(JoinRefused):
        unseal(code_key("ABCD-EFGH-JKLN"), request, answer)
    with pytest.raises(JoinRefused):  # bound to the request it answers
        unseal(key, {**request, "nonce": "01"}, answer)


def test_a_join_code_works_once_expires_and_wrong_guesses_lock_joining() -> None:
    codes = JoinCodes(ttl_ms=60_000)
    code, _expires = codes.issue(1_000)
    request = {"member": {"name": "b"}}
    mac = proof(code_key(code), request)
    assert codes.redeem(request, mac, 2_000) == code_key(code)
    with pytest.raises(JoinRefused, match="used or expired"):
        codes.redeem(request, mac, 3_000)
    late, _ = codes.issue(10_000)
    with pytest.raises(JoinRefused):
        codes.redeem(request, proof(code_key(late), request), 80_000)
    for i in range(5):
        with pytest.raises(JoinRefused, match="join code"):
            codes.redeem(request, f"{i:064x}", 90_000)
    fresh, _ = codes.issue(90_000)
    with pytest.raises(JoinRefused, match="too many"):
        codes.redeem(request, proof(code_key(fresh), request), 91_000)


def test_venue_events_round_trip_and_the_same_facts_share_a_message_id() -> None:
    ev = VenueEvent(EventKind.REVOCATIONS, "box-a", 5, {"items": [["t1", "refunded", 4, "x"]]})
    assert VenueEvent.decode(ev.encode()) == ev
    assert ev.subject == "venue.events.revocations.box-a"
    other = dataclasses.replace(ev, origin="box-b", at_ms=9)
    assert other.msg_id == ev.msg_id  # forwarded twice, stored once
    with pytest.raises(ValueError, match="unknown kind"):
        VenueEvent.decode(b'{"v": 1, "kind": "telepathy", "body": {}}')
    parts = chunks([["x" * 100]] * 50, limit_bytes=1000)
    assert len(parts) > 1 and sum(len(p) for p in parts) == 50


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"name": "two words"}, "mesh.name"),
        ({"listen": "lan0"}, "mesh.listen"),
        ({"unconfirmed": "maybe"}, "mesh.unconfirmed"),
        ({"claim_budget_ms": 5}, "mesh.claim_budget_ms"),
        ({"peers": ["nowhere"]}, "mesh.peers[0]"),
        ({"listen": "0.0.0.0"}, "mesh.advertise"),
        ({"client_port": 6222}, "mesh.route_port"),
        ({"server": "docker"}, "mesh.server"),
    ],
)
def test_a_bad_mesh_key_is_named(changes: dict[str, Any], key: str) -> None:
    doc = {
        "agent": {"agent_id": "box-a", "data_dir": "/tmp/x"},
        "event": {"event_id": 1, "keyring": "k.json"},
        "mesh": {"enabled": True, **changes},
    }
    with pytest.raises(ConfigError) as caught:
        config_from_dict(doc)
    assert caught.value.key == key


class _Unconfirmed:
    """The claim seam answering as a box cut off from the others would."""

    def __init__(self, admit: bool) -> None:
        self.admit = admit
        self.claim_ids: list[str] = []

    async def claim(
        self,
        ticket_id: str,
        previous: AdmissionRecord | None,
        proposed: AdmissionRecord,
        *,
        claim_id: str = "",
    ) -> ClaimResult:
        self.claim_ids.append(claim_id)
        return ClaimResult(won=self.admit, confirmed=False)


@pytest.mark.parametrize("admit", [True, False])
async def test_an_unconfirmed_claim_is_marked_in_the_ledger_and_policy_decides(
    event: DemoEvent, admit: bool
) -> None:
    claimer = _Unconfirmed(admit)
    rt = await AgentRuntime.start(event.config, claimer)
    try:
        result = await rt.pipeline.scan(event.valid[0], lane="l", device_id="d", device_kind="t")
        ticket = result.decision.ticket_id
        assert result.confirmed is False and claimer.claim_ids == [result.scan_id]
        if admit:
            assert result.decision.reason is ReasonCode.ADMITTED
            assert rt.state.admission(str(ticket)) is not None
        else:
            assert result.decision.reason is ReasonCode.UNCONFIRMED
            assert "ask a supervisor" in result.decision.message
            assert rt.state.admission(str(ticket)) is None  # not let in: nothing to claim
    finally:
        await rt.stop()
    conn = sqlite3.connect(event.config.ledger_path)
    (ext,) = conn.execute("SELECT ext FROM scans WHERE scan_id = ?", (result.scan_id,)).fetchone()
    conn.close()
    assert ext == '{"claim":"unconfirmed"}'


async def test_an_unconfirmed_admit_keeps_its_rule_facts_beside_the_claim_mark(
    event: DemoEvent,
) -> None:
    """Both features write the row's extension: the mark is added to the rule facts,
    never put in their place, so a restart still rebuilds the zone's occupancy."""
    config = dataclasses.replace(
        event.config,
        gate=dataclasses.replace(event.config.gate, zone="hall"),
        zones=(ZoneSection(id="hall", name="Hall"),),
    )
    rt = await AgentRuntime.start(config, _Unconfirmed(admit=True))
    try:
        result = await rt.pipeline.scan(event.valid[0], lane="l", device_id="d", device_kind="t")
        assert (result.confirmed, result.decision.zone) == (False, "hall")
    finally:
        await rt.stop()
    conn = sqlite3.connect(event.config.ledger_path)
    (ext,) = conn.execute("SELECT ext FROM scans WHERE scan_id = ?", (result.scan_id,)).fetchone()
    conn.close()
    assert ext == '{"claim":"unconfirmed","zone":"hall"}'
    again = await AgentRuntime.start(config)
    try:
        assert again.state.occupancy() == {"hall": 1}
    finally:
        await again.stop()


def _row(outcome: str, reason: str, zone: str = "", day: str = "") -> AdmissionRow:
    return AdmissionRow(9, "s9", "t1", outcome, reason, 5_000, True, zone, day)


def test_a_replayed_claim_moves_enters_and_leaves_as_the_pipeline_did() -> None:
    inside = AdmissionRecord.first(1_000, "Gate A", zone="foyer", day="2026-05-20")
    moved = replayed_record(inside, _row("admit", ReasonCode.MOVED, zone="hall"), "Gate B")
    assert (moved.zone, moved.entries, moved.day_entries) == ("hall", 1, 1)  # no entry
    left = replayed_record(moved, _row("exit", ReasonCode.EXITED), "Gate B")
    assert (left.inside, left.zone) == (False, "")
    back = replayed_record(left, _row("admit", ReasonCode.READMITTED, "foyer", "2026-05-20"), "B")
    assert (back.inside, back.zone, back.entries, back.day_entries) == (True, "foyer", 2, 2)


class _Reply:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.data = json.dumps(doc).encode()


class _LeaderMidWrite:
    """A claims stream leader while another gate's write of the same key is in flight:
    a create is refused with 10164 and the key reads as absent for ``unread`` reads
    (the winning write is not committed yet), then as the winner's value."""

    def __init__(self, winner: ClaimValue, unread: int) -> None:
        self.winner = winner
        self.unread = unread
        self.reads = 0

    async def request(self, subject: str, data: bytes, **_options: Any) -> _Reply:
        if subject.startswith("$KV."):
            return _Reply({"error": {"code": 400, "err_code": 10164}})
        self.reads += 1
        if self.reads <= self.unread:
            return _Reply({"error": {"code": 404, "err_code": 10037}})
        data64 = base64.b64encode(self.winner.encode()).decode()
        return _Reply({"message": {"seq": 7, "data": data64}})


def _mesh_claimer(nc: object, budget_ms: int = 150) -> MeshClaimer:
    claimer = MeshClaimer(
        ClaimIdentity("box-b", "box-b", "gate-b"), budget_ms=budget_ms, admit_unconfirmed=True
    )
    claimer.clustered = True
    claimer.nc = nc  # type: ignore[assignment]
    return claimer


async def test_a_claim_lost_to_a_write_still_in_flight_reads_the_winner_once_committed() -> None:
    record = AdmissionRecord.first(1_700_000_000_000, "Gate A")
    winner = ClaimValue(record, "scan-a", "scan-a", "box-a", "box-a", "gate-a")
    nc = _LeaderMidWrite(winner, unread=5)
    claimer = _mesh_claimer(nc)
    proposed = AdmissionRecord.first(1_700_000_000_001, "Gate B")
    result = await claimer.claim("t1", None, proposed, claim_id="scan-b")
    # refused, naming the winner, confirmed: not a lost quorum (the breaker stays closed)
    assert result == ClaimResult(won=False, winner=record, confirmed=True)
    assert claimer.quorum and nc.reads == 6 and claimer.revisions["t1"] == 7


async def test_a_winner_that_never_becomes_readable_is_unknown_within_the_budget() -> None:
    record = AdmissionRecord.first(1_700_000_000_000, "Gate A")
    nc = _LeaderMidWrite(ClaimValue(record, "a", "a", "box-a", "box-a", "gate-a"), 10**9)
    claimer = _mesh_claimer(nc, budget_ms=50)
    t0 = time.perf_counter()
    result = await claimer.claim("t1", None, record, claim_id="scan-b")
    assert (time.perf_counter() - t0) < 0.5
    assert result == ClaimResult(won=True, confirmed=False)  # policy: admit unconfirmed
    assert not claimer.quorum  # the breaker answers the next ones at once


async def test_the_probe_closes_the_breaker_soon_after_a_trip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A claim that trips the breaker between two healthy probes is probed again within
    the degraded interval, not after the rest of the healthy one."""
    monkeypatch.setattr(cluster_link, "PROBE_EVERY_S", 30.0)
    monkeypatch.setattr(cluster_link, "PROBE_DEGRADED_S", 0.01)

    class _Ok:
        async def request(self, subject: str, data: bytes, **_options: Any) -> _Reply:
            return _Reply({"stream": "KV_claims", "seq": 1})

    nc = _Ok()
    claimer = _mesh_claimer(nc)
    spawned: list[str] = []
    svc = SimpleNamespace(
        me="box-b", claimer=claimer, running=True, nc=nc, spawn=lambda c, name: (
            spawned.append(name), c.close()
        )
    )  # fmt: skip
    probe = asyncio.create_task(cluster_link._probe_loop(svc, nc))  # type: ignore[arg-type]
    try:
        await asyncio.sleep(0.05)  # the first probe went out; the next is 30 s away
        claimer.trip()
        for _ in range(400):  # 2 s at most
            if claimer.quorum:
                break
            await asyncio.sleep(0.005)
        assert claimer.quorum
        assert spawned == ["mesh-replay"]
    finally:
        svc.running = False
        await probe
