"""``SaleRequest``: a door sale as the API checked it, and the fingerprint of its body.

Its own module because both sides of the ledger writer's line use it: the routes build
it, the service signs for it, and ``sale_writes`` records it (a repeated ``request_id``
must come with the same fingerprint).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from edge_agent.domain.sale import Delivery, LineItem, Payment


@dataclass(frozen=True, slots=True)
class SaleRequest:
    """A sale as the API checked it (``request_sha256``: of the canonical body)."""

    request_id: str
    request_sha256: str
    items: tuple[LineItem, ...]
    payment: Payment
    customer_name: str | None
    customer_email: str | None
    delivery: Delivery


def request_sha256(body: dict[str, Any]) -> str:
    """The fingerprint of a sale body that a repeated ``request_id`` must match."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
