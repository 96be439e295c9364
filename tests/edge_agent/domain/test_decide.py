"""decide(): every verdict, the check order, policy switches and grace, on real codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from demo.event import issue, raw_public
from edge_agent.domain.credential import MalformedCredential, PlainCredential
from edge_agent.domain.decide import Decision, decide, next_admission
from edge_agent.domain.gate_policy import AdmissionRecord, GatePolicy, PlainTicket
from edge_agent.domain.keyring import dump_keyring, keyring_entry_for_platform, load_keyring
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.reasons import Direction, Outcome, ReasonCode, RevocationKind
from edge_agent.domain.trusted_key import Keyring
from edge_agent.domain.verification import code_sha256, read_credential

EVENT = 1001
NOW_S = 1_767_260_000
NOW_MS = NOW_S * 1000


@dataclass
class State:
    """A plain-value StateView for the pure core's tests."""

    admissions: dict[str, AdmissionRecord] = field(default_factory=dict)
    revocations: dict[str, RevocationKind] = field(default_factory=dict)
    plain: dict[str, PlainTicket] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=lambda: {3: "Backstage"})
    cancelled: bool = False
    rules: PretixRules | None = None

    def admission(self, ticket_id: str) -> AdmissionRecord | None:
        return self.admissions.get(ticket_id)

    def revocation(self, ticket_id: str) -> RevocationKind | None:
        return self.revocations.get(ticket_id)

    def plain_ticket(self, code_sha256: str) -> PlainTicket | None:
        return self.plain.get(code_sha256)

    def ticket_type_name(self, ticket_type: int) -> str | None:
        return self.names.get(ticket_type)

    def event_cancelled(self) -> bool:
        return self.cancelled

    def pretix_rules(self) -> PretixRules | None:
        return self.rules

    def zone_occupancy(self, zone: str) -> int:
        return 0

    def ticket_flags(self, ticket_id: str, event_id: int, ticket_type: int) -> None:
        return None

    def admissions_halted(self) -> bool:
        return False


