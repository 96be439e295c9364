"""The manifest feed: one page of an event's change log, as ``docs/sync.md`` describes.

A page is "the changes after cursor ``c:N``, at most ``limit`` of them": one indexed
``LIMIT`` query finds the range of change numbers (and one probe whether more follow),
then three queries fetch the current state of the tickets, ticket types and revocations
named in that range. So a page costs the same whether the event has a hundred tickets
or a million, and the platform never holds more than one page. A ticket changed twice
within a page appears once, as it is now (and again in a later page if it changed again
there: applying it twice is harmless).
"""

from __future__ import annotations

import json
import sqlite3

from reference_platform.errors import Conflict
from reference_platform.services.catalog import get_event
from reference_platform.services.enrolment import event_keyring

FORMAT = "gatehouse-manifest-v1"
DEFAULT_LIMIT = 5000
MAX_LIMIT = 20_000
CURSOR_PREFIX = "c:"
#: A stored comma-separated flags column as a JSON list, in SQL ("" -> []).
_FLAGS_JSON = (
    "json(CASE flags WHEN '' THEN '[]' ELSE '[\"' || replace(flags, ',', '\",\"') || '\"]' END)"
)
# Built from the constant above only, never from input.
_TYPES_SQL = (
    "SELECT json_group_array(json_object("  # noqa: S608
    " 'ticket_type', ticket_type, 'name', name, 'capacity', capacity,"
    f" 'price_cents', price_cents, 'flags', {_FLAGS_JSON}, 'note', note))"
    " FROM (SELECT * FROM ticket_types WHERE event_id = ?"
    "  AND CAST(ticket_type AS TEXT) IN (SELECT ref FROM changes WHERE event_id = ?"
    "   AND change_no > ? AND change_no <= ? AND kind = 'ticket_type')"
    "  ORDER BY ticket_type)"
)
#: The page's tickets that carry flags or a note (a sparse list beside ``tickets``).
_FLAGGED_SQL = (
    "SELECT json_group_array(json_object("  # noqa: S608
    f" 'ticket_id', ticket_id, 'ticket_type', ticket_type, 'flags', {_FLAGS_JSON},"
    " 'note', note))"
    " FROM tickets WHERE ticket_id IN (SELECT ref FROM changes WHERE event_id = ?"
    "  AND change_no > ? AND change_no <= ? AND kind = 'ticket')"
    "  AND (flags != '' OR note != '')"
)


def parse_cursor(conn: sqlite3.Connection, since: str | None) -> int:
    """The change number a cursor stands for; 409 ``cursor_unknown`` for anything this
    database did not hand out (garbage, or a number beyond its last change)."""
    if not since:
        return 0
    text = since.removeprefix(CURSOR_PREFIX)
    if since == text or not text.isdigit() or len(text) > 18:
        raise Conflict(
            "cursor not issued by this platform; start a full load", code="cursor_unknown"
        )
    number = int(text)
    last = conn.execute("SELECT coalesce(max(change_no), 0) FROM changes").fetchone()[0]
    if number > last:
        raise Conflict(
            "cursor not issued by this platform; start a full load", code="cursor_unknown"
        )
    return number


def manifest_page(
    conn: sqlite3.Connection, event_id: int, since: str | None, limit: int, now_ms: int
) -> str:
    """One page as JSON text; run inside a read transaction so all its queries see one
    snapshot. The three change lists are built by SQLite's JSON functions (C speed, no
    Python object per ticket): a 20,000-ticket page costs ~0.1 s instead of ~0.3 s."""
    event = get_event(conn, event_id)
    after = parse_cursor(conn, since)
    # The page's range of change numbers, counted in SQLite (not a Python list of them).
    (last,) = conn.execute(
        "SELECT coalesce(max(change_no), ?) FROM (SELECT change_no FROM changes"
        " WHERE event_id = ? AND change_no > ? ORDER BY change_no LIMIT ?)",
        (after, event_id, after, limit),
    ).fetchone()
    more = (
        conn.execute(
            "SELECT 1 FROM changes WHERE event_id = ? AND change_no > ? LIMIT 1",
            (event_id, last),
        ).fetchone()
        is not None
    )
    span = (event_id, after, last)
    (ticket_types,) = conn.execute(
        _TYPES_SQL,
        (event_id, *span),
    ).fetchone()
    (tickets,) = conn.execute(
        "SELECT json_group_array(json_object("
        " 'ticket_id', ticket_id, 'ticket_type', ticket_type, 'order_id', order_id,"
        " 'holder_name', holder_name, 'holder_email', holder_email,"
        " 'plain_code_sha256', plain_code_sha256,"
        " 'valid_from', valid_from, 'valid_until', valid_until))"
        " FROM tickets WHERE ticket_id IN (SELECT ref FROM changes WHERE event_id = ?"
        "  AND change_no > ? AND change_no <= ? AND kind = 'ticket')",
        span,
    ).fetchone()
    (flagged,) = conn.execute(
        _FLAGGED_SQL,
        span,
    ).fetchone()
    (revocations,) = conn.execute(
        "SELECT json_group_array(json_object('ticket_id', ref, 'kind', kind, 'at_ms', at_ms))"
        " FROM (SELECT c.ref, r.kind, r.at_ms FROM changes c"
        "  LEFT JOIN revocations r ON r.ticket_id = c.ref"
        "  WHERE c.event_id = ? AND c.change_no > ? AND c.change_no <= ?"
        "  AND c.kind = 'revocation' GROUP BY c.ref ORDER BY min(c.change_no))",
        span,
    ).fetchone()
    head = json.dumps(
        {
            "format": FORMAT,
            "event_id": event_id,
            "cursor": f"{CURSOR_PREFIX}{last}",
            "more": more,
            "generated_at_ms": now_ms,
            "event": event.to_json(),
            "keyring": event_keyring(conn, event_id),
        },
        separators=(",", ":"),
    )
    return (
        f'{head[:-1]},"ticket_types":{ticket_types},"tickets":{tickets},'
        f'"revocations":{revocations},"flagged":{flagged}}}'
    )
