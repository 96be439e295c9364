"""What the mesh's integration tests share: scanning at a box, reading its ledger."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo.mesh_venue import Box, MeshVenue, http_json


def scan(box: Box, token: str, code: str, direction: str = "in") -> dict[str, Any]:
    doc: dict[str, Any] = http_json(
        f"{box.url}/api/v1/scans", {"code": code, "direction": direction}, token
    )
    return doc


def scan_at(box: Box, token: str, code: str, lane: str) -> dict[str, Any]:
    """A scan on one of the box's lanes (a lane may enter a zone: docs/gate.md)."""
    doc: dict[str, Any] = http_json(f"{box.url}/api/v1/scans", {"code": code, "lane": lane}, token)
    return doc


def ledger_rows(path: Path, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


def admits_by_ticket(boxes: list[Box]) -> dict[str, int]:
    """First admissions (reason ``admitted``) per ticket, over every box's ledger."""
    counts: dict[str, int] = {}
    for box in boxes:
        for (ticket,) in ledger_rows(
            box.ledger, "SELECT ticket_id FROM scans WHERE reason = 'admitted'"
        ):
            counts[ticket] = counts.get(ticket, 0) + 1
    return counts


def wait_for(probe: Callable[[], Any], what: str, within_s: float = 20.0) -> Any:
    deadline = time.monotonic() + within_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within_s} s")
        time.sleep(0.05)


def inside_now(box: Box) -> int:
    """Tickets inside by this box's admission index (its own claims and the watcher's)."""
    return int(box.control("GET", "/control/status")["admissions"]["inside_now"])


def wait_inside(boxes: list[Box], counts: dict[str, int], what: str) -> None:
    """Until each box's index counts ``counts[box.name]`` tickets inside: the claims made
    at one box have reached the others (a person walking between gates takes longer)."""
    for box in boxes:
        want = counts[box.name]
        wait_for(lambda b=box, n=want: inside_now(b) == n, f"{what} at {box.name}")


def paired_everywhere(venue: MeshVenue, box: Box | None = None) -> str:
    """A scanner token paired at ``box`` (the first by default), once every member
    knows it (the pairing travels as a venue event, in milliseconds)."""
    token = venue.pair(box or venue.boxes[0])
    for member in venue.boxes:
        wait_for(
            lambda m=member: "self" in http_json(f"{m.url}/api/v1/mesh", token=token),
            f"the pairing reaching {member.name}",
        )
    return token
