"""Request bodies and queries of the LAN API (the box office's: ``boxoffice.py``).

Each is a ``Body`` struct (``body_rules.py``): its annotations are its rules — type,
limits (``Meta``, ``text()``), default — so msgspec checks them while it decodes
(``decoding.read_body``/``read_query``) and the OpenAPI document shows the same ones.
A new optional field is one line, e.g. ``request_id: Annotated[str, text(max_len=64)] |
None = None``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from edge_agent.api.schema.body_rules import Body, text
from edge_agent.domain.reasons import Direction

#: Longest scanned text the gate will judge; longer input is refused as a bad request.
MAX_CODE_CHARS = 4096
MAX_NAME_CHARS = 64
#: Longest free-text override reason (it is stored in the ledger row and uploaded).
MAX_REASON_CHARS = 200
#: Longest client request id (``gate/request_ids.py``; docs/api.md, "Retries").
MAX_REQUEST_ID_CHARS = 64


def _name(description: str) -> msgspec.Meta:
    return text(max_len=MAX_NAME_CHARS, printable=True, description=description)


#: A client's id for one scan or override: a retry with the same id gets the first answer.
RequestId = Annotated[
    str,
    text(
        min_len=1,
        max_len=MAX_REQUEST_ID_CHARS,
        printable=True,
        description="the client's id for this request; a retry with the same id and body "
        "gets the first verdict back (kept ledger.request_ids_kept_s)",
    ),
]


class ScanRequest(Body, frozen=True):
    """One scanned code to judge (``POST /api/v1/scans``)."""

    code: Annotated[
        str,
        text(
            max_len=MAX_CODE_CHARS,
            description="the scanned text, judged as is; stored only as its SHA-256",
        ),
    ]
    lane: Annotated[str, _name("lane id; default [gate] default_lane")] | None = None
    direction: Direction = Direction.IN
    device_kind: Annotated[str, _name("e.g. wifi, phone")] = "network"
    request_id: RequestId | None = None


class ScanMessage(ScanRequest, frozen=True):
    """Each message of the scan WebSocket: POST's fields, from a ``websocket`` device."""

    device_kind: Annotated[str, _name("e.g. wifi, phone")] = "websocket"


class PairRequest(Body, frozen=True):
    """A one-time pairing code exchanged for a device token."""

    code: Annotated[str, text(max_len=32, description="as shown by edge-agent pair")]
    name: Annotated[str, _name("the device's name")] | None = None


class PairingCodeRequest(Body, frozen=True):
    """A supervisor asking for a pairing code for a new device."""

    role: Annotated[str, text(max_len=32, description="scanner, box_office, ...")]
    name: Annotated[str, _name("the new device's name")] = ""


class OverrideRequest(Body, frozen=True):
    """A supervisor's manual check-in (``in``) or check-out (``out``), with a reason."""

    direction: Direction
    reason: Annotated[str, text(min_len=1, max_len=MAX_REASON_CHARS, printable=True, strip=True)]
    request_id: RequestId | None = None


class ScanSocketQuery(Body, frozen=True):
    """``GET /api/v1/scans/ws?lane=ID``: the lane whose WebSocket input codes go through."""

    lane: Annotated[str, _name("lane id; default [gate] default_lane")] | None = None


class TicketQuery(Body, frozen=True):
    """``GET /api/v1/tickets?q=…``: a ticket id, an e-mail, an order id or a name prefix."""

    q: Annotated[str, text(min_len=1, max_len=200, printable=True, strip=True)]


class HaltRequest(Body, frozen=True):
    """A supervisor stopping or resuming admissions at this agent, with a reason."""

    reason: Annotated[str, text(min_len=1, max_len=MAX_REASON_CHARS, printable=True, strip=True)]
