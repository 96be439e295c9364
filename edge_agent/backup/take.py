"""``take_backup``: a consistent copy of a box, made while its agent runs.

The ledger is copied with SQLite's online backup API from a read-only connection in one
step: that is one read transaction, a single snapshot of every table, and in WAL mode
it never blocks the writer. The copy is checked (integrity, both chains) before the
backup is called complete; a backup is written under ``<name>.partial`` and renamed
when whole, so a pulled USB stick never leaves something that looks finished.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from edge_agent import __version__
from edge_agent.backup.sealed import seal
from edge_agent.config.sections import Config
from edge_agent.errors import GatehouseError
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.schema import SCHEMA_VERSION
from edge_agent.ledger.wal_guard import mark_copy_closed

KIND = "gatehouse-backup-v1"
MANIFEST = "backup.json"
LEDGER = "ledger.sqlite3"
SECRETS = "secrets.sealed"
#: The box's own secrets: what a new box needs to *be* this agent.
SECRET_AGENT_KEY = "agent.key"  # noqa: S105 (a file name in the sealed set)
SECRET_TOKEN = "agent.token"  # noqa: S105 (a file name in the sealed set)


class BackupError(GatehouseError):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    head_seq: int
    sales_head_seq: int
    secrets: bool


def backup_name(agent_id: str, now_ms: int) -> str:
    stamp = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"gatehouse-{agent_id}-{stamp}"


def take_backup(
    config: Config, out_dir: Path, now_ms: int, *, passphrase: str | None = None
) -> BackupResult:
    """Write ``out_dir/gatehouse-<agent>-<UTC time>/``; secrets only with ``passphrase``."""
    if not config.ledger_path.exists():
        raise BackupError(f"nothing to back up: no ledger at {config.ledger_path} yet")
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / backup_name(config.agent.agent_id, now_ms)
    if final.exists():
        raise BackupError(f"{final} exists already")
    work = final.with_name(final.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    try:
        ledger = work / LEDGER
        _copy_ledger(config.ledger_path, ledger)
        report = check_ledger(ledger, config.agent.agent_id)
        if not report.ok:
            raise BackupError(f"the copy does not check out: {report.summary().splitlines()[0]}")
        sales_head = _sales_head(ledger)
        for source, name in (
            (config.source, "config.toml"),
            (config.event.keyring, "keyring.json"),
        ):
            if source.is_file():
                shutil.copyfile(source, work / name)
        secrets = passphrase is not None
        if passphrase is not None:
            (work / SECRETS).write_bytes(seal(_secret_files(config), passphrase))
        manifest = {
            "kind": KIND,
            "agent_id": config.agent.agent_id,
            "event_id": config.event.event_id,
            "created_at_ms": now_ms,
            "created_at_utc": dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).isoformat(),
            "software_version": __version__,
            "schema_version": SCHEMA_VERSION,
            "scans": {"head_seq": report.head_seq, "head_chain": report.head_chain},
            "sales": {"head_seq": sales_head[0], "head_chain": sales_head[1]},
            "ledger_sha256": _sha256(ledger),
            "ledger_bytes": ledger.stat().st_size,
            "secrets": secrets,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _fsync_tree(work)
        work.rename(final)
        _fsync_dir(out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupResult(final, report.head_seq, sales_head[0], secrets)


def _copy_ledger(source: Path, target: Path) -> None:
    src = open_read_connection(source, check_same_thread=False)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step: one read transaction, one snapshot
    except sqlite3.Error as exc:
        raise BackupError(f"copying {source} failed: {exc}") from None
    finally:
        dst.close()
        src.close()
    mark_copy_closed(target)


def _sales_head(ledger: Path) -> tuple[int, str | None]:
    conn = open_read_connection(ledger)
    try:
        row = conn.execute("SELECT seq, chain FROM sales ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return (0, None) if row is None else (int(row[0]), str(row[1]))


def _secret_files(config: Config) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if config.agent_key_path.is_file():
        files[SECRET_AGENT_KEY] = config.agent_key_path.read_bytes()
    if config.sync.enabled and config.sync_token_path.is_file():
        files[SECRET_TOKEN] = config.sync_token_path.read_bytes()
    tls = config.tls_dir
    if tls.is_dir():  # the venue CA and certificates (edge_agent/tls), when there are any
        for path in sorted(tls.iterdir()):
            if path.is_file():
                files[f"tls/{path.name}"] = path.read_bytes()
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_tree(directory: Path) -> None:
    for path in directory.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
