"""Fixed agent answers for the SVG snapshot tests, in the exact shapes of the real API.

Snapshots need the same pixels every run, so ids, times and counts are fixed here; the
flows themselves are tested against a real agent (``test_flows.py``), and
``test_replay_shapes.py`` checks that these documents keep the real agent's shape.
"""

from __future__ import annotations

import copy
from typing import Any

from tui.client import JsonDoc
from tui.documents.boxoffice import (
    Figures,
    LeaseTaken,
    Printed,
    Sale,
    Sales,
    SeatsReturned,
    Session,
    TillClosed,
)
from tui.documents.status import Conflicts, Pairing, Status, SyncNowAnswer
from tui.documents.tickets import (
    Devices,
    EvidenceAnswer,
    Paired,
    PairingCode,
    Revoked,
    TicketDetail,
    TicketsFound,
    Verdict,
)

URL = "http://gate-3.local:8443"
T0 = 1_798_750_000_000  # 2026-12-31 20:46:40 UTC, in ms
NOW_S = T0 / 1000 + 60  # the TUI's clock: a minute after the last scan


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


TICKET_A = "3f2a9c1e5b7d4f60a1b2c3d4e5f60718"
TICKET_B = "7c0e11aa22bb33cc44dd55ee66ff7788"
DEV_SAM = "0194a1b2-0000-7000-8000-000000000001"
DEV_LANE1 = "0194a1b2-0000-7000-8000-000000000002"
DEV_IPAD = "0194a1b2-0000-7000-8000-000000000003"


def _recent() -> list[dict[str, Any]]:
    rows = [
        ("admit", "admitted", "Welcome — admit", "lane-1", TICKET_B),
        ("refuse", "already_admitted", "Already used 20:12 at Gate 3", "lane-1", TICKET_A),
        ("refuse", "refunded", "Refunded ticket — send to box office", "lane-2", "9" * 32),
        ("exit", "exited", "Exit recorded", "lane-2", "5" * 32),
        ("refuse", "bad_signature", "Forged or damaged code — refuse", "lane-1", None),
        ("admit", "manual_override", "Manual override by a supervisor", "lane-1", TICKET_A),
    ]
    return [
        {
            "scan_id": f"0194a1b2-{i:04d}-7000-8000-000000000000",
            "at_ms": T0 - i * 37_000,
            "lane": lane,
            "device_id": DEV_LANE1,
            "direction": "out" if outcome == "exit" else "in",
            "outcome": outcome,
            "reason": reason,
            "message": message,
            "ticket_id": ticket,
            "event_id": 1001 if ticket else None,
            "zone": "",
            "check": False,
        }
        for i, (outcome, reason, message, lane, ticket) in enumerate(rows)
    ]


def _input(i: str, kind: str, typ: str, connected: bool, error: str | None) -> dict[str, Any]:
    return {
        "id": i, "kind": kind, "type": typ, "connected": connected,
        "last_read_ms": T0 if connected else None, "reads": 812 if connected else 40,
        "errors": 0 if error is None else 3, "last_error": error,
        "last_error_ms": None if error is None else T0 - 60_000,
    }  # fmt: skip


