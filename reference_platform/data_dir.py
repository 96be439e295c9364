"""The platform's data directory: ``platform.sqlite3`` (WAL), ``admin.token`` (0600) and,
while ``serve`` runs, ``serve.json`` (the URL it listens on, so the CLI finds it).

The directory is created 0700: it holds the event signing keys (in the database) and
the admin token.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from reference_platform.errors import SetupError
from reference_platform.store.database import DB_NAME, open_connection

ADMIN_TOKEN_FILE = "admin.token"  # noqa: S105 - a name, not a secret
SERVE_FILE = "serve.json"
ADMIN_TOKEN_PREFIX = "gpo_"  # noqa: S105 - a name, not a secret


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def db_path(data_dir: Path) -> Path:
    return data_dir / DB_NAME


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def init_data_dir(data_dir: Path) -> bool:
    """Create the directory, the database and the admin token; returns False (and
    changes nothing) if it was already initialised."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    token_file = data_dir / ADMIN_TOKEN_FILE
    if token_file.exists():
        return False
    open_connection(db_path(data_dir)).close()
    _write_private(token_file, ADMIN_TOKEN_PREFIX + secrets.token_urlsafe(32) + "\n")
    return True


def read_admin_token(data_dir: Path) -> str:
    token_file = data_dir / ADMIN_TOKEN_FILE
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SetupError(
            f"{data_dir} is not an initialised platform data dir (no {ADMIN_TOKEN_FILE});"
            f" run 'gatehouse-platform init --data {data_dir}'"
        ) from None
    except OSError as exc:
        raise SetupError(f"cannot read {token_file}: {exc.strerror}") from None
    if not token:
        raise SetupError(f"{token_file} is empty")
    return token


def write_serve_file(data_dir: Path, url: str) -> None:
    _write_private(data_dir / SERVE_FILE, json.dumps({"url": url, "pid": os.getpid()}) + "\n")


def remove_serve_file(data_dir: Path) -> None:
    (data_dir / SERVE_FILE).unlink(missing_ok=True)


def served_url(data_dir: Path) -> str:
    """The URL of the server running on this data dir (for the CLI)."""
    try:
        doc = json.loads((data_dir / SERVE_FILE).read_text(encoding="utf-8"))
        url = doc["url"]
    except (OSError, ValueError, KeyError, TypeError):
        raise SetupError(
            f"no running platform found for {data_dir} (start 'gatehouse-platform serve"
            f" --data {data_dir}' or pass --url)"
        ) from None
    if not isinstance(url, str):
        raise SetupError(f"{data_dir / SERVE_FILE} is damaged; pass --url")
    return url
