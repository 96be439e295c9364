"""Rotating codes (rotating-v1): the golden vectors (current step, ± one, two steps old,
a replayed screenshot, a wrong value, a broken static part), their reproduction, and the
command line that issues and judges them."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from edge_agent.cli.main import main
from edge_agent.domain.credential import CredentialKind, RotatingCredential
from edge_agent.domain.decide import Decision, decide
from edge_agent.domain.keyring import load_keyring
from edge_agent.domain.reasons import Direction, ReasonCode
from edge_agent.domain.rotating import split_rotating, step_at
from edge_agent.domain.rules.model import EventRules
from edge_agent.domain.verification import inspect_code, read_credential
from tests.edge_agent.domain.rules.gate import RuleState, policy
from tests.golden import make_rotating_vectors as gen

VECTORS = [json.loads(line) for line in gen.VECTORS.read_text().splitlines()]


def test_the_vectors_are_what_the_generator_makes_byte_for_byte() -> None:
    keyring_doc, rows = gen.build()
    assert json.loads(gen.KEYRING.read_text()) == keyring_doc
    assert [json.dumps(r, sort_keys=True) for r in rows] == [
        json.dumps(v, sort_keys=True) for v in VECTORS
    ]


def test_every_required_case_is_covered() -> None:
    reasons = {v["name"]: v["expected"]["reason"] for v in VECTORS}
    assert reasons["current_step"] == reasons["one_step_behind"] == "ok"
    assert reasons["one_step_ahead"] == "ok"
    assert reasons["two_steps_old"] == "stale_code"
    assert reasons["screenshot_replayed_10_min_later"] == "stale_code"
    assert reasons["value_bit_flipped"] == reasons["value_of_another_ticket"] == "bad_signature"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_inspect_judges_each_vector_as_recorded(vector: dict[str, Any]) -> None:
    keyring = load_keyring(json.loads(gen.KEYRING.read_text()))
    assert inspect_code(vector["code"], keyring, None, vector["at"]) == vector["expected"]


def test_a_step_carries_the_phones_time_and_the_static_part_is_plain_gh1() -> None:
    vector = next(v for v in VECTORS if v["name"] == "two_steps_old")
    static, step, value = split_rotating(vector["code"])
    assert step == step_at(vector["shown_at"]) and len(value) == 8
    keyring = load_keyring(json.loads(gen.KEYRING.read_text()))
    assert inspect_code(static, keyring, None, vector["at"])["reason"] == "ok"
    read = read_credential(vector["code"], keyring)
    assert isinstance(read, RotatingCredential) and read.otp.value == "ok"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_issues_a_live_code_and_judges_it_against_the_clock(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key, ring = tmp_path / "p.key", tmp_path / "ring.json"
    assert run(capsys, "keys", "new", "--out", str(key))[0] == 0
    code, out, _ = run(capsys, "keys", "keyring", "--platform-key", str(key), "--events",
                       "7", "--rotating", "--out", str(ring))  # fmt: skip
    assert code == 0 and "rotation secrets for 1 events" in out
    assert stat.S_IMODE(ring.stat().st_mode) == 0o600  # it holds secrets now
    at = 1767260000
    code, out, _ = run(capsys, "ticket", "issue", "--key", str(key), "--event", "7",
                       "--rotating", "--at", str(at), "--count", "2")  # fmt: skip
    codes = out.splitlines()
    assert code == 0 and len(codes) == 2 and all(c.startswith("GHR1:") for c in codes)
    verdicts = []
    for when in (at, at + 15, at + 45):
        code, out, _ = run(capsys, "ticket", "inspect", "--keyring", str(ring), "--at",
                           str(when), *codes)  # fmt: skip
        verdicts.append([json.loads(line)["reason"] for line in out.splitlines()])
    assert verdicts == [["ok", "ok"], ["ok", "ok"], ["stale_code", "stale_code"]]
    code, _, err = run(capsys, "keys", "keyring", "--platform-key", str(key), "--rotating",
                       "--out", str(tmp_path / "x.json"))  # fmt: skip
    assert code == 2 and "--rotating needs --events" in err


def test_decide_takes_live_codes_and_refuses_static_ones_where_rotating_is_required() -> None:
    keyring = load_keyring(json.loads(gen.KEYRING.read_text()))
    pol = policy(events={gen.EVENT: EventRules(gen.EVENT, require_rotating=True)})
    by_name = {v["name"]: v["code"] for v in VECTORS}
    now_ms = gen.AT * 1000

    def judge(code: str) -> Decision:
        return decide(read_credential(code, keyring), Direction.IN, RuleState(), pol, now_ms)

    live = judge(by_name["current_step"])
    assert live.reason is ReasonCode.ADMITTED
    assert live.credential_kind is CredentialKind.GH1_ROTATING
    static = judge(split_rotating(by_name["current_step"])[0])
    assert static.reason is ReasonCode.ROTATING_REQUIRED
    stale = judge(by_name["screenshot_replayed_10_min_later"])
    assert (stale.reason, stale.message) == (
        ReasonCode.STALE_CODE,
        "Screenshot? Ask for the live ticket",
    )
    assert judge(by_name["value_bit_flipped"]).reason is ReasonCode.BAD_SIGNATURE
