"""Health of a network input: the device record plus how many clients are connected.

For a listener "connected" means *listening* (a port clash shows as false with the
reason); the number of handhelds currently attached is what a venue tech asks next.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.health import DeviceHealth


@dataclass
class NetworkHealth(DeviceHealth):
    clients: int = 0

    def snapshot(self) -> dict[str, object]:
        doc = super().snapshot()
        doc["clients"] = self.clients
        return doc
