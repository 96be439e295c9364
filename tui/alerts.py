"""What on the agent needs a person, read from one status document (pure).

Each alert has a level and a line of text for the dashboard. The thresholds are the
ones a supervisor acts on: a lane's scanner unplugged or erroring, the box's clock far
from the platform's, the data disk nearly full, the ledger not recording, sync halted
or failing, an old manifest, pairing locked by someone guessing codes, and — with
several boxes — no quorum (admissions unconfirmed), a box lost, a ticket admitted at
two gates.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.documents.status import LaneStatus, Pairing, Status, SyncStatus
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


def alerts_from_status(status: Status) -> list[Alert]:
    """Every alert, errors first, in a stable order."""
    found = [
        # the agent's own alarms first: it knows best what is wrong with it
        *(Alert(a.level, a.message) for a in status.alarms if a.code != "ledger_not_recording"),
        *_lane_alerts(status.lanes),
        *_ledger_alerts(status),
        *_disk_alerts(status),
        *_pairing_alerts(status.pairing),
        *_sync_alerts(status.sync),
        *(Alert("warning", f"Keyring: {w}") for w in status.keyring_warnings),
    ]
    printer = status.printer
    if printer is not None and printer.connected is False:
        found.append(Alert("warning", f"Printer {printer.id} not connected"))
    if status.mesh is not None:  # the venue's other boxes (docs/mesh.md)
        found += [
            Alert("error" if code == "no_quorum" else "warning", f"Mesh: {message}")
            for code, message in status.mesh.alerts
        ]
    return sorted(found, key=lambda a: a.level != "error")


def _pairing_alerts(pairing: Pairing) -> list[Alert]:
    """Someone is guessing pairing codes: locked for everyone, or addresses blocked."""
    if pairing.locked:
        return [Alert("error", "PAIRING LOCKED after too many wrong codes: F3, u to lift")]
    if pairing.blocked_addresses:
        n = pairing.blocked_addresses
        return [Alert("warning", f"{n} address(es) blocked for wrong pairing codes")]
    return []


def _lane_alerts(lanes: list[LaneStatus]) -> list[Alert]:
    out: list[Alert] = []
    for lane in lanes:
        for part in lane.parts:
            what = f"Lane {lane.id}: {part.kind or 'device'} {part.id}"
            if part.connected is False:
                err = part.last_error
                out.append(Alert("error", f"{what} unplugged" + (f" ({err})" if err else "")))
            elif part.warning:
                out.append(Alert("warning", f"{what}: {part.warning}"))
            elif part.errors and part.last_error:
                out.append(
                    Alert("warning", f"{what}: {part.errors} errors, last: {part.last_error}")
                )
    return out


def _ledger_alerts(status: Status) -> list[Alert]:
    out: list[Alert] = []
    check = status.start_check
    if check and not check.startswith("ledger OK"):
        out.append(Alert("error", f"Ledger check: {check.splitlines()[0]}"))
    missed = status.scans.not_recorded
    failing = next((a for a in status.alarms if a.code == "ledger_not_recording"), None)
    if failing is not None:
        out.append(Alert("error", f"LEDGER NOT RECORDING NOW: {failing.message}"))
    elif missed:
        out.append(Alert("error", f"{missed} scans NOT RECORDED (ledger write failed)"))
    return out


def _disk_alerts(status: Status) -> list[Alert]:
    free, total = status.disk_free_bytes, status.disk_total_bytes
    if free is None or total is None or total <= 0:
        return []
    if free < DISK_FREE_ALERT_BYTES or free / total < DISK_FREE_ALERT_RATIO:
        return [Alert("error", f"Disk space low: {size_text(free)} free in the data dir")]
    return []


def _sync_alerts(sync: SyncStatus) -> list[Alert]:
    if not sync.enabled:
        return []
    out: list[Alert] = []
    for stream, box in sync.outbox.items():
        if box.halted:
            out.append(Alert("error", f"Upload of {stream} halted: {box.halted}"))
    failures = sync.failures_in_a_row
    if failures >= SYNC_FAILURES_ALERT:
        out.append(Alert("error", f"Sync failing ({failures} in a row): {sync.last_error or '?'}"))
    offset = sync.clock_offset_ms
    if offset is not None and abs(offset) > CLOCK_OFFSET_ALERT_MS:
        out.append(Alert("warning", f"Clock off by {offset / 1000:+.1f} s from the platform"))
    age = sync.manifest_age_s
    if age is None:
        out.append(Alert("warning", "No manifest from the platform yet"))
    elif age > MANIFEST_AGE_ALERT_S:
        out.append(Alert("warning", f"Manifest {age_text(age)} old"))
    return out
