"""Enrolment the way pretix enrols a scanning device: a one-time initialization token
(from pretix's "Devices" page) is exchanged for the device's API token.

``POST /api/v1/device/initialize`` (no auth, no trailing slash) answers the organizer,
the device id and serial, the API token and the device's name; the token then goes in
``Authorization: Device <token>``. The caller stores it (0600, like the Gatehouse token).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from sync.errors import PlatformError, ProtocolError, TransportError

_TOKEN = re.compile(r"[A-Za-z0-9]{8,256}")


@dataclass(frozen=True)
class EnrolledDevice:
    organizer: str
    device_id: int
    unique_serial: str
    api_token: str
    name: str
    security_profile: str

    def public_json(self) -> dict[str, Any]:
        """What may be shown or logged (everything but the token)."""
        return {
            "organizer": self.organizer,
            "device_id": self.device_id,
            "unique_serial": self.unique_serial,
            "name": self.name,
            "security_profile": self.security_profile,
        }


def device_description(agent_id: str, software_version: str) -> dict[str, Any]:
    """The hardware/software fields pretix requires of a device (shown in its backend).

    The brand must not contain "pretixscan": pretix treats such devices' scans as
    untrusted input and would not look positions up by id."""
    return {
        "hardware_brand": "Gatehouse",
        "hardware_model": "edge-agent",
        "os_name": "Linux",
        "os_version": "",
        "software_brand": "Gatehouse",
        "software_version": software_version,
        "info": {"agent_id": agent_id},
    }


async def initialize(
    session: aiohttp.ClientSession,
    base_url: str,
    init_token: str,
    description: dict[str, Any],
    *,
    timeout_s: float = 30,
) -> EnrolledDevice:
    """Exchange the one-time token; raises ``PlatformError`` with pretix's reason (e.g.
    "This initialization token has already been used.") or ``TransportError``."""
    url = base_url.rstrip("/") + "/api/v1/device/initialize"
    body = {"token": init_token, **description}
    try:
        async with session.post(
            url, json=body, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as resp:
            status = resp.status
            raw = await resp.read()
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise TransportError(f"device/initialize: {type(exc).__name__}: {exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        doc = None
    if status != 200:
        reason = _reason(doc) or f"HTTP {status}"
        raise PlatformError(status, f"pretix_{status}", f"device/initialize: {reason}", {})
    return _device(doc)


def _reason(doc: Any) -> str | None:
    if isinstance(doc, dict):
        for key in ("token", "detail"):
            value = doc.get(key)
            if isinstance(value, list) and value and isinstance(value[0], str):
                return value[0]
            if isinstance(value, str):
                return value
        return json.dumps(doc)[:300]
    return None


def _device(doc: Any) -> EnrolledDevice:
    if not isinstance(doc, dict):
        raise ProtocolError("device/initialize: answer is not an object")
    token = doc.get("api_token")
    organizer = doc.get("organizer")
    device_id = doc.get("device_id")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ProtocolError("device/initialize: no usable api_token in the answer")
    if not isinstance(organizer, str) or not organizer:
        raise ProtocolError("device/initialize: no organizer in the answer")
    if isinstance(device_id, bool) or not isinstance(device_id, int):
        raise ProtocolError("device/initialize: no device_id in the answer")
    return EnrolledDevice(
        organizer=organizer,
        device_id=device_id,
        unique_serial=str(doc.get("unique_serial") or ""),
        api_token=token,
        name=str(doc.get("name") or ""),
        security_profile=str(doc.get("security_profile") or ""),
    )
