"""Start-up and operator checks of a ledger file: is it SQLite, is it intact, is it ours,
and does every row still hash to its stored chain value?

``check_ledger`` never raises for a bad file: whatever is wrong ends up in the report's
``problem`` and ``summary()``, written for the venue tech who has to act on it. It only
reads (a ``mode=ro`` connection), so checking never changes the evidence.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from edge_agent.errors import LedgerError
from edge_agent.ledger.box_office_tables import first_broken_sale
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.records import (
    SCAN_FIELDS,
    ScanRow,
    canonical_scan_bytes,
    genesis_chain,
    with_ext,
)

_MOVE_ASIDE = (
    "keep this file for investigation, move it aside (with its -wal and -shm files), "
    "and start with a new data dir"
)

# SQLite builds each row's canonical JSON itself (json_array); Python only splices in the
# extension (never parsed here: a damaged one must fail the chain, not the query) and
# hashes. A ledger not yet migrated to version 5 has no ``ext`` column: the check reads
# NULL in its place (the agent checks before the writer migrates). Any
# row whose SQLite JSON does not reproduce the stored chain is re-encoded with
# records.canonical_scan_bytes before it is called broken, so the verdict is always the
# contract's, and SQLite's encoder only ever speeds up the common case.
# Column names come from the SCAN_FIELDS constant, never from input.
_COLUMNS = ", ".join(SCAN_FIELDS)
# ``{ext}``: the extension column, or NULL before migration 5 (``_ext_column``).
_CHAIN_SQL = (
    f"SELECT seq, chain, CAST(json_array({_COLUMNS}) AS BLOB), {{ext}} FROM scans"  # noqa: S608
    " ORDER BY seq"
)
_ROW_SQL = f"SELECT {_COLUMNS}, {{ext}} FROM scans WHERE seq = ?"  # noqa: S608


def _ext_column(conn: sqlite3.Connection) -> str:
    """``ext``, or ``NULL`` for a ledger written before migration 5."""
    names = {row[1] for row in conn.execute("PRAGMA table_info(scans)")}
    return "ext" if "ext" in names else "NULL"


#: Copies of the platform's manifest, re-downloadable, left out of the start-up check
#: (they can hold millions of rows; ``edge-agent check`` still covers them).
MANIFEST_COPY_TABLES = frozenset(
    {"manifest_tickets", "plain_codes", "manifest_lookup", "pretix_positions", "pretix_checkins"}
)
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class LedgerReport:
    """What ``check_ledger`` found. ``checked_ms`` is how long the check took."""

    path: Path
    exists: bool
    integrity_ok: bool
    integrity_messages: tuple[str, ...]
    chain_ok: bool | None  # None: the chain was not verified (verify_chain=False)
    first_bad_seq: int | None
    problem: str | None
    rows: int
    head_seq: int
    head_chain: str | None
    agent_id: str | None
    checked_ms: float

    @property
    def ok(self) -> bool:
        return self.exists and self.integrity_ok and self.chain_ok is not False and not self.problem

    def summary(self) -> str:
        """A multi-line report for logs, ``edge-agent check`` and the status page."""
        head = f"head seq {self.head_seq}"
        if self.head_chain:
            head += f" chain {self.head_chain[:8]}…"
        if self.ok:
            verified = "" if self.chain_ok else " (chain not verified)"
            first = f"ledger OK: {self.rows:,} rows, {head}{verified}"
        elif not self.exists:
            first = f"ledger MISSING: {self.problem}"
        elif self.chain_ok is False and self.first_bad_seq is not None:
            first = f"ledger CHAIN BROKEN at seq {self.first_bad_seq}: {self.problem}"
        elif not self.integrity_ok:
            first = f"ledger DAMAGED: {self.problem}"
        else:
            first = f"ledger NOT USABLE: {self.problem}"
        lines = [first, f"  file: {self.path}"]
        if self.agent_id is not None:
            lines.append(f"  agent: {self.agent_id}")
        if self.exists and not self.ok and self.rows:
            lines.append(f"  rows: {self.rows:,}, {head}")
        for message in self.integrity_messages[:5]:
            if message != "ok":
                lines.append(f"  sqlite: {message}")
        if len(self.integrity_messages) > 5:
            lines.append(f"  … and {len(self.integrity_messages) - 5} more integrity messages")
        lines.append(f"  checked in {self.checked_ms:.0f} ms")
        return "\n".join(lines)


class _Found:
    """Mutable scratch for building the frozen report."""

    def __init__(self) -> None:
        self.integrity_ok = False
        self.integrity_messages: tuple[str, ...] = ()
        self.chain_ok: bool | None = None
        self.first_bad_seq: int | None = None
        self.problem: str | None = None
        self.rows = 0
        self.head_seq = 0
        self.head_chain: str | None = None
        self.agent_id: str | None = None


def check_ledger(
    path: Path,
    expected_agent_id: str | None = None,
    *,
    verify_chain: bool = True,
    full_integrity: bool = True,
) -> LedgerReport:
    """Run ``PRAGMA integrity_check`` and (unless ``verify_chain=False``) recompute the
    whole hash chain from genesis, detecting edited, swapped and deleted rows.

    ``full_integrity=False`` (agent start-up) checks every table and its indexes except
    the platform's manifest copies (``MANIFEST_COPY_TABLES``): with a 1,000,000-ticket
    manifest the whole-file check takes seconds (3.5 s on the dev VM) while the
    evidence tables take milliseconds, and start-up must stay under 2 s. ``edge-agent
    check`` keeps the whole-file check.
    """
    started = time.perf_counter()
    found = _Found()
    exists = path.exists()
    if not exists:
        found.problem = f"no ledger file at {path} (a new one is created at first start)"
    else:
        try:
            _check_file(path, expected_agent_id, verify_chain, full_integrity, found)
        except LedgerError as exc:
            found.problem = str(exc)
        except sqlite3.Error as exc:
            found.problem = _explain_sqlite(path, exc)
        except OSError as exc:
            found.problem = f"cannot read {path}: {exc}"
    return LedgerReport(
        path=path,
        exists=exists,
        integrity_ok=found.integrity_ok,
        integrity_messages=found.integrity_messages,
        chain_ok=found.chain_ok,
        first_bad_seq=found.first_bad_seq,
        problem=found.problem,
        rows=found.rows,
        head_seq=found.head_seq,
        head_chain=found.head_chain,
        agent_id=found.agent_id,
        checked_ms=(time.perf_counter() - started) * 1000.0,
    )


def _explain_sqlite(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text:
        return f"{path} is not an SQLite database ({text}); {_MOVE_ASIDE}"
    if "malformed" in text:
        return f"{path} is damaged ({text}), e.g. truncated or partly overwritten; {_MOVE_ASIDE}"
    return f"{path}: SQLite error {text!r} while checking it"


def _check_file(
    path: Path,
    expected_agent_id: str | None,
    verify_chain: bool,
    full_integrity: bool,
    found: _Found,
) -> None:
    conn = open_read_connection(path)
    try:
        messages = _integrity_messages(conn, full_integrity)
        found.integrity_messages = messages
        found.integrity_ok = messages == ("ok",)
        if not found.integrity_ok:
            found.problem = (
                f"SQLite integrity check found {len(messages)} problem(s) in {path}, "
                f"first: {messages[0] if messages else '?'}; {_MOVE_ASIDE}"
            )
            return
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        if not {"meta", "scans"} <= tables:
            found.problem = (
                f"{path} is an SQLite database but not a Gatehouse ledger (no meta/scans "
                "tables); point agent.data_dir at the right directory"
            )
            return
        found.agent_id = _meta_agent_id(conn)
        if found.agent_id is None:
            found.problem = f"{path} has no agent_id in its meta table; it was never fully set up"
            return
        if expected_agent_id is not None and found.agent_id != expected_agent_id:
            found.problem = (
                f"ledger belongs to agent {found.agent_id!r} but this agent is configured as "
                f"{expected_agent_id!r}; fix agent.agent_id in the config or point "
                "agent.data_dir at this agent's own directory"
            )
            return
        if verify_chain:
            _verify_chain(conn, found.agent_id, found)
            if found.chain_ok and "sales" in tables:
                broken = first_broken_sale(conn, found.agent_id)
                if broken is not None:
                    found.chain_ok = False
                    found.problem = (
                        f"box-office sales chain broken at sales seq {broken}: row altered"
                        f" or removed — {_MOVE_ASIDE}"
                    )
        else:
            count, last = conn.execute("SELECT count(*), max(seq) FROM scans").fetchone()
            found.rows, found.head_seq = int(count), int(last or 0)
            tail = conn.execute("SELECT chain FROM scans ORDER BY seq DESC LIMIT 1").fetchone()
            found.head_chain = str(tail[0]) if tail else genesis_chain(found.agent_id).hex()
    finally:
        conn.close()


def _integrity_messages(conn: sqlite3.Connection, full: bool) -> tuple[str, ...]:
    if full:
        return tuple(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
    names = [
        str(r[0])
        for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    ]
    problems: list[str] = []
    for name in names:
        if name in MANIFEST_COPY_TABLES or name.startswith("sqlite_"):
            continue
        if not _PLAIN_NAME.fullmatch(name):  # never build SQL from an odd name
            problems.append(f"unexpected table name {name!r}")
            continue
        for row in conn.execute(f"PRAGMA integrity_check({name})"):
            if row[0] != "ok":
                problems.append(str(row[0]))
    return tuple(problems) or ("ok",)


def _meta_agent_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'agent_id'").fetchone()
    return None if row is None else str(row[0])


def _verify_chain(conn: sqlite3.Connection, agent_id: str, found: _Found) -> None:
    """Recompute chain_n = SHA-256(chain_{n-1} || canonical bytes of row n) from genesis.

    Stops at the first row that is missing (a gap in seq) or does not reproduce its
    stored value; that seq is the first place the ledger differs from what was written.
    """
    sha256 = hashlib.sha256
    chain = genesis_chain(agent_id)
    expected_seq = 1
    for seq, stored, plain, ext in conn.execute(_CHAIN_SQL.format(ext=_ext_column(conn))):
        js = plain if ext is None else with_ext(plain, ext)
        if seq != expected_seq:  # ORDER BY an INTEGER PRIMARY KEY: only a gap is possible
            found.chain_ok = False
            found.first_bad_seq = expected_seq
            gone = (
                f"row {expected_seq}"
                if seq == expected_seq + 1
                else f"rows {expected_seq}–{seq - 1}"
            )
            found.problem = f"{gone} removed (gap in seq) — {_MOVE_ASIDE}"
            break
        digest = sha256(chain + js).digest()
        if digest.hex() != stored:
            digest = sha256(chain + _exact_canonical(conn, seq)).digest()
            if digest.hex() != stored:
                found.chain_ok = False
                found.first_bad_seq = seq
                found.problem = f"row altered or removed — {_MOVE_ASIDE}"
                break
        chain = digest
        expected_seq += 1
    else:
        found.chain_ok = True
    total, last = conn.execute("SELECT count(*), max(seq) FROM scans").fetchone()
    found.rows = int(total)
    found.head_seq = int(last or 0)
    if found.chain_ok:
        found.head_chain = chain.hex()
    else:
        tail = conn.execute("SELECT chain FROM scans ORDER BY seq DESC LIMIT 1").fetchone()
        found.head_chain = str(tail[0]) if tail else None


def _exact_canonical(conn: sqlite3.Connection, seq: int) -> bytes:
    """``records.canonical_scan_bytes`` of row ``seq`` as it is stored now."""
    values = conn.execute(_ROW_SQL.format(ext=_ext_column(conn)), (seq,)).fetchone()
    row = ScanRow(values[1], *values[3:])  # the SCAN_FIELDS values, then ext
    return canonical_scan_bytes(int(values[0]), str(values[2]), row)
