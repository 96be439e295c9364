"""Keyring documents → the checked ``Keyring`` verifiers use (``ticket-v1.md``, "Keyring").

Loading is pure (the caller reads and parses the JSON) so the same rules apply to a
file at start-up, a keyring pushed by the platform and a test fixture.

Two kinds of problems are treated differently on purpose:

* a structurally wrong document (not an object, an entry without ``role``, a key that
  is not 32 base64url bytes, ill-typed ``events``, two entries with the same key id) is
  a ``KeyringError``: the file is broken and a gate should not start on a guess;
* an agent entry whose certificate is missing, malformed, for another key, issued by a
  key that is not a platform key of this keyring, or not verifying is *dropped* with a
  warning, as the spec says: its tickets then read as ``unknown_key``.

An entry's optional ``scheme`` says which codes the key verifies: ``"gh1"`` (the
default) or ``"pretix_sig1"`` (pretix's signed codes; role ``platform`` only, and such a
key never certifies an agent). Beside the keys, an optional ``rotation`` list holds the
events' rotation secrets for rotating codes (``docs/formats/rotating-v1.md``): one
keyring format carries all three, so a box at a pretix event can also check live codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_agent.domain.agent_certificate import (
    PUBLIC_KEY_LEN,
    AgentCertificate,
    b64url_encode,
    b64url_exact,
    is_u32,
    verify_certificate,
)
from edge_agent.domain.errors import CertificateError, KeyringError
from edge_agent.domain.trusted_key import Keyring, KeyRole, KeyScheme, TrustedKey, key_id_of

#: Bytes of an event's rotation secret.
ROTATION_SECRET_LEN = 32


class _Entry:
    """One structurally valid entry, before agent certificates are checked."""

    __slots__ = ("events", "index", "key", "raw", "role", "scheme", "source")

    def __init__(
        self,
        index: int,
        raw: bytes,
        key: Ed25519PublicKey,
        role: KeyRole,
        events: frozenset[int] | None,
        source: Mapping[str, object],
        scheme: KeyScheme = KeyScheme.GH1,
    ) -> None:
        self.index = index
        self.raw = raw
        self.key = key
        self.role = role
        self.events = events
        self.source = source
        self.scheme = scheme


def load_keyring(doc: object) -> Keyring:
    """Check a parsed keyring document and return the keys a verifier may trust.

    Raises ``KeyringError`` for a structurally wrong document; untrusted agent keys are
    left out and described in ``Keyring.warnings``.
    """
    if not isinstance(doc, Mapping):
        raise KeyringError("keyring must be a JSON object")
    entries_doc = doc.get("keys")
    if not isinstance(entries_doc, list):
        raise KeyringError('keyring must have a "keys" list')
    entries: dict[bytes, _Entry] = {}
    for index, item in enumerate(entries_doc):
        entry = _read_entry(index, item)
        key_id = key_id_of(entry.raw)
        if key_id in entries:
            first = entries[key_id].index
            raise KeyringError(f"keys[{index}]: key id {key_id.hex()} repeats keys[{first}]")
        entries[key_id] = entry

    trusted: dict[bytes, TrustedKey] = {}
    warnings: list[str] = []
    for key_id, entry in entries.items():
        if entry.role is KeyRole.PLATFORM:
            trusted[key_id] = TrustedKey(
                key_id=key_id,
                raw_public_key=entry.raw,
                public_key=entry.key,
                role=KeyRole.PLATFORM,
                events=entry.events,
                scheme=entry.scheme,
            )
            continue
        try:
            trusted[key_id] = _trust_agent(key_id, entry, entries)
        except CertificateError as exc:
            warnings.append(f"keys[{entry.index}]: agent key {key_id.hex()} not trusted: {exc}")
    rotation = _read_rotation(doc.get("rotation"))
    return Keyring(keys=MappingProxyType(trusted), warnings=tuple(warnings), rotation=rotation)


def _read_rotation(value: object) -> Mapping[int, bytes]:
    """``"rotation": [{"event_id": 1001, "secret": "<base64url 32 bytes>"}]`` — the
    events' rotation secrets (``docs/formats/rotating-v1.md``); absent = none."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, list):
        raise KeyringError("rotation must be a list")
    secrets: dict[int, bytes] = {}
    for index, item in enumerate(value):
        where = f"rotation[{index}]"
        if not isinstance(item, Mapping) or not is_u32(item.get("event_id")):
            raise KeyringError(f"{where}: event_id must be an integer 0..2^32-1")
        try:
            secret = b64url_exact(item.get("secret"), ROTATION_SECRET_LEN)
        except ValueError as exc:
            raise KeyringError(f"{where}: secret: {exc}") from None
        event_id = int(item["event_id"])
        if event_id in secrets:
            raise KeyringError(f"{where}: event {event_id} repeats")
        secrets[event_id] = secret
    return MappingProxyType(secrets)


def rotation_entry(event_id: int, secret: bytes) -> dict[str, object]:
    """A keyring's rotation entry for one event (the file then holds a secret: 0600)."""
    return {"event_id": event_id, "secret": b64url_encode(secret)}


def public_keyring_doc(doc: Mapping[str, object]) -> dict[str, object]:
    """The keyring document without its rotation secrets (for evidence packs)."""
    return {k: v for k, v in doc.items() if k != "rotation"}