STATUS: JsonDoc = {
    "agent": {"agent_id": "gate-3", "venue": "Riverside Hall", "version": "0.1.0",
              "started_at": _iso(T0 - 3_600_000), "uptime_s": 3600.0},
    "event": {"event_id": 1001, "events": [{"event_id": 1001, "name": "New Year Gala"}]},
    "gate": {"id": "gate-3", "name": "Gate 3", "allowed_ticket_types": [], "lists": [],
             "zone": "", "language": "en", "halt": None},
    "policy": {"reentry": True, "exit_scans": True, "clock_skew_grace_s": 300},
    "ledger": {"head_seq": 1042, "head_chain": "ab" * 32, "batches_committed": 900,
               "last_commit_ms": T0, "start_check": "ledger OK: 1,000 rows, head seq 1000",
               "scan_wait_max_ms": 4.2, "scan_blocked_max_ms": 1.1,
               "scans_blocked_over_20ms": 0, "slice_max_ms": 6.1, "slices_over_20ms": 0},
    "scans": {
        "total": 1042, "by_outcome": {"admit": 880, "refuse": 140, "exit": 22},
        "by_reason": {"admitted": 870, "already_admitted": 90}, "not_recorded": 0,
        "last_minute": 37,
        "by_lane": {"lane-1": {"admit": 600, "refuse": 90, "exit": 0},
                    "lane-2": {"admit": 280, "refuse": 50, "exit": 22}},
        "by_device": [
            {"device_id": DEV_LANE1, "name": "Lane 1 handheld",
             "by_outcome": {"admit": 600, "refuse": 90}},
            {"device_id": DEV_IPAD, "name": "Counter iPad", "by_outcome": {"admit": 280}},
        ],
        "recent": _recent(),
    },
    "admissions": {"tickets_admitted": 858, "inside_now": 836, "zones": []},
    "manifest": {"revocations": 12, "at": _iso(T0 - 40_000), "at_ms": T0 - 40_000,
                 "age_s": 40.0},
    "keyring": {"keys": 3, "warnings": []},
    "devices": {"paired": 3},
    "pairing": {"locked": False, "locked_until": None, "failures_last_minute": 0,
                "blocked_addresses": 0},
    "connections": {"open": 7, "paired": 5, "unauthenticated": 2, "addresses": 4,
                    "max": 512, "max_per_address": 64, "paired_reserve": 64,
                    "header_timeout_s": 10.0, "accepted": 412, "refused": 0, "evicted": 0,
                    "header_timeouts": 3, "out_of_files": 0,
                    "open_files": {"used": 31, "limit": 8192}},
    "tls": {"source": "venue_ca", "ca_fingerprint_sha256": "9f" * 32,
            "names": ["gate-box-1.local", "localhost", "127.0.0.1", "10.0.0.5"],
            "not_after": "2028-01-06T12:00:00+00:00"},
    "disk": {"data_dir_free_bytes": 12_400_000_000, "data_dir_total_bytes": 31_000_000_000},
    "sync": {
        "enabled": True, "platform_url": "https://tickets.example.org", "running": True,
        "event": {"status": "on_sale", "name": "New Year Gala", "venue": "Riverside Hall",
                  "postponed_to": None},
        "manifest": {"cursor": "c:12345", "at": _iso(T0 - 40_000), "age_s": 40.0},
        "outbox": {"scans": {"head_seq": 1042, "uploaded_through_seq": 1040, "depth": 2,
                             "halted": None}},
        "last_success": _iso(T0 - 40_000), "last_error": None, "last_error_at": None,
        "failures_in_a_row": 0, "backoff_until": None,
        "clock": {"offset_ms": -2450, "rtt_ms": 6, "measured_at": _iso(T0 - 40_000)},
    },
    "lanes": [
        {"id": "lane-1", "direction": "in", "debounce_ms": 800, "debounced": 4,
         "inputs": [_input("wedge-1", "input", "wedge", True, None)],
         "outputs": [_input("lights-1", "output", "gpio", True, None)]},
        {"id": "lane-2", "direction": "out", "debounce_ms": 800, "debounced": 0,
         "inputs": [_input("serial-2", "input", "serial", False, "device unplugged")],
         "outputs": []},
    ],
    "printer": None,
    "mesh": None,  # a venue of one (docs/mesh.md)
    "alarms": [],
    "limits": {"open_files": {"used": 41, "limit": 8192, "warn_at": 6144}},
    "clock": {"state": "ok", "offset_ms": 0, "why": ""},
}  # fmt: skip


