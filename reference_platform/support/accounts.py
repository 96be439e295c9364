"""Support accounts and their sessions (platform migration 4).

Passwords are stored as scrypt hashes (stdlib ``hashlib.scrypt``, per-user salt);
session tokens as SHA-256, so a copied database opens nothing. A session lasts
``SESSION_S`` and is sent as an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3

ROLE = "support"
SESSION_S = 8 * 3600
MIN_PASSWORD = 12
_N, _R, _P = 2**14, 8, 1


def v4_support_accounts(conn: sqlite3.Connection) -> None:
    """Support staff: accounts (role ``support``) and login sessions."""
    conn.execute(
        """CREATE TABLE support_users (
            username      TEXT PRIMARY KEY,
            role          TEXT NOT NULL CHECK (role = 'support'),
            password_salt BLOB NOT NULL,
            password_hash BLOB NOT NULL,
            created_at_ms INTEGER NOT NULL,
            disabled      INTEGER NOT NULL DEFAULT 0
        ) STRICT"""
    )
    conn.execute(
        """CREATE TABLE support_sessions (
            token_sha256  TEXT PRIMARY KEY,
            username      TEXT NOT NULL REFERENCES support_users(username),
            expires_at_ms INTEGER NOT NULL
        ) STRICT"""
    )


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def add_user(conn: sqlite3.Connection, username: str, password: str, now_ms: int) -> None:
    if not username or len(username) > 64 or not username.isprintable():
        raise ValueError("a username is 1 to 64 printable characters")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a support password has at least {MIN_PASSWORD} characters")
    salt = secrets.token_bytes(16)
    conn.execute(
        "INSERT INTO support_users(username, role, password_salt, password_hash, created_at_ms)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET"
        " password_salt = excluded.password_salt, password_hash = excluded.password_hash,"
        " disabled = 0",
        (username, ROLE, salt, _hash(password, salt), now_ms),
    )


def login(conn: sqlite3.Connection, username: str, password: str, now_ms: int) -> str | None:
    """A new session token for a right password, else None (same work either way)."""
    row = conn.execute(
        "SELECT password_salt, password_hash, disabled FROM support_users WHERE username = ?",
        (username,),
    ).fetchone()
    salt, stored, disabled = row if row is not None else (b"\0" * 16, b"", 1)
    ok = hmac.compare_digest(_hash(password, salt), stored) and not disabled
    if not ok:
        return None
    token = secrets.token_urlsafe(32)
    conn.execute("DELETE FROM support_sessions WHERE expires_at_ms < ?", (now_ms,))
    conn.execute(
        "INSERT INTO support_sessions(token_sha256, username, expires_at_ms) VALUES (?, ?, ?)",
        (_sha(token), username, now_ms + SESSION_S * 1000),
    )
    return token


def session_user(conn: sqlite3.Connection, token: str, now_ms: int) -> str | None:
    row = conn.execute(
        "SELECT s.username FROM support_sessions s JOIN support_users u USING (username)"
        " WHERE s.token_sha256 = ? AND s.expires_at_ms > ? AND u.disabled = 0",
        (_sha(token), now_ms),
    ).fetchone()
    return None if row is None else str(row[0])


def logout(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("DELETE FROM support_sessions WHERE token_sha256 = ?", (_sha(token),))


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
