"""The pure rules of a door sale: payments, change, prices, seats from leases, the
drawer, and the card-number check on free text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.domain.sale import (
    CashPayment,
    CompPayment,
    LeaseSeats,
    LineItem,
    PricedItem,
    PricedType,
    TerminalPayment,
    allocate,
    expected_cash,
    price_items,
    refuse_card_numbers,
    sellable,
    settle,
    total_of,
)
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError

NOW = 1_767_000_000_000
TYPES = {
    1: PricedType(1, "Standing", 4500, 800),
    2: PricedType(2, "VIP", 12_000, 50),
    3: PricedType(3, "Unpriced", None, None),
}


def lease(lease_id: str, ticket_type: int, count: int, sold: int = 0, *, ttl_ms: int = 3_600_000,
          returned: bool = False) -> LeaseSeats:  # fmt: skip
    return LeaseSeats(lease_id, ticket_type, count, sold, NOW + ttl_ms, returned)


def code_of(call: object, *args: object) -> SaleCode:
    with pytest.raises(BoxOfficeError) as info:
        call(*args)  # type: ignore[operator]
    return info.value.code


def test_cash_gives_change_and_short_tender_is_refused() -> None:
    s = settle(CashPayment(10_000), 9000)
    assert (s.total_cents, s.tendered_cents, s.change_cents, s.cash_in_cents) == (
        9000, 10_000, 1000, 9000,
    )  # fmt: skip
    assert settle(CashPayment(9000), 9000).change_cents == 0
    assert code_of(settle, CashPayment(8999), 9000) is SaleCode.INSUFFICIENT_TENDER


def test_terminal_keeps_only_receipt_data_and_comp_is_free() -> None:
    card = TerminalPayment("visa", "4242", "A1B2C3", "T-01")
    s = settle(card, 4500)
    assert (s.total_cents, s.tendered_cents, s.change_cents, s.cash_in_cents) == (
        4500, None, None, 0,
    )  # fmt: skip
    for last4 in ("424", "42424", "42a2", "٤٢٤٢"):
        bad = TerminalPayment("visa", last4, "A1", "T-01")
        assert code_of(settle, bad, 4500) is SaleCode.INVALID_REQUEST
    pan = TerminalPayment("visa", "4242", "4111-1111-1111-1111", "T-01")
    with pytest.raises(BoxOfficeError) as info:
        settle(pan, 4500)
    assert info.value.code is SaleCode.CARD_NUMBER_REFUSED and "4111" not in str(info.value)
    assert info.value.detail["field"] == "payment.auth_ref"
    assert settle(CompPayment("artist guest", "Sam"), 4500).total_cents == 0
    assert code_of(settle, CompPayment(" ", "Sam"), 0) is SaleCode.INVALID_REQUEST
    assert code_of(settle, CompPayment("guest", ""), 0) is SaleCode.INVALID_REQUEST


def test_prices_come_from_the_manifest() -> None:
    items = price_items([LineItem(1, 2), LineItem(2, 1), LineItem(1, 1)], TYPES)
    assert items == [PricedItem(1, "Standing", 3, 4500), PricedItem(2, "VIP", 1, 12_000)]
    assert total_of(items) == 25_500
    assert code_of(price_items, [LineItem(9, 1)], TYPES) is SaleCode.UNKNOWN_TICKET_TYPE
    assert code_of(price_items, [LineItem(3, 1)], TYPES) is SaleCode.NO_PRICE
    assert code_of(price_items, [], TYPES) is SaleCode.INVALID_REQUEST
    assert code_of(price_items, [LineItem(1, 30), LineItem(2, 30)], TYPES) is (
        SaleCode.INVALID_REQUEST
    )


def test_seats_come_from_the_soonest_expiring_usable_lease() -> None:
    leases = [
        lease("late", 1, 5, ttl_ms=7_200_000),
        lease("soon", 1, 3, sold=1),
        lease("gone", 1, 9, ttl_ms=-1),
        lease("back", 1, 9, returned=True),
        lease("vip", 2, 2),
    ]
    items = price_items([LineItem(1, 4)], TYPES)
    assert allocate(leases, items, NOW, 0) == ["soon", "soon", "late", "late"]
    assert sellable(leases, 1, NOW, 0) == 7
    # the margin makes a lease stop selling before the platform's expiry
    assert sellable(leases, 1, NOW, 3_600_000) == 5


def test_allocation_refuses_the_whole_sale_beyond_the_leases() -> None:
    leases = [lease("a", 1, 2, sold=1), lease("v", 2, 1)]
    items = price_items([LineItem(2, 1), LineItem(1, 2)], TYPES)
    with pytest.raises(BoxOfficeError) as info:
        allocate(leases, items, NOW, 0)
    assert info.value.code is SaleCode.NOT_ENOUGH_LEASED
    assert (info.value.detail["ticket_type"], info.value.detail["sellable"]) == (1, 1)
    expired = [lease("old", 1, 5, ttl_ms=-1)]
    assert code_of(allocate, expired, price_items([LineItem(1, 1)], TYPES), NOW, 0) is (
        SaleCode.LEASE_EXPIRED
    )


@given(
    counts=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=0, max_size=5),
    wanted=st.integers(1, 20),
)
def test_allocation_never_exceeds_any_lease(counts: list[tuple[int, int]], wanted: int) -> None:
    leases = [lease(f"L{i}", 1, c, min(s, c), ttl_ms=1000 * (i + 1)) for i, (c, s) in
              enumerate(counts)]  # fmt: skip
    items = price_items([LineItem(1, wanted)], TYPES)
    left = sum(x.left for x in leases)
    if wanted > left:
        assert code_of(allocate, leases, items, NOW, 0) is SaleCode.NOT_ENOUGH_LEASED
        return
    chosen = allocate(leases, items, NOW, 0)
    assert len(chosen) == wanted
    for x in leases:
        assert chosen.count(x.lease_id) <= x.left


def test_the_drawer_holds_float_plus_cash_in_minus_cash_out() -> None:
    assert expected_cash(10_000, 9000, 4500) == 14_500


def test_refusal_names_the_field_never_the_value() -> None:
    """The rule itself is ``domain/card_numbers.py``'s (``test_card_numbers.py``)."""
    with pytest.raises(BoxOfficeError) as info:
        refuse_card_numbers({"customer.name": "4111111111111111"})
    assert info.value.code is SaleCode.CARD_NUMBER_REFUSED
    assert "customer.name" in info.value.message and "4111" not in info.value.message
    refuse_card_numbers({"customer.name": "Ada", "reason": None})
