"""pretix tickets under the gate rules: a pretix code (or random secret) becomes an
event, a ticket type and a date, and from there meets the lane's lists, windows, limits,
zones and flags exactly as a GH1 ticket does; pretix's own check-in list covers it too."""

from __future__ import annotations

from datetime import date, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from demo.event import issue, raw_public
from edge_agent.domain.credential import CredentialKind
from edge_agent.domain.decide import Decision, decide, next_admission
from edge_agent.domain.gate_policy import GatePolicy, PlainTicket
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_platform,
    keyring_entry_for_pretix,
    load_keyring,
)
from edge_agent.domain.pretix_payload import PretixTicket
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.pretix_sig1 import sign_pretix_ticket
from edge_agent.domain.reasons import Direction, Outcome, ReasonCode
from edge_agent.domain.rules.explain import explain
from edge_agent.domain.rules.model import (
    CheckInList,
    EventRules,
    Flag,
    TicketFlags,
    TicketTypeRules,
    Zone,
)
from edge_agent.domain.verification import code_sha256, read_credential
from tests.edge_agent.domain.rules.gate import BERLIN, RuleState, event, policy, window

EVENT, SECOND = 1, 2
FRI, SAT = date(2026, 7, 3), date(2026, 7, 4)
PRETIX = Ed25519PrivateKey.from_private_bytes(b"\x21" * 32)
OTHER_EVENT = Ed25519PrivateKey.from_private_bytes(b"\x22" * 32)
GH1 = Ed25519PrivateKey.from_private_bytes(b"\x23" * 32)
KEYRING = load_keyring(
    dump_keyring(
        [
            keyring_entry_for_pretix(raw_public(PRETIX), [EVENT]),
            keyring_entry_for_pretix(raw_public(OTHER_EVENT), [SECOND]),
            keyring_entry_for_platform(raw_public(GH1), [EVENT]),
        ]
    )
)


def at(day: date, clock: str) -> int:
    h, m = clock.split(":")
    local = datetime(day.year, day.month, day.day, int(h), int(m), tzinfo=BERLIN)
    return int(local.timestamp() * 1000)


#: pretix's products 10 (day ticket), 11 (VIP) and 12 (merchandise) as types 1–3; dates
#: 21 (Friday) and 22 (Saturday) of the series; the list admits types 1 and 2, any date.
RULES = PretixRules(
    products={(10, 0): 1, (11, 0): 2, (12, 0): 3},
    list_types=frozenset({1, 2}),
    subevent_names={21: "Friday", 22: "Saturday"},
    subevent_starts={21: at(FRI, "18:00"), 22: at(SAT, "18:00")},
)


def code(seed: str, item: int = 10, subevent: int = 0, key: Ed25519PrivateKey = PRETIX) -> str:
    return sign_pretix_ticket(PretixTicket(seed, item, subevent=subevent), key)


def scan(
    state: RuleState, text: str, pol: GatePolicy, at_ms: int, direction: Direction = Direction.IN
) -> Decision:
    """What the pipeline does: read, decide, then the pure transition."""
    decision = decide(read_credential(text, KEYRING), direction, state, pol, at_ms)
    if decision.lets_through and decision.ticket_id is not None:
        record = next_admission(decision.previous, decision, at_ms, pol.gate_name)
        assert record is not None
        state.admissions[decision.ticket_id] = record
    return decision


