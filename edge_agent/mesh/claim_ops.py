"""The two bounded operations on the claims bucket, as the claimer and replay use them.

Both are raw JetStream API calls with a per-call timeout, because nats-py's KV methods
take none (they use the context's) and a gate must answer within its budget:

- ``put`` publishes to ``$KV.claims.<key>`` with ``Nats-Expected-Last-Subject-Sequence``
  (0 = create only if absent; a revision = compare-and-set) and ``Nats-Msg-Id`` = the
  claim id. The server checks the message id before the sequence, so a retry of a claim
  whose first attempt did commit gets that attempt's revision back (``duplicate``).
- ``read`` asks the stream leader for the key's last message.

Any failure to reach a quorum (a timeout, 503 "no responders" while a leader is being
elected, a connection that is down) is ``ClaimUnknown``: the claim may or may not have
committed, and only a retry with the same claim id can tell.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS

from edge_agent.mesh.claim_values import STREAM, ClaimValue, subject

#: err_code of "wrong last sequence" (and of the per-subject in-flight variant).
WRONG_LAST_SEQUENCE = frozenset({10071, 10164})
_NO_MESSAGE = 10037


class ClaimUnknown(Exception):
    """No quorum answered in time: the outcome of the call is not known."""


class WrongSequence(Exception):
    """The key's revision was not the one expected (someone else changed it)."""


_UNREACHABLE = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.js.errors.NoStreamResponseError,
    TimeoutError,
)


async def put(
    nc: NATS, key: str, value: ClaimValue, *, expected: int, wait_s: float
) -> tuple[int, bool]:
    """Write ``value`` if the key's last revision is ``expected``; returns (revision,
    duplicate). Raises ``WrongSequence`` or ``ClaimUnknown``."""
    headers = {
        "Nats-Expected-Last-Subject-Sequence": str(expected),
        "Nats-Msg-Id": value.claim,
    }
    try:
        msg = await nc.request(subject(key), value.encode(), timeout=wait_s, headers=headers)
    except _UNREACHABLE:
        raise ClaimUnknown from None
    doc = json.loads(msg.data)
    error = doc.get("error")
    if error is not None:
        if error.get("err_code") in WRONG_LAST_SEQUENCE:
            raise WrongSequence
        raise ClaimUnknown  # 503 and friends: the stream has no leader right now
    return int(doc["seq"]), bool(doc.get("duplicate", False))


async def read(nc: NATS, key: str, *, wait_s: float) -> tuple[int, ClaimValue] | None:
    """The key's last (revision, value), or ``None`` if it was never written.

    Raises ``ClaimUnknown``; a value this agent cannot read raises ``ValueError``."""
    request = json.dumps({"last_by_subj": subject(key)}).encode()
    try:
        msg = await nc.request(f"$JS.API.STREAM.MSG.GET.{STREAM}", request, timeout=wait_s)
    except _UNREACHABLE:
        raise ClaimUnknown from None
    doc: dict[str, Any] = json.loads(msg.data)
    error = doc.get("error")
    if error is not None:
        if error.get("err_code") == _NO_MESSAGE or error.get("code") == 404:
            return None
        raise ClaimUnknown
    message = doc["message"]
    data = base64.b64decode(message.get("data", ""))
    return int(message["seq"]), ClaimValue.decode(data)
