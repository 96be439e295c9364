"""Each hardening scenario, light (the heavy run is ``make hardening``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.hardening import (
    clock_faults,
    corruption,
    disk_full,
    fuzz,
    halts,
    kill_loop,
    open_files,
    power_loss,
    secrets_scan,
    systemd_security,
    writer_block,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_sigkill_loop_keeps_every_answered_scan(tmp_path: Path) -> None:
    outcome = await kill_loop.run(tmp_path, heavy=False)
    assert outcome.ok, outcome.figures


async def test_a_halt_survives_a_kill(tmp_path: Path) -> None:
    outcome = await halts.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)


async def test_damaged_ledgers_are_refused_by_name_and_left_alone(tmp_path: Path) -> None:
    outcome = await corruption.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
async def test_the_unit_keeps_a_low_exposure(tmp_path: Path) -> None:
    outcome = await systemd_security.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs: needs root (CI is root)")
async def test_a_full_disk_refuses_loudly_and_recovers(tmp_path: Path) -> None:
    outcome = await disk_full.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)


async def test_a_wrong_clock_judges_no_ticket_wrongly_and_is_flagged(tmp_path: Path) -> None:
    outcome = await clock_faults.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)


async def test_power_loss_in_a_migration_or_a_page_commit_recovers(tmp_path: Path) -> None:
    outcome = await power_loss.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)


async def test_open_files_warn_before_the_limit_and_scans_go_on(tmp_path: Path) -> None:
    outcome = await open_files.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)


async def test_a_fuzz_of_every_route_finds_no_500(tmp_path: Path) -> None:
    outcome = await fuzz.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)


async def test_no_secret_is_left_in_logs_ledger_or_platform(tmp_path: Path) -> None:
    outcome = await secrets_scan.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)


async def test_a_first_load_never_holds_the_writer_long(tmp_path: Path) -> None:
    outcome = await writer_block.run(tmp_path, heavy=False)
    assert outcome.ok, (outcome.figures, outcome.notes)
