"""Keyboard layouts for USB keyboard-wedge scanners, as data.

A wedge scanner "types" each character by pressing the key where that character sits on
the keyboard language it is set to; Linux reports *positions* (``KEY_Y`` is the key right
of ``T`` whatever is printed on it). So the agent must read positions back through the
same layout the scanner was set to: on a German scanner ``KEY_Y`` means ``z`` and a colon
is Shift+``KEY_DOT``; on a French one digits need Shift. A wrong layout turns a GH1 code
into garbage (refused as malformed), which is why the layout is a required decision in
config and the tables are unit-tested against the characters tickets use.

Levels: 0 = plain, 1 = Shift, 2 = AltGr (right Alt), 3 = AltGr+Shift. Dead keys (``^``
``´`` ``` ` ``` ``¨`` on de/fr) are read as the plain character, like the "nodeadkeys"
variants: a scanner sends the key once and expects the character, never a composition.
Key numbers are Linux ``input-event-codes.h`` values (a test checks them against evdev).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import NamedTuple

# --- key positions (linux/input-event-codes.h) -------------------------------------------
KEY_ESC = 1
KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0 = range(2, 12)
KEY_MINUS = 12
KEY_EQUAL = 13
KEY_BACKSPACE = 14
KEY_TAB = 15
KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O, KEY_P = range(16, 26)
KEY_LEFTBRACE = 26
KEY_RIGHTBRACE = 27
KEY_ENTER = 28
KEY_LEFTCTRL = 29
KEY_A, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K, KEY_L = range(30, 39)
KEY_SEMICOLON = 39
KEY_APOSTROPHE = 40
KEY_GRAVE = 41
KEY_LEFTSHIFT = 42
KEY_BACKSLASH = 43
KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M = range(44, 51)
KEY_COMMA = 51
KEY_DOT = 52
KEY_SLASH = 53
KEY_RIGHTSHIFT = 54
KEY_KPASTERISK = 55
KEY_LEFTALT = 56
KEY_SPACE = 57
KEY_CAPSLOCK = 58
KEY_NUMLOCK = 69
KEY_KP7, KEY_KP8, KEY_KP9 = 71, 72, 73
KEY_KPMINUS = 74
KEY_KP4, KEY_KP5, KEY_KP6 = 75, 76, 77
KEY_KPPLUS = 78
KEY_KP1, KEY_KP2, KEY_KP3 = 79, 80, 81
KEY_KP0 = 82
KEY_KPDOT = 83
KEY_102ND = 86  # the extra ISO key left of Z (< > on de/fr, \ | on uk)
KEY_KPENTER = 96
KEY_RIGHTCTRL = 97
KEY_KPSLASH = 98
KEY_RIGHTALT = 100  # AltGr
KEY_LEFTMETA = 125
KEY_RIGHTMETA = 126

EV_SYN = 0
EV_KEY = 1

SHIFT_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
CTRL_KEYS = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL})
ALTGR_KEY = KEY_RIGHTALT
ENTER_KEYS = frozenset({KEY_ENTER, KEY_KPENTER})

# Rows of the main block, left to right, as a 105-key ISO board has them.
# fmt: off
_ROW_E = (KEY_GRAVE, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0,
          KEY_MINUS, KEY_EQUAL)
_ROW_D = (KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O, KEY_P,
          KEY_LEFTBRACE, KEY_RIGHTBRACE)
_ROW_C = (KEY_A, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K, KEY_L, KEY_SEMICOLON,
          KEY_APOSTROPHE, KEY_BACKSLASH)
_ROW_B = (KEY_102ND, KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M, KEY_COMMA, KEY_DOT,
          KEY_SLASH)

_KEYPAD = {
    KEY_KP0: "0", KEY_KP1: "1", KEY_KP2: "2", KEY_KP3: "3", KEY_KP4: "4",
    KEY_KP5: "5", KEY_KP6: "6", KEY_KP7: "7", KEY_KP8: "8", KEY_KP9: "9",
    KEY_KPMINUS: "-", KEY_KPPLUS: "+", KEY_KPASTERISK: "*", KEY_KPSLASH: "/", KEY_KPDOT: ".",
}
# fmt: on

#: Placeholder in the row strings below: this key has no character at this level.
_NONE = "\0"


class Layout(NamedTuple):
    """One keyboard language: ``(key, level) -> character``."""

    name: str
    chars: Mapping[tuple[int, int], str]

    def char(self, key: int, level: int) -> str | None:
        return self.chars.get((key, level))

    def keys_for(self, ch: str) -> tuple[int, int] | None:
        """The (key, level) that types ``ch`` as a scanner would: main block before keypad,
        then the lowest level; None if the layout has no key for it."""
        hits = [(key in _KEYPAD, level, key) for (key, level), c in self.chars.items() if c == ch]
        if not hits:
            return None
        _, level, key = min(hits)
        return (key, level)


def _layout(
    name: str,
    rows: tuple[tuple[str, str], tuple[str, str], tuple[str, str], tuple[str, str]],
    altgr: Mapping[int, str],
    keypad_changes: Mapping[int, str] | None = None,
) -> Layout:
    chars: dict[tuple[int, int], str] = {}
    for keys, (plain, shifted) in zip((_ROW_E, _ROW_D, _ROW_C, _ROW_B), rows, strict=True):
        if not len(keys) == len(plain) == len(shifted):
            raise ValueError(f"layout {name}: a row has the wrong number of keys")
        for key, lo, hi in zip(keys, plain, shifted, strict=True):
            if lo != _NONE:
                chars[(key, 0)] = lo
            if hi != _NONE:
                chars[(key, 1)] = hi
    for key, ch in altgr.items():
        chars[(key, 2)] = ch
    chars[(KEY_SPACE, 0)] = " "
    chars[(KEY_SPACE, 1)] = " "
    for key, ch in {**_KEYPAD, **(keypad_changes or {})}.items():
        chars[(key, 0)] = ch
    return Layout(name, MappingProxyType(chars))


US = _layout(
    "us",
    (
        ("`1234567890-=", "~!@#$%^&*()_+"),
        ("qwertyuiop[]", "QWERTYUIOP{}"),
        ("asdfghjkl;'\\", 'ASDFGHJKL:"|'),
        ("<zxcvbnm,./", ">ZXCVBNM<>?"),
    ),
    {},
)

UK = _layout(
    "uk",
    (
        ("`1234567890-=", '¬!"£$%^&*()_+'),
        ("qwertyuiop[]", "QWERTYUIOP{}"),
        ("asdfghjkl;'#", "ASDFGHJKL:@~"),
        ("\\zxcvbnm,./", "|ZXCVBNM<>?"),
    ),
    {KEY_GRAVE: "¦", KEY_4: "€"},
)

# fmt: off
DE = _layout(
    "de",
    (
        ("^1234567890ß´", '°!"§$%&/()=?`'),
        ("qwertzuiopü+", "QWERTZUIOPÜ*"),
        ("asdfghjklöä#", "ASDFGHJKLÖÄ'"),
        ("<yxcvbnm,.-", ">YXCVBNM;:_"),
    ),
    {
        KEY_2: "²", KEY_3: "³", KEY_7: "{", KEY_8: "[", KEY_9: "]", KEY_0: "}",
        KEY_MINUS: "\\", KEY_Q: "@", KEY_E: "€", KEY_RIGHTBRACE: "~", KEY_102ND: "|",
        KEY_M: "µ",
    },
    {KEY_KPDOT: ","},
)

FR = _layout(
    "fr",
    (
        ("²&é\"'(-è_çà)=", _NONE + "1234567890°+"),
        ("azertyuiop^$", "AZERTYUIOP¨£"),
        ("qsdfghjklmù*", "QSDFGHJKLM%µ"),
        ("<wxcvbn,;:!", ">WXCVBN?./§"),
    ),
    {
        KEY_2: "~", KEY_3: "#", KEY_4: "{", KEY_5: "[", KEY_6: "|", KEY_7: "`", KEY_8: "\\",
        KEY_9: "^", KEY_0: "@", KEY_MINUS: "]", KEY_EQUAL: "}", KEY_E: "€",
        KEY_RIGHTBRACE: "¤",
    },
)
# fmt: on

LAYOUTS: Mapping[str, Layout] = MappingProxyType({lay.name: lay for lay in (US, UK, DE, FR)})


def key_events_for(
    text: str, layout: Layout, terminator: int | None = KEY_ENTER
) -> Iterator[tuple[int, int]]:
    """``(key, value)`` presses and releases that type ``text`` on ``layout`` (1 = down,
    0 = up), the way a wedge scanner set to that language does; then the terminator key.

    Used by the evdev-shaped fake and the demo; raises ``ValueError`` for a character the
    layout cannot type (the scanner could not type it either).
    """
    for ch in text:
        hit = layout.keys_for(ch)
        if hit is None:
            raise ValueError(f"layout {layout.name!r} has no key for {ch!r}")
        key, level = hit
        mods = ([KEY_RIGHTALT] if level >= 2 else []) + ([KEY_LEFTSHIFT] if level % 2 else [])
        for mod in mods:
            yield (mod, 1)
        yield (key, 1)
        yield (key, 0)
        for mod in reversed(mods):
            yield (mod, 0)
    if terminator is not None:
        yield (terminator, 1)
        yield (terminator, 0)
