"""From scanned text to a credential, and the spec's verification order.

``read_credential`` does the expensive, cacheable part once per text (parse and
signature); ``codec_reason`` and ``window_reason`` are the cheap checks that depend on
the expected event and the time, so ``decide()`` can redo them on every scan.
``inspect_code`` strings all of it together in the order ``ticket-v1.md`` prescribes and
gives the exact JSON object of ``edge-agent ticket inspect``.

Nothing here raises on any input text: a gate must show a verdict for whatever a
scanner sends, so every parse problem becomes ``malformed``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature

from edge_agent.domain.credential import (
    Credential,
    MalformedCredential,
    PlainCredential,
    RotatingCredential,
    SignedCredential,
)
from edge_agent.domain.errors import CodecError
from edge_agent.domain.pretix_reading import inspect_pretix, read_pretix
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.rotating import (
    ROTATING_PREFIX,
    one_time_value,
    split_rotating,
    step_at,
    ticket_secret,
)
from edge_agent.domain.text_rules import has_non_text
from edge_agent.domain.ticket import SignedTicket, TicketBody
from edge_agent.domain.ticket_codec import ENCODED_LEN, PREFIX, parse_gh1, strip_code
from edge_agent.domain.trusted_key import Keyring, TrustedKey

#: Longest plain (non-GH1) code accepted; longer texts are scanner noise.
MAX_PLAIN_LEN = 512


def code_sha256(text: str) -> str:
    """SHA-256 hex of the stripped text, as stored in every scan's ledger row.

    ``surrogatepass`` because JSON can deliver lone surrogates; hashing must still work
    and stay distinct per text rather than raise or collapse them.
    """
    return hashlib.sha256(strip_code(text).encode("utf-8", errors="surrogatepass")).hexdigest()


def verify_signed(ticket: SignedTicket, keyring: Keyring) -> SignedCredential:
    """Look up the signer and check the Ed25519 signature (steps 2 and 3)."""
    key = keyring.get(ticket.body.key_id)
    if key is None:
        return SignedCredential(ticket=ticket.body, signature=ReasonCode.UNKNOWN_KEY, key=None)
    try:
        key.public_key.verify(ticket.signature, ticket.signing_message())
    except InvalidSignature:
        return SignedCredential(ticket=ticket.body, signature=ReasonCode.BAD_SIGNATURE, key=key)
    return SignedCredential(ticket=ticket.body, signature=ReasonCode.OK, key=key)


def read_credential(text: str, keyring: Keyring) -> Credential:
    """Turn scanned text into a credential; never raises.

    Texts starting with ``GH1:`` (after stripping) are GH1 codes and must parse;
    ``pretix_sig1`` codes must be spelled canonically (``pretix_reading``); anything
    else is a plain code for the manifest lookup, unless it is empty, longer than
    ``MAX_PLAIN_LEN`` characters or contains control characters.
    """
    stripped = strip_code(text)
    if stripped.startswith(ROTATING_PREFIX):
        return read_rotating(stripped, keyring, lambda static: read_credential(static, keyring))
    if stripped.startswith(PREFIX):
        try:
            ticket = parse_gh1(stripped)
        except CodecError as exc:
            return MalformedCredential(detail=exc.detail)
        return verify_signed(ticket, keyring)
    pretix = read_pretix(stripped, keyring)
    if pretix is not None:
        return pretix
    if not stripped:
        return MalformedCredential(detail="empty code")
    if len(stripped) > MAX_PLAIN_LEN:
        return MalformedCredential(
            detail=f"plain code of {len(stripped)} characters, at most {MAX_PLAIN_LEN}"
        )
    if has_non_text(stripped):
        return MalformedCredential(detail="control character or lone surrogate in plain code")
    return PlainCredential(code_sha256=code_sha256(stripped))


def read_rotating(
    text: str, keyring: Keyring, read_static: Callable[[str], Credential]
) -> Credential:
    """A stripped ``GHR1:`` text: its static part through ``read_static`` (a cache at
    the gate: the Ed25519 check is done once per ticket, not once per step), then the
    one-time value under the ticket's secret."""
    try:
        static_text, step, value = split_rotating(text)
    except CodecError as exc:
        return MalformedCredential(detail=exc.detail)
    static = read_static(static_text)
    if not isinstance(static, SignedCredential):
        return static
    body = static.ticket
    event_key = keyring.rotation.get(body.event_id)
    if event_key is None:
        return RotatingCredential(signed=static, step=step, otp=ReasonCode.UNKNOWN_KEY)
    expected = one_time_value(ticket_secret(event_key, body.ticket_id), body.to_bytes(), step)
    ok = hmac.compare_digest(expected, value)
    return RotatingCredential(
        signed=static, step=step, otp=ReasonCode.OK if ok else ReasonCode.BAD_SIGNATURE
    )


