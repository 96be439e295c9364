"""Our own golden vectors (``tests/golden/make_gh1_vectors.py`` made them).

They pin the exact code strings (Ed25519 is deterministic), so any change to the body
layout, the signing context or base45 shows up here, and every verdict incl. agent
certificate windows and boundary times.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.keyring import load_keyring
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1
from edge_agent.domain.verification import inspect_code
from tests.golden.make_gh1_vectors import REASON_BY_PREFIX
from tests.paths import GOLDEN_DIR

GOLDEN = GOLDEN_DIR
VECTORS = [json.loads(line) for line in (GOLDEN / "gh1_vectors.jsonl").read_text().splitlines()]
KEYRING = load_keyring(json.loads((GOLDEN / "gh1_keyring.json").read_text()))


def _id(vector: dict[str, Any]) -> str:
    return str(vector["name"])


def test_vectors_cover_every_verdict() -> None:
    reasons = {v["expected"]["reason"] for v in VECTORS}
    assert reasons == set(REASON_BY_PREFIX.values())
    assert len(VECTORS) >= 60
    assert len(KEYRING.keys) == 4
    assert len(KEYRING.warnings) == 3


@pytest.mark.parametrize("vector", VECTORS, ids=_id)
def test_inspect_matches(vector: dict[str, Any]) -> None:
    assert (
        inspect_code(vector["code"], KEYRING, vector["event"], vector["at"]) == vector["expected"]
    )
    # the vector's name states the verdict the spec requires
    assert vector["expected"]["reason"] == REASON_BY_PREFIX[vector["name"].split("-", 1)[0]]


SIGNED = [v for v in VECTORS if v["seed"] is not None]


def test_enough_vectors_are_reencodable() -> None:
    assert len(SIGNED) >= 35


@pytest.mark.parametrize("vector", SIGNED, ids=_id)
def test_reencoding_the_body_reproduces_the_code(vector: dict[str, Any]) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["seed"]))
    fields = vector["body"]
    body = TicketBody(
        key_id=bytes.fromhex(fields["key_id"]),
        event_id=fields["event_id"],
        ticket_id=bytes.fromhex(fields["ticket_id"]),
        ticket_type=fields["ticket_type"],
        valid_from=fields["valid_from"],
        valid_until=fields["valid_until"],
        version=fields["version"],
        flags=fields["flags"],
    )
    assert encode_gh1(body, key) == vector["code"]
