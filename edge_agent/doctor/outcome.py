"""A check's outcome and the exit code the doctor derives from all of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 (a check outcome, not a password)
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    #: What was found, for the tech ("412 GB free of 500 GB").
    detail: str
    #: One sentence saying what to do; "" when there is nothing to do.
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


def passed(name: str, detail: str) -> Check:
    return Check(name, Status.PASS, detail)


def warned(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.WARN, detail, fix)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.FAIL, detail, fix)


#: Doors can open / warnings only / something must be fixed.
EXIT_READY, EXIT_WARNINGS, EXIT_FIX = 0, 1, 2


def exit_code(checks: Iterable[Check]) -> int:
    statuses = {c.status for c in checks}
    if Status.FAIL in statuses:
        return EXIT_FIX
    return EXIT_WARNINGS if Status.WARN in statuses else EXIT_READY
