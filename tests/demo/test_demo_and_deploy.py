"""The newcomer's first minute (`gatehouse-demo`) and the shipped systemd unit."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edge_agent.cli.main import build_parser
from tests.agent_process import cli, demo_cli
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.integration

ROOT = REPO_ROOT


@pytest.mark.slow
def test_demo_runs_end_to_end_and_leaves_a_verified_ledger(tmp_path: Path) -> None:
    out = demo_cli(
        "--dir",
        str(tmp_path / "demo"),
        "--scans",
        "40",
        "--rate",
        "0",
        "--seed",
        "3",
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for reason in (
        "admitted",
        "already_admitted",
        "refunded",
        "charged_back",
        "bad_signature",
        "wrong_event",
        "unknown_key",
        "expired",
        "not_allowed_at_gate",
        "unknown_code",
        "malformed",
        "exited",
        "readmitted",
        "not_inside",
    ):
        assert f" {reason} " in text, f"the demo never showed {reason}"
    # a scan labelled "repeat" is of a code inside: the gate refuses it
    repeats = [line.split() for line in text.splitlines() if " repeat " in line]
    assert repeats and all(r[2:5] == ["REFUSE", "e1001", "already_admitted"] for r in repeats), (
        repeats
    )
    # every verdict line names the event its scan was for ("-" when no code was read)
    assert " e1002 " in text and " wrong_event " in text
    # the camera lane: rendered tickets replayed through the real camera decode path
    camera = [line for line in text.splitlines() if line.startswith(" cam ")]
    assert [line.split()[4] for line in camera] == [
        "admitted",
        "admitted",
        "refunded",
        "bad_signature",
        "already_admitted",
    ]
    assert camera[-1].split("→")[1].split()[0] == "attention"
    # the platform beside the agent: an online ticket admits; a refund made on the platform
    # reaches the gate with the next sync and that ticket is refused
    online = text[text.index("The central platform") :]
    assert [line.split()[4] for line in online.splitlines() if line[:4].strip().isdigit()] == [
        "admitted",
        "refunded",
    ]
    assert "the refund arrived with the next sync" in online
    # 40 over HTTP + 5 from the camera + 2 online + 1 door-sold ticket
    assert "ledger OK: 48 rows" in text
    assert "platform holds 48 of the gate's 48 scan rows, identical ids and chain values" in text
    # the box office: a lease for door sales and the way to the iPad page
    assert "Box office: leased 20 seats of ticket type 0 from the platform" in text
    assert re.search(r"sales page: http://127\.0\.0\.1:\d+/boxoffice/ ", text)
    assert re.search(r"door sale: order DO-\w+, 2 tickets, 90\.00 EUR cash, change 10\.00", text)
    assert "its first ticket at the gate: ADMIT admitted" in text
    assert re.search(r"open http://127\.0\.0\.1:\d+/api/v1/pair\?code=[A-Z0-9-]+ ", text)
    assert "Traceback" not in out.stderr
    # it ends with the online order's evidence pack, which verifies on its own
    evidence = text[text.index("Chargeback evidence for order") :]
    assert "was scanned and admitted at Gate 3" in evidence
    assert "evidence pack VERIFIED" in evidence
    pack_dir = evidence.split("evidence pack: ", 1)[1].split(" (", 1)[0]
    assert (Path(pack_dir) / "evidence.html").exists()
    verified = cli("evidence", "verify", pack_dir)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("evidence pack VERIFIED")
    assert (tmp_path / "demo" / "config.toml").exists()
    # the commands the demo suggests work as printed
    check = cli("check", "--config", str(tmp_path / "demo" / "config.toml"))
    assert check.returncode == 0, check.stdout
    again = demo_cli("--dir", str(tmp_path / "demo"), "--scans", "5", timeout=60)
    assert again.returncode == 2 and "not empty" in again.stderr


def test_systemd_unit_runs_real_commands_unprivileged() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "gatehouse.service")
    service = unit["Service"]
    assert service["User"] == "gatehouse" and service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict" and service["CapabilityBoundingSet"] == ""
    parser = build_parser()
    for key in ("ExecStart", "ExecStartPre"):
        argv = shlex.split(service[key])
        assert argv[0].endswith("/edge-agent")
        args = parser.parse_args(argv[1:])  # the unit's command line is one the CLI takes
        assert args.command in ("run", "check")
        assert str(args.config) == "/etc/gatehouse/config.toml"


def _system_packages_asked_for(tmp_path: Path, *args: str) -> list[str]:
    """Run ensure-system-deps.sh where chromium is missing and apt-get is a fake that
    notes what it is asked to install (nothing is installed)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    asked = tmp_path / "asked.txt"
    for name in ("grep", "id", "gcc"):
        if found := shutil.which(name):
            (bin_dir / name).symlink_to(found)
    (bin_dir / "python3").symlink_to(sys.executable)
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {asked}\n')
    (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for fake in ("apt-get", "sudo"):
        (bin_dir / fake).chmod(0o755)
    script = ROOT / "scripts" / "ensure-system-deps.sh"
    done = subprocess.run(
        ["/bin/bash", str(script), *args],
        env={**os.environ, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = asked.read_text().splitlines() if asked.exists() else []
    return [word for line in lines if "install" in line for word in line.split()]


def test_only_the_tests_install_a_browser(tmp_path: Path) -> None:
    """make demo / make venv need no chromium (it drags in ImageMagick, avahi, ...);
    make test asks for it, for the browser tests."""
    assert "chromium" not in _system_packages_asked_for(tmp_path / "venv")
    assert "chromium" in _system_packages_asked_for(tmp_path / "test", "--with-browser")
    makefile = (ROOT / "Makefile").read_text()
    test_recipe = makefile.split("\ntest: venv\n", 1)[1].split("\n\n", 1)[0]
    assert "ensure-system-deps.sh --with-browser" in test_recipe
    stamp_recipe = makefile.split("\n$(STAMP):", 1)[1].split("\n\n", 1)[0]
    assert "ensure-system-deps.sh\n" in stamp_recipe  # venv (and so demo): no browser