def test_a_pretix_code_under_a_list_with_a_doors_window_and_a_day_limit() -> None:
    evening = (window(FRI, "18:00", "02:00"), window(SAT, "18:00", "02:00"))
    festival = CheckInList("festival", windows=evening, reentry=True, max_entries_per_day=2)
    # the event's doors make 01:00 part of Friday's event day (the list's window alone
    # says when it admits, not which day an entry counts on)
    pol = policy(events={EVENT: event(EVENT, doors=evening)}, lists=(festival,))
    state = RuleState(pretix=RULES)
    ticket = code("Seed0001A")
    early = scan(state, ticket, pol, at(FRI, "17:00"))
    assert (early.reason, early.message) == (ReasonCode.DOORS_NOT_OPEN, "Doors open 18:00")
    assert early.credential_kind is CredentialKind.PRETIX_SIG1
    first = scan(state, ticket, pol, at(FRI, "18:30"))
    assert (first.reason, first.list_id, first.day) == (
        ReasonCode.ADMITTED,
        "festival",
        "2026-07-03",
    )
    assert (first.event_id, first.ticket_type) == (EVENT, 1)  # product 10 is type 1
    assert scan(state, ticket, pol, at(FRI, "19:00"), Direction.OUT).reason is ReasonCode.EXITED
    again = scan(state, ticket, pol, at(FRI, "23:00"))
    assert again.reason is ReasonCode.READMITTED
    scan(state, ticket, pol, at(FRI, "23:30"), Direction.OUT)
    third = scan(state, ticket, pol, at(SAT, "01:00"))  # still Friday's window: Friday
    assert (third.reason, third.message) == (ReasonCode.DAY_LIMIT, "Already entered twice today")
    between = scan(state, ticket, pol, at(SAT, "03:00"))  # Friday's window closed at 02:00
    assert (between.reason, between.message) == (ReasonCode.DOORS_NOT_OPEN, "Doors open 18:00")
    saturday = scan(state, ticket, pol, at(SAT, "18:05"))
    assert (saturday.reason, saturday.day) == (ReasonCode.READMITTED, "2026-07-04")


def test_a_pretix_product_with_a_flag_is_a_check_verdict() -> None:
    pol = policy(lists=(CheckInList("main", reentry=True),))
    state = RuleState(pretix=RULES)
    # what the pretix link sets for a product with checkin_attention and checkin_text
    state.type_flags[(EVENT, 2)] = TicketFlags(frozenset({Flag.ATTENTION}), "VIP wristband")
    vip = scan(state, code("Seed0002B", item=11), pol, at(FRI, "19:00"))
    assert (vip.outcome, vip.reason, vip.needs_check) == (Outcome.ADMIT, ReasonCode.ADMITTED, True)
    assert vip.message == "Welcome — admit · Attention · VIP wristband"
    plain = scan(state, code("Seed0003C"), pol, at(FRI, "19:00"))
    assert not plain.needs_check and plain.flags is None
    # the venue's own config flags the mapped type too (an ID check for day tickets)
    own = TicketTypeRules(ticket_type=1, flags=TicketFlags(frozenset({Flag.ID_CHECK})))
    checked = scan(state, code("Seed0004D"), policy(events={EVENT: event(EVENT, own=own)}),
                   at(FRI, "19:00"))  # fmt: skip
    assert checked.needs_check and checked.message.startswith("Welcome — admit · CHECK ID")


def test_pretixs_list_and_the_lanes_lists_must_both_cover_the_ticket() -> None:
    merch_only = CheckInList("merch-desk", ticket_types=frozenset({3}))
    vip_only = CheckInList("vip", ticket_types=frozenset({2}))
    state = RuleState(pretix=RULES)
    off_pretix = scan(
        state, code("Seed0005E", item=12), policy(lists=(merch_only,)), at(FRI, "19:00")
    )
    assert off_pretix.reason is ReasonCode.NOT_ALLOWED_AT_GATE  # pretix's list: types 1, 2
    off_lane = scan(state, code("Seed0006F"), policy(lists=(vip_only,)), at(FRI, "19:00"))
    assert off_lane.reason is ReasonCode.NOT_ALLOWED_AT_GATE
    vip = scan(state, code("Seed0007G", item=11), policy(lists=(vip_only,)), at(FRI, "19:00"))
    assert (vip.reason, vip.list_id) == (ReasonCode.ADMITTED, "vip")
    nothing = PretixRules(products=RULES.products, list_types=frozenset())  # no products
    refused = scan(RuleState(pretix=nothing), code("Seed0008H"), policy(), at(FRI, "19:00"))
    assert refused.reason is ReasonCode.NOT_ALLOWED_AT_GATE


def test_a_dated_pretix_ticket_is_a_day_ticket_under_the_rules() -> None:
    pol = policy(lists=(CheckInList("main"),))
    state = RuleState(pretix=RULES)
    saturday = code("Seed0009J", subevent=22)
    refused = scan(state, saturday, pol, at(FRI, "19:00"))
    assert (refused.reason, refused.message) == (ReasonCode.WRONG_DAY, "Day pass for Saturday")
    assert scan(state, saturday, pol, at(SAT, "19:00")).reason is ReasonCode.ADMITTED
    # without rules tables a date admits any day, as pretix's own list does
    assert scan(RuleState(pretix=RULES), saturday, policy(), at(FRI, "19:00")).reason is (
        ReasonCode.ADMITTED
    )
    # a list for one date of the series: another date is another event to it
    friday_list = PretixRules(
        products=RULES.products, subevents=frozenset({21}), subevent_names=RULES.subevent_names
    )
    other = scan(RuleState(pretix=friday_list), saturday, pol, at(SAT, "19:00"))
    assert (other.reason, other.message) == (
        ReasonCode.WRONG_EVENT,
        "Ticket is for another date (Saturday)",
    )
    assert other.params == {"date": "Saturday"}


