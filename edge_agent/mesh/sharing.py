"""What this box tells the venue: its venue events, built from what it committed.

Each builder turns something already durable in this box's ledger into venue events
(``venue_events``): a manifest page its uplink brought (split so no message is too
big), a device paired or revoked here, door sales and voids from its ``sales`` stream,
and — when it meets a cluster's stores for the first time — a snapshot of all of that,
so a box without an uplink starts from what the venue knows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from edge_agent.devices.registry import Device
from edge_agent.ledger import mesh_tables as mt
from edge_agent.ledger.box_office_tables import sales_for_upload
from edge_agent.ledger.rows import DeviceRow
from edge_agent.ledger.sale_records import parse_tickets_text
from edge_agent.ledger.sync_tables import read_sync_state
from edge_agent.mesh.venue_events import EventKind, VenueEvent, chunks
from sync.manifest_page import ManifestPage

#: Tickets per manifest event (well under the 1 MB body limit).
TICKETS_PER_EVENT = 2000


def page_events(page: ManifestPage, me: str, now_ms: int) -> list[VenueEvent]:
    """A committed manifest page as one or more ``manifest`` events (each applies on
    its own; only the last carries the manifest time)."""
    event = page.event
    head: dict[str, Any] = {
        "event_id": page.event_id,
        "event": {
            "name": event.name,
            "venue": event.venue,
            "status": event.status,
            "postponed_to": event.postponed_to,
        },
        "keyring_json": page.keyring_json,
        "as_of_ms": page.generated_at_ms,
        "ticket_types": [
            [t.ticket_type, t.name, t.capacity, t.price_cents, ",".join(t.flags), t.note]
            for t in page.ticket_types
        ],
    }
    # the gate rules' flags travel with their tickets: a flag lifted upstream is a
    # ticket of the page without any, on every box (docs/gate.md, "Attention")
    flagged = {f.ticket_id: (",".join(f.flags), f.note) for f in page.flagged}
    tickets = [
        [t.ticket_id, page.event_id, t.ticket_type, t.order_id, t.holder_name, t.holder_email,
         t.plain_code_sha256, t.valid_from, t.valid_until, *flagged.get(t.ticket_id, ("", ""))]
        for t in page.tickets
    ]  # fmt: skip
    revocations = [[r.ticket_id, r.kind, r.at_ms, "platform"] for r in page.revocations]
    return _manifest_events(head, tickets, revocations, page.manifest_at_ms, me, now_ms)


def _manifest_events(
    head: dict[str, Any],
    tickets: list[list[Any]],
    revocations: list[list[Any]],
    manifest_at_ms: int | None,
    me: str,
    now_ms: int,
) -> list[VenueEvent]:
    parts = [tickets[i : i + TICKETS_PER_EVENT] for i in range(0, len(tickets), TICKETS_PER_EVENT)]
    rev_parts = chunks(revocations, 500_000)
    n = max(len(parts), len(rev_parts), 1)
    out = []
    for i in range(n):
        body = {
            **head,
            "tickets": parts[i] if i < len(parts) else [],
            "revocations": rev_parts[i] if i < len(rev_parts) else [],
            "manifest_at_ms": manifest_at_ms if i == n - 1 else None,
        }
        out.append(VenueEvent(EventKind.MANIFEST, me, now_ms, body))
    return out


def device_event(device: Device, token_sha256: str, me: str, now_ms: int) -> VenueEvent:
    return devices_event([(device, token_sha256)], me, now_ms)


def devices_event(items: Iterable[tuple[Device, str]], me: str, now_ms: int) -> VenueEvent:
    return VenueEvent(
        EventKind.DEVICES,
        me,
        now_ms,
        {
            "items": [
                {
                    "device_id": d.device_id,
                    "name": d.name,
                    "role": d.role.value,
                    "token_sha256": token,
                    "created_at_ms": d.created_at_ms,
                    "revoked_at_ms": d.revoked_at_ms,
                }
                for d, token in items
            ]
        },
    )


def sales_events(rows: Iterable[Mapping[str, Any]], me: str, now_ms: int) -> list[VenueEvent]:
    """Door sales (their tickets, for look-ups) and voids (refunded tickets) from rows
    of this box's ``sales`` stream. The codes themselves are not sent."""
    sold: list[dict[str, Any]] = []
    voided: list[list[Any]] = []
    for row in rows:
        if row.get("kind") not in ("sale", "void") or not row.get("tickets"):
            continue
        tickets = parse_tickets_text(str(row["tickets"]))
        if row["kind"] == "sale":
            sold.extend(
                {
                    "ticket_id": t["ticket_id"],
                    "ticket_type": t["ticket_type"],
                    "order_id": row.get("order_id") or "",
                    "holder_name": row.get("customer_name") or "",
                    "holder_email": row.get("customer_email") or "",
                }
                for t in tickets
            )
        else:
            voided.extend(
                [t["ticket_id"], "refunded", int(row["at_ms"]), "box_office"] for t in tickets
            )
    out = [
        VenueEvent(EventKind.SALES, me, now_ms, {"tickets": part}) for part in chunks(sold) if part
    ]
    out += [
        VenueEvent(EventKind.REVOCATIONS, me, now_ms, {"items": part})
        for part in chunks(voided)
        if part
    ]
    return out


