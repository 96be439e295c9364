"""Small, frozen values for the non-scan tables (manifest, revocations, devices).

Queries return them and the stores take them, so the rest of the agent never handles
raw ``sqlite3.Row`` tuples whose column order it would have to know.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TicketTypeRow:
    """A ticket type's display name within one event (from the manifest)."""

    event_id: int
    ticket_type: int
    name: str


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
