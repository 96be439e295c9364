"""The local manifest file: accepted shape, and every mistake named by its key."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from edge_agent.errors import ConfigError
from edge_agent.platform_link.manifest_file import parse_manifest

GOOD: dict[str, Any] = {
    "event_id": 1001,
    "ticket_types": [{"ticket_type": 0, "name": "General"}],
    "plain_codes": [{"code": " 4006381333931\r\n", "ticket_id": "t1", "ticket_type": 0}],
    "revocations": [{"ticket_id": "t2", "kind": "charged_back"}],
}


def test_good_manifest_stores_only_code_hashes() -> None:
    m = parse_manifest(GOOD, "m.json", now_ms=5)
    assert m.event_id == 1001 and m.ticket_types[0].name == "General"
    (code,) = m.plain_codes
    assert code.code_sha256 == hashlib.sha256(b"4006381333931").hexdigest()  # stripped
    assert (code.valid_from, code.valid_until) == (0, 0)
    (rev,) = m.revocations
    assert (rev.ticket_id, rev.kind, rev.at_ms, rev.source) == (
        "t2",
        "charged_back",
        5,
        "manifest-file",
    )


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        ({"event": 1}, "event", "unknown key"),
        ({"event_id": -1}, "event_id", "unsigned 32-bit"),
        ({"ticket_types": {"0": "x"}}, "ticket_types", "expected a list"),
        ({"ticket_types": ["General"]}, "ticket_types[0]", "expected an object"),
        (
            {"ticket_types": [{"ticket_type": 0, "name": "G", "price": 5}]},
            "ticket_types[0].price",
            "unknown key",
        ),
        ({"plain_codes": [{"code": "", "ticket_id": "x"}]}, "plain_codes[0].code", "non-empty"),
        (
            {"plain_codes": [{"code": "A", "ticket_id": "x", "ticket_type": 70000}]},
            "plain_codes[0].ticket_type",
            "16-bit",
        ),
        (
            {"revocations": [{"ticket_id": "t", "kind": "lost"}]},
            "revocations[0].kind",
            "expected one of",
        ),
        (
            {"revocations": [{"ticket_id": "t\ud800", "kind": "refunded"}]},
            "revocations[0].ticket_id",
            "printable text",
        ),
        (
            {"plain_codes": [{"code": "AB\x00C", "ticket_id": "x"}]},
            "plain_codes[0].code",
            "printable text",
        ),
    ],
)
def test_mistakes_name_the_key(change: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_manifest({**GOOD, **change}, "m.json", now_ms=0)
    assert err.value.key == key and problem in err.value.problem
    assert "m.json" in str(err.value)