def _ticket(tid: str, name: str, email: str, order: str, adm: dict[str, Any] | None) -> JsonDoc:
    return {
        "ticket_id": tid, "event_id": 1001, "ticket_type": 0,
        "ticket_type_name": "General admission", "order_id": order, "holder_name": name,
        "holder_email": email, "valid_from": 0, "valid_until": 0, "revoked": None,
        "admission": adm,
    }  # fmt: skip


ADMISSION = {
    "inside": True, "entries": 1, "first_admitted_at": _iso(T0 - 2_000_000),
    "first_gate": "Gate 3", "last_at": _iso(T0 - 2_000_000), "last_gate": "Gate 3",
}  # fmt: skip
TICKETS = [
    _ticket(TICKET_A, "Ada Lovelace", "ada@example.org", "O-000017", ADMISSION),
    _ticket(TICKET_B, "Adam Smith", "adam@example.org", "O-000018", None),
]


def _scan(i: int, outcome: str, reason: str, by: str | None, why: str | None) -> JsonDoc:
    return {
        "seq": 100 + i, "scan_id": f"0194a1b2-{i:04d}-7000-8000-00000000000a",
        "at": _iso(T0 - 2_000_000 + i * 600_000), "gate": "gate-3", "lane": "lane-1",
        "device_id": DEV_LANE1, "device_name": "Lane 1 handheld", "direction": "in",
        "credential_kind": "manual" if by else "gh1", "outcome": outcome, "reason": reason,
        "override_operator": by, "override_reason": why,
    }  # fmt: skip


TICKET_DETAIL: JsonDoc = {
    "ticket_id": TICKET_A,
    "ticket": TICKETS[0],
    "revoked": None,
    "admission": ADMISSION,
    "scans": [
        _scan(0, "admit", "admitted", None, None),
        _scan(1, "refuse", "already_admitted", None, None),
        _scan(2, "exit", "manual_override", "Sam", "left for the cloakroom"),
        _scan(3, "admit", "manual_override", "Sam", "phone died, ID checked"),
    ],
}

DEVICES = {
    "devices": [
        {"device_id": DEV_SAM, "name": "Sam", "role": "supervisor",
         "paired_at": _iso(T0 - 7_200_000), "revoked_at": None},
        {"device_id": DEV_LANE1, "name": "Lane 1 handheld", "role": "scanner",
         "paired_at": _iso(T0 - 7_000_000), "revoked_at": None},
        {"device_id": DEV_IPAD, "name": "Counter iPad", "role": "box_office",
         "paired_at": _iso(T0 - 6_000_000), "revoked_at": _iso(T0 - 100_000)},
    ]
}  # fmt: skip

PAIRING_CODE = {
    "code": "ABCD-EFGH", "role": "scanner", "name": "Lane 2 handheld",
    "expires_at": _iso(T0 + 300_000),
}  # fmt: skip


CONFLICTS = {
    "event_id": 1001,
    "fetched_at": _iso(T0 + 30_000),
    "conflicts": [
        {"ticket_id": TICKET_A, "admissions": [
            {"agent_id": "gate-3", "scan_id": "0194a1b2-0001-7000-8000-00000000000a",
             "seq": 101, "at": _iso(T0 - 2_000_000)},
            {"agent_id": "gate-5", "scan_id": "0194a1b2-0002-7000-8000-00000000000b",
             "seq": 77, "at": _iso(T0 - 1_990_000)},
        ]},
    ],
}  # fmt: skip


def _type(tt: int, name: str, price: int, sellable: int, sold: int, scanned: int) -> JsonDoc:
    leases = [{"lease_id": f"L-{tt:016x}", "count": sellable + sold, "sold": sold,
               "returned": 0, "closed": False, "expires_at_ms": T0 + 4 * 3_600_000,
               "expired": False}] if sellable + sold else []  # fmt: skip
    return {"ticket_type": tt, "name": name, "price_cents": price, "capacity": 800,
            "sellable": sellable, "sold_here": sold, "scanned": scanned,
            "leases": leases}  # fmt: skip


