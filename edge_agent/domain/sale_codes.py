"""Stable codes of the box office's refusals (the API's ``error.code``).

One enum for every layer: the pure rules (``domain/sale.py``) raise them, the service
adds its own (sessions, leases, the platform), the route layer maps each to one HTTP
status. Clients switch on the code, never on the message.
"""

from __future__ import annotations

from enum import StrEnum


class SaleCode(StrEnum):
    INVALID_REQUEST = "invalid_request"
    CARD_NUMBER_REFUSED = "card_number_refused"
    UNKNOWN_TICKET_TYPE = "unknown_ticket_type"
    NO_PRICE = "no_price"
    NOT_ENOUGH_LEASED = "not_enough_leased"
    LEASE_EXPIRED = "lease_expired"
    INSUFFICIENT_TENDER = "insufficient_tender"
    COMP_NEEDS_SUPERVISOR = "comp_needs_supervisor"
    NO_SESSION = "no_session"
    SESSION_OPEN = "session_open"
    SESSION_CLOSED = "session_closed"
    REQUEST_REUSED = "request_reused"
    UNKNOWN_SALE = "unknown_sale"
    UNKNOWN_TICKET = "unknown_ticket"
    ALREADY_VOIDED = "already_voided"
    UNKNOWN_LEASE = "unknown_lease"
    LEASE_RETURNED = "lease_returned"
    SOLD_OUT = "sold_out"
    PLATFORM_UNREACHABLE = "platform_unreachable"
    PLATFORM_REFUSED = "platform_refused"
    PRINTER_UNAVAILABLE = "printer_unavailable"
    BOX_OFFICE_DISABLED = "box_office_disabled"
    NOT_RECORDED = "not_recorded"
    CLOCK_UNKNOWN = "clock_unknown"
