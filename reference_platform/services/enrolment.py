"""Agent enrolment, agent tokens and the keyring an event's manifest carries.

Enrolling certifies the agent's Ed25519 key for one event (``issue_certificate`` with
the event's platform key), so tickets the agent signs at the box office verify at every
gate, and issues the agent's bearer token. Only the token's SHA-256 is stored; the token
itself is in the answer once. One token per agent: enrolling again (for the same or
another event) rotates it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3

from edge_agent.domain.agent_certificate import U32_MAX, issue_certificate
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_agent,
    keyring_entry_for_platform,
    rotation_entry,
)
from edge_agent.domain.rotating import event_secret
from reference_platform.errors import Invalid
from reference_platform.services.catalog import get_event, platform_key, platform_public_key

TOKEN_PREFIX = "gpa_"  # noqa: S105 - a name, not a secret
#: The certificate starts a day early (agent clocks drift; ``not_before`` is inclusive)
#: and lasts until a week after the event starts, or 30 days from enrolment if later.
CERT_EARLY_S = 86_400
CERT_AFTER_START_S = 7 * 86_400
CERT_MIN_LIFE_S = 30 * 86_400


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def tokens_match(token: str, expected_sha256: str) -> bool:
    return hmac.compare_digest(token_sha256(token), expected_sha256)


def enrol_agent(
    conn: sqlite3.Connection,
    *,
    event_id: int,
    agent_id: str,
    public_key: bytes,
    now_ms: int,
) -> dict[str, object]:
    """Certify ``public_key`` (raw 32 bytes) for ``event_id`` and (re)issue the token."""
    event = get_event(conn, event_id)
    issuer = platform_key(conn, event_id)
    if public_key == issuer.public_key().public_bytes_raw():
        raise Invalid("public_key is the event's own platform key", field="public_key")
    now_s = now_ms // 1000
    not_before = max(0, now_s - CERT_EARLY_S)
    not_after = min(
        U32_MAX, max(event.starts_at_ms // 1000 + CERT_AFTER_START_S, now_s + CERT_MIN_LIFE_S)
    )
    cert = issue_certificate(
        issuer,
        agent_id=agent_id,
        agent_public_key=public_key,
        events=[event_id],
        not_before=not_before,
        not_after=not_after,
    )
    token = new_token()
    conn.execute(
        "INSERT INTO agents(agent_id, token_sha256, token_issued_at_ms) VALUES (?, ?, ?)"
        " ON CONFLICT(agent_id) DO UPDATE SET token_sha256 = excluded.token_sha256,"
        " token_issued_at_ms = excluded.token_issued_at_ms",
        (agent_id, token_sha256(token), now_ms),
    )
    entry = keyring_entry_for_agent(cert)
    conn.execute(
        "INSERT INTO agent_enrolments(agent_id, event_id, public_key, certificate,"
        " enrolled_at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT(agent_id, event_id) DO UPDATE"
        " SET public_key = excluded.public_key, certificate = excluded.certificate,"
        " enrolled_at_ms = excluded.enrolled_at_ms",
        (agent_id, event_id, entry["public_key"], json.dumps(entry), now_ms),
    )
    return {"agent_id": agent_id, "token": token, "certificate": cert.to_json_dict()}


def agent_for_token(conn: sqlite3.Connection, token: str) -> str | None:
    row = conn.execute(
        "SELECT agent_id FROM agents WHERE token_sha256 = ?", (token_sha256(token),)
    ).fetchone()
    return None if row is None else str(row[0])


def is_enrolled(conn: sqlite3.Connection, agent_id: str, event_id: int) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM agent_enrolments WHERE agent_id = ? AND event_id = ?",
            (agent_id, event_id),
        ).fetchone()
        is not None
    )


def rotation_secret(conn: sqlite3.Connection, event_id: int) -> bytes:
    """The event's rotation secret (``docs/formats/rotating-v1.md``), derived from its
    platform key: enrolled agents get it with the keyring to check live codes."""
    return event_secret(platform_key(conn, event_id).private_bytes_raw(), event_id)


def event_keyring(conn: sqlite3.Connection, event_id: int) -> dict[str, object]:
    """The event's platform key plus every agent key certified for it (ticket-v1
    keyring format). Two agents enrolled with the same key would make an invalid
    keyring (repeated key id), so only the latest enrolment of a key is listed."""
    entries: list[dict[str, object]] = [
        keyring_entry_for_platform(platform_public_key(conn, event_id), [event_id])
    ]
    seen: set[str] = set()
    for public_key, certificate in conn.execute(
        "SELECT public_key, certificate FROM agent_enrolments WHERE event_id = ?"
        " ORDER BY enrolled_at_ms DESC, agent_id",
        (event_id,),
    ):
        if public_key in seen:
            continue
        seen.add(public_key)
        entries.append(json.loads(certificate))
    return dump_keyring(entries, [rotation_entry(event_id, rotation_secret(conn, event_id))])
