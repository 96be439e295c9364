"""Keyring documents → trusted keys, with every rule of the spec's "Keyring" section."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.agent_certificate import b64url_encode, issue_certificate
from edge_agent.domain.errors import KeyringError
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_agent,
    keyring_entry_for_platform,
    load_keyring,
)
from edge_agent.domain.trusted_key import KeyRole, key_id_of
from tests.paths import GOLDEN_DIR

EXAMPLES = GOLDEN_DIR / "ticket-v1-examples"


def key(n: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)


def raw(n: int) -> bytes:
    return key(n).public_key().public_bytes_raw()


def agent_entry(agent: int, issuer: int, cert_events: list[int], **extra: Any) -> dict[str, object]:
    cert = issue_certificate(
        key(issuer),
        agent_id=f"door-{agent}",
        agent_public_key=raw(agent),
        events=cert_events,
        not_before=100,
        not_after=200,
    )
    entry = keyring_entry_for_agent(cert)
    entry.update(extra)
    return entry


def test_shared_example_keyring() -> None:
    keyring = load_keyring(json.loads((EXAMPLES / "keyring.json").read_text()))
    by_id = {k.hex(): v for k, v in keyring.keys.items()}
    assert set(by_id) == {"6cd131f6", "4a57af8a", "3823738d"}
    assert by_id["6cd131f6"].role is KeyRole.PLATFORM
    assert by_id["6cd131f6"].events == frozenset({1001, 1002})
    assert by_id["4a57af8a"].events is None
    agent = by_id["3823738d"]
    assert agent.role is KeyRole.AGENT
    assert agent.events == frozenset({1001})  # {1001, 1003} ∩ {1001, 1002}
    assert (agent.not_before, agent.not_after) == (1767225600, 1767312000)
    assert agent.agent_id == "gate-box-1"
    assert len(keyring.warnings) == 3
    assert any("5bd29a98" in w and "not a platform key" in w for w in keyring.warnings)
    assert any("does not verify" in w for w in keyring.warnings)
    assert any("3823738d" in w and "not a platform key" in w for w in keyring.warnings)


def test_key_id_is_computed_and_never_read_from_the_file() -> None:
    entry = keyring_entry_for_platform(raw(1))
    entry["key_id"] = "00000000"
    keyring = load_keyring({"keys": [entry]})
    assert list(keyring.keys) == [key_id_of(raw(1))]
    trusted = keyring.get(key_id_of(raw(1)))
    assert trusted is not None
    assert trusted.raw_public_key == raw(1)
    assert trusted.public_key.public_bytes_raw() == raw(1)


def test_platform_events_absent_or_null_mean_any_event() -> None:
    absent = {"public_key": b64url_encode(raw(1)), "role": "platform"}
    null = {"public_key": b64url_encode(raw(2)), "role": "platform", "events": None}
    listed = {"public_key": b64url_encode(raw(3)), "role": "platform", "events": [0, 7, 7]}
    keyring = load_keyring({"keys": [absent, null, listed]})
    assert keyring.keys[key_id_of(raw(1))].events is None
    assert keyring.keys[key_id_of(raw(2))].events is None
    assert keyring.keys[key_id_of(raw(3))].events == frozenset({0, 7})
    assert keyring.keys[key_id_of(raw(1))].allows_event(123456)
    assert not keyring.keys[key_id_of(raw(3))].allows_event(8)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "JSON object"),
        ({}, '"keys" list'),
        ({"keys": {}}, '"keys" list'),
        ({"keys": ["x"]}, r"keys\[0\]: entry must be a JSON object"),
        ({"keys": [{"role": "platform"}]}, "public_key"),
        ({"keys": [{"role": "platform", "public_key": "not base64!"}]}, "public_key"),
        ({"keys": [{"role": "platform", "public_key": b64url_encode(bytes(31))}]}, "32 bytes"),
        ({"keys": [{"role": "platform", "public_key": b64url_encode(raw(1)) + "="}]}, "base64"),
        ({"keys": [{"public_key": b64url_encode(raw(1))}]}, "role is required"),
        ({"keys": [{"public_key": b64url_encode(raw(1)), "role": None}]}, "role must be"),
        ({"keys": [{"public_key": b64url_encode(raw(1)), "role": "Platform"}]}, "role must be"),
        ({"keys": [{"public_key": b64url_encode(raw(1)), "role": "partner"}]}, "role must be"),
    ],
)
def test_structural_errors(doc: object, message: str) -> None:
    with pytest.raises(KeyringError, match=message):
        load_keyring(doc)


@pytest.mark.parametrize("events", ["1001", [True], [-1], [2**32], [1.0], {"a": 1}, 5])
def test_ill_typed_platform_events(events: object) -> None:
    entry = {"public_key": b64url_encode(raw(1)), "role": "platform", "events": events}
    with pytest.raises(KeyringError, match="events"):
        load_keyring({"keys": [entry]})


def test_duplicate_key_id_is_an_error() -> None:
    entry = keyring_entry_for_platform(raw(1))
    with pytest.raises(KeyringError, match=r"keys\[1\].*repeats keys\[0\]"):
        load_keyring({"keys": [entry, dict(entry, events=[5])]})
    # also when one of them is an agent entry that would be dropped anyway
    agent_same_key = agent_entry(1, 9, [1])
    with pytest.raises(KeyringError, match="repeats"):
        load_keyring({"keys": [entry, agent_same_key]})


def test_agent_scope_is_certificate_events_intersect_issuer_scope() -> None:
    keyring = load_keyring(
        dump_keyring(
            [
                keyring_entry_for_platform(raw(1), [1, 2]),
                keyring_entry_for_platform(raw(2), None),
                agent_entry(10, 1, [2, 3]),
                agent_entry(11, 2, [2, 3]),
                agent_entry(12, 1, [3]),
            ]
        )
    )
    assert keyring.warnings == ()
    assert keyring.keys[key_id_of(raw(10))].events == frozenset({2})
    assert keyring.keys[key_id_of(raw(11))].events == frozenset({2, 3})
    assert keyring.keys[key_id_of(raw(12))].events == frozenset()
    assert not keyring.keys[key_id_of(raw(12))].allows_event(3)


def test_events_on_an_agent_entry_are_ignored() -> None:
    entry = agent_entry(10, 1, [2], events=None)
    keyring = load_keyring({"keys": [keyring_entry_for_platform(raw(1)), entry]})
    assert keyring.keys[key_id_of(raw(10))].events == frozenset({2})
    entry = agent_entry(10, 1, [2], events="garbage")
    keyring = load_keyring({"keys": [keyring_entry_for_platform(raw(1)), entry]})
    assert keyring.keys[key_id_of(raw(10))].events == frozenset({2})


def _dropped(entries: list[dict[str, object]]) -> tuple[str, ...]:
    keyring = load_keyring({"keys": entries})
    assert key_id_of(raw(10)) not in keyring.keys
    assert len(keyring.warnings) == 1
    assert key_id_of(raw(10)).hex() in keyring.warnings[0]
    return keyring.warnings


def test_agent_without_certificate_is_dropped() -> None:
    entry: dict[str, object] = {
        "public_key": b64url_encode(raw(10)),
        "role": "agent",
        "events": [1],
    }
    (warning,) = _dropped([keyring_entry_for_platform(raw(1)), entry])
    assert "no certificate" in warning


def test_agent_with_malformed_certificate_is_dropped() -> None:
    entry = agent_entry(10, 1, [1])
    entry["certificate"] = dict(entry["certificate"], not_after="soon")  # type: ignore[call-overload]
    (warning,) = _dropped([keyring_entry_for_platform(raw(1)), entry])
    assert "not_after" in warning


def test_agent_whose_certificate_is_for_another_key_is_dropped() -> None:
    entry = agent_entry(11, 1, [1])
    entry["public_key"] = b64url_encode(raw(10))
    (warning,) = _dropped([keyring_entry_for_platform(raw(1)), entry])
    assert "different public key" in warning


def test_agent_certified_by_an_absent_key_or_an_agent_is_dropped() -> None:
    (warning,) = _dropped([keyring_entry_for_platform(raw(1)), agent_entry(10, 2, [1])])
    assert "not a platform key" in warning
    keyring = load_keyring(
        {
            "keys": [
                keyring_entry_for_platform(raw(1)),
                agent_entry(11, 1, [1]),
                agent_entry(10, 11, [1]),
            ]
        }
    )
    assert key_id_of(raw(11)) in keyring.keys
    assert key_id_of(raw(10)) not in keyring.keys


def test_agent_with_altered_certificate_is_dropped() -> None:
    entry = agent_entry(10, 1, [1])
    entry["certificate"] = dict(entry["certificate"], events=[1, 2])  # type: ignore[call-overload]
    (warning,) = _dropped([keyring_entry_for_platform(raw(1)), entry])
    assert "does not verify" in warning


def test_dump_and_entries_round_trip_through_json() -> None:
    doc = dump_keyring([keyring_entry_for_platform(raw(1), [5, 3, 5]), agent_entry(10, 1, [3])])
    assert doc["keys"][0] == {  # type: ignore[index]
        "public_key": b64url_encode(raw(1)),
        "events": [3, 5],
        "role": "platform",
    }
    keyring = load_keyring(json.loads(json.dumps(doc)))
    assert set(keyring.keys) == {key_id_of(raw(1)), key_id_of(raw(10))}


def test_entry_builders_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="32"):
        keyring_entry_for_platform(bytes(31))
    with pytest.raises(ValueError, match="events"):
        keyring_entry_for_platform(raw(1), [-1])


def test_keyring_keys_are_read_only() -> None:
    keyring = load_keyring({"keys": [keyring_entry_for_platform(raw(1))]})
    with pytest.raises(TypeError):
        keyring.keys[b"1234"] = keyring.keys[key_id_of(raw(1))]  # type: ignore[index]
