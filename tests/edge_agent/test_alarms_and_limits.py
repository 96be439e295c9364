"""The agent's alarm board and the open-files watch (issue 17): raised once, loud in the
log, cleared when the cause goes; open files warn well before the limit."""

from __future__ import annotations

import logging

import pytest

from edge_agent.alarms import LEDGER_NOT_RECORDING, OPEN_FILES, AlarmBoard
from edge_agent.runtime_limits import check_open_files, file_limit, open_files


def test_an_alarm_logs_when_raised_changed_and_cleared_not_on_every_repeat(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000]
    board = AlarmBoard(lambda: now[0])
    with caplog.at_level(logging.INFO, logger="edge_agent.alarms"):
        for _ in range(3):
            board.raise_alarm(LEDGER_NOT_RECORDING, "error", "disk full")
        now[0] = 2000
        board.raise_alarm(LEDGER_NOT_RECORDING, "error", "disk still full")
        board.raise_alarm("other", "warning", "w")
        assert [a.code for a in board.active()] == [LEDGER_NOT_RECORDING, "other"]
        assert board.active()[0].since_ms == 1000  # the same alarm, a new message
        board.clear(LEDGER_NOT_RECORDING)
        board.clear(LEDGER_NOT_RECORDING)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        ("ERROR", "ALARM ledger_not_recording: disk full"),
        ("ERROR", "ALARM ledger_not_recording: disk still full"),
        ("WARNING", "ALARM other: w"),
        ("INFO", "alarm cleared: ledger_not_recording"),
    ]
    assert LEDGER_NOT_RECORDING not in board and "other" in board


def test_open_files_warn_from_three_quarters_and_err_from_nine_tenths() -> None:
    board = AlarmBoard(lambda: 0)
    check_open_files(board, 700, 1024)
    assert OPEN_FILES not in board
    check_open_files(board, 800, 1024)
    (alarm,) = board.active()
    assert alarm.level == "warning" and "800+ of 1024 open files" in alarm.message
    check_open_files(board, 1000, 1024)
    assert board.active()[0].level == "error"
    check_open_files(board, 100, 1024)
    assert OPEN_FILES not in board


def test_the_process_counts_its_own_descriptors() -> None:
    used = open_files()
    assert used is not None and 3 <= used < file_limit()