def test_pretix_random_secrets_meet_the_same_rules() -> None:
    secret = "k4x9qzwpf2b7s3rmvd8hcj6tnyeg5au1"
    state = RuleState(pretix=RULES)
    state.plain[code_sha256(secret)] = PlainTicket("ab" * 16, EVENT, 1, subevent=21)
    pol = policy(lists=(CheckInList("main", reentry=True, max_entries=1),))
    assert scan(state, secret, pol, at(FRI, "19:00")).reason is ReasonCode.ADMITTED
    scan(state, secret, pol, at(FRI, "20:00"), Direction.OUT)
    limit = scan(state, secret, pol, at(FRI, "21:00"))
    assert (limit.reason, limit.message) == (
        ReasonCode.ENTRY_LIMIT,
        "Already entered once — no more entries",
    )
    saturday = scan(state, secret, pol, at(SAT, "19:00"))  # its date comes first (row 14)
    assert (saturday.reason, saturday.message) == (ReasonCode.WRONG_DAY, "Day pass for Friday")


def test_zones_moves_and_rotating_codes_apply_to_pretix_tickets() -> None:
    hall = Zone("hall", "Hall", capacity=1)
    state = RuleState(pretix=RULES)
    foyer_lane = policy(zone=Zone("foyer", "Foyer"))
    hall_lane = policy(zone=hall)
    scan(state, code("Seed0010K"), foyer_lane, at(FRI, "19:00"))
    moved = scan(state, code("Seed0010K"), hall_lane, at(FRI, "19:05"))
    assert (moved.reason, moved.message, moved.zone) == (
        ReasonCode.MOVED,
        "Welcome to Hall",
        "hall",
    )
    full = scan(state, code("Seed0011L"), hall_lane, at(FRI, "19:06"))
    assert (full.reason, full.message) == (ReasonCode.ZONE_FULL, "Zone full (Hall)")
    live_only = policy(events={EVENT: EventRules(EVENT, require_rotating=True)})
    static = scan(state, code("Seed0012M"), live_only, at(FRI, "19:00"))
    assert static.reason is ReasonCode.ROTATING_REQUIRED  # a pretix code is static


def test_another_admitted_events_pretix_key_and_gh1_codes() -> None:
    pol = policy(events={SECOND: event(SECOND)}, lists=(CheckInList("main"),))
    state = RuleState(pretix=RULES)
    second = scan(state, code("Seed0013N", item=12, key=OTHER_EVENT), pol, at(FRI, "19:00"))
    # the link's map and list are the synced event's: event 2 takes pretix's item id
    assert (second.reason, second.event_id, second.ticket_type) == (ReasonCode.ADMITTED, SECOND, 12)
    assert scan(state, code("Seed0014P", key=OTHER_EVENT), policy(), at(FRI, "19:00")).reason is (
        ReasonCode.WRONG_EVENT
    )
    gh1 = scan(state, issue(GH1, EVENT, 3), pol, at(FRI, "19:00"))  # type 3: off pretix's list
    assert gh1.reason is ReasonCode.ADMITTED  # GH1 is Gatehouse's own numbering


def test_rules_explain_names_pretixs_list() -> None:
    pol = policy(lists=(CheckInList("main"),))
    state = RuleState(pretix=RULES)
    now = at(FRI, "19:00")
    decision = scan(state, code("Seed0015Q", item=12), pol, now)
    lines = explain(decision, state, pol, now)
    assert "pretix check-in list: does not cover type 3; dates: every date" in lines
    assert lines[-1] == "decided by: pretix's check-in list does not cover the type"
    saturday = scan(state, code("Seed0016R", subevent=22), pol, now)
    assert explain(saturday, state, pol, now)[-1] == (
        "decided by: the ticket's date (its pretix date of the series)"
    )
