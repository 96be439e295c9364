"""Applying another member's venue event on this box: ledger first, then the gate.

Each event is one ledger writer operation holding both its changes and the stream
sequence it came with (``mesh_tables.set_applied``), so a crash between two events
neither loses nor repeats one; then the running gate is told (revocations, keyring,
event status, devices), exactly as a manifest page from the platform would tell it.
Membership events go to the roster's owner (``service``), conflicts to the status.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from edge_agent.devices.registry import Device, DeviceRegistry
from edge_agent.devices.roles import Role
from edge_agent.gate.live_manifest import LiveManifest
from edge_agent.ledger import mesh_tables as mt
from edge_agent.ledger.rows import DeviceRow, ManifestTicketRow, TicketTypeRow
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.mesh.venue_events import EventKind, VenueEvent
from sync.manifest_page import EventInfo, FlagChange, RevocationChange, TicketTypeChange

log = logging.getLogger(__name__)

Op = Callable[[sqlite3.Connection], None]


class EventApplier:
    def __init__(
        self,
        *,
        writer: LedgerWriter,
        devices: DeviceRegistry,
        live: LiveManifest,
        event_id: int,
        on_membership: Callable[[VenueEvent, int], Awaitable[None]],
        on_conflict: Callable[[], None],
    ) -> None:
        self._writer = writer
        self._devices = devices
        self._live = live
        self._event_id = event_id
        self._on_membership = on_membership
        self._on_conflict = on_conflict
        #: True while devices learned from another member are added to the registry
        #: (the registry's listener must not publish them back).
        self.applying_devices = False

    async def apply(self, event: VenueEvent, seq: int, incarnation: str, mine: bool) -> None:
        """Apply ``event`` (stream sequence ``seq``) unless this box published it."""
        op = None if mine else self._ledger_op(event)

        def write(conn: sqlite3.Connection) -> None:
            if op is not None:
                op(conn)
            mt.set_applied(conn, mt.EVENTS_STREAM, incarnation, seq)

        await self._writer.execute(write)
        if event.kind in (EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED):
            await self._on_membership(event, seq)
        if mine:
            return
        self._tell_gate(event)

    # ---------------------------------------------------------------- the ledger
    def _ledger_op(self, event: VenueEvent) -> Op | None:
        body = event.body
        match event.kind:
            case EventKind.MANIFEST:
                return self._manifest_op(body)
            case EventKind.REVOCATIONS:
                items = _revocation_items(body.get("items", []))
                return lambda c: mt.apply_revocations(c, items)
            case EventKind.SALES:
                tickets = [_sold_ticket(t, self._event_id) for t in body.get("tickets", [])]
                return lambda c: mt.apply_manifest_facts(
                    c,
                    event_id=self._event_id,
                    ticket_types=[],
                    tickets=tickets,
                    keyring_json=None,
                    event=None,
                    manifest_at_ms=None,
                )
            case EventKind.DEVICES:
                rows = [DeviceRow(**d) for d in body.get("items", [])]
                return lambda c: _ignore(mt.upsert_devices(c, rows))
            case EventKind.CONFLICT:
                row = mt.ConflictRow(**body)
                return lambda c: _ignore(mt.add_conflict(c, row))
        return None

    def _manifest_op(self, body: dict[str, Any]) -> Op:
        event_id = int(body["event_id"])
        types = [TicketTypeRow(event_id, *t) for t in body.get("ticket_types", [])]
        tickets = [ManifestTicketRow(*t) for t in body.get("tickets", [])]
        revocations = _revocation_items(body.get("revocations", []))
        info = body.get("event")
        event = None if info is None else (info["name"], info["venue"], info["status"],
                                           info.get("postponed_to"))  # fmt: skip

        def op(conn: sqlite3.Connection) -> None:
            if event_id != self._event_id:
                return  # another event's facts: never this gate's
            mt.apply_manifest_facts(
                conn,
                event_id=event_id,
                ticket_types=types,
                tickets=tickets,
                keyring_json=body.get("keyring_json"),
                event=event,
                manifest_at_ms=body.get("manifest_at_ms"),
                as_of_ms=int(body.get("as_of_ms", 0)),
            )
            mt.apply_revocations(conn, revocations)

        return op

    # ------------------------------------------------------------------ the gate
    def _tell_gate(self, event: VenueEvent) -> None:
        body = event.body
        if event.kind is EventKind.MANIFEST and int(body["event_id"]) == self._event_id:
            info = body.get("event")
            fresh = int(body.get("as_of_ms", 0)) >= (self._live.manifest_at_ms or 0)
            if not fresh:  # old knowledge: its revocations and types still count
                info = None
            self._live.apply_shared(
                event_id=self._event_id,
                revocations=[
                    RevocationChange(t, k, at)
                    for t, k, at, _ in _revocation_items(body["revocations"])
                ],
                ticket_types=[_type_change(t) for t in body.get("ticket_types", [])],
                event=None
                if info is None
                else EventInfo(
                    info["name"], info["venue"], info["status"], 0, info.get("postponed_to")
                ),
                manifest_at_ms=body.get("manifest_at_ms"),
                keyring_json=body.get("keyring_json") if fresh else None,
            )
            tickets = body.get("tickets", [])
            self._live.apply_flagged(
                [str(t[0]) for t in tickets],
                [FlagChange(str(t[0]), int(t[2]), _flag_names(t[9]), str(t[10]))
                 for t in tickets if len(t) > 10 and (t[9] or t[10])],
            )  # fmt: skip
        elif event.kind is EventKind.REVOCATIONS:
            self._live.apply_revocations(
                [RevocationChange(t, k, at) for t, k, at, _ in _revocation_items(body["items"])]
            )
        elif event.kind is EventKind.DEVICES:
            self.applying_devices = True
            try:
                for d in body.get("items", []):
                    row = DeviceRow(**d)
                    device = Device(
                        row.device_id, row.name, Role(row.role), row.created_at_ms,
                        row.revoked_at_ms,
                    )  # fmt: skip
                    known = self._devices.get(row.device_id)
                    if known is None or (known.active and not device.active):
                        self._devices.add(device, row.token_sha256)
            finally:
                self.applying_devices = False
        elif event.kind is EventKind.CONFLICT:
            self._on_conflict()


def _ignore(_: object) -> None:
    return None


def _flag_names(text: object) -> tuple[str, ...]:
    return tuple(f for f in str(text or "").split(",") if f)


def _type_change(t: list[Any]) -> TicketTypeChange:
    """``[ticket_type, name, capacity, price_cents, flags "a,b", note]`` (flags and note
    since the gate rules)."""
    flags, note = (t[4], t[5]) if len(t) > 5 else ("", "")
    return TicketTypeChange(int(t[0]), str(t[1]), t[2], t[3], _flag_names(flags), str(note))


def _revocation_items(items: list[Any]) -> list[tuple[str, str | None, int, str]]:
    return [(str(t), None if k is None else str(k), int(at), str(src)) for t, k, at, src in items]


def _sold_ticket(t: dict[str, Any], event_id: int) -> ManifestTicketRow:
    return ManifestTicketRow(
        ticket_id=str(t["ticket_id"]),
        event_id=event_id,
        ticket_type=int(t["ticket_type"]),
        order_id=str(t.get("order_id", "")),
        holder_name=str(t.get("holder_name", "")),
        holder_email=str(t.get("holder_email", "")),
    )
