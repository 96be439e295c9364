"""What on the agent needs a person, read from one status document (pure).

Each alert has a level and a line of text for the dashboard. The thresholds are the
ones a supervisor acts on: a lane's scanner unplugged or erroring, the box's clock far
from the platform's, the data disk nearly full, the ledger not recording, sync halted
or failing, an old manifest, pairing locked by someone guessing codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.formatting import age_text, size_text

#: |clock offset| from the platform above which door times are questionable.
CLOCK_OFFSET_ALERT_MS = 2_000
#: Free space in the data dir below which the ledger is at risk.
DISK_FREE_ALERT_BYTES = 1_000_000_000
DISK_FREE_ALERT_RATIO = 0.05
#: Manifest age (seconds) after which refunds may be missing at the door.
MANIFEST_AGE_ALERT_S = 3600
#: Failed sync rounds in a row before it counts as failing (one blip is normal).
SYNC_FAILURES_ALERT = 3


@dataclass(frozen=True, slots=True)
class Alert:
    level: str  # "error" (act now) or "warning"
    text: str

    @property
    def line(self) -> str:
        mark = "!!" if self.level == "error" else " !"
        return f"{mark} {self.text}"


def alerts_from_status(status: dict[str, Any]) -> list[Alert]:
    """Every alert, errors first, in a stable order."""
    found = [
        *_lane_alerts(status.get("lanes") or []),
        *_ledger_alerts(status),
        *_disk_alerts(status.get("disk") or {}),
        *_pairing_alerts(status.get("pairing") or {}),
        *_sync_alerts(status.get("sync") or {}),
        *(Alert("warning", f"Keyring: {w}") for w in _keyring_warnings(status)),
    ]
    printer = status.get("printer")
    if isinstance(printer, dict) and printer.get("connected") is False:
        found.append(Alert("warning", f"Printer {printer.get('id', '')} not connected"))
    return sorted(found, key=lambda a: a.level != "error")


def _pairing_alerts(pairing: dict[str, Any]) -> list[Alert]:
    """Someone is guessing pairing codes: locked for everyone, or addresses blocked."""
    if pairing.get("locked"):
        return [Alert("error", "PAIRING LOCKED after too many wrong codes: F3, u to lift")]
    blocked = int(pairing.get("blocked_addresses") or 0)
    if blocked:
        return [Alert("warning", f"{blocked} address(es) blocked for wrong pairing codes")]
    return []


def _keyring_warnings(status: dict[str, Any]) -> list[str]:
    return [str(w) for w in (status.get("keyring") or {}).get("warnings", [])]


def _lane_alerts(lanes: list[dict[str, Any]]) -> list[Alert]:
    out: list[Alert] = []
    for lane in lanes:
        for part in (*lane.get("inputs", []), *lane.get("outputs", [])):
            what = f"Lane {lane.get('id')}: {part.get('kind', 'device')} {part.get('id')}"
            if part.get("connected") is False:
                err = part.get("last_error")
                out.append(Alert("error", f"{what} unplugged" + (f" ({err})" if err else "")))
            elif part.get("warning"):
                out.append(Alert("warning", f"{what}: {part['warning']}"))
            elif part.get("errors") and part.get("last_error"):
                out.append(
                    Alert("warning", f"{what}: {part['errors']} errors, last: {part['last_error']}")
                )
    return out


def _ledger_alerts(status: dict[str, Any]) -> list[Alert]:
    out: list[Alert] = []
    check = str((status.get("ledger") or {}).get("start_check", ""))
    if check and not check.startswith("ledger OK"):
        out.append(Alert("error", f"Ledger check: {check.splitlines()[0]}"))
    missed = int((status.get("scans") or {}).get("not_recorded", 0))
    if missed:
        out.append(Alert("error", f"{missed} scans NOT RECORDED (ledger write failed)"))
    return out


def _disk_alerts(disk: dict[str, Any]) -> list[Alert]:
    free, total = disk.get("data_dir_free_bytes"), disk.get("data_dir_total_bytes")
    if not isinstance(free, int) or not isinstance(total, int) or total <= 0:
        return []
    if free < DISK_FREE_ALERT_BYTES or free / total < DISK_FREE_ALERT_RATIO:
        return [Alert("error", f"Disk space low: {size_text(free)} free in the data dir")]
    return []


def _sync_alerts(sync: dict[str, Any]) -> list[Alert]:
    if not sync.get("enabled"):
        return []
    out: list[Alert] = []
    for stream, box in (sync.get("outbox") or {}).items():
        if box.get("halted"):
            out.append(Alert("error", f"Upload of {stream} halted: {box['halted']}"))
    failures = int(sync.get("failures_in_a_row") or 0)
    if failures >= SYNC_FAILURES_ALERT:
        out.append(
            Alert("error", f"Sync failing ({failures} in a row): {sync.get('last_error') or '?'}")
        )
    clock = sync.get("clock") or {}
    offset = clock.get("offset_ms")
    if isinstance(offset, int) and abs(offset) > CLOCK_OFFSET_ALERT_MS:
        out.append(Alert("warning", f"Clock off by {offset / 1000:+.1f} s from the platform"))
    age = (sync.get("manifest") or {}).get("age_s")
    if age is None:
        out.append(Alert("warning", "No manifest from the platform yet"))
    elif age > MANIFEST_AGE_ALERT_S:
        out.append(Alert("warning", f"Manifest {age_text(age)} old"))
    return out
