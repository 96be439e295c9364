"""Where the TUI keeps its device token: a 0600 JSON file in the user's config dir.

The token is what the agent issued at pairing (it keeps only the hash), so the file is
written with ``O_CREAT | O_EXCL``-style care: created 0600 before the token goes in,
never world-readable even for an instant. One file holds one agent's pairing; a TUI
pointed at another URL pairs again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tui.errors import TokenFileError


@dataclass(frozen=True, slots=True)
class StoredToken:
    url: str
    token: str
    device_id: str
    name: str
    role: str


def default_token_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/gatehouse/tui-token.json`` (``~/.config`` when unset)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "gatehouse" / "tui-token.json"


def read_token(path: Path) -> StoredToken | None:
    """The stored pairing, or ``None`` if there is no file yet."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TokenFileError(f"{path}: cannot read the token file: {exc}") from None
    try:
        return StoredToken(
            str(doc["url"]), str(doc["token"]), str(doc["device_id"]), str(doc["name"]),
            str(doc["role"]),
        )  # fmt: skip
    except (KeyError, TypeError):
        raise TokenFileError(f"{path}: not a Gatehouse TUI token file") from None


def write_token(path: Path, stored: StoredToken) -> None:
    """Write atomically (temp file + rename), mode 0600, directory 0700."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            json.dump(
                {
                    "url": stored.url,
                    "token": stored.token,
                    "device_id": stored.device_id,
                    "name": stored.name,
                    "role": stored.role,
                },
                f,
            )
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise TokenFileError(f"{path}: cannot write the token file: {exc}") from None
