"""`edge-agent ticket issue --png` makes QR images a real decoder reads back exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from tests.agent_process import cli

pytestmark = pytest.mark.integration


def test_issued_png_decodes_to_the_printed_code_and_verifies(tmp_path: Path) -> None:
    key, keyring, qr_dir = tmp_path / "p.key.json", tmp_path / "keyring.json", tmp_path / "qr"
    assert cli("keys", "new", "--out", str(key)).returncode == 0
    assert (
        cli(
            "keys", "keyring", "--platform-key", str(key), "--events", "1001", "--out", str(keyring)
        ).returncode
        == 0
    )
    issued = cli(
        "ticket",
        "issue",
        "--key",
        str(key),
        "--event",
        "1001",
        "--type",
        "2",
        "--count",
        "3",
        "--png",
        str(qr_dir),
    )
    assert issued.returncode == 0, issued.stderr
    codes = issued.stdout.split("\n")[:3]
    pngs = sorted(qr_dir.glob("*.png"))
    assert len(pngs) == 3
    decoded = {}
    for png in pngs:
        results = zxingcpp.read_barcodes(Image.open(png))
        assert len(results) == 1
        assert results[0].format == zxingcpp.BarcodeFormat.QRCode
        assert results[0].ec_level == "M"
        decoded[png.stem] = results[0].text
    assert sorted(decoded.values()) == sorted(codes)
    inspect = cli("ticket", "inspect", "--keyring", str(keyring), "--event", "1001", *codes)
    verdicts = [json.loads(line) for line in inspect.stdout.splitlines()]
    assert [v["reason"] for v in verdicts] == ["ok", "ok", "ok"]
    # each file is named by the ticket id it carries
    assert {v["ticket_id"] for v in verdicts} == set(decoded)
    assert all(v["ticket_type"] == 2 for v in verdicts)
