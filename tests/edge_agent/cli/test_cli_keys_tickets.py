"""``edge-agent keys ...`` and ``ticket issue`` end to end: make keys, a keyring and an
agent certificate, issue codes (and QR PNGs), then inspect them."""

from __future__ import annotations

import io
import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import segno

from edge_agent.cli.main import main
from edge_agent.cli.ticket_cmds import make_qr
from edge_agent.config.key_files import read_key_file
from edge_agent.domain.agent_certificate import b64url_decode
from edge_agent.domain.ticket_codec import parse_gh1

T0, T1 = 1767225600, 1767312000


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def new_key(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, Any]:
    code, out, _ = run(capsys, "keys", "new", "--out", str(path))
    assert code == 0
    assert str(path) in out
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def inspect(capsys: pytest.CaptureFixture[str], keyring: Path, *args: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "ticket", "inspect", "--keyring", str(keyring), *args)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_keys_new_writes_a_0600_key_file_and_refuses_to_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "platform.key.json"
    doc = new_key(capsys, path)
    assert set(doc) == {"kind", "private_key", "public_key", "key_id"}
    assert doc["kind"] == "gatehouse-ed25519-key"
    assert len(b64url_decode(doc["private_key"])) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = read_key_file(path)
    assert key.key_id.hex() == doc["key_id"]
    assert key.warnings == ()
    before = path.read_text()
    code, _, err = run(capsys, "keys", "new", "--out", str(path))
    assert code == 2
    assert "refusing to overwrite" in err
    assert path.read_text() == before


def test_keys_show_never_prints_the_private_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "k.json"
    doc = new_key(capsys, path)
    code, out, err = run(capsys, "keys", "show", str(path))
    assert code == 0
    assert json.loads(out) == {"public_key": doc["public_key"], "key_id": doc["key_id"]}
    assert doc["private_key"] not in out + err


def test_key_file_problems_are_clear_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "keys", "show", str(tmp_path / "missing.json"))
    assert (code, "key file not found" in err) == (2, True)
    (tmp_path / "notjson").write_text("{")
    code, _, err = run(capsys, "keys", "show", str(tmp_path / "notjson"))
    assert (code, "not valid JSON" in err) == (2, True)
    (tmp_path / "kind").write_text(json.dumps({"kind": "ssh-key"}))
    code, _, err = run(capsys, "keys", "show", str(tmp_path / "kind"))
    assert (code, "not a key file" in err) == (2, True)
    good = tmp_path / "good.json"
    doc = new_key(capsys, good)
    other = new_key(capsys, tmp_path / "other.json")
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(dict(doc, public_key=other["public_key"])))
    code, _, err = run(capsys, "keys", "show", str(edited))
    assert (code, "does not belong" in err) == (2, True)


def test_readable_key_file_warns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    new_key(capsys, path)
    path.chmod(0o644)
    code, _, err = run(capsys, "keys", "show", str(path))
    assert code == 0
    assert "readable by others" in err


