"""Checking manifest pages against the contract before anything is applied."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sync.errors import ProtocolError
from sync.manifest_page import parse_manifest_page

PAGE: dict[str, Any] = {
    "format": "gatehouse-manifest-v1",
    "event_id": 1001,
    "cursor": "c:12",
    "more": False,
    "generated_at_ms": 1_767_205_327_000,
    "event": {
        "name": "New Year Gala",
        "venue": "Riverside Hall",
        "status": "on_sale",
        "starts_at_ms": 1_767_205_327_000,
        "postponed_to": None,
    },
    "keyring": {"keys": []},
    "ticket_types": [{"ticket_type": 1, "name": "Standing", "capacity": 800}],
    "tickets": [
        {
            "ticket_id": "T-000001",
            "ticket_type": 1,
            "order_id": "O-1",
            "holder_name": "Ada Lovelace",
            "holder_email": "ada@example.org",
            "plain_code_sha256": "ab" * 32,
            "valid_from": 0,
            "valid_until": 0,
        }
    ],
    "revocations": [
        {"ticket_id": "T-000042", "kind": "refunded", "at_ms": 1_767_200_000_000},
        {"ticket_id": "T-000043", "kind": None},
    ],
}


def test_a_contract_page_reads_as_values() -> None:
    page = parse_manifest_page(PAGE, 1001)
    assert (page.cursor, page.more, page.manifest_at_ms) == ("c:12", False, 1_767_205_327_000)
    assert page.event.status == "on_sale" and page.event.venue == "Riverside Hall"
    assert page.tickets[0].holder_email == "ada@example.org"
    assert page.tickets[0].plain_code_sha256 == "ab" * 32
    assert [(r.ticket_id, r.kind) for r in page.revocations] == [
        ("T-000042", "refunded"),
        ("T-000043", None),  # a lifted revocation
    ]
    assert page.keyring_json == '{"keys":[]}'
    more = parse_manifest_page({**PAGE, "more": True}, 1001)
    assert more.manifest_at_ms is None  # only a complete manifest dates the gate's state


def _with(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(PAGE)
    target: Any = doc
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("format", "other", "format"),
        ("event_id", 1002, "event 1002"),
        ("cursor", "", "cursor"),
        ("more", "no", "more"),
        ("generated_at_ms", -1, "generated_at_ms"),
        ("event.status", "sold_out", "event.status"),
        ("keyring", [], "keyring"),
        ("tickets.0.ticket_id", "", r"tickets\[0\].ticket_id"),
        ("tickets.0.ticket_type", 70000, r"tickets\[0\].ticket_type"),
        ("tickets.0.plain_code_sha256", "AB" * 32, "plain_code_sha256"),
        ("tickets.0.holder_name", "Ada\x00", "control characters"),
        ("tickets.0.valid_until", True, "valid_until"),
        ("revocations.0.kind", "lost", r"revocations\[0\].kind"),
        ("ticket_types.0.name", "", r"ticket_types\[0\].name"),
        ("tickets", {}, "tickets: expected a list"),
    ],
)
def test_a_page_that_breaks_the_contract_is_refused_by_key(
    path: str, value: Any, message: str
) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse_manifest_page(_with(path, value), 1001)
