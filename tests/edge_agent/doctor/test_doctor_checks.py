"""The doctor's parts on values: clock sources' outputs, the exit code, the thresholds,
and a whole run against a demo event's files with the agent stopped."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from demo.event import DemoEvent
from edge_agent.config.mesh_section import MeshSection
from edge_agent.doctor.box_checks import clock_check, platform_offset_check, tls_check
from edge_agent.doctor.clock import ClockProbe, parse_chrony_tracking, parse_timedatectl
from edge_agent.doctor.link_checks import mesh_check
from edge_agent.doctor.outcome import Check, Status, exit_code, failed, passed, warned
from edge_agent.doctor.runner import run_doctor
from edge_agent.tls.venue_ca import issue_cert, load_or_create_venue_ca
from scanner.inputs.fake_evdev import FakeEvdevBus, FakeEvdevDevice

CHRONY = """Reference ID    : C0A80001 (192.168.0.1)
Stratum         : 3
System time     : 0.000012345 seconds slow of NTP time
Leap status     : Normal
"""
SYNCED = ClockProbe("chrony", True, 0.0001)


def test_clock_sources_are_read_from_their_own_words() -> None:
    probe = parse_chrony_tracking(CHRONY)
    assert (probe.source, probe.synchronised) == ("chrony", True)
    assert probe.offset_s == pytest.approx(-0.000012345)
    unsynced = parse_chrony_tracking(CHRONY.replace("Normal", "Not synchronised"))
    assert unsynced.synchronised is False
    assert parse_timedatectl("NTP=yes\nNTPSynchronized=no\n").synchronised is False
    assert parse_timedatectl("NTPSynchronized=yes\n").synchronised is True
    assert parse_timedatectl("Timezone=UTC\n").synchronised is None


def test_exit_code_is_the_worst_status() -> None:
    ok, warn, bad = passed("a", "x"), warned("b", "y", "do"), failed("c", "z", "do")
    assert exit_code([ok]) == 0
    assert exit_code([ok, warn]) == 1
    assert exit_code([warn, bad, ok]) == 2
    assert bad.as_json() == {"name": "c", "status": "fail", "detail": "z", "fix": "do"}


def test_clock_lines_say_by_how_much(event: DemoEvent) -> None:
    assert clock_check(SYNCED).status == Status.PASS
    assert "off by up to 0 ms" in clock_check(SYNCED).detail
    assert clock_check(ClockProbe("adjtimex", False)).status == Status.WARN
    assert clock_check(ClockProbe("", None)).fix
    cfg = event.config
    grace_ms = cfg.policy.clock_skew_grace_s * 1000
    assert platform_offset_check(cfg, 150, "now").status == Status.PASS
    assert platform_offset_check(cfg, -3_000, "now").status == Status.WARN
    late = platform_offset_check(cfg, grace_ms + 1, "now")
    assert late.status == Status.FAIL and "+" in late.detail and late.fix


def test_tls_certificates_are_checked_for_expiry(event: DemoEvent) -> None:
    now = dt.datetime.now(dt.UTC)
    cfg = event.config
    assert tls_check(cfg, now).status == Status.PASS  # none yet (issue 17 makes them)
    tls = cfg.agent.data_dir / "tls"
    ca = load_or_create_venue_ca(tls, "Riverside Hall", now)
    assert tls_check(cfg, now).status == Status.PASS
    assert "expires" in tls_check(cfg, now).detail
    for age_days, status in ((390, Status.WARN), (400, Status.FAIL)):  # valid 397 days
        leaf = issue_cert(
            ca, "gate-box-1", ip_addresses=["127.0.0.1"], now=now - dt.timedelta(days=age_days)
        )
        (tls / "server.crt").write_bytes(leaf.cert_pem)
        stale = tls_check(cfg, now)
        assert stale.status == status and "server.crt" in stale.detail and stale.fix


def _json_run(event: DemoEvent, **kwargs: object) -> tuple[int, dict[str, Check]]:
    checks = run_doctor(event.config_path, clock=SYNCED, **kwargs)  # type: ignore[arg-type]
    return exit_code(checks), {c.name: c for c in checks}


def test_a_demo_box_with_its_agent_stopped(event: DemoEvent) -> None:
    code, checks = _json_run(event)
    assert checks["agent running"].status == Status.WARN
    assert "systemctl start gatehouse" in checks["agent running"].fix
    assert checks["ledger integrity"].status == Status.PASS
    assert checks["mesh members and quorum"].detail.startswith("mesh: not configured")
    assert all(c.status != Status.FAIL for c in checks.values()), checks
    assert code == 1


def test_a_broken_config_or_keyring_means_must_fix(event: DemoEvent, tmp_path: Path) -> None:
    event.config.event.keyring.write_text('{"keys": []}\n')
    code, checks = _json_run(event)
    assert code == 2 and checks["keyring and certificate expiry"].status == Status.FAIL
    bad = tmp_path / "bad.toml"
    bad.write_text(event.config_path.read_text() + "\n[gate]\nnmae = 'typo'\n")
    checks_list = run_doctor(bad, clock=SYNCED)
    assert exit_code(checks_list) == 2
    assert [c.name for c in checks_list] == ["config"]
    assert json.dumps([c.as_json() for c in checks_list])


def test_each_configured_scanner_is_looked_for(event: DemoEvent) -> None:
    text = event.config_path.read_text()
    event.config_path.write_text(
        text
        + """
[[lanes]]
id = "lane-9"
[[lanes.inputs]]
id = "usb-9"
type = "evdev"
name = "honeywell"
[[lanes.inputs]]
id = "acm-9"
type = "serial"
port = "/dev/serial/by-id/not-plugged-in"
"""
    )
    bus = FakeEvdevBus()
    _, checks = _json_run(event, evdev=bus)
    assert checks["scanner usb-9 (evdev, lane lane-9)"].status == Status.FAIL
    assert checks["scanner acm-9 (serial, lane lane-9)"].status == Status.FAIL
    bus.plug(FakeEvdevDevice("/dev/input/event7", "Honeywell Imaging 1900"))
    _, checks = _json_run(event, evdev=bus)
    found = checks["scanner usb-9 (evdev, lane lane-9)"]
    assert found.status == Status.PASS and "/dev/input/event7" in found.detail


def _member(name: str, up: bool) -> dict[str, object]:
    return {"name": name, "up": up}


def test_the_mesh_check_reads_the_mesh_status_members_up_and_quorum(event: DemoEvent) -> None:
    cfg = replace(event.config, mesh=MeshSection(enabled=True))
    assert mesh_check(cfg, None).status == Status.WARN  # agent stopped: quorum unknown
    three = [_member("a", True), _member("b", True), _member("c", True)]
    whole = {"mode": "clustered", "members": three, "up": 3, "expected": 3, "quorum": True}
    check = mesh_check(cfg, {"mesh": whole})
    assert (check.status, check.detail) == (Status.PASS, "3 member(s) up of 3, quorum")
    lost = {**whole, "members": [*three[:2], _member("c", False)], "up": 2}
    check = mesh_check(cfg, {"mesh": lost})
    assert check.status == Status.WARN and "lost contact with c" in check.detail
    split = {**lost, "members": [three[0], _member("b", False), _member("c", False)]}
    check = mesh_check(cfg, {"mesh": {**split, "up": 1, "quorum": False}})
    assert check.status == Status.FAIL and "unconfirmed" in check.detail
    alone = mesh_check(cfg, {"mesh": {"mode": "alone", "members": three[:1], "expected": 1}})
    assert alone.status == Status.PASS and "alone" in alone.detail