SESSION = {
    "session_id": "0194a1b2-0000-7000-8000-0000000000s1", "operator": "Ana",
    "opened_at_ms": T0 - 3_600_000, "float_cents": 10_000, "cash_in_drawer_cents": 28_000,
    "sales": 4, "voids": 1,
}  # fmt: skip

BOXOFFICE: JsonDoc = {
    "event": {"event_id": 1001, "name": "New Year Gala", "venue": "Riverside Hall",
              "status": "on_sale"},
    "currency": "EUR",
    "online": True,
    "session": SESSION,
    "cash_in_drawers_cents": 28_000,
    "ticket_types": [
        _type(0, "General admission", 4500, 12, 8, 512),
        _type(1, "VIP", 9500, 0, 4, 61),
        _type(2, "Student", 2500, 3, 2, 140),
    ],
}  # fmt: skip

QR_CODE = "GH1:V50:SUNBS000BM0K%BI1HZOA T79HQBV84B4H-1100000000000000PQGVLQ/.RSXFJ4J2$IOHK"


def _sale(n: int, method: str, qty: int, status: str = "completed") -> JsonDoc:
    payment: JsonDoc = {
        "cash": {"method": "cash", "tendered_cents": 10_000, "change_cents": 10_000 - qty * 4500},
        "terminal": {"method": "terminal", "brand": "visa", "last4": "4242",
                     "auth_ref": "A1B2C3", "terminal_id": "T-01"},
        "comp": {"method": "comp", "reason": "artist guest", "supervisor": "Sam"},
    }[method]  # fmt: skip
    return {
        "sale_id": f"0194a1b2-0000-7000-8000-0000000005{n:02d}", "order_id": f"DO-00000000{n:04d}",
        "status": status, "at_ms": T0 - (10 - n) * 60_000,
        "session_id": SESSION["session_id"], "operator": "Ana",
        "items": [{"ticket_type": 0, "name": "General admission", "quantity": qty,
                   "unit_cents": 4500}],
        "total_cents": 0 if method == "comp" else qty * 4500, "currency": "EUR",
        "payment": payment, "customer": None,
        "tickets": [{"ticket_id": f"{n:02d}{i:030x}", "ticket_type": 0,
                     "name": "General admission", "code": QR_CODE, "qr_svg": "<svg/>"}
                    for i in range(qty)],
        "delivery": {"kind": "screen", "printed": False, "email_queued": False},
        "void": None if status == "completed" else
        {"at_ms": T0 - 60_000, "reason": "wrong type", "refunded_cents": qty * 4500},
        "warnings": [],
    }  # fmt: skip


SALES = [_sale(4, "comp", 1), _sale(3, "terminal", 2), _sale(2, "cash", 1, "voided"),
         _sale(1, "cash", 2)]  # fmt: skip
RECEIPT = _sale(5, "cash", 2)


