"""decide() on pretix codes: signed (pretix_sig1) and random ones (plain codes from pretix's
list), through the same checks as GH1 with the check-in list's rules as data."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from demo.event import issue, raw_public
from edge_agent.domain.credential import CredentialKind
from edge_agent.domain.decide import Decision, decide
from edge_agent.domain.gate_policy import AdmissionRecord, PlainTicket
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_platform,
    keyring_entry_for_pretix,
    load_keyring,
)
from edge_agent.domain.pretix_payload import PretixTicket
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.pretix_sig1 import pretix_ticket_id, sign_pretix_ticket
from edge_agent.domain.reasons import Direction, Outcome, ReasonCode, RevocationKind
from edge_agent.domain.verification import code_sha256, read_credential
from tests.edge_agent.domain.test_decide import EVENT, NOW_MS, NOW_S, State, policy

PRETIX = Ed25519PrivateKey.from_private_bytes(b"\x11" * 32)
OTHER = Ed25519PrivateKey.from_private_bytes(b"\x12" * 32)
GH1 = Ed25519PrivateKey.from_private_bytes(b"\x13" * 32)
KEYRING = load_keyring(
    dump_keyring(
        [
            keyring_entry_for_pretix(raw_public(PRETIX), [EVENT]),
            keyring_entry_for_pretix(raw_public(OTHER), [2002]),
            keyring_entry_for_platform(raw_public(GH1), [EVENT]),
        ]
    )
)
RULES = PretixRules(
    products={(1, 0): 1, (2, 0): 2, (3, 7): 3, (3, 8): 4},
    list_types=frozenset({1, 3, 4}),
    subevents=frozenset({11}),
    subevent_names={11: "Day 1", 12: "Day 2"},
)


def code(seed: str = "Se3dSe3d1", item: int = 1, key: Ed25519PrivateKey = PRETIX, **kw: int) -> str:
    return sign_pretix_ticket(PretixTicket(seed, item, **kw), key)


def judge(text: str, state: State | None = None, **pol: object) -> Decision:
    st = state if state is not None else State(rules=RULES)
    return decide(read_credential(text, KEYRING), Direction.IN, st, policy(**pol), NOW_MS)


def test_admitted_with_the_mapped_type_and_the_seed_identity() -> None:
    d = judge(code(item=3, variation=8, subevent=11))
    assert (d.outcome, d.reason, d.credential_kind) == (
        Outcome.ADMIT,
        ReasonCode.ADMITTED,
        CredentialKind.PRETIX_SIG1,
    )
    assert d.ticket_id == pretix_ticket_id("Se3dSe3d1") and d.ticket_type == 4
    assert d.event_id == EVENT and d.key_id is not None


def test_duplicates_and_revocations_follow_the_ticket() -> None:
    tid = pretix_ticket_id("Se3dSe3d1")
    inside = AdmissionRecord.first(NOW_MS - 60_000, "Gate 2")
    d = judge(code(), State(rules=RULES, admissions={tid: inside}))
    assert d.reason is ReasonCode.ALREADY_ADMITTED and "Gate 2" in d.message
    for kind in (RevocationKind.REISSUED, RevocationKind.BLOCKED, RevocationKind.UNPAID):
        d = judge(code(), State(rules=RULES, revocations={tid: kind}))
        assert d.reason is kind.reason and d.outcome is Outcome.REFUSE
    assert judge(code(), State(rules=RULES, revocations={tid: RevocationKind.BLOCKED})).message == (
        "Ticket blocked — send to box office"
    )


def test_another_date_of_the_series_is_refused_with_its_name() -> None:
    d = judge(code(subevent=12))
    assert d.reason is ReasonCode.WRONG_EVENT
    assert d.message == "Ticket is for another date (Day 2)"
    assert judge(code(subevent=13)).message == "Ticket is for another date (date 13)"
    anydate = PretixRules(products=RULES.products)
    assert judge(code(subevent=12), State(rules=anydate)).reason is ReasonCode.ADMITTED


def test_products_off_the_list_or_unknown_are_not_allowed() -> None:
    d = judge(code(item=2), State(rules=RULES, names={2: "VIP ticket"}))
    assert d.reason is ReasonCode.NOT_ALLOWED_AT_GATE
    assert d.message == "Not valid at this gate (VIP ticket)"
    d = judge(code(item=9))
    assert d.reason is ReasonCode.NOT_ALLOWED_AT_GATE and d.ticket_type is None
    assert "product not in the manifest" in d.message
    assert judge(code(item=1), allowed_ticket_types=frozenset({3})).reason is (
        ReasonCode.NOT_ALLOWED_AT_GATE
    )


def test_without_a_pretix_link_the_item_is_the_type() -> None:
    d = judge(code(item=2), State())
    assert d.reason is ReasonCode.ADMITTED and d.ticket_type == 2


def test_another_events_key_and_a_bad_signature() -> None:
    d = judge(code(key=OTHER))
    assert d.reason is ReasonCode.WRONG_EVENT
    assert d.ticket_id == pretix_ticket_id("Se3dSe3d1") and d.event_id is None
    stranger = Ed25519PrivateKey.from_private_bytes(b"\x14" * 32)
    d = judge(code(key=stranger))
    assert d.reason is ReasonCode.BAD_SIGNATURE and d.ticket_id is None


def test_validity_window_with_grace() -> None:
    assert judge(code(valid_from=NOW_S + 30)).reason is ReasonCode.ADMITTED  # grace 60 s
    d = judge(code(valid_from=NOW_S + 61))
    assert d.reason is ReasonCode.NOT_YET_VALID and d.message.startswith("Not valid yet")
    assert judge(code(valid_until=NOW_S - 61)).reason is ReasonCode.EXPIRED


def test_random_secrets_are_plain_codes_with_the_same_rules() -> None:
    secret = "k4x9qzwpf2b7s3rmvd8hcj6tnyeg5au1"
    tid = "ab" * 16
    plain = {code_sha256(secret): PlainTicket(tid, EVENT, 3, subevent=11)}
    assert judge(secret, State(rules=RULES, plain=plain)).reason is ReasonCode.ADMITTED
    plain2 = {code_sha256(secret): PlainTicket(tid, EVENT, 3, subevent=12)}
    assert judge(secret, State(rules=RULES, plain=plain2)).reason is ReasonCode.WRONG_EVENT
    plain3 = {code_sha256(secret): PlainTicket(tid, EVENT, 2)}
    assert judge(secret, State(rules=RULES, plain=plain3)).reason is ReasonCode.NOT_ALLOWED_AT_GATE


def test_gh1_codes_ignore_the_pretix_list() -> None:
    gh1 = issue(GH1, EVENT, 2)  # type 2 is off the pretix list, but GH1 is Gatehouse's own
    assert judge(gh1).reason is ReasonCode.ADMITTED
