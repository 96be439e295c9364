"""The night report's numbers, from one read snapshot of the ledger.

Why from the ledger and nothing else: it is the record every number must agree with —
the same rows the platform received and evidence packs prove. Counts are per ticket
where the organiser thinks in tickets (admitted, no-shows) and per row where they
think in events (refusals, re-entries). Times are shown in the gate's time zone.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from edge_agent.config.sections import Config
from edge_agent.ledger.connection import open_read_connection

#: A till whose counted cash differs from what it should hold by at most this is balanced.
BALANCED_TOLERANCE_CENTS = 0


@dataclass
class TillSession:
    session_id: str
    operator: str
    device_id: str
    opened_at: str
    closed_at: str | None
    float_cents: int
    expected_cents: int
    counted_cents: int | None
    #: counted − expected (None while open)
    difference_cents: int | None
    #: "balanced" / "over" / "short" / "open"
    state: str
    sales: int
    voids: int


@dataclass
class Action:
    """A void or a comp, with who did it."""

    at: str
    kind: str
    sale_id: str
    operator: str
    supervisor: str
    reason: str
    amount_cents: int
    tickets: int


@dataclass
class NightReport:
    agent_id: str
    event_id: int
    gate: str
    timezone: str
    generated_at: str
    currency: str
    first_scan_at: str | None = None
    last_scan_at: str | None = None
    admitted_tickets: int = 0
    admissions_by_ticket_type: dict[str, int] = field(default_factory=dict)
    admissions_by_hour: dict[str, int] = field(default_factory=dict)
    admissions_by_gate: dict[str, int] = field(default_factory=dict)
    #: Tickets the manifest knows (incl. door sales), not revoked, never admitted;
    #: None without a manifest (a gate that only reads signed codes cannot know).
    no_shows: int | None = None
    known_tickets: int = 0
    refusals_by_reason: dict[str, int] = field(default_factory=dict)
    reentries: int = 0
    exits: int = 0
    manual_overrides: int = 0
    door_sales_by_payment: dict[str, dict[str, int]] = field(default_factory=dict)
    door_takings_cents: int = 0
    tills: list[TillSession] = field(default_factory=list)
    voids_and_comps: list[Action] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def night_report(config: Config, now_ms: int) -> NightReport:
    tz = ZoneInfo(config.gate.timezone)
    conn = open_read_connection(config.ledger_path)
    try:
        conn.execute("BEGIN")  # one snapshot for every number
        report = NightReport(
            agent_id=config.agent.agent_id,
            event_id=config.event.event_id,
            gate=config.gate.name,
            timezone=config.gate.timezone,
            generated_at=_local(now_ms, tz),
            currency=config.box_office.currency,
        )
        _admissions(conn, config.event.event_id, tz, report)
        _no_shows(conn, config.event.event_id, report)
        _door_sales(conn, tz, report)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return report


def _local(ms: int, tz: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def _admissions(conn: sqlite3.Connection, event_id: int, tz: ZoneInfo, r: NightReport) -> None:
    names = dict(
        conn.execute(
            "SELECT ticket_type, name FROM ticket_types WHERE event_id = ?", (event_id,)
        ).fetchall()
    )
    span = conn.execute("SELECT min(at_ms), max(at_ms) FROM scans").fetchone()
    if span[0] is not None:
        r.first_scan_at, r.last_scan_at = _local(span[0], tz), _local(span[1], tz)
    seen: set[str] = set()
    by_type: Counter[str] = Counter()
    by_hour: Counter[str] = Counter()
    by_gate: Counter[str] = Counter()
    for ticket_id, ticket_type, at_ms, gate, reason in conn.execute(
        "SELECT ticket_id, ticket_type, at_ms, gate, reason FROM scans"
        " WHERE outcome = 'admit' AND ticket_id IS NOT NULL ORDER BY seq"
    ):
        if reason == "manual_override":
            r.manual_overrides += 1
        if ticket_id in seen:
            r.reentries += 1
            continue
        seen.add(ticket_id)
        label = names.get(ticket_type, f"type {ticket_type}") if ticket_type is not None else "?"
        by_type[str(label)] += 1
        hour = dt.datetime.fromtimestamp(at_ms / 1000, tz).strftime("%Y-%m-%d %H:00")
        by_hour[hour] += 1
        by_gate[str(gate)] += 1
    r.admitted_tickets = len(seen)
    r.admissions_by_ticket_type = dict(sorted(by_type.items()))
    r.admissions_by_hour = dict(sorted(by_hour.items()))
    r.admissions_by_gate = dict(sorted(by_gate.items()))
    refusals = conn.execute(
        "SELECT reason, count(*) FROM scans WHERE outcome = 'refuse' GROUP BY reason"
        " ORDER BY 2 DESC, 1"
    ).fetchall()
    r.refusals_by_reason = {str(reason): int(n) for reason, n in refusals}
    r.exits = int(conn.execute("SELECT count(*) FROM scans WHERE outcome = 'exit'").fetchone()[0])


def _no_shows(conn: sqlite3.Connection, event_id: int, r: NightReport) -> None:
    known = conn.execute(
        """SELECT count(*) FROM (
               SELECT ticket_id FROM manifest_tickets WHERE event_id = ?
               UNION SELECT ticket_id FROM box_office_tickets
           ) AS t WHERE ticket_id NOT IN (SELECT ticket_id FROM revocations)""",
        (event_id,),
    ).fetchone()[0]
    r.known_tickets = int(known)
    if known == 0:
        return
    admitted_known = conn.execute(
        """SELECT count(DISTINCT s.ticket_id) FROM scans AS s
           WHERE s.outcome = 'admit' AND s.ticket_id NOT IN (SELECT ticket_id FROM revocations)
             AND (s.ticket_id IN (SELECT ticket_id FROM manifest_tickets WHERE event_id = ?)
                  OR s.ticket_id IN (SELECT ticket_id FROM box_office_tickets))""",
        (event_id,),
    ).fetchone()[0]
    r.no_shows = int(known) - int(admitted_known)


def _door_sales(conn: sqlite3.Connection, tz: ZoneInfo, r: NightReport) -> None:
    for method, n, tickets, cents in conn.execute(
        "SELECT method, count(*), coalesce(sum(count), 0), coalesce(sum(amount_cents), 0)"
        " FROM sales WHERE kind = 'sale' GROUP BY method ORDER BY method"
    ):
        r.door_sales_by_payment[str(method)] = {
            "sales": int(n), "tickets": int(tickets), "amount_cents": int(cents)
        }  # fmt: skip
    voided = conn.execute(
        "SELECT coalesce(sum(amount_cents), 0) FROM sales WHERE kind = 'void'"
    ).fetchone()[0]
    paid = sum(v["amount_cents"] for k, v in r.door_sales_by_payment.items() if k != "comp")
    r.door_takings_cents = paid - int(voided)
    for row in conn.execute(
        "SELECT session_id, operator, device_id, opened_at_ms, closed_at_ms, float_cents,"
        " cash_in_cents, cash_out_cents, counted_cents, sales, voids FROM box_office_sessions"
        " ORDER BY opened_at_ms"
    ):
        sid, operator, device, opened, closed, float_c, cash_in, cash_out, counted, n, v = row
        expected = float_c + cash_in - cash_out
        diff = None if counted is None else counted - expected
        state = "open" if closed is None else _till_state(diff)
        r.tills.append(
            TillSession(
                sid,
                operator,
                device,
                _local(opened, tz),
                None if closed is None else _local(closed, tz),
                float_c,
                expected,
                counted,
                diff,
                state,
                n,
                v,
            )
        )
    for at_ms, kind, sale_id, operator, supervisor, reason, cents, count in conn.execute(
        "SELECT at_ms, CASE WHEN kind = 'void' THEN 'void' ELSE 'comp' END, sale_id, operator,"
        " coalesce(supervisor, ''), coalesce(reason, ''), coalesce(amount_cents, 0),"
        " coalesce(count, 0) FROM sales"
        " WHERE kind = 'void' OR (kind = 'sale' AND method = 'comp') ORDER BY seq"
    ):
        r.voids_and_comps.append(
            Action(
                _local(at_ms, tz), kind, sale_id, operator or "", supervisor, reason, cents, count
            )
        )


def _till_state(diff: int | None) -> str:
    if diff is None or abs(diff) <= BALANCED_TOLERANCE_CENTS:
        return "balanced"
    return "over" if diff > 0 else "short"
