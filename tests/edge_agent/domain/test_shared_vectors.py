"""The spec's 48 worked examples (made by a separate implementation), in-process and
through the real ``edge-agent ticket inspect`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from edge_agent.domain.keyring import load_keyring
from edge_agent.domain.verification import inspect_code
from tests.paths import GOLDEN_DIR

pytestmark = pytest.mark.integration

EXAMPLES = GOLDEN_DIR / "ticket-v1-examples"
KEYRING_FILE = EXAMPLES / "keyring.json"
VECTORS = [json.loads(line) for line in (EXAMPLES / "vectors.jsonl").read_text().splitlines()]
KEYRING = load_keyring(json.loads(KEYRING_FILE.read_text()))


def test_there_are_48_examples_six_per_verdict() -> None:
    assert len(VECTORS) == 48
    counts: dict[str, int] = {}
    for v in VECTORS:
        counts[v["expected"]["reason"]] = counts.get(v["expected"]["reason"], 0) + 1
    assert set(counts.values()) == {6}
    assert len(counts) == 8


@pytest.mark.parametrize("vector", VECTORS, ids=[v["note"] for v in VECTORS])
def test_example(vector: dict[str, Any]) -> None:
    assert (
        inspect_code(vector["code"], KEYRING, vector["event"], vector["at"]) == vector["expected"]
    )


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "edge_agent.cli.main", "ticket", "inspect", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def _args(vector: dict[str, Any]) -> list[str]:
    args = ["--keyring", str(KEYRING_FILE), "--at", str(vector["at"])]
    if vector["event"] is not None:
        args += ["--event", str(vector["event"])]
    return args


def _lines(out: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.decode().splitlines()]


@pytest.mark.slow
def test_cli_codes_as_arguments_in_input_order() -> None:
    # all examples judged with --at 1767260000 and no --event
    chosen = [v for v in VECTORS if v["at"] == 1767260000 and v["event"] is None]
    assert len(chosen) >= 20
    # CR, LF, space and tab at the ends of an argument are stripped, nothing else is
    padded = ["\t " + chosen[0]["code"] + "\r\n", "\u00a0" + chosen[0]["code"]]
    result = run_cli(*_args(chosen[0]), *[v["code"] for v in chosen], *padded)
    assert result.returncode == 0, result.stderr
    lines = _lines(result.stdout)
    assert lines[: len(chosen)] == [v["expected"] for v in chosen]
    assert lines[len(chosen)] == chosen[0]["expected"]
    assert lines[len(chosen) + 1]["reason"] == "malformed"
    first = result.stdout.decode().splitlines()[0]
    assert first.startswith(
        '{"valid": true, "reason": "ok", "scheme": "gh1", "version": 1, "key_id": '
    )


@pytest.mark.slow
def test_cli_event_and_at_zero_are_real_values() -> None:
    for vector in [v for v in VECTORS if v["event"] == 0]:
        result = run_cli(*_args(vector), vector["code"])
        assert result.returncode == 0, result.stderr
        assert _lines(result.stdout) == [vector["expected"]]


@pytest.mark.slow
def test_cli_stdin_one_line_per_code_blank_lines_malformed() -> None:
    chosen = [
        v
        for v in VECTORS
        if v["at"] == 1767260000 and v["event"] == 1001 and v["code"] == v["code"].strip()
    ]
    assert len(chosen) >= 3
    malformed = {k: None for k in chosen[0]["expected"]} | {
        "valid": False,
        "reason": "malformed",
        "scheme": "plain",  # blank lines and non-UTF-8 bytes are no GH1 or pretix code
    }
    data = (
        chosen[0]["code"]
        + "\r\n"
        + "\n"
        + "\r\n"
        + chosen[1]["code"]
        + "\n \t\n"
        + "\xff\n"  # not even UTF-8 once encoded below
        + chosen[2]["code"]  # no final newline
    ).encode("latin-1")
    result = run_cli(*_args(chosen[0]), "--stdin", stdin=data)
    assert result.returncode == 0, result.stderr
    assert _lines(result.stdout) == [
        chosen[0]["expected"],
        malformed,
        malformed,
        chosen[1]["expected"],
        malformed,
        malformed,
        chosen[2]["expected"],
    ]


@pytest.mark.slow
def test_cli_all_malformed_still_exits_0() -> None:
    result = run_cli("--keyring", str(KEYRING_FILE), "--at", "0", "", "junk", "GH1:")
    assert result.returncode == 0
    assert [line["reason"] for line in _lines(result.stdout)] == ["malformed"] * 3


@pytest.mark.slow
def test_cli_usage_and_keyring_errors_exit_2(tmp_path: Path) -> None:
    code = VECTORS[0]["code"]
    missing = run_cli("--keyring", str(tmp_path / "nope.json"), code)
    assert missing.returncode == 2
    assert b"not found" in missing.stderr
    assert missing.stdout == b""

    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    result = run_cli("--keyring", str(bad_json), code)
    assert result.returncode == 2
    assert b"not valid JSON" in result.stderr

    no_role = tmp_path / "norole.json"
    no_role.write_text(json.dumps({"keys": [{"public_key": "A" * 43}]}))
    result = run_cli("--keyring", str(no_role), code)
    assert result.returncode == 2
    assert b"role is required" in result.stderr

    assert run_cli("--keyring", str(KEYRING_FILE)).returncode == 2  # no codes
    assert run_cli(code).returncode == 2  # no --keyring
    assert run_cli("--keyring", str(KEYRING_FILE), "--at", "soon", code).returncode == 2
    assert run_cli("--keyring", str(KEYRING_FILE), "--event", "-1", code).returncode == 2
    both = run_cli("--keyring", str(KEYRING_FILE), "--stdin", code, stdin=b"")
    assert both.returncode == 2
    assert b"not both" in both.stderr
