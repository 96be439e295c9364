"""The TUI's pure parts: alerts from a status document, verdict words, ages, the QR
text, and the 0600 token file."""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import segno

from tests.tui.replay import STATUS
from tui.alerts import alerts_from_status
from tui.documents.status import Status
from tui.errors import TokenFileError
from tui.formatting import age_text, size_text, verdict_label
from tui.qr import pairing_url, qr_lines
from tui.token_store import StoredToken, default_token_path, read_token, write_token


def healthy() -> dict[str, Any]:
    doc = copy.deepcopy(STATUS)
    doc["lanes"][1]["inputs"][0].update(connected=True, errors=0, last_error=None)
    doc["sync"]["clock"]["offset_ms"] = 40
    return doc


def lines(doc: dict[str, Any]) -> list[str]:
    return [a.line for a in alerts_from_status(Status.from_json(doc))]


def test_a_healthy_agent_has_no_alerts() -> None:
    assert lines(healthy()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["lanes"][0]["inputs"][0].update(connected=False, last_error="EIO"),
         "!! Lane lane-1: input wedge-1 unplugged (EIO)"),
        (lambda d: d["lanes"][0]["outputs"][0].update(errors=2, last_error="pin busy"),
         " ! Lane lane-1: output lights-1: 2 errors, last: pin busy"),
        (lambda d: d["sync"]["clock"].update(offset_ms=-5000),
         " ! Clock off by -5.0 s from the platform"),
        (lambda d: d["disk"].update(data_dir_free_bytes=300_000_000),
         "!! Disk space low: 300.0 MB free in the data dir"),
        (lambda d: d["scans"].update(not_recorded=2),
         "!! 2 scans NOT RECORDED (ledger write failed)"),
        (lambda d: d["ledger"].update(start_check="ledger CHAIN BROKEN at seq 7: x\nmore"),
         "!! Ledger check: ledger CHAIN BROKEN at seq 7: x"),
        (lambda d: d["sync"]["outbox"]["scans"].update(halted="chain_mismatch"),
         "!! Upload of scans halted: chain_mismatch"),
        (lambda d: d["sync"].update(failures_in_a_row=4, last_error="timeout"),
         "!! Sync failing (4 in a row): timeout"),
        (lambda d: d["sync"]["manifest"].update(age_s=7300.0),
         " ! Manifest 2.0 h old"),
        (lambda d: d["sync"]["manifest"].update(age_s=None),
         " ! No manifest from the platform yet"),
        # the agent's own alarms (issue 17): its words, a failing ledger as NOW
        (lambda d: d["alarms"].append({"code": "admissions_halted", "level": "warning",
                                       "message": "admissions stopped by Sam: crush"}),
         " ! admissions stopped by Sam: crush"),
        (lambda d: d.update(alarms=[{"code": "ledger_not_recording", "level": "error",
                                     "message": "1 scan(s) NOT recorded — disk full"}]),
         "!! LEDGER NOT RECORDING NOW: 1 scan(s) NOT recorded — disk full"),
    ],
)  # fmt: skip
def test_each_alert(change: Any, expected: str) -> None:
    doc = healthy()
    change(doc)
    assert lines(doc) == [expected]


def test_errors_come_first_and_sync_off_is_not_an_alert() -> None:
    doc = healthy()
    doc["sync"]["clock"]["offset_ms"] = 9000
    doc["scans"]["not_recorded"] = 1
    assert [a.level for a in alerts_from_status(Status.from_json(doc))] == ["error", "warning"]
    assert lines({"sync": {"enabled": False, "event": None}}) == []


def test_verdicts_read_without_colour() -> None:
    assert [verdict_label(o) for o in ("admit", "refuse", "exit")] == [
        "✔ ADMIT", "✘ REFUSE", "↩ EXIT",
    ]  # fmt: skip
    assert (age_text(None), age_text(5), age_text(600), age_text(9000)) == (
        "never", "5 s", "10 min", "2.5 h",
    )  # fmt: skip
    assert size_text(12_400_000_000) == "12.4 GB"


def test_the_qr_text_decodes_to_the_pairing_url() -> None:
    url = pairing_url("http://10.0.0.5:8443/", "ABCD-EFGH")
    assert url == "http://10.0.0.5:8443/api/v1/pair?code=ABCD-EFGH"
    rows = qr_lines(url)
    # undo the half blocks and compare module by module with segno's own matrix
    top = {" ": (0, 0), "▀": (1, 0), "▄": (0, 1), "█": (1, 1)}
    modules = []
    for line in rows:
        modules.append([top[c][0] for c in line])
        modules.append([top[c][1] for c in line])
    expected = [list(map(int, r)) for r in segno.make(url, error="l").matrix_iter(border=2)]
    assert modules[: len(expected)] == expected
    assert len(rows) <= 18  # fits a 24-line terminal with the code above it


def test_token_file_is_0600_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "gatehouse" / "tui-token.json"
    stored = StoredToken("http://127.0.0.1:8443", "gh_secret", "dev-1", "Sam", "supervisor")
    assert read_token(path) is None
    write_token(path, stored)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert read_token(path) == stored
    path.write_text("{not json")
    with pytest.raises(TokenFileError, match="cannot read the token file"):
        read_token(path)
    assert default_token_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/gatehouse/tui-token.json")
    assert default_token_path({"HOME": "/home/a"}) == Path(
        "/home/a/.config/gatehouse/tui-token.json"
    )
