"""Signed chain checkpoints: the signed message, the ledger op and its append-only
table, the signer's schedule, and the platform's checks on the uploaded stream."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.evidence.core.checkpoint import (
    Checkpoint,
    CheckpointError,
    checkpoint_verifies,
    sign_checkpoint,
)
from edge_agent.ledger.chain_checkpoints import all_checkpoints, checkpoints_for_upload, sign_head
from edge_agent.ledger.chain_signer import ChainSigner
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row
from tests.platform_fixture import running_platform
from tests.reference_platform.ledger_rows import batch, ledger_rows, upload

pytestmark = pytest.mark.integration

KEY = Ed25519PrivateKey.generate()


def _cp(**changes: Any) -> Checkpoint:
    cp = sign_checkpoint(
        KEY, agent_id="gate-a", number=3, through_seq=700, chain="ab" * 32, at_ms=1_798_000_000_000,
        clock_offset_ms=-12, clock_rtt_ms=4,
    )  # fmt: skip
    return dataclasses.replace(cp, **changes) if changes else cp


def test_a_checkpoint_verifies_and_round_trips() -> None:
    cp = _cp()
    assert checkpoint_verifies(cp, KEY.public_key())
    again = Checkpoint.from_json_dict(cp.to_json_dict())
    assert again == cp and checkpoint_verifies(again, KEY.public_key())
    unmeasured = sign_checkpoint(
        KEY, agent_id="gate-a", number=1, through_seq=1, chain="00" * 32, at_ms=0
    )
    assert checkpoint_verifies(unmeasured, KEY.public_key())
    assert not checkpoint_verifies(unmeasured, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    "change",
    [
        {"agent_id": "gate-b"},
        {"number": 4},
        {"through_seq": 699},
        {"chain": "ac" + "ab" * 31},
        {"at_ms": 1_798_000_000_001},
        {"clock_offset_ms": 12},
        {"clock_offset_ms": None},
        {"clock_rtt_ms": 5},
    ],
)
def test_changing_any_signed_field_breaks_the_signature(change: dict[str, Any]) -> None:
    assert not checkpoint_verifies(_cp(**change), KEY.public_key())


@pytest.mark.parametrize(
    ("field", "value"),
    [("number", -1), ("through_seq", 0), ("chain", "AB" * 32), ("chain", "zz"),
     ("clock_offset_ms", 1.5), ("key_id", "abc"), ("signature", "!!"), ("agent_id", "")],
)  # fmt: skip
def test_malformed_checkpoints_name_the_field(field: str, value: Any) -> None:
    doc = _cp().to_json_dict()
    doc[field] = value
    with pytest.raises(CheckpointError, match=field):
        Checkpoint.from_json_dict(doc)


async def test_the_ledger_signs_its_head_once_per_new_head(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "gate-a")
    try:
        assert await writer.execute(lambda c: sign_head(c, "gate-a", KEY, 1)) is None  # empty
        for i in range(1, 4):
            await writer.submit_scan(scan_row(i))
        first = await writer.execute(lambda c: sign_head(c, "gate-a", KEY, 2))
        assert first is not None and (first.number, first.through_seq) == (1, 3)
        assert first.chain == writer.head_chain
        assert await writer.execute(lambda c: sign_head(c, "gate-a", KEY, 3)) is None
        await writer.submit_scan(scan_row(4))
        second = await writer.execute(lambda c: sign_head(c, "gate-a", KEY, 4))
        assert second is not None and (second.number, second.through_seq) == (2, 4)
    finally:
        await writer.close()
    conn = open_read_connection(path)
    try:
        assert all_checkpoints(conn, "gate-a") == [first, second]
        # only checkpoints whose rows the platform acknowledged go up (none yet)
        assert checkpoints_for_upload(conn, "gate-a", 0, 10) == []
    finally:
        conn.close()
    raw = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE chain_checkpoints SET chain = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM chain_checkpoints")
    finally:
        raw.close()


async def test_the_signer_signs_every_n_rows_and_at_stop(tmp_path: Path) -> None:
    writer = await LedgerWriter.open(tmp_path / "ledger.sqlite3", "gate-a")
    signer = ChainSigner(
        writer, KEY, clock_ms=lambda: 1_000, every_rows=3, interval_s=3600, poll_s=0.02
    )
    try:
        await signer.start()
        for i in range(1, 3):
            await writer.submit_scan(scan_row(i))
        await asyncio.sleep(0.1)
        assert signer.last_number == 0  # 2 rows: not yet due (and the interval is long)
        await writer.submit_scan(scan_row(3))
        for _ in range(100):
            if signer.last_number:
                break
            await asyncio.sleep(0.02)
        assert (signer.last_number, signer.last_through) == (1, 3)
        await writer.submit_scan(scan_row(4))
        await signer.stop()
        assert (signer.last_number, signer.last_through) == (2, 4)
    finally:
        await writer.close()


async def test_the_platform_checks_uploaded_checkpoints(tmp_path: Path) -> None:
    rows = await ledger_rows(tmp_path / "gate-a.sqlite3", "gate-a", 6)
    key = Ed25519PrivateKey.generate()

    def cp(number: int, through: int, signer: Ed25519PrivateKey = key, chain: str = "") -> Any:
        signed = sign_checkpoint(
            signer, agent_id="gate-a", number=number, through_seq=through,
            chain=chain or rows[through - 1]["chain"], at_ms=1_798_000_000_000,
        )  # fmt: skip
        return {"seq": number, **signed.to_json_dict()}

    async with running_platform(tmp_path, gh1=0, plain=0) as platform:
        token = await platform.enrol("gate-a", key)
        async with aiohttp.ClientSession() as session:

            async def post(checkpoints: list[Any]) -> tuple[int, dict[str, Any]]:
                return await upload(
                    session, platform, token, "gate-a", checkpoints, stream="checkpoints"
                )

            assert (await upload(session, platform, token, "gate-a", rows))[0] == 200
            status, doc = await post([cp(1, 3), cp(2, 6)])
            assert (status, doc) == (200, {"stored_through_seq": 2, "received": 2, "duplicates": 0})
            status, doc = await post([cp(2, 6)])
            assert (status, doc["duplicates"]) == (200, 1)
            status, doc = await post([cp(4, 6)])
            assert (status, doc["error"]["code"]) == (409, "gap")
            status, doc = await post([cp(3, 6, Ed25519PrivateKey.generate())])
            assert (status, doc["error"]["code"], doc["error"]["seq"]) == (422, "bad_row", 3)
            status, doc = await post([cp(3, 5, chain="00" * 32)])
            assert (status, doc["error"]["code"]) == (409, "chain_mismatch")
            status, doc = await post([cp(1, 3, chain=rows[1]["chain"])])  # differs from stored
            assert (status, doc["error"]["code"]) == (409, "chain_mismatch")
            body = batch("gate-a", [cp(3, 6)])
            body["agent_id"] = "gate-b"
            status, doc = await upload(
                session, platform, token, "gate-a", [], stream="checkpoints", body=body
            )
            assert status == 422
