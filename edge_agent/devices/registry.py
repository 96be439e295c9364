"""The agent's view of paired devices: token hash → device, kept in memory for fast
auth and persisted through the ledger writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge_agent.devices.roles import Role


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str
    name: str
    role: Role
    created_at_ms: int
    revoked_at_ms: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at_ms is None


class DeviceRegistry:
    def __init__(self) -> None:
        self._by_token: dict[str, Device] = {}
        self._by_id: dict[str, tuple[Device, str]] = {}
        self._listeners: list[Callable[[Device, str], None]] = []

    def on_change(self, listener: Callable[[Device, str], None]) -> None:
        """Call ``listener(device, token_sha256)`` after each pairing or revocation (the
        mesh tells the venue's other boxes, so a device works at every member)."""
        self._listeners.append(listener)

    def add(self, device: Device, token_sha256: str) -> None:
        self._by_id[device.device_id] = (device, token_sha256)
        if device.active:
            self._by_token[token_sha256] = device
        else:
            self._by_token.pop(token_sha256, None)
        for listener in self._listeners:
            listener(device, token_sha256)

    def by_token_hash(self, token_sha256: str) -> Device | None:
        return self._by_token.get(token_sha256)

    def get(self, device_id: str) -> Device | None:
        hit = self._by_id.get(device_id)
        return hit[0] if hit else None

    def revoke(self, device_id: str, at_ms: int) -> Device | None:
        hit = self._by_id.get(device_id)
        if hit is None:
            return None
        device, token_sha = hit
        revoked = Device(device.device_id, device.name, device.role, device.created_at_ms, at_ms)
        self.add(revoked, token_sha)
        return revoked

    def all(self) -> list[Device]:
        return [d for d, _ in self._by_id.values()]
