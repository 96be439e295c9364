"""Live (rotating) tickets: the code a holder's phone shows now, and the holder's link.

The link carries the per-ticket secret (``docs/formats/rotating-v1.md``) a phone app
would hold; the platform derives it from the event's rotation secret, so it stores
nothing new.
"""

from __future__ import annotations

import hmac
import sqlite3

from edge_agent.domain.rotating import encode_rotating, step_at, ticket_secret
from reference_platform.errors import NotFound
from reference_platform.services.enrolment import rotation_secret


def live_code(conn: sqlite3.Connection, ticket_id: str, key_hex: str, now_s: int) -> str:
    """The code the phone shows now; ``NotFound`` for an unknown ticket or a wrong key
    (the same answer: the link proves nothing about which tickets exist)."""
    row = conn.execute(
        "SELECT event_id, code FROM tickets WHERE ticket_id = ? AND code_kind = 'gh1'",
        (ticket_id,),
    ).fetchone()
    if row is None:
        raise NotFound("no such live ticket", code="unknown_ticket")
    event_id, code = row
    secret = ticket_secret(rotation_secret(conn, event_id), bytes.fromhex(ticket_id))
    if not hmac.compare_digest(secret.hex(), key_hex):
        raise NotFound("no such live ticket", code="unknown_ticket")
    return encode_rotating(code, secret, step_at(now_s))


def live_link(conn: sqlite3.Connection, ticket_id: str, event_id: int) -> str:
    """The holder's link to their live ticket (path; the host is the platform's)."""
    secret = ticket_secret(rotation_secret(conn, event_id), bytes.fromhex(ticket_id))
    return f"/tickets/{ticket_id}/live?k={secret.hex()}"