class ReplayAgent:
    """``AgentApi`` answering with the fixed documents above (no network), read into the
    TUI's typed documents exactly as the real client reads the agent's JSON."""

    url = URL

    def __init__(self, status: JsonDoc | None = None) -> None:
        self.token: str | None = None
        self._status = STATUS if status is None else status

    def set_token(self, token: str | None) -> None:
        self.token = token

    async def pair(self, code: str, name: str) -> Paired:
        doc = {"device_id": DEV_SAM, "role": "supervisor", "name": name, "token": "gh_x"}
        return Paired.from_json(doc)

    async def status(self) -> Status:
        return Status.from_json(copy.deepcopy(self._status))

    async def find_tickets(self, query: str) -> TicketsFound:
        return TicketsFound.from_json({"query": query, "tickets": TICKETS, "limit": 50})

    async def ticket(self, ticket_id: str) -> TicketDetail:
        return TicketDetail.from_json(TICKET_DETAIL)

    async def override(self, ticket_id: str, direction: str, reason: str) -> Verdict:
        raise NotImplementedError("snapshots do not override")

    async def evidence(self, ticket_id: str) -> EvidenceAnswer:
        raise NotImplementedError("snapshots do not fetch evidence packs")

    async def devices(self) -> Devices:
        return Devices.from_json(DEVICES)

    async def pairing_code(self, role: str, name: str) -> PairingCode:
        return PairingCode.from_json(dict(PAIRING_CODE, role=role, name=name))

    async def revoke_device(self, device_id: str) -> Revoked:
        raise NotImplementedError("snapshots do not revoke")

    async def lift_pairing_lockout(self) -> Pairing:
        raise NotImplementedError("snapshots do not lift lockouts")

    async def sync_now(self) -> SyncNowAnswer:
        return SyncNowAnswer.from_json({"completed": True, "sync": STATUS["sync"]})

    async def set_halt(self, halt: bool, reason: str) -> bool:
        raise NotImplementedError("snapshots do not halt the gate")

    async def conflicts(self) -> Conflicts:
        return Conflicts.from_json(CONFLICTS)

    async def boxoffice(self) -> Figures:
        return Figures.from_json(BOXOFFICE)

    async def open_session(self, operator: str, float_cents: int) -> Session:
        return Session.from_json(dict(SESSION, operator=operator, float_cents=float_cents))

    async def close_session(self, counted_cents: int) -> TillClosed:
        raise NotImplementedError("snapshots do not close the till")

    async def sell(self, body: JsonDoc) -> Sale:
        return Sale.from_json(RECEIPT)

    async def sales(self, limit: int = 20) -> Sales:
        return Sales.from_json({"sales": SALES[:limit]})

    async def void_sale(self, sale_id: str, reason: str) -> Sale:
        raise NotImplementedError("snapshots do not void")

    async def print_sale(self, sale_id: str) -> Printed:
        raise NotImplementedError("snapshots do not print")

    async def take_lease(self, ticket_type: int, count: int) -> LeaseTaken:
        raise NotImplementedError("snapshots do not lease")

    async def return_lease(self, lease_id: str) -> SeatsReturned:
        raise NotImplementedError("snapshots do not return leases")

    async def close(self) -> None:
        return None


def _festival_status() -> JsonDoc:
    """A festival night: three events, three zones (one full), flagged admits."""
    doc: JsonDoc = copy.deepcopy(STATUS)
    doc["event"] = {"event_id": 3001, "events": [
        {"event_id": 3001, "name": "Friday"}, {"event_id": 3002, "name": "Saturday"},
        {"event_id": 3003, "name": "Sunday"}]}  # fmt: skip
    doc["admissions"]["zones"] = [
        {"id": "field", "name": "Main field", "inside": 4210, "capacity": 0,
         "when_full": "refuse"},
        {"id": "tent", "name": "Dance tent", "inside": 800, "capacity": 800,
         "when_full": "refuse"},
        {"id": "vip", "name": "VIP deck", "inside": 61, "capacity": 120, "when_full": "warn"},
    ]  # fmt: skip
    recent = doc["scans"]["recent"]
    flagged = "Welcome — admit · CHECK ID · 18+ — check age · Name: Ada Lovelace"
    recent[0] |= {"check": True, "event_id": 3002, "zone": "vip", "message": flagged}
    recent[1] |= {"outcome": "refuse", "reason": "zone_full", "event_id": 3002,
                  "message": "Zone full (Dance tent)"}  # fmt: skip
    recent[2] |= {"reason": "wrong_day", "event_id": 3001, "message": "Day pass for Friday"}
    recent[3] |= {"event_id": 3002, "zone": "field"}
    recent[4] |= {"outcome": "admit", "reason": "moved", "event_id": 3002, "zone": "tent",
                  "message": "Welcome to Dance tent"}  # fmt: skip
    return doc


FESTIVAL_STATUS = _festival_status()
