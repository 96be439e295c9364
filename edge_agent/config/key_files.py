"""Key files, keyrings and JSON documents on disk (the CLI, the runtime and the demo).

A key file is JSON ``{"kind": "gatehouse-ed25519-key", "private_key": <b64url raw 32>,
"public_key": <b64url raw 32>, "key_id": <8 hex>}``. The public half and key id are
stored only so a human can see which key a file holds; on reading they are checked
against the private key, so an edited file is caught instead of signing with a key
the keyring does not know.

All errors are ``KeyFileError`` (a ``GatehouseError``), so ``edge-agent`` prints them
and exits 2, and every message names the file.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.agent_certificate import b64url_decode, b64url_encode
from edge_agent.domain.errors import KeyringError
from edge_agent.domain.keyring import load_keyring
from edge_agent.domain.trusted_key import Keyring, key_id_of
from edge_agent.errors import FileAccessError

KEY_FILE_KIND = "gatehouse-ed25519-key"


class KeyFileError(FileAccessError):
    """A key, keyring, token or certificate file is missing, unreadable or not what it
    claims."""


@dataclass(frozen=True)
class KeyFile:
    path: Path
    private_key: Ed25519PrivateKey
    public_raw: bytes
    #: Human-readable concerns (e.g. a private key readable by others); not fatal.
    warnings: tuple[str, ...] = ()

    @property
    def key_id(self) -> bytes:
        return key_id_of(self.public_raw)


def key_file_doc(private_key: Ed25519PrivateKey) -> dict[str, str]:
    public_raw = private_key.public_key().public_bytes_raw()
    return {
        "kind": KEY_FILE_KIND,
        "private_key": b64url_encode(private_key.private_bytes_raw()),
        "public_key": b64url_encode(public_raw),
        "key_id": key_id_of(public_raw).hex(),
    }


def write_key_file(path: Path, private_key: Ed25519PrivateKey) -> None:
    """Create ``path`` with mode 0600; refuses to overwrite (a lost private key cannot
    be recovered, and tickets already signed with it would become unverifiable)."""
    data = json.dumps(key_file_doc(private_key), indent=2) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(path, "already exists; refusing to overwrite a key file") from None
    except OSError as exc:
        raise KeyFileError(path, f"cannot create key file: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise KeyFileError(path, f"cannot write key file: {exc.strerror}") from None


def read_json_file(path: Path, what: str) -> object:
    """Read and parse a JSON file, with errors a venue tech can act on."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(path, f"{what} file not found") from None
    except IsADirectoryError:
        raise KeyFileError(path, f"is a directory, expected a {what} file") from None
    except UnicodeDecodeError:
        raise KeyFileError(path, f"{what} file is not UTF-8 text") from None
    except OSError as exc:
        raise KeyFileError(path, f"cannot read {what} file: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyFileError(path, f"{what} file is not valid JSON: {exc}") from None


def read_key_file(path: Path) -> KeyFile:
    """Read a private key file made by ``keys new``."""
    doc = read_json_file(path, "key")
    if not isinstance(doc, dict) or doc.get("kind") != KEY_FILE_KIND:
        raise KeyFileError(path, f'not a key file (expected "kind": "{KEY_FILE_KIND}")')
    private_text = doc.get("private_key")
    try:
        if not isinstance(private_text, str):
            raise ValueError("missing")
        private_raw = b64url_decode(private_text)
        if len(private_raw) != 32:
            raise ValueError("wrong length")
    except ValueError:
        raise KeyFileError(path, "private_key must be 32 bytes of base64url") from None
    private_key = Ed25519PrivateKey.from_private_bytes(private_raw)
    public_raw = private_key.public_key().public_bytes_raw()
    if doc.get("public_key") != b64url_encode(public_raw):
        raise KeyFileError(path, "public_key does not belong to private_key (edited file?)")
    if doc.get("key_id") != key_id_of(public_raw).hex():
        raise KeyFileError(path, "key_id does not match the key (edited file?)")
    warnings: tuple[str, ...] = ()
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings = (f"{path}: private key file is readable by others (chmod 600 it)",)
    return KeyFile(path=path, private_key=private_key, public_raw=public_raw, warnings=warnings)


def read_keyring_file(path: Path) -> Keyring:
    """Read and check a keyring file; structural problems are errors, dropped agent
    keys come back as ``Keyring.warnings``."""
    doc = read_json_file(path, "keyring")
    try:
        return load_keyring(doc)
    except KeyringError as exc:
        raise KeyFileError(path, f"keyring rejected: {exc}") from None


def write_json_file(path: Path, doc: object, *, secret: bool = False) -> None:
    """Write JSON atomically (temp file + rename), so a reader never sees half a file;
    ``secret`` keeps it 0600 (a keyring with rotation secrets), else 0644."""
    data = json.dumps(doc, indent=2) + "\n"
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise KeyFileError(path, f"cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600 if secret else 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise KeyFileError(path, f"cannot write: {exc.strerror}") from None


def read_token_file(path: Path) -> str:
    """Read the agent's platform token (one line). The file must not be readable by
    group or others: the token lets anyone upload as this agent."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(path, "token file not found (sync.token_file)") from None
    except UnicodeDecodeError:
        raise KeyFileError(path, "token file is not UTF-8 text") from None
    except OSError as exc:
        raise KeyFileError(path, f"cannot read token file: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(path, "token file is readable by others; chmod 600 it")
    token = text.strip()
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        raise KeyFileError(path, "token file must hold the token alone on one line")
    return token


def write_token_file(path: Path, token: str, *, replace: bool = False) -> None:
    """Write a platform token alone on one line, mode 0600 (what ``read_token_file``
    accepts). Refuses to replace an existing file unless asked: the old token may be the
    only one the platform still honours."""
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        raise KeyFileError(path, "refusing to write a token with spaces or control characters")
    if path.exists() and not replace:
        raise KeyFileError(path, "already exists (pass --replace to overwrite the token)")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise KeyFileError(path, f"cannot write: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise KeyFileError(path, f"cannot write: {exc.strerror}") from None


def load_or_create_agent_key(path: Path) -> KeyFile:
    """The agent's identity key: read it, or make it (mode 0600) on a box's first start.

    A fresh box has no key until it first runs; making one here saves the venue tech a
    step, and the public half is what ``keys show`` prints for enrolment. An existing
    file is never replaced: tickets and checkpoints already signed with it must stay
    verifiable.
    """
    if not path.exists():
        try:
            write_key_file(path, Ed25519PrivateKey.generate())
        except KeyFileError:
            if not path.exists():  # another process may have made it just now
                raise
    return read_key_file(path)
