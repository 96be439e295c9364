"""The counter's sale form rules: money typing, cart limits, payment bodies, retries."""

from __future__ import annotations

import pytest

from tui.sale_form import (
    Cart,
    FormProblem,
    PendingSale,
    change_cents,
    money_text,
    parse_money,
    payment_body,
)

PRICES = {1: 4500, 2: 1250}


@pytest.mark.parametrize(
    ("text", "cents"), [("45", 4500), ("45.5", 4550), ("45,50", 4550), (" 0.05 ", 5), ("0", 0)]
)
def test_amounts_typed_at_the_counter(text: str, cents: int) -> None:
    assert parse_money(text, "Cash") == cents


@pytest.mark.parametrize("text", ["", "-5", "4.555", "ten", "1e3", "4.5.0", "€5"])
def test_bad_amounts_say_what_to_type(text: str) -> None:
    with pytest.raises(FormProblem, match="Cash: type an amount"):
        parse_money(text, "Cash")


def test_money_text() -> None:
    assert money_text(4550, "EUR") == "45.50 EUR"
    assert money_text(-5) == "-0.05"
    assert money_text(None, "EUR") == "—"


def test_cart_never_goes_beyond_what_is_sellable_or_below_zero() -> None:
    cart = Cart()
    assert cart.add(1, 1, sellable=2) == 1
    assert cart.add(1, 5, sellable=2) == 2
    assert cart.add(2, -1, sellable=9) == 0
    assert cart.add(2, 3, sellable=9) == 3
    assert cart.items() == [{"ticket_type": 1, "quantity": 2}, {"ticket_type": 2, "quantity": 3}]
    assert cart.total_cents(PRICES) == 2 * 4500 + 3 * 1250
    assert cart.add(1, -2, sellable=2) == 0
    assert cart.items() == [{"ticket_type": 2, "quantity": 3}]


def test_cash_needs_enough_tendered_and_shows_change() -> None:
    assert payment_body("cash", {"tendered": "100"}, 9000) == {
        "method": "cash",
        "tendered_cents": 10000,
    }
    with pytest.raises(FormProblem, match=r"less than the total 90\.00"):
        payment_body("cash", {"tendered": "50"}, 9000)
    assert change_cents("cash", "100", 9000) == 1000
    assert change_cents("cash", "80", 9000) is None
    assert change_cents("terminal", "100", 9000) is None


def test_terminal_takes_only_the_last_four_digits() -> None:
    fields = {"brand": "visa", "last4": "4242", "auth_ref": "A1", "terminal_id": "T-01"}
    assert payment_body("terminal", fields, 100) == {"method": "terminal", **fields}
    with pytest.raises(FormProblem, match="LAST 4 digits"):
        payment_body("terminal", {**fields, "last4": "4242424242424242"}, 100)
    with pytest.raises(FormProblem, match="Authorisation ref is required"):
        payment_body("terminal", {**fields, "auth_ref": " "}, 100)


def test_comp_needs_reason_and_supervisor() -> None:
    with pytest.raises(FormProblem, match="reason and the supervisor"):
        payment_body("comp", {"reason": "guest"}, 0)
    body = payment_body("comp", {"reason": "guest", "supervisor": "Sam"}, 0)
    assert body == {"method": "comp", "reason": "guest", "supervisor": "Sam"}


def test_a_pending_sale_keeps_its_request_id_for_retries() -> None:
    pending = PendingSale({"items": [{"ticket_type": 1, "quantity": 1}]})
    first, again = pending.request(), pending.request()
    assert first == again
    assert first["request_id"] != PendingSale({}).request()["request_id"]