def policy(**overrides: object) -> GatePolicy:
    base: dict[str, object] = dict(
        event_id=EVENT,
        gate_id="gate-3",
        gate_name="Gate 3",
        allowed_ticket_types=frozenset(),
        reentry=False,
        exit_scans=True,
        clock_skew_grace_s=60,
        display_tz=UTC,
    )
    base.update(overrides)
    return GatePolicy(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def platform() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def keyring(platform: Ed25519PrivateKey) -> Keyring:
    return load_keyring(
        dump_keyring([keyring_entry_for_platform(raw_public(platform), [EVENT, 1002])])
    )


def judge(
    code: str,
    keyring: Keyring,
    state: State | None = None,
    *,
    direction: Direction = Direction.IN,
    now_ms: int = NOW_MS,
    **pol: object,
) -> Decision:
    cred = read_credential(code, keyring)
    return decide(cred, direction, state or State(), policy(**pol), now_ms)


def admitted(at_ms: int = NOW_MS - 600_000, inside: bool = True) -> AdmissionRecord:
    return AdmissionRecord(
        inside=inside,
        first_admit_ms=at_ms,
        first_gate="Gate 1",
        last_ms=at_ms,
        last_gate="Gate 1",
        entries=1,
    )


def test_valid_ticket_is_admitted_with_its_fields(platform, keyring) -> None:
    code = issue(platform, EVENT, 2)
    d = judge(code, keyring)
    assert (d.outcome, d.reason) == (Outcome.ADMIT, ReasonCode.ADMITTED)
    assert d.ticket_type == 2 and d.event_id == EVENT and d.ticket_id and len(d.ticket_id) == 32
    assert d.message == "Welcome — admit"


def test_malformed_and_unknown_plain_codes(platform, keyring) -> None:
    assert judge("GH1:%%%", keyring).reason is ReasonCode.MALFORMED
    assert judge("", keyring).reason is ReasonCode.MALFORMED
    assert judge("4006381333931", keyring).reason is ReasonCode.UNKNOWN_CODE
    d = decide(MalformedCredential("x"), Direction.IN, State(), policy(), NOW_MS)
    assert d.outcome is Outcome.REFUSE and d.ticket_id is None


def test_unknown_key_and_bad_signature(platform, keyring) -> None:
    stranger = Ed25519PrivateKey.generate()
    assert judge(issue(stranger, EVENT, 0), keyring).reason is ReasonCode.UNKNOWN_KEY
    from demo.event import forge

    assert judge(forge(issue(platform, EVENT, 0)), keyring).reason is ReasonCode.BAD_SIGNATURE


def test_key_scope_checked_before_expected_event(platform, keyring) -> None:
    # the key is scoped to 1001 and 1002: 1003 is outside its scope (not just "wrong event")
    assert judge(issue(platform, 1003, 0), keyring).reason is ReasonCode.KEY_NOT_FOR_EVENT
    assert judge(issue(platform, 1002, 0), keyring).reason is ReasonCode.WRONG_EVENT


def test_time_windows_with_grace(platform, keyring) -> None:
    early = issue(platform, EVENT, 0, valid_from=NOW_S + 61)
    assert judge(early, keyring).reason is ReasonCode.NOT_YET_VALID
    assert "Not valid yet" in judge(early, keyring).message
    within_grace = issue(platform, EVENT, 0, valid_from=NOW_S + 60)
    assert judge(within_grace, keyring).reason is ReasonCode.ADMITTED
    late = issue(platform, EVENT, 0, valid_until=NOW_S - 61)
    assert judge(late, keyring).reason is ReasonCode.EXPIRED
    assert judge(late, keyring, clock_skew_grace_s=61).reason is ReasonCode.ADMITTED
    # bounds are inclusive with zero grace
    exact = issue(platform, EVENT, 0, valid_from=NOW_S, valid_until=NOW_S)
    assert judge(exact, keyring, clock_skew_grace_s=0).reason is ReasonCode.ADMITTED


@pytest.mark.parametrize("kind", list(RevocationKind))
def test_every_revocation_kind_has_its_reason(platform, keyring, kind) -> None:
    code = issue(platform, EVENT, 0)
    tid = read_credential(code, keyring).ticket.ticket_id_hex  # type: ignore[union-attr]
    d = judge(code, keyring, State(revocations={tid: kind}))
    assert d.outcome is Outcome.REFUSE and d.reason.value == kind.value
    assert "box office" in d.message or "new one" in d.message


def test_a_cancelled_event_refuses_every_entry_but_lets_people_out(platform, keyring) -> None:
    code = issue(platform, EVENT, 0)
    tid = read_credential(code, keyring).ticket.ticket_id_hex  # type: ignore[union-attr]
    d = judge(code, keyring, State(cancelled=True))
    assert (d.outcome, d.reason, d.ticket_id) == (Outcome.REFUSE, ReasonCode.EVENT_CANCELLED, tid)
    assert d.message == "Event cancelled — no entry"
    # a cancelled *ticket* keeps its own reason, so the ledger tells the two apart
    ticket = judge(code, keyring, State(revocations={tid: RevocationKind.CANCELLED}))
    assert (ticket.reason, ticket.message) == (
        ReasonCode.CANCELLED,
        "Cancelled ticket — send to box office",
    )
    inside = State(cancelled=True, admissions={tid: admitted()})
    out = judge(code, keyring, inside, direction=Direction.OUT)
    assert out.outcome is Outcome.EXIT
    # the signature is still checked first: a forgery is not "cancelled"
    assert judge(code[:-2] + "AA", keyring, State(cancelled=True)).reason in (
        ReasonCode.BAD_SIGNATURE,
        ReasonCode.MALFORMED,
    )


def test_revocation_beats_a_prior_admission(platform, keyring) -> None:
    code = issue(platform, EVENT, 0)
    tid = read_credential(code, keyring).ticket.ticket_id_hex  # type: ignore[union-attr]
    state = State(admissions={tid: admitted()}, revocations={tid: RevocationKind.REFUNDED})
    assert judge(code, keyring, state).reason is ReasonCode.REFUNDED


def test_gate_rules_per_ticket_type(platform, keyring) -> None:
    d = judge(issue(platform, EVENT, 3), keyring, allowed_ticket_types=frozenset({0, 1}))
    assert d.reason is ReasonCode.NOT_ALLOWED_AT_GATE and "Backstage" in d.message
    d = judge(issue(platform, EVENT, 7), keyring, allowed_ticket_types=frozenset({0, 1}))
    assert d.reason is ReasonCode.NOT_ALLOWED_AT_GATE and "type 7" in d.message
    assert (
        judge(issue(platform, EVENT, 1), keyring, allowed_ticket_types=frozenset({0, 1})).reason
        is ReasonCode.ADMITTED
    )


def test_already_admitted_names_first_time_and_gate(platform, keyring) -> None:
    code = issue(platform, EVENT, 0)
    tid = read_credential(code, keyring).ticket.ticket_id_hex  # type: ignore[union-attr]
    first = (NOW_S - 3600) * 1000  # 2025-12-31 08:33:20 UTC
    d = judge(code, keyring, State(admissions={tid: admitted(first)}))
    assert d.reason is ReasonCode.ALREADY_ADMITTED
    assert d.message == "Already used 08:33 at Gate 1"
    assert d.previous is not None and d.previous.first_admit_ms == first


def test_exit_and_reentry_policy(platform, keyring) -> None:
    code = issue(platform, EVENT, 0)
    tid = read_credential(code, keyring).ticket.ticket_id_hex  # type: ignore[union-attr]
    inside = State(admissions={tid: admitted()})
    out = judge(code, keyring, inside, direction=Direction.OUT)
    assert (out.outcome, out.reason) == (Outcome.EXIT, ReasonCode.EXITED)
    assert (
        judge(code, keyring, inside, direction=Direction.OUT, exit_scans=False).reason
        is ReasonCode.EXIT_NOT_ALLOWED
    )
    assert judge(code, keyring, direction=Direction.OUT).reason is ReasonCode.NOT_INSIDE
    outside = State(admissions={tid: admitted(inside=False)})
    assert judge(code, keyring, outside).reason is ReasonCode.ALREADY_ADMITTED
    again = judge(code, keyring, outside, reentry=True)
    assert (again.outcome, again.reason) == (Outcome.ADMIT, ReasonCode.READMITTED)
    # re-entry never lets a ticket in twice while it is inside
    assert judge(code, keyring, inside, reentry=True).reason is ReasonCode.ALREADY_ADMITTED


def test_plain_codes_are_first_class(keyring) -> None:
    text = "PLAIN-000123"
    ticket = PlainTicket("ab" * 16, EVENT, 1)
    state = State(plain={code_sha256(text): ticket})
    d = judge(text, keyring, state)
    assert (d.outcome, d.ticket_id, d.credential_kind.value) == (Outcome.ADMIT, "ab" * 16, "plain")
    assert judge(f"  {text}\r\n", keyring, state).reason is ReasonCode.ADMITTED
    state.plain[code_sha256(text)] = PlainTicket("cd" * 16, 1002, 1)
    assert judge(text, keyring, state).reason is ReasonCode.WRONG_EVENT
    state.plain[code_sha256(text)] = PlainTicket("cd" * 16, EVENT, 1, valid_until=NOW_S - 3600)
    assert judge(text, keyring, state).reason is ReasonCode.EXPIRED
    cred = read_credential(text, keyring)
    assert isinstance(cred, PlainCredential)


def test_next_admission_tracks_entries_and_exits() -> None:
    base = Decision(
        Outcome.ADMIT,
        ReasonCode.ADMITTED,
        "",
        Direction.IN,
        read_credential("x", Keyring({})).kind,
        "t",
    )
    first = next_admission(None, base, 1000, "Gate 1")
    assert first == AdmissionRecord(
        inside=True,
        first_admit_ms=1000,
        first_gate="Gate 1",
        last_ms=1000,
        last_gate="Gate 1",
        entries=1,
    )
    leave = Decision(Outcome.EXIT, ReasonCode.EXITED, "", Direction.OUT, base.credential_kind, "t")
    out = next_admission(first, leave, 2000, "Gate 2")
    assert out == AdmissionRecord(
        inside=False,
        first_admit_ms=1000,
        first_gate="Gate 1",
        last_ms=2000,
        last_gate="Gate 2",
        entries=1,
    )
    back = next_admission(out, base, 3000, "Gate 3")
    assert back == AdmissionRecord(
        inside=True,
        first_admit_ms=1000,
        first_gate="Gate 1",
        last_ms=3000,
        last_gate="Gate 3",
        entries=2,
    )
    refuse = Decision(Outcome.REFUSE, ReasonCode.MALFORMED, "", Direction.IN, base.credential_kind)
    assert next_admission(back, refuse, 4000, "Gate 3") is back


def test_decide_is_deterministic(platform, keyring) -> None:
    code = issue(platform, EVENT, 0)
    cred = read_credential(code, keyring)
    a = decide(cred, Direction.IN, State(), policy(), NOW_MS)
    b = decide(cred, Direction.IN, State(), policy(), NOW_MS)
    assert a == b


def test_admission_records_are_built_by_keyword_only() -> None:
    """Two (time, gate) pairs of the same types: a positional call could swap them."""
    with pytest.raises(TypeError):
        AdmissionRecord(True, 1000, "Gate 1", 1000, "Gate 1", 1)  # type: ignore[call-arg]
    first = AdmissionRecord.first(1000, "Gate 1")
    assert first.left(2000, "Gate 2").entered(3000, "Gate 3") == AdmissionRecord(
        inside=True,
        first_admit_ms=1000,
        first_gate="Gate 1",
        last_ms=3000,
        last_gate="Gate 3",
        entries=2,
    )
