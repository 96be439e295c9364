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


def _mesh(quorum: bool, lost: list[str], conflicts: int) -> dict[str, Any]:
    alerts = [] if quorum else [{"code": "no_quorum", "message": "No quorum: unconfirmed"}]
    alerts += [{"code": "member_lost", "message": f"Lost contact with box {n}"} for n in lost]
    if conflicts:
        alerts.append({"code": "conflict", "message": f"{conflicts} ticket(s) at two gates"})
    return {
        "mode": "clustered", "member": "box-a", "up": 3 - len(lost), "expected": 3,
        "quorum": quorum, "claims": {"confirmed": 9, "unconfirmed": 4, "unresolved": 2},
        "conflicts": conflicts, "alerts": alerts,
        "members": [
            {"name": n, "up": n not in lost, "self": n == "box-a", "api": f"http://{n}:8443"}
            for n in ("box-a", "box-b", "box-c")
        ],
    }  # fmt: skip


def test_the_mesh_line_and_its_alerts() -> None:
    from tui.screens.dashboard import mesh_line

    doc = healthy()
    doc["mesh"] = _mesh(quorum=False, lost=["box-c"], conflicts=1)
    status = Status.from_json(doc)
    assert status.mesh is not None
    assert status.mesh.apis == ["http://box-b:8443", "http://box-c:8443"]  # to fail over to
    assert mesh_line(status.mesh) == (
        "Mesh: 2/3 boxes · NO QUORUM — admissions UNCONFIRMED · lost box-c · "
        "unconfirmed 4 (2 to check) · conflicts 1"
    )
    assert lines(doc) == [
        "!! Mesh: No quorum: unconfirmed",
        " ! Mesh: Lost contact with box box-c",
        " ! Mesh: 1 ticket(s) at two gates",
    ]
    doc["mesh"] = _mesh(quorum=True, lost=[], conflicts=0)
    assert lines(doc) == []  # a healthy venue: no alert
    assert "quorum ·" in mesh_line(Status.from_json(doc).mesh)  # type: ignore[arg-type]


async def test_the_client_moves_to_another_box_when_its_own_stops_answering(
    aiohttp_server: Any,
) -> None:
    import socket

    from aiohttp import web

    from tui.client import HttpAgentClient

    app = web.Application()

    async def status(_request: web.Request) -> web.Response:
        return web.json_response(healthy())

    async def mesh(_request: web.Request) -> web.Response:
        return web.json_response({"self": "box-b", "quorum": True, "members": []})

    app.router.add_get("/api/v1/status", status)
    app.router.add_get("/api/v1/mesh", mesh)
    live = await aiohttp_server(app)
    with socket.socket() as s:  # a port nobody listens on: the box that died
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    client = HttpAgentClient(dead, "token", timeout_s=1.0)
    other = str(live.make_url("")).rstrip("/")
    client.members = [dead, other]
    try:
        await client.status()  # a read: answered by the other box
        assert client.url == other
    finally:
        await client.close()


def test_a_pairing_lockout_is_an_alert_to_act_on() -> None:
    doc = healthy()
    doc["pairing"] = {"locked": True, "locked_until": None, "blocked_addresses": 3}
    assert lines(doc) == ["!! PAIRING LOCKED after too many wrong codes: F3, u to lift"]
    doc["pairing"] = {"locked": False, "locked_until": None, "blocked_addresses": 2}
    assert lines(doc) == [" ! 2 address(es) blocked for wrong pairing codes"]
    doc["pairing"] = {"locked": False, "locked_until": None, "blocked_addresses": 0}
    assert lines(doc) == []


def test_a_plain_tcp_input_on_the_lan_is_a_warning() -> None:
    doc = healthy()
    lane = {"id": "lane-9", "inputs": [{"id": "tcp-1", "kind": "tcp", "connected": True,
                                        "warning": "plain TCP on a LAN address"}]}  # fmt: skip
    doc["lanes"].append(lane)
    assert lines(doc) == [" ! Lane lane-9: tcp tcp-1: plain TCP on a LAN address"]
