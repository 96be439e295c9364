"""The agent's documents as the TUI reads them (``tui/documents``): the replayed answers
read into their fields, a missing or odd field reads as its default instead of breaking
a screen, and the Sell screen's words for what is left to sell."""

from __future__ import annotations

import copy

from tests.tui.replay import BOXOFFICE, RECEIPT, STATUS, TICKET_DETAIL, TICKETS
from tui.documents.boxoffice import Figures, Sale
from tui.documents.status import Status
from tui.documents.tickets import TicketDetail, TicketsFound
from tui.sell_text import sellable_text, till_line


def test_the_replayed_answers_read_into_their_fields() -> None:
    status = Status.from_json(STATUS)
    assert (status.event_id, status.gate_name, status.inside_now) == (1001, "Gate 3", 836)
    assert status.scans.by_lane["lane-2"] == {"admit": 280, "refuse": 50, "exit": 22}
    assert [r.reason for r in status.scans.recent][:2] == ["admitted", "already_admitted"]
    assert status.sync.outbox["scans"].depth == 2 and status.sync.clock_offset_ms == -2450
    assert [p.connected for p in status.lanes[1].parts] == [False]
    assert status.printer is None
    figures = Figures.from_json(BOXOFFICE)
    assert figures.session is not None and figures.session.operator == "Ana"
    assert [t.label for t in figures.ticket_types] == ["General admission", "VIP", "Student"]
    assert figures.prices() == {0: 4500, 1: 9500, 2: 2500}
    sale = Sale.from_json(RECEIPT)
    assert (sale.payment.method, sale.payment.change_cents, len(sale.tickets)) == ("cash", 1000, 2)
    detail = TicketDetail.from_json(TICKET_DETAIL)
    assert detail.ticket is not None and detail.ticket.holder_name == "Ada Lovelace"
    assert detail.admission is not None and detail.admission.inside
    assert [s.override_operator for s in detail.scans] == [None, None, "Sam", "Sam"]
    found = TicketsFound.from_json({"tickets": TICKETS})
    assert [t.order_id for t in found.tickets] == ["O-000017", "O-000018"]


def test_missing_or_odd_fields_read_as_defaults() -> None:
    empty = Status.from_json({})
    assert (empty.scans.total, empty.gate_name, empty.sync.enabled, empty.lanes) == (
        0, "?", False, [],
    )  # fmt: skip
    odd = copy.deepcopy(STATUS)
    odd["scans"]["total"] = "many"  # a string where a count belongs
    odd["scans"]["by_outcome"] = {"admit": True, "refuse": 3}  # a flag is not a count
    odd["lanes"] = [None, {"id": "lane-9"}]  # an item that is not an object is skipped
    status = Status.from_json(odd)
    assert status.scans.total == 0 and status.scans.by_outcome == {"refuse": 3}
    assert [lane.id for lane in status.lanes] == ["lane-9"]
    assert Figures.from_json("not an object").ticket_types == []
    assert Figures.from_json({}).online  # an agent that does not say is not called offline


def test_sold_out_only_when_this_box_sold_all_it_leased() -> None:
    general, vip = copy.deepcopy(BOXOFFICE["ticket_types"][:2])
    assert vip["sellable"] == 0 and not vip["leases"][0]["closed"]
    returned = dict(vip, leases=[dict(vip["leases"][0], closed=True)])
    expired = dict(vip, leases=[dict(vip["leases"][0], expired=True)])
    never = dict(vip, leases=[])
    words = [
        sellable_text(Figures.from_json({"ticket_types": [t]}).ticket_types[0])
        for t in (general, vip, returned, expired, never)
    ]
    assert words == ["12", "SOLD OUT", "no lease", "no lease", "no lease"]
    assert till_line(Figures.from_json({})).startswith("Till closed")