def _read_entry(index: int, item: object) -> _Entry:
    where = f"keys[{index}]"
    if not isinstance(item, Mapping):
        raise KeyringError(f"{where}: entry must be a JSON object")
    try:
        raw = b64url_exact(item.get("public_key"), PUBLIC_KEY_LEN)
    except ValueError as exc:
        raise KeyringError(f"{where}: public_key: {exc}") from None
    try:
        key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise KeyringError(f"{where}: public_key is not an Ed25519 public key") from None
    if "role" not in item:
        raise KeyringError(f"{where}: role is required")
    role_text = item["role"]
    try:
        role = KeyRole(role_text) if isinstance(role_text, str) else None
    except ValueError:
        role = None
    if role is None:
        raise KeyringError(f'{where}: role must be "platform" or "agent", got {role_text!r}')
    scheme = _read_scheme(where, item.get("scheme", KeyScheme.GH1.value))
    if scheme is KeyScheme.PRETIX_SIG1 and role is not KeyRole.PLATFORM:
        raise KeyringError(f'{where}: a "pretix_sig1" key must have role "platform"')
    events: frozenset[int] | None = None
    if role is KeyRole.PLATFORM:
        events = _read_events(where, item.get("events"))
    # An "events" field on an agent entry is ignored: the certificate is the scope.
    return _Entry(index, raw, key, role, events, item, scheme)


def _read_scheme(where: str, value: object) -> KeyScheme:
    try:
        return KeyScheme(value) if isinstance(value, str) else KeyScheme("")
    except ValueError:
        names = ", ".join(f'"{s.value}"' for s in KeyScheme)
        raise KeyringError(f"{where}: scheme must be one of {names}, got {value!r}") from None


def _read_events(where: str, value: object) -> frozenset[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(is_u32(e) for e in value):
        raise KeyringError(f"{where}: events must be null or a list of integers 0..2^32-1")
    return frozenset(int(e) for e in value)


def _trust_agent(key_id: bytes, entry: _Entry, entries: Mapping[bytes, _Entry]) -> TrustedKey:
    """Apply the spec's three conditions; raises ``CertificateError`` naming the failure."""
    if "certificate" not in entry.source:
        raise CertificateError("no certificate")
    cert = AgentCertificate.from_json_dict(entry.source["certificate"])
    if cert.public_key != entry.raw:
        raise CertificateError("certificate is for a different public key")
    issuer = entries.get(bytes.fromhex(cert.issuer_key_id))
    if issuer is None or issuer.role is not KeyRole.PLATFORM or issuer.scheme is not KeyScheme.GH1:
        raise CertificateError(
            f"certificate issuer {cert.issuer_key_id} is not a platform key of this keyring"
        )
    verify_certificate(cert, issuer.key)
    scope = frozenset(cert.events)
    if issuer.events is not None:
        scope &= issuer.events
    return TrustedKey(
        key_id=key_id,
        raw_public_key=entry.raw,
        public_key=entry.key,
        role=KeyRole.AGENT,
        events=scope,
        not_before=cert.not_before,
        not_after=cert.not_after,
        agent_id=cert.agent_id,
    )


def keyring_entry_for_platform(
    public_raw: bytes, events: Iterable[int] | None = None
) -> dict[str, object]:
    """A platform entry; ``events=None`` means any event."""
    if len(public_raw) != PUBLIC_KEY_LEN:
        raise ValueError("public key must be 32 raw bytes")
    event_list = None if events is None else sorted(set(events))
    if event_list is not None and not all(is_u32(e) for e in event_list):
        raise ValueError("events must be integers 0..2^32-1")
    return {"public_key": b64url_encode(public_raw), "events": event_list, "role": "platform"}


def keyring_entry_for_pretix(public_raw: bytes, events: Iterable[int]) -> dict[str, object]:
    """A ``pretix_sig1`` key of a pretix event, scoped to Gatehouse ``events``."""
    entry = keyring_entry_for_platform(public_raw, events)
    entry["scheme"] = KeyScheme.PRETIX_SIG1.value
    return entry


def keyring_entry_for_agent(cert: AgentCertificate) -> dict[str, object]:
    """An agent entry carrying its certificate (its scope comes from the certificate)."""
    return {
        "public_key": b64url_encode(cert.public_key),
        "role": "agent",
        "certificate": cert.to_json_dict(),
    }


def dump_keyring(
    entries: Iterable[Mapping[str, object]],
    rotation: Iterable[Mapping[str, object]] = (),
) -> dict[str, object]:
    """The keyring document for ``entries`` (write it with ``json.dump``); with
    ``rotation`` entries (``rotation_entry``) it carries secrets."""
    doc: dict[str, object] = {"keys": [dict(entry) for entry in entries]}
    rotation = [dict(r) for r in rotation]
    if rotation:
        doc["rotation"] = rotation
    return doc


def merge_keyrings(preferred: Keyring, other: Keyring) -> Keyring:
    """Keys of both; on the same key id ``preferred``'s entry wins (the venue's own
    config-file keyring over the platform's). Warnings of both are kept."""
    merged: dict[bytes, TrustedKey] = dict(other.keys)
    merged.update(preferred.keys)
    rotation = {**other.rotation, **preferred.rotation}
    return Keyring(
        keys=MappingProxyType(merged),
        warnings=(*preferred.warnings, *other.warnings),
        rotation=MappingProxyType(rotation),
    )
