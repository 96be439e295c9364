"""Log redaction, agent-made ids, and the admission index rebuild."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from edge_agent.gate.state import GateState
from edge_agent.ids import uuid7
from edge_agent.logs import redact, setup_logging


def test_redaction_masks_secrets_but_keeps_timestamps() -> None:
    text = (
        "Authorization: Bearer gh_abcdefghijklmnopqrstuvwxyz012345 code GH1:V502YDAE6000BM03 "
        "pair ABCD-EFGH card 4111 1111 1111 1111 at 1767260000123"
    )
    out = redact(text)
    assert "gh_abc" not in out and "V502YDAE" not in out and "ABCD-EFGH" not in out
    assert "4111" not in out and "[card-number]" in out
    assert "1767260000123" in out  # a 13-digit epoch-ms timestamp is not a card (Luhn)


def test_json_logs_are_structured_and_redacted() -> None:
    buf = io.StringIO()
    setup_logging("debug", "json", stream=buf)
    try:
        logging.getLogger("t").info("paired with gh_%s", "x" * 30, extra={"device_id": "d1"})
        doc = json.loads(buf.getvalue())
        assert doc["level"] == "info" and doc["device_id"] == "d1"
        assert "x" * 30 not in doc["msg"]
    finally:
        logging.getLogger().handlers.clear()


def test_uuid7_is_time_ordered_and_valid() -> None:
    ids = [uuid7(1_767_260_000_000 + i) for i in range(100)]
    assert ids == sorted(ids)
    u = uuid.UUID(ids[0])
    assert u.version == 7 and u.variant == uuid.RFC_4122
    assert int(ids[0].replace("-", "")[:12], 16) == 1_767_260_000_000
    assert len(set(uuid7(5) for _ in range(1000))) == 1000


def test_rebuild_replays_entries_and_exits_in_order() -> None:
    state = GateState(lambda _h: None)
    history = [
        (1, "a", "admit", "in", 1000, "Gate 1", "admitted", None),
        (2, "b", "admit", "in", 1100, "Gate 2", "admitted", None),
        (3, "a", "exit", "out", 2000, "Gate 1", "exited", None),
        (4, "a", "admit", "in", 3000, "Gate 3", "readmitted", None),
        (5, "c", "exit", "out", 3100, "Gate 3", "exited", None),  # exit without entry: ignored
    ]
    assert state.rebuild_admissions(history) == 5
    a = state.admission("a")
    assert a is not None and a.inside and a.entries == 2
    assert (a.first_admit_ms, a.first_gate, a.last_gate) == (1000, "Gate 1", "Gate 3")
    assert state.admission("c") is None
    assert (state.admitted_count, state.inside_count) == (2, 2)


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("at 1767000000000 4111 1111 1111 1111", "at 1767000000000 [card-number]"),
        ("x 12 4111111111111111 y", "x 12 [card-number] y"),
        ("4111 1111 1111 1111 5500 0000 0000 0004", "[card-number] [card-number]"),
        ("rows 1767000000000 1767000000001", "rows 1767000000000 1767000000001"),
    ],
)
def test_a_card_number_next_to_another_number_is_still_masked(line: str, kept: str) -> None:
    assert redact(line) == kept