def test_full_gate_test_flow(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    platform = tmp_path / "platform.json"
    agent = tmp_path / "agent.json"
    new_key(capsys, platform)
    agent_doc = new_key(capsys, agent)

    entry_file = tmp_path / "agent-entry.json"
    code, out, err = run(
        capsys, "keys", "certify", "--issuer", str(platform), "--agent-key", str(agent),
        "--agent-id", "door-1", "--events", "1001,1003", "--not-before", str(T0),
        "--not-after", str(T1), "--out", str(entry_file),
    )  # fmt: skip
    assert code == 0, err
    entry = json.loads(entry_file.read_text())
    assert entry["role"] == "agent"
    assert entry["public_key"] == agent_doc["public_key"]
    assert entry["certificate"]["events"] == [1001, 1003]
    assert agent_doc["private_key"] not in out + entry_file.read_text()

    keyring = tmp_path / "keyring.json"
    code, out, err = run(
        capsys, "keys", "keyring", "--platform-key", str(platform), "--events", "1001,1002",
        "--agent-entry", str(entry_file), "--out", str(keyring),
    )  # fmt: skip
    assert code == 0, err
    assert "2 keys" in out

    code, out, err = run(capsys, "ticket", "issue", "--key", str(platform), "--event", "1001",
                         "--type", "3", "--count", "3", "--valid-until", str(T1))  # fmt: skip
    assert code == 0, err
    platform_codes = out.splitlines()
    assert len(platform_codes) == 3
    assert len({parse_gh1(c).body.ticket_id for c in platform_codes}) == 3

    code, out, err = run(capsys, "ticket", "issue", "--key", str(agent), "--event", "1001")
    assert code == 0, err
    agent_codes = out.splitlines()

    results = inspect(capsys, keyring, "--event", "1001", "--at", str(T0), *platform_codes,
                      *agent_codes)  # fmt: skip
    assert [r["reason"] for r in results] == ["ok"] * 4
    assert {r["ticket_type"] for r in results[:3]} == {3}
    # the agent's certificate window and scope apply
    assert inspect(capsys, keyring, "--at", str(T1 + 1), *agent_codes)[0]["reason"] == "expired"
    code, out, _ = run(capsys, "ticket", "issue", "--key", str(agent), "--event", "1003")
    assert inspect(capsys, keyring, "--at", str(T0), *out.splitlines())[0]["reason"] == (
        "key_not_for_event"
    )


def test_inspect_stdin_in_process(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "k.json"
    new_key(capsys, key)
    keyring = tmp_path / "ring.json"
    assert run(capsys, "keys", "keyring", "--platform-key", str(key), "--out", str(keyring))[0] == 0
    _, out, _ = run(capsys, "ticket", "issue", "--key", str(key), "--event", "5", "--count", "2")
    codes = out.splitlines()
    data = f"{codes[0]}\r\n\n{codes[1]}\f\n{codes[1]}".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    reasons = [r["reason"] for r in inspect(capsys, keyring, "--at", "0", "--stdin")]
    # form feed is not whitespace under the GH1 rule: that line is malformed
    assert reasons == ["ok", "malformed", "malformed", "ok"]


def test_issue_png_writes_alphanumeric_level_m_qr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key = tmp_path / "k.json"
    new_key(capsys, key)
    png_dir = tmp_path / "png" / "sub"
    code, out, err = run(capsys, "ticket", "issue", "--key", str(key), "--event", "1001",
                         "--count", "2", "--png", str(png_dir))  # fmt: skip
    assert code == 0, err
    codes = out.splitlines()
    assert len(codes) == 2
    for text in codes:
        png = png_dir / f"{parse_gh1(text).body.ticket_id_hex}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        qr = make_qr(text)
        assert qr.mode == "alphanumeric"
        assert qr.error == "M"
        assert qr.version == 6
        reference = segno.make_qr(text, error="m", mode="alphanumeric", boost_error=False)
        assert (qr.mode, qr.error, qr.version) == (
            reference.mode,
            reference.error,
            reference.version,
        )
        assert qr.matrix == reference.matrix
    assert len(list(png_dir.iterdir())) == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--event", "-1"],
        ["--event", "4294967296"],
        ["--event", "1", "--type", "65536"],
        ["--event", "1", "--count", "0"],
        ["--event", "1", "--valid-from", "10", "--valid-until", "5"],
    ],
)
def test_issue_rejects_bad_arguments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    key = tmp_path / "k.json"
    new_key(capsys, key)
    code, out, _ = run(capsys, "ticket", "issue", "--key", str(key), *args)
    assert code == 2
    assert out == ""


def test_keyring_refuses_an_agent_entry_it_would_drop(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    p1, p2, agent = (tmp_path / n for n in ("p1.json", "p2.json", "a.json"))
    for path in (p1, p2, agent):
        new_key(capsys, path)
    code, out, err = run(
        capsys, "keys", "certify", "--issuer", str(p2), "--agent-key", str(agent),
        "--agent-id", "door", "--events", "1", "--not-before", "0", "--not-after", "10",
    )  # fmt: skip
    assert code == 0, err
    entry = tmp_path / "entry.json"
    entry.write_text(out)
    ring = tmp_path / "ring.json"
    code, _, err = run(capsys, "keys", "keyring", "--platform-key", str(p1), "--agent-entry",
                       str(entry), "--out", str(ring))  # fmt: skip
    assert code == 2
    assert "not a platform key" in err
    assert not ring.exists()


def test_certify_rejects_inverted_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    p, a = tmp_path / "p.json", tmp_path / "a.json"
    new_key(capsys, p)
    new_key(capsys, a)
    code, _, err = run(
        capsys, "keys", "certify", "--issuer", str(p), "--agent-key", str(a), "--agent-id",
        "x", "--events", "1", "--not-before", "10", "--not-after", "5",
    )  # fmt: skip
    assert code == 2
    assert "--not-before" in err