def rotation_reason(credential: RotatingCredential, at: int) -> ReasonCode:
    """``OK`` when the live part matches and its step is the gate's own or one on
    either side (clock skew); ``BAD_SIGNATURE`` / ``UNKNOWN_KEY`` for a value that does
    not check; ``STALE_CODE`` for a good value from any other step (a screenshot)."""
    if credential.otp is not ReasonCode.OK:
        return credential.otp
    if abs(credential.step - step_at(at)) > 1:
        return ReasonCode.STALE_CODE
    return ReasonCode.OK


def window_reason(
    ticket: TicketBody, key: TrustedKey, at: int, grace_s: int = 0
) -> ReasonCode | None:
    """``NOT_YET_VALID``, ``EXPIRED`` or ``None`` (steps 6 and 7).

    Bounds are inclusive; 0 on the ticket means "no bound". An agent key's certificate
    window applies too. ``grace_s`` (the gate's clock-skew allowance) widens every
    bound on both sides; the codec check itself uses 0.
    """
    if (ticket.valid_from and at + grace_s < ticket.valid_from) or (
        key.not_before is not None and at + grace_s < key.not_before
    ):
        return ReasonCode.NOT_YET_VALID
    if (ticket.valid_until and at - grace_s > ticket.valid_until) or (
        key.not_after is not None and at - grace_s > key.not_after
    ):
        return ReasonCode.EXPIRED
    return None


def codec_reason(
    credential: SignedCredential, event: int | None, at: int, grace_s: int = 0
) -> ReasonCode:
    """Steps 2–8 of the spec's order for an already read GH1 credential."""
    key = credential.key
    if credential.signature is not ReasonCode.OK or key is None:
        return credential.signature
    body = credential.ticket
    if not key.allows_event(body.event_id):
        return ReasonCode.KEY_NOT_FOR_EVENT
    if event is not None and body.event_id != event:
        return ReasonCode.WRONG_EVENT
    return window_reason(body, key, at, grace_s) or ReasonCode.OK


def inspect_code(text: str, keyring: Keyring, event: int | None, at: int) -> dict[str, object]:
    """The JSON object ``ticket inspect`` prints for one code; never raises.

    ``scheme`` says how the text was read: ``gh1`` (it starts with ``GH1:``, or with
    ``GHR1:``: a rotating code, whose static part is GH1, adds ``rotating`` and
    ``step``), ``pretix_sig1`` (a pretix signed code, or a spelling pretix's reader
    would take for one) or ``plain``. Unlike ``read_credential`` there is no plain-code
    lookup: a plain text (``gh1:`` in lower case included) is ``malformed``.
    """
    stripped = strip_code(text)
    rotating: RotatingCredential | None = None
    if stripped.startswith(ROTATING_PREFIX):
        read = read_rotating(stripped, keyring, lambda static: read_credential(static, keyring))
        if not isinstance(read, RotatingCredential):
            return _malformed()
        rotating = read
        stripped = PREFIX + stripped[len(ROTATING_PREFIX) : len(ROTATING_PREFIX) + ENCODED_LEN]
    elif not stripped.startswith(PREFIX):
        pretix = read_pretix(stripped, keyring)
        if pretix is not None:
            return inspect_pretix(pretix, event, at)
        return {**_malformed(), "scheme": "plain"}
    try:
        ticket = parse_gh1(stripped)
    except CodecError:
        return _malformed()
    reason = codec_reason(verify_signed(ticket, keyring), event, at)
    body = ticket.body
    extra: dict[str, object] = {}
    if rotating is not None:
        if reason is ReasonCode.OK:
            reason = rotation_reason(rotating, at)
        extra = {"rotating": True, "step": rotating.step}
    return {
        "valid": reason is ReasonCode.OK,
        "reason": reason.value,
        "scheme": "gh1",
        "version": body.version,
        "key_id": body.key_id_hex,
        "event_id": body.event_id,
        "ticket_id": body.ticket_id_hex,
        "ticket_type": body.ticket_type,
        "valid_from": body.valid_from,
        "valid_until": body.valid_until,
        **extra,
    }


def _malformed() -> dict[str, object]:
    return {
        "valid": False,
        "reason": ReasonCode.MALFORMED.value,
        "scheme": "gh1",
        "version": None,
        "key_id": None,
        "event_id": None,
        "ticket_id": None,
        "ticket_type": None,
        "valid_from": None,
        "valid_until": None,
    }