def snapshot_events(
    conn: sqlite3.Connection, event_id: int, me: str, now_ms: int, *, with_tickets: bool
) -> list[VenueEvent]:
    """Everything this box knows that the venue should: the manifest as its uplink last
    brought it (the tickets only ``with_tickets``: when it first meets the cluster's
    stores), its devices, and its door sales and voids. Sent at every (re)connection,
    so nothing committed just before a crash stays untold; duplicates are dropped by
    the stream or change nothing when applied."""
    out: list[VenueEvent] = []
    state = read_sync_state(conn)
    if state.event_id in (None, event_id) and (state.keyring_json or state.event_status):
        head: dict[str, Any] = {
            "event_id": event_id,
            "event": None
            if not state.event_status
            else {
                "name": state.event_name,
                "venue": state.event_venue,
                "status": state.event_status,
                "postponed_to": state.event_postponed_to,
            },
            "keyring_json": state.keyring_json,
            "as_of_ms": state.manifest_at_ms or 0,
            "ticket_types": [
                list(r)
                for r in conn.execute(
                    "SELECT ticket_type, name, capacity, price_cents, flags, note FROM ticket_types"
                    " WHERE event_id = ?",
                    (event_id,),
                )
            ],
        }
        tickets = (
            []
            if not with_tickets
            else [
                list(r)
                for r in conn.execute(
                    "SELECT ticket_id, event_id, ticket_type, order_id, holder_name, holder_email,"
                    " plain_code_sha256, valid_from, valid_until, flags, note FROM manifest_tickets"
                    " WHERE event_id = ?",
                    (event_id,),
                )
            ]
        )
        revocations = [
            list(r)
            for r in conn.execute(
                "SELECT ticket_id, kind, at_ms, source FROM revocations WHERE source = 'platform'"
            )
        ]
        out += _manifest_events(head, tickets, revocations, state.manifest_at_ms, me, now_ms)
    devices = mt.devices_to_share(conn)
    if devices:
        out.append(VenueEvent(EventKind.DEVICES, me, now_ms, {"items": [_row(d) for d in devices]}))
    out += sales_events(sales_for_upload(conn, 0, 1_000_000, 1 << 40), me, now_ms)
    return out


def _row(d: DeviceRow) -> dict[str, Any]:
    return {
        "device_id": d.device_id,
        "name": d.name,
        "role": d.role,
        "token_sha256": d.token_sha256,
        "created_at_ms": d.created_at_ms,
        "revoked_at_ms": d.revoked_at_ms,
    }
