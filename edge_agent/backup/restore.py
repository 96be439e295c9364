"""``restore_backup``: put a backup in place on this box, only once it checks out.

Before anything moves: the backup's manifest names this agent, the ledger file's
SHA-256 matches, ``check_ledger`` passes on the copy (integrity, the scans chain and
the sales chain) and its heads are the ones the manifest recorded. Only then, with the
data dir locked (no agent may run), the ledger goes in by an atomic rename; a ledger
already there is moved aside, never deleted. The restored file keeps every ``seq`` and
chain value, so the agent's next scan is the next ``seq`` and the platform, which
holds an upload cursor per stream, sees no gap.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_agent.backup.sealed import unseal
from edge_agent.backup.take import (
    KIND,
    LEDGER,
    MANIFEST,
    SECRET_AGENT_KEY,
    SECRET_TOKEN,
    SECRETS,
    BackupError,
    _fsync_dir,
    _sha256,
)
from edge_agent.config.sections import Config
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.lock import DataDirLock


@dataclass
class RestoreResult:
    head_seq: int
    sales_head_seq: int
    #: Where a ledger that was in the data dir went (None: there was none).
    moved_aside: Path | None = None
    #: Secrets written (agent.key, agent.token, tls/…); what was skipped and why.
    secrets_written: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_manifest(backup: Path) -> dict[str, Any]:
    try:
        doc = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{backup} is not a backup (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{backup / MANIFEST} is unreadable: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise BackupError(f"{backup / MANIFEST} is not a {KIND} manifest")
    return doc


def verify_backup(config: Config, backup: Path) -> dict[str, Any]:
    """Every check restore makes before it touches the box; returns the manifest."""
    manifest = read_manifest(backup)
    agent_id = config.agent.agent_id
    if manifest["agent_id"] != agent_id:
        raise BackupError(
            f"this backup is of agent {manifest['agent_id']!r} but the config says {agent_id!r}:"
            " a ledger belongs to one agent for life — set agent.agent_id to the backup's"
        )
    ledger = backup / LEDGER
    if not ledger.is_file() or _sha256(ledger) != manifest["ledger_sha256"]:
        raise BackupError(f"{ledger} is missing or not the file the backup recorded (SHA-256)")
    report = check_ledger(ledger, agent_id)
    if not report.ok:
        raise BackupError(f"the backup's ledger fails its check: {report.summary()}")
    if (report.head_seq, report.head_chain) != (
        manifest["scans"]["head_seq"],
        manifest["scans"]["head_chain"],
    ):
        raise BackupError("the backup's ledger head is not the one its manifest recorded")
    return manifest


def restore_backup(
    config: Config, backup: Path, now_ms: int, *, passphrase: str | None = None, force: bool = False
) -> RestoreResult:
    manifest = verify_backup(config, backup)
    data_dir = config.agent.data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = DataDirLock(data_dir)
    lock.acquire()  # refuses while an agent runs on this data dir
    try:
        result = RestoreResult(manifest["scans"]["head_seq"], manifest["sales"]["head_seq"])
        target = config.ledger_path
        if target.exists() and not force:
            raise BackupError(
                f"{target} exists: this box already has a ledger. Add --force to move it aside"
                " (it is kept, never deleted) and restore the backup in its place"
            )
        staging = target.with_name(LEDGER + ".restoring")
        shutil.copyfile(backup / LEDGER, staging)
        fd = os.open(staging, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if target.exists():
            result.moved_aside = _move_aside(target, now_ms)
        staging.rename(target)
        _fsync_dir(data_dir)
        if (backup / SECRETS).exists():
            _restore_secrets(config, backup, passphrase, force, result)
    finally:
        lock.release()
    return result


def _move_aside(target: Path, now_ms: int) -> Path:
    stamp = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = target.parent / f"replaced-{stamp}"
    aside.mkdir(mode=0o700)
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{target}{suffix}")
        if path.exists():
            path.rename(aside / path.name)
    return aside


def _restore_secrets(
    config: Config, backup: Path, passphrase: str | None, force: bool, result: RestoreResult
) -> None:
    if passphrase is None:
        result.notes.append("secrets not restored: give the backup's passphrase to restore them")
        return
    files = unseal((backup / SECRETS).read_bytes(), passphrase)
    targets: dict[str, Path] = {SECRET_AGENT_KEY: config.agent_key_path}
    if config.sync.enabled:
        targets[SECRET_TOKEN] = config.sync_token_path
    for name in files:
        if name.startswith("tls/"):
            targets[name] = config.tls_dir / name.removeprefix("tls/")
    for name, path in targets.items():
        if name not in files:
            continue
        if path.exists() and path.read_bytes() != files[name] and not force:
            result.notes.append(f"{path} exists and differs: kept (add --force to replace it)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(files[name])
        os.chmod(path, 0o600)
        result.secrets_written.append(str(path))
