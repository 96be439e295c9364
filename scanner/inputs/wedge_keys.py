"""Key events in, scanned codes out: the keyboard-wedge translator (pure, no device).

Tracks Shift, AltGr, Ctrl and Caps Lock, maps each key press through the configured
layout, and hands back a whole code when the terminator arrives (Enter, Tab, either, or —
for scanners set to send no suffix — an idle gap the input measures). Kept apart from the
evdev device code so every layout and edge case is unit-tested without hardware.
"""

from __future__ import annotations

from enum import StrEnum

from scanner.inputs.wedge_layouts import (
    ALTGR_KEY,
    CTRL_KEYS,
    ENTER_KEYS,
    KEY_CAPSLOCK,
    KEY_LEFTALT,
    KEY_LEFTMETA,
    KEY_NUMLOCK,
    KEY_RIGHTMETA,
    KEY_TAB,
    SHIFT_KEYS,
    Layout,
)

_KEY_DOWN = 1
_KEY_UP = 0
_IGNORED = frozenset({KEY_NUMLOCK, KEY_LEFTALT, KEY_LEFTMETA, KEY_RIGHTMETA})


class Terminator(StrEnum):
    """What ends one code, as the scanner's suffix setting says."""

    ENTER = "enter"  # Enter or keypad Enter (most scanners' factory default)
    TAB = "tab"
    ENTER_OR_TAB = "enter_or_tab"
    IDLE = "idle"  # no suffix: the code ends when no key comes for ``idle_ms``


class KeyTranslator:
    """Feeds on ``(key, value)`` of ``EV_KEY`` events; returns finished codes.

    Characters the layout has no entry for are dropped and counted in ``unmapped``: a
    scanner set to another language than the config says. Codes longer than
    ``max_length`` are thrown away whole (a stuck key, not a ticket) and counted.
    """

    def __init__(self, layout: Layout, terminator: Terminator, max_length: int = 2048) -> None:
        self.layout = layout
        self.terminator = terminator
        self.max_length = max_length
        self._buf: list[str] = []
        self._shift: set[int] = set()
        self._ctrl: set[int] = set()
        self._altgr = False
        self._caps = False
        self._overflow = False
        #: Key numbers pressed in the current code that had no character (reset per code).
        self.unmapped: list[int] = []
        #: Codes thrown away for being longer than ``max_length``.
        self.overflows = 0

    @property
    def pending(self) -> bool:
        """Is a code half-typed (characters since the last terminator)?"""
        return bool(self._buf) or self._overflow

    def reset(self) -> None:
        """Forget everything: a device was (re)connected, so no key is held any more."""
        self._buf.clear()
        self._shift.clear()
        self._ctrl.clear()
        self._altgr = False
        self._caps = False
        self._overflow = False
        self.unmapped = []

    def key(self, key: int, value: int) -> str | None:
        """One ``EV_KEY`` event (value 1 = down, 0 = up, 2 = auto-repeat, ignored)."""
        if key in SHIFT_KEYS:
            self._hold(self._shift, key, value)
            return None
        if key in CTRL_KEYS:
            self._hold(self._ctrl, key, value)
            return None
        if key == ALTGR_KEY:
            if value != 2:
                self._altgr = value == _KEY_DOWN
            return None
        if value != _KEY_DOWN:
            return None
        if key == KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if key in _IGNORED:
            return None
        if key in ENTER_KEYS and self.terminator in (Terminator.ENTER, Terminator.ENTER_OR_TAB):
            return self.finish()
        if key == KEY_TAB and self.terminator in (Terminator.TAB, Terminator.ENTER_OR_TAB):
            return self.finish()
        if self._ctrl:  # Ctrl+key is a control code (some scanners send Ctrl+] for GS1)
            return None
        ch = self._char(key)
        if ch is None:
            self.unmapped.append(key)
            return None
        if len(self._buf) >= self.max_length:
            self._overflow = True
        else:
            self._buf.append(ch)
        return None

    def finish(self) -> str | None:
        """End the current code (terminator seen, or the idle gap passed)."""
        text = "".join(self._buf)
        overflow = self._overflow
        self._buf.clear()
        self._overflow = False
        if overflow:
            self.overflows += 1
            return None
        return text or None

    def _char(self, key: int) -> str | None:
        if key in ENTER_KEYS:
            return "\n"
        if key == KEY_TAB:
            return "\t"
        shift = bool(self._shift)
        level = (2 if self._altgr else 0) + (1 if shift else 0)
        ch = self.layout.char(key, level)
        if ch is None and level == 3:  # AltGr+Shift: most keys repeat their AltGr symbol
            ch = self.layout.char(key, 2)
        if ch is not None and self._caps and not self._altgr and ch.isalpha():
            # Caps Lock swaps case of letters only, as on every desktop
            other = self.layout.char(key, 0 if shift else 1)
            if other is not None and other.isalpha() and other.lower() == ch.lower():
                ch = other
        return ch

    @staticmethod
    def _hold(held: set[int], key: int, value: int) -> None:
        if value == _KEY_DOWN:
            held.add(key)
        elif value == _KEY_UP:
            held.discard(key)
