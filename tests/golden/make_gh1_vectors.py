"""Generate our own GH1 golden vectors: ``gh1_vectors.jsonl`` and ``gh1_keyring.json``.

Deterministic: every key comes from a fixed seed (``Ed25519PrivateKey.from_private_bytes``)
and every ticket id from a fixed name, and Ed25519 signatures are deterministic, so
re-running this script reproduces the files byte for byte. Run it only when the vectors
must change, then commit the output:

    .venv/bin/python tests/golden/make_gh1_vectors.py

Each line of ``gh1_vectors.jsonl``: ``name``, ``code``, ``event``, ``at``, ``expected``
(the exact ``ticket inspect`` object) and, for codes that are a plain signing of a body,
``seed`` (hex private key seed) and ``body`` (its fields), so a test can re-encode the
body and must get the very same code string. Tampered and hand-built codes have
``seed``/``body`` = null.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.agent_certificate import b64url_encode, issue_certificate
from edge_agent.domain.base45 import b45decode, b45encode
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_agent,
    keyring_entry_for_platform,
    load_keyring,
)
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import PREFIX, encode_gh1, encode_signed, sign_body
from edge_agent.domain.trusted_key import key_id_of
from edge_agent.domain.verification import inspect_code

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "gh1_vectors.jsonl"
KEYRING = HERE / "gh1_keyring.json"

AT = 1767260000  # default judging time
NB, NA = 1767225600, 1767312000  # agent certificate window (inclusive)
U32 = 0xFFFFFFFF


#: Vector name prefix -> the verdict the spec requires (checked here and in the tests,
#: so the recorded ``expected`` objects are not just a snapshot of the implementation).
REASON_BY_PREFIX = {
    "ok": "ok",
    "nyv": "not_yet_valid",
    "exp": "expired",
    "knfe": "key_not_for_event",
    "we": "wrong_event",
    "uk": "unknown_key",
    "bs": "bad_signature",
    "mal": "malformed",
}


def reason_for_name(name: str) -> str:
    return REASON_BY_PREFIX[name.split("-", 1)[0]]


def seed(name: str) -> bytes:
    return hashlib.sha256(b"gatehouse-golden-key-" + name.encode()).digest()


def tid(name: str) -> bytes:
    return hashlib.sha256(b"gatehouse-golden-ticket-" + name.encode()).digest()[:16]


KEYS = {
    n: Ed25519PrivateKey.from_private_bytes(seed(n))
    for n in ("P1", "P2", "X", "A1", "A2", "A3", "A4", "A5")
}


def raw(name: str) -> bytes:
    return KEYS[name].public_key().public_bytes_raw()


def build_keyring() -> dict[str, object]:
    """P1 platform for 1001/1002; P2 platform for any event; A1 certified by P1 for
    1001/1003 (scope 1001); A5 certified by P2 for 2001 with a one-second window; and
    three untrusted agents: A2 issued by X (not in the keyring), A3 certificate altered
    after signing, A4 certified by A1 (an agent, not a platform key)."""
    a1 = issue_certificate(
        KEYS["P1"],
        agent_id="door-1",
        agent_public_key=raw("A1"),
        events=[1001, 1003],
        not_before=NB,
        not_after=NA,
    )
    a5 = issue_certificate(
        KEYS["P2"],
        agent_id="door-5",
        agent_public_key=raw("A5"),
        events=[2001],
        not_before=AT,
        not_after=AT,
    )
    a2 = issue_certificate(
        KEYS["X"],
        agent_id="rogue",
        agent_public_key=raw("A2"),
        events=[1001],
        not_before=NB,
        not_after=NA,
    )
    a3 = issue_certificate(
        KEYS["P1"],
        agent_id="door-3",
        agent_public_key=raw("A3"),
        events=[1001],
        not_before=NB,
        not_after=NA,
    )
    a3_entry = keyring_entry_for_agent(a3)
    cert3 = dict(a3_entry["certificate"])  # type: ignore[call-overload]
    cert3["events"] = [1001, 1002]  # altered after signing
    a3_entry["certificate"] = cert3
    a4 = issue_certificate(
        KEYS["A1"],
        agent_id="door-4",
        agent_public_key=raw("A4"),
        events=[1001],
        not_before=NB,
        not_after=NA,
    )
    return dump_keyring(
        [
            keyring_entry_for_platform(raw("P1"), [1001, 1002]),
            keyring_entry_for_platform(raw("P2"), None),
            keyring_entry_for_agent(a1),
            keyring_entry_for_agent(a5),
            keyring_entry_for_agent(a2),
            a3_entry,
            keyring_entry_for_agent(a4),
        ]
    )


def body(
    signer: str,
    name: str,
    event: int,
    ticket_type: int = 0,
    valid_from: int = 0,
    valid_until: int = 0,
    **extra: int,
) -> TicketBody:
    return TicketBody(
        key_id=key_id_of(raw(signer)),
        event_id=event,
        ticket_id=tid(name),
        ticket_type=ticket_type,
        valid_from=valid_from,
        valid_until=valid_until,
        **extra,
    )


def flip(code: str, byte_index: int, bit: int = 0) -> str:
    data = bytearray(b45decode(code[len(PREFIX) :]))
    data[byte_index] ^= 1 << bit
    return PREFIX + b45encode(bytes(data))


def main() -> None:
    keyring_doc = build_keyring()
    keyring = load_keyring(keyring_doc)
    assert len(keyring.keys) == 4, keyring.keys
    assert len(keyring.warnings) == 3, keyring.warnings
    rows: list[dict[str, Any]] = []

    def signed(name: str, signer: str, expect: int | None, at: int = AT, **fields: Any) -> None:
        b = body(signer, name, **fields)
        add(name, encode_gh1(b, KEYS[signer]), expect, at, signer, b)

    def add(
        name: str,
        code: str,
        event: int | None,
        at: int = AT,
        signer: str | None = None,
        b: TicketBody | None = None,
    ) -> None:
        rows.append(
            {
                "name": name,
                "code": code,
                "event": event,
                "at": at,
                "seed": seed(signer).hex() if signer and b else None,
                "body": None
                if b is None
                else {
                    "version": b.version,
                    "flags": b.flags,
                    "key_id": b.key_id_hex,
                    "event_id": b.event_id,
                    "ticket_id": b.ticket_id_hex,
                    "ticket_type": b.ticket_type,
                    "valid_from": b.valid_from,
                    "valid_until": b.valid_until,
                },
                "expected": inspect_code(code, keyring, event, at),
            }
        )

    # ok: platform keys, boundaries inclusive
    signed("ok-p1-nobounds", "P1", None, event=1001)
    signed("ok-p1-expected", "P1", 1002, event=1002, ticket_type=65535)
    signed("ok-p1-at-valid-from", "P1", None, event=1001, valid_from=AT, valid_until=AT + 10)
    signed("ok-p1-at-valid-until", "P1", None, event=1001, valid_from=AT - 10, valid_until=AT)
    signed("ok-p2-event0", "P2", 0, event=0, ticket_type=1)
    signed("ok-p2-event-max", "P2", U32, event=U32, valid_from=1, valid_until=U32)
    signed("ok-p2-at0-nobounds", "P2", None, at=0, event=7)
    signed("ok-p2-at-max-until-max", "P2", None, at=U32, event=7, valid_until=U32)
    # ok: agent keys inside their certificate window, bounds inclusive
    signed("ok-a1-inside", "A1", 1001, event=1001, ticket_type=3)
    signed("ok-a1-at-not-before", "A1", None, at=NB, event=1001)
    signed("ok-a1-at-not-after", "A1", None, at=NA, event=1001)
    signed("ok-a5-one-second-cert", "A5", 2001, event=2001)
    # not_yet_valid / expired: ticket windows
    signed("nyv-p1-from-minus-1", "P1", None, event=1001, valid_from=AT + 1)
    signed("exp-p1-until-plus-1", "P1", None, event=1001, valid_until=AT - 1)
    signed("nyv-p2-inverted", "P2", None, event=5, valid_from=AT + 5, valid_until=AT - 5)
    signed("nyv-p2-from-max", "P2", None, event=5, valid_from=U32)
    signed("exp-p2-until-1", "P2", None, event=5, valid_until=1)
    signed("nyv-p2-at0-from-1", "P2", None, at=0, event=5, valid_from=1)
    # not_yet_valid / expired: agent certificate windows
    signed("nyv-a1-before-cert", "A1", None, at=NB - 1, event=1001)
    signed("exp-a1-after-cert", "A1", None, at=NA + 1, event=1001)
    signed("nyv-a1-ticket-ok-cert-not", "A1", None, at=NB - 1, event=1001, valid_from=1)
    signed("exp-a1-ticket-ok-cert-not", "A1", None, at=NA + 1, event=1001, valid_until=U32)
    signed("exp-a1-ticket-ends-first", "A1", None, at=NA - 1, event=1001, valid_until=NA - 2)
    signed("nyv-a1-ticket-starts-later", "A1", None, at=NB + 1, event=1001, valid_from=NB + 2)
    signed("nyv-a5-one-second-before", "A5", None, at=AT - 1, event=2001)
    signed("exp-a5-one-second-after", "A5", None, at=AT + 1, event=2001)
    # key_not_for_event: platform scope, agent scope = certificate ∩ issuer scope
    signed("knfe-p1-event-1003", "P1", None, event=1003)
    signed("knfe-p1-before-wrong-event", "P1", 1001, event=1003)
    signed("knfe-a1-cert-event-outside-issuer", "A1", None, event=1003)
    signed("knfe-a1-issuer-event-outside-cert", "A1", None, event=1002)
    signed("knfe-a1-before-window", "A1", None, at=NB - 1, event=1003)
    # wrong_event
    signed("we-p1", "P1", 1002, event=1001)
    signed("we-p2-expected-0", "P2", 0, event=5)
    signed("we-a1-before-window-check", "A1", 1002, at=NA + 1, event=1001)
    # unknown_key: key absent, or agent key dropped from the keyring
    signed("uk-x", "X", None, event=1001)
    signed("uk-a2-issuer-not-in-keyring", "A2", 1001, event=1001)
    signed("uk-a3-cert-altered", "A3", None, event=1001)
    signed("uk-a4-issuer-is-agent", "A4", None, event=1001)
    wrong_id = TicketBody(
        key_id=b"\0\0\0\0", event_id=1001, ticket_id=tid("uk-zero"), ticket_type=0
    )
    add("uk-key-id-zero", encode_gh1(wrong_id, KEYS["P1"]), None, AT, "P1", wrong_id)
    # bad_signature: tampered body or signature, or signed by another key under P1's id
    base = encode_gh1(body("P1", "tamper", event=1001, valid_until=AT + 100), KEYS["P1"])
    add("bs-event-bit", flip(base, 6 + 3), None)
    add("bs-ticket-id-bit", flip(base, 10, 7), None)
    add("bs-valid-until-bit", flip(base, 32 + 3, 4), None)
    add("bs-signature-first-bit", flip(base, 36), None)
    add("bs-signature-last-bit", flip(base, 99, 7), None)
    add("bs-before-expired", flip(flip(base, 99), 32 + 3, 7), None, AT + 10_000)
    impostor = body("P1", "impostor", event=1001)
    add("bs-signed-by-x-with-p1-id", encode_gh1(impostor, KEYS["X"]), None, AT, None, None)
    # malformed: well-encoded but version/flags wrong, lengths, base45, prefix
    v2 = body("P1", "v2", event=1001, version=2)
    add("mal-version-2", encode_signed(sign_body(v2, KEYS["P1"])), None)
    f1 = body("P1", "f1", event=1001, flags=1)
    add("mal-flags-1", encode_signed(sign_body(f1, KEYS["P1"])), None)
    add("mal-version-0", flip(base, 0, 0), None)
    good = b45decode(base[len(PREFIX) :])
    add("mal-99-bytes", PREFIX + b45encode(good[:99]), None)
    add("mal-101-bytes", PREFIX + b45encode(good + b"\0"), None)
    add("mal-98-bytes", PREFIX + b45encode(good[:98]), None)
    add("mal-lower-case-prefix", "gh1:" + base[len(PREFIX) :], None)
    add("mal-lower-case-payload", PREFIX + base[len(PREFIX) :].lower(), None)
    add("mal-overflow-group", PREFIX + "GGW" + base[len(PREFIX) + 3 :], None)
    add("mal-trailing-char", base + "0", None)
    add("mal-empty", "", None)
    add("mal-prefix-only", PREFIX, None)
    add("mal-nbsp-padding", "\u00a0" + base, None)
    add("mal-inner-space-removed", base.replace(" ", "") if " " in base else base[:-1], None)
    add("mal-plain-code", "ABC-123-XYZ", None)
    # whitespace at the ends is stripped (CR, LF, space, tab only)
    add("ok-stripped-crlf", base + "\r\n", None)
    add("ok-stripped-mixed", " \t" + base + "\n \r", None)

    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    for r in rows:  # the name says the verdict; the implementation must agree
        assert r["expected"]["reason"] == reason_for_name(r["name"]), r
    VECTORS.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    KEYRING.write_text(json.dumps(keyring_doc, indent=2) + "\n")
    reasons: dict[str, int] = {}
    for r in rows:
        reasons[r["expected"]["reason"]] = reasons.get(r["expected"]["reason"], 0) + 1
    print(f"wrote {len(rows)} vectors: {reasons}")
    print("public keys:", {n: b64url_encode(raw(n)) for n in KEYS})


if __name__ == "__main__":
    main()
