"""``keys import-pretix`` turns pretix's valid_keys into keyring entries; ``ticket inspect``
then judges pretix codes (golden vectors) one JSON line each with their scheme."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edge_agent.cli.main import main
from edge_agent.domain.keyring import load_keyring
from edge_agent.domain.pretix_keys import raw_to_pem_b64
from tests.paths import GOLDEN_DIR

VECTORS = [
    json.loads(line) for line in (GOLDEN_DIR / "pretix_vectors.jsonl").read_text().splitlines()
]
VALID_KEYS = GOLDEN_DIR / "pretix_valid_keys.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_creates_the_keyring_and_inspect_judges_the_vectors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ring = tmp_path / "keyring.json"
    code, out, _ = run(
        capsys,
        "keys",
        "import-pretix",
        "--valid-keys",
        str(VALID_KEYS),
        "--event",
        "1001",
        "--keyring",
        str(ring),
    )
    assert code == 0 and "1 new" in out
    doc = json.loads(ring.read_text())
    assert [e["scheme"] for e in doc["keys"]] == ["pretix_sig1"]
    assert doc["keys"][0]["events"] == [1001]
    # the vectors judged at the default time without --event, whose key this keyring has
    chosen = [
        v
        for v in VECTORS
        if v["event"] is None and v["at"] == 1767260000 and "other-events" not in v["name"]
    ]
    codes = [v["code"] for v in chosen]
    code, out, _ = run(
        capsys, "ticket", "inspect", "--keyring", str(ring), "--at", "1767260000", *codes
    )
    assert code == 0
    lines: list[dict[str, Any]] = [json.loads(line) for line in out.splitlines()]
    expected = {v["code"]: v["expected"] for v in chosen}
    assert len(lines) == len(codes) >= 30
    for text, line in zip(codes, lines, strict=True):
        assert line == expected[text]


def test_import_again_adds_the_event_and_keeps_other_keys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ring = tmp_path / "keyring.json"
    ring.write_text((GOLDEN_DIR / "gh1_keyring.json").read_text())
    before = len(json.loads(ring.read_text())["keys"])
    for event in ("1001", "1002", "1002"):
        assert (
            run(
                capsys,
                "keys",
                "import-pretix",
                "--valid-keys",
                str(VALID_KEYS),
                "--event",
                event,
                "--keyring",
                str(ring),
            )[0]
            == 0
        )
    doc = json.loads(ring.read_text())
    assert len(doc["keys"]) == before + 1
    assert doc["keys"][-1]["events"] == [1001, 1002]
    assert len(load_keyring(doc).pretix_keys) == 1


def test_import_refuses_what_is_not_a_pretix_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "valid_keys.json"
    ring = tmp_path / "keyring.json"
    for doc, problem in (
        ({"pretix_sig1": ["bm90IGEga2V5"]}, "not a PEM public key"),
        ({"pretix_sig1": []}, "holds no pretix_sig1 key"),
        ({"valid_keys": []}, "valid_keys object"),
    ):
        bad.write_text(json.dumps(doc))
        code, _, err = run(
            capsys,
            "keys",
            "import-pretix",
            "--valid-keys",
            str(bad),
            "--event",
            "1",
            "--keyring",
            str(ring),
        )
        assert code == 2 and problem in err and str(bad) in err
    assert not ring.exists()


def test_import_refuses_a_key_already_there_for_gh1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pem = json.loads(VALID_KEYS.read_text())["pretix_sig1"][0]
    from edge_agent.domain.keyring import dump_keyring, keyring_entry_for_platform
    from edge_agent.domain.pretix_keys import pem_b64_to_raw

    raw = pem_b64_to_raw(pem, "x")
    assert raw_to_pem_b64(raw) == pem
    ring = tmp_path / "keyring.json"
    ring.write_text(json.dumps(dump_keyring([keyring_entry_for_platform(raw, None)])))
    code, _, err = run(
        capsys,
        "keys",
        "import-pretix",
        "--valid-keys",
        str(VALID_KEYS),
        "--event",
        "1",
        "--keyring",
        str(ring),
    )
    assert code == 2 and "another scheme" in err
