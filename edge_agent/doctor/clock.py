"""Is this box's clock right, and by how much? Asked of chrony, systemd and the kernel.

Why three sources: Raspberry Pi OS runs systemd-timesyncd (``timedatectl``), some
venues install chrony (which also says how far off it is), and the kernel's
``adjtimex`` answers everywhere, even in a container without systemd. The parsers are
pure so the tests feed them real outputs. The platform's own measurement of the offset
(stored by sync, ``docs/sync.md``) is the independent second opinion.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import shutil
import subprocess
from dataclasses import dataclass

#: adjtimex() return value when the kernel says the clock is not synchronised.
TIME_ERROR = 5


@dataclass(frozen=True, slots=True)
class ClockProbe:
    #: Which tool answered ("chrony", "timedatectl", "adjtimex"), or "" for none.
    source: str
    #: None when no source could tell.
    synchronised: bool | None
    #: Estimated error of the system clock in seconds, when the source says.
    offset_s: float | None = None


_CHRONY_OFFSET = re.compile(r"System time\s*:\s*([0-9.]+) seconds (fast|slow)")


def parse_chrony_tracking(text: str) -> ClockProbe:
    """``chronyc -n tracking``: "Leap status : Not synchronised" means it is not."""
    leap = re.search(r"Leap status\s*:\s*(.+)", text)
    synced = leap is not None and "not synchronised" not in leap.group(1).lower()
    m = _CHRONY_OFFSET.search(text)
    offset = None if m is None else float(m.group(1)) * (1 if m.group(2) == "fast" else -1)
    return ClockProbe("chrony", synced, offset)


def parse_timedatectl(text: str) -> ClockProbe:
    """``timedatectl show``: ``NTPSynchronized=yes``."""
    m = re.search(r"^NTPSynchronized=(\w+)", text, re.MULTILINE)
    return ClockProbe("timedatectl", None if m is None else m.group(1) == "yes")


class _Timex(ctypes.Structure):
    """The head of ``struct timex`` (Linux); the tail is room the kernel writes into."""

    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("_rest", ctypes.c_char * 256),
    ]


def kernel_clock() -> ClockProbe:
    """``adjtimex(2)`` with no changes: the kernel's own view (needs no privilege)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        timex = _Timex()
        state = int(libc.adjtimex(ctypes.byref(timex)))
    except (OSError, AttributeError):
        return ClockProbe("", None)
    if state < 0:
        return ClockProbe("", None)
    return ClockProbe("adjtimex", state != TIME_ERROR, timex.esterror / 1_000_000)


def _run(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=3, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def probe_clock() -> ClockProbe:
    """The first source that can tell: chrony, then timedatectl, then the kernel."""
    text = _run(["chronyc", "-n", "tracking"])
    if text:
        return parse_chrony_tracking(text)
    text = _run(["timedatectl", "show"])
    if text:
        probe = parse_timedatectl(text)
        if probe.synchronised is not None:
            return probe
    return kernel_clock()
