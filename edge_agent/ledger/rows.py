"""Small, frozen values for the non-scan tables (manifest, revocations, devices).

Queries return them and the stores take them, so the rest of the agent never handles
raw ``sqlite3.Row`` tuples whose column order it would have to know.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TicketTypeRow:
    """A ticket type's display name within one event (from the manifest), with the
    capacity and door price the platform's manifest gives (``None``: not sent)."""

    event_id: int
    ticket_type: int
    name: str
    capacity: int | None = None
    price_cents: int | None = None
    #: Comma-separated flags (attention, id_check, age_18, accessibility); "" = none.
    flags: str = ""
    #: Free text for staff with every admit of the type.
    note: str = ""


@dataclass(frozen=True, slots=True)
class PlainCodeRow:
    """A manifest ticket that is not a signed GH1 code: looked up by the code's SHA-256.

    ``valid_from`` / ``valid_until`` are epoch seconds; 0 means "no bound".
    """

    code_sha256: str
    event_id: int
    ticket_id: str
    ticket_type: int
    valid_from: int = 0
    valid_until: int = 0
    #: The date of an event series the code is for (a pretix subevent; 0 = none).
    subevent: int = 0


@dataclass(frozen=True, slots=True)
class RevocationRow:
    """A ticket that must be refused (refunded, cancelled, reissued, …) and who said so."""

    ticket_id: str
    kind: str
    at_ms: int
    source: str


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """A paired device. Only the SHA-256 of its token is stored, never the token.

    ``name`` is ``""`` when the device was paired without one.
    """

    device_id: str
    name: str
    role: str
    token_sha256: str
    created_at_ms: int
    revoked_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class ManifestTicketRow:
    """A ticket as the platform's manifest last described it (box-office lookups)."""

    ticket_id: str
    event_id: int
    ticket_type: int
    order_id: str = ""
    holder_name: str = ""
    holder_email: str = ""
    plain_code_sha256: str | None = None
    valid_from: int = 0
    valid_until: int = 0
    #: The ticket's own flags and staff note (migration 7); "" = none.
    flags: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class SyncStateRow:
    """The single ``sync_state`` row: where sync stands and what it last heard."""

    event_id: int | None = None
    manifest_cursor: str = ""
    manifest_at_ms: int | None = None
    event_status: str = ""
    event_name: str = ""
    event_venue: str = ""
    event_postponed_to: str | None = None
    keyring_json: str | None = None
    clock_offset_ms: int | None = None
    clock_rtt_ms: int | None = None
    clock_measured_at_ms: int | None = None
    last_success_ms: int | None = None
    last_error: str | None = None
    last_error_ms: int | None = None
