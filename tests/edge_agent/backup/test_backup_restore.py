"""Backups taken while the writer commits, sealed secrets, restore's checks before it
moves anything, and scheduled backups to a "USB stick"."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from demo.event import DemoEvent
from edge_agent.backup.restore import restore_backup, verify_backup
from edge_agent.backup.schedule import BackupSchedule
from edge_agent.backup.sealed import SealError, seal, unseal
from edge_agent.backup.take import BackupError, _sha256, take_backup
from edge_agent.config.key_files import load_or_create_agent_key
from edge_agent.config.loading import load_config
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.runtime import wall_clock_ms
from tests.agent_process import cli
from tests.helpers import scan_row

pytestmark = pytest.mark.integration

PASSPHRASE = "correct horse battery staple"


def test_sealed_secrets_need_the_passphrase_and_refuse_edits() -> None:
    blob = seal({"agent.key": b"k" * 40, "agent.token": b"gh_t\n"}, PASSPHRASE)
    assert b"gh_t" not in blob and b"kkkk" not in blob
    assert unseal(blob, PASSPHRASE) == {"agent.key": b"k" * 40, "agent.token": b"gh_t\n"}
    with pytest.raises(SealError, match="wrong passphrase"):
        unseal(blob, PASSPHRASE + "!")
    doc = json.loads(blob)
    doc["header"]["kdf"]["n"] = 2**14  # a weaker KDF slipped into the header
    with pytest.raises(SealError):
        unseal(json.dumps(doc).encode(), PASSPHRASE)
    with pytest.raises(SealError, match="at least 12"):
        seal({}, "short")


async def test_a_backup_taken_while_scans_commit_restores_with_the_same_chain(
    event: DemoEvent, tmp_path: Path
) -> None:
    config = event.config
    load_or_create_agent_key(config.agent_key_path)  # as the agent's first start does
    writer = await LedgerWriter.open(config.ledger_path, config.agent.agent_id)
    try:
        for i in range(50):
            await writer.submit_scan(scan_row(i))
        pending = [writer.submit_scan(scan_row(100 + i)) for i in range(200)]
        done = await asyncio.to_thread(
            take_backup, config, tmp_path / "usb", wall_clock_ms(), passphrase=PASSPHRASE
        )
        await asyncio.gather(*pending)
        assert writer.head_seq == 250
    finally:
        await writer.close()
    assert 50 <= done.head_seq <= 250  # a consistent snapshot somewhere in the stream
    manifest = json.loads((done.path / "backup.json").read_text())
    assert manifest["secrets"] is True and manifest["scans"]["head_seq"] == done.head_seq
    assert (done.path / "config.toml").is_file() and (done.path / "keyring.json").is_file()
    assert b"private_key" not in (done.path / "secrets.sealed").read_bytes()

    # a new box: the same config, an empty data dir
    box = tmp_path / "new-box"
    box.mkdir()
    text = (done.path / "config.toml").read_text()
    (box / "config.toml").write_text(text.replace(str(config.agent.data_dir), str(box / "data")))
    (box / "keyring.json").write_bytes((done.path / "keyring.json").read_bytes())
    new = load_config(box / "config.toml")
    restored = restore_backup(new, done.path, wall_clock_ms(), passphrase=PASSPHRASE)
    assert restored.head_seq == done.head_seq
    assert str(new.agent_key_path) in restored.secrets_written
    assert new.agent_key_path.read_bytes() == config.agent_key_path.read_bytes()
    assert new.agent_key_path.stat().st_mode & 0o077 == 0
    writer = await LedgerWriter.open(new.ledger_path, new.agent.agent_id)
    try:
        assert (await writer.submit_scan(scan_row(999))).seq == done.head_seq + 1
    finally:
        await writer.close()
    assert check_ledger(new.ledger_path, new.agent.agent_id).ok


async def test_restore_checks_everything_before_it_moves_anything(
    event: DemoEvent, tmp_path: Path
) -> None:
    config = event.config
    writer = await LedgerWriter.open(config.ledger_path, config.agent.agent_id)
    for i in range(5):
        await writer.submit_scan(scan_row(i))
    await writer.close()
    done = take_backup(config, tmp_path / "usb", wall_clock_ms())
    with pytest.raises(BackupError, match="already has a ledger"):
        restore_backup(config, done.path, wall_clock_ms())

    # an edit of the copy: the recorded SHA-256 no longer matches
    copy = done.path / "ledger.sqlite3"
    raw = sqlite3.connect(copy)
    raw.execute("DROP TRIGGER scans_no_update")
    raw.execute("UPDATE scans SET outcome = 'refuse' WHERE seq = 3")
    raw.commit()
    raw.close()
    with pytest.raises(BackupError, match="SHA-256"):
        verify_backup(config, done.path)
    # ... and with the manifest "fixed" to match, the chain check catches it
    manifest = json.loads((done.path / "backup.json").read_text())
    manifest["ledger_sha256"] = _sha256(copy)
    (done.path / "backup.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="CHAIN BROKEN at seq 3"):
        restore_backup(config, done.path, wall_clock_ms(), force=True)
    assert check_ledger(config.ledger_path, config.agent.agent_id).head_seq == 5  # untouched


async def test_restore_with_force_keeps_the_old_ledger_and_the_cli_says_so(
    event: DemoEvent, tmp_path: Path
) -> None:
    config = event.config
    writer = await LedgerWriter.open(config.ledger_path, config.agent.agent_id)
    for i in range(3):
        await writer.submit_scan(scan_row(i))
    await writer.close()
    out = await asyncio.to_thread(
        cli, "backup", "--config", str(event.config_path), "--out", str(tmp_path / "usb")
    )
    assert out.returncode == 0, out.stderr
    (backup,) = (tmp_path / "usb").iterdir()
    out = await asyncio.to_thread(
        cli, "restore", "--config", str(event.config_path), "--from", str(backup), "--force"
    )
    assert out.returncode == 0, out.stderr
    assert "the next scan is seq 4" in out.stdout
    aside = [p for p in config.agent.data_dir.iterdir() if p.name.startswith("replaced-")]
    assert len(aside) == 1 and (aside[0] / "ledger.sqlite3").is_file()


async def test_scheduled_backups_go_to_the_stick_only_and_keep_the_newest(
    event: DemoEvent, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    text = event.config_path.read_text() + f'\n[backup]\ndir = "{stick}"\nkeep = 2\n'
    event.config_path.write_text(text)
    writer = await LedgerWriter.open(event.config.ledger_path, event.config.agent.agent_id)
    await writer.submit_scan(scan_row(1))
    await writer.close()
    config = load_config(event.config_path)
    refused = BackupSchedule(config, wall_clock_ms)
    assert await refused.run_once() is None  # same disk as the data dir: no stick mounted
    assert refused.last_error is not None and "not mounted" in refused.last_error

    event.config_path.write_text(text + "same_disk_ok = true\n")
    config = load_config(event.config_path)
    now = [1_800_000_000_000]
    schedule = BackupSchedule(config, lambda: now[0])
    for _ in range(3):
        assert await schedule.run_once() is not None
        now[0] += 60_000
    kept = sorted(p.name for p in stick.iterdir())
    assert len(kept) == 2 and kept[0].endswith("T080100Z")
    assert schedule.last_success_ms is not None and schedule.last_error is None
