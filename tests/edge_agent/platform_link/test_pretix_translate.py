"""What the pretix link keeps of pretix's catalog for the gate rules: dates as event days
(stored with the list's rules, read back after a restart, absent in what the first link
stored) and products' check-in attention as their ticket types' flags."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.platform_link.pretix import translate
from sync.pretix.model import (
    PretixCatalog,
    PretixCheckinList,
    PretixEvent,
    PretixProduct,
    PretixSubevent,
)

BERLIN = ZoneInfo("Europe/Berlin")
SAT_2330_BERLIN = 1_783_200_600_000  # 2026-07-04 21:30 UTC


def catalog(*products: PretixProduct) -> PretixCatalog:
    return PretixCatalog(
        PretixEvent("ev", "Festival", 0, True, False, ()),
        products,
        (PretixSubevent(22, "Saturday", SAT_2330_BERLIN),),
        PretixCheckinList(7, "Main", False, (1,), 22, False, True, True, False, False),
    )


def test_dates_are_event_days_in_the_gates_zone_and_survive_a_restart() -> None:
    rules = translate.rules(catalog(), {(1, 0): 1, (2, 0): 2})
    assert rules.event_date(22, BERLIN) == date(2026, 7, 4)
    assert rules.event_date(22, ZoneInfo("Asia/Tokyo")) == date(2026, 7, 5)
    assert rules.event_date(0, BERLIN) is None and rules.event_date(99, BERLIN) is None
    assert rules.checkin_list.ticket_types == frozenset({1}) and rules.admits_date(22)
    again = translate.rules_from_json(translate.rules_to_json(rules), rules.products)
    assert again == rules and again.subevent_starts == {22: SAT_2330_BERLIN}
    first_link = json.loads(translate.rules_to_json(rules))
    del first_link["subevent_starts"]  # what the pretix link stored before dates were days
    old = translate.rules_from_json(json.dumps(first_link), rules.products)
    assert old.event_date(22, BERLIN) is None and old.admits_date(22)


def test_checkin_attention_and_text_become_the_types_flag_and_note() -> None:
    products = (
        PretixProduct(1, 0, "Ticket", True),
        PretixProduct(2, 0, "VIP", True, attention=True, checkin_text="Wristband"),
        PretixProduct(3, 0, "Merch", False, checkin_text="Hand out the bag"),
    )
    numbered = {(1, 0): 1, (2, 0): 2, (3, 0): 3}
    assert translate.type_flags(catalog(*products), numbered) == [
        (1, "", ""),
        (2, "attention", "Wristband"),
        (3, "", "Hand out the bag"),
    ]


def test_a_list_of_no_products_covers_nothing() -> None:
    rules = PretixRules(products={(1, 0): 1}, list_types=frozenset())
    assert not rules.checkin_list.covers(1001, 1)
    assert PretixRules(products={(1, 0): 1}).checkin_list.covers(1001, 1)
