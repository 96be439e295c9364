"""Keyboard-wedge translation: layouts as data, checked key by key and over GH1's charset."""

from __future__ import annotations

import evdev.ecodes as ecodes
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.domain.base45 import ALPHABET as B45_ALPHABET
from scanner.inputs import wedge_layouts as kl
from scanner.inputs.wedge_keys import KeyTranslator, Terminator
from scanner.inputs.wedge_layouts import LAYOUTS, key_events_for

SHIFT = kl.KEY_LEFTSHIFT
ALTGR = kl.KEY_RIGHTALT


def typed(layout: str, events: list[tuple[int, int]], terminator: str = "enter") -> list[str]:
    t = KeyTranslator(LAYOUTS[layout], Terminator(terminator))
    return [code for key, value in events if (code := t.key(key, value)) is not None]


def tap(key: int, *mods: int) -> list[tuple[int, int]]:
    return [(m, 1) for m in mods] + [(key, 1), (key, 0)] + [(m, 0) for m in reversed(mods)]


def enter() -> list[tuple[int, int]]:
    return tap(kl.KEY_ENTER)


def test_key_numbers_are_the_kernels() -> None:
    for name in dir(kl):
        if name.startswith("KEY_"):
            assert getattr(kl, name) == getattr(ecodes, name), name
    assert (kl.EV_KEY, kl.EV_SYN) == (ecodes.EV_KEY, ecodes.EV_SYN)


def test_us_letters_digits_and_shifted_symbols() -> None:
    events = tap(kl.KEY_G, SHIFT) + tap(kl.KEY_H, SHIFT) + tap(kl.KEY_1)
    events += tap(kl.KEY_SEMICOLON, SHIFT) + tap(kl.KEY_Z) + tap(kl.KEY_4, SHIFT) + enter()
    assert typed("us", events) == ["GH1:z$"]


def test_german_swaps_y_and_z_and_moves_symbols() -> None:
    # the same key positions a US scanner uses for "GH1:z$" mean something else in German
    events = tap(kl.KEY_G, SHIFT) + tap(kl.KEY_H, SHIFT) + tap(kl.KEY_1)
    events += tap(kl.KEY_SEMICOLON, SHIFT) + tap(kl.KEY_Z) + tap(kl.KEY_4, SHIFT) + enter()
    assert typed("de", events) == ["GH1Öy$"]
    # a German scanner types ":" as Shift+"." and "Z" on the key the US calls Y
    events = tap(kl.KEY_DOT, SHIFT) + tap(kl.KEY_Y, SHIFT) + tap(kl.KEY_SLASH)
    events += tap(kl.KEY_RIGHTBRACE) + tap(kl.KEY_RIGHTBRACE, SHIFT) + tap(kl.KEY_7, SHIFT)
    events += tap(kl.KEY_Q, ALTGR) + tap(kl.KEY_8, ALTGR) + enter()
    assert typed("de", events) == [":Z-+*/@["]


def test_french_digits_need_shift_and_letters_move() -> None:
    events = tap(kl.KEY_1) + tap(kl.KEY_1, SHIFT) + tap(kl.KEY_Q) + tap(kl.KEY_A)
    events += tap(kl.KEY_W, SHIFT) + tap(kl.KEY_SEMICOLON) + tap(kl.KEY_DOT)
    events += tap(kl.KEY_COMMA, SHIFT) + tap(kl.KEY_0, ALTGR) + tap(kl.KEY_RIGHTBRACE) + enter()
    assert typed("fr", events) == ["&1aqZm:.@$"]


def test_uk_moves_at_quote_and_hash() -> None:
    events = tap(kl.KEY_APOSTROPHE, SHIFT) + tap(kl.KEY_2, SHIFT) + tap(kl.KEY_BACKSLASH)
    events += tap(kl.KEY_3, SHIFT) + tap(kl.KEY_4, ALTGR) + enter()
    assert typed("uk", events) == ['@"#£€']
    assert typed("us", events) == ['"@\\#']  # the same keys on a US layout (no AltGr €)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_base45_and_gh1_character_types_and_reads_back(layout: str) -> None:
    text = "GH1:" + B45_ALPHABET
    assert typed(layout, list(key_events_for(text, LAYOUTS[layout]))) == [text]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@settings(max_examples=50)
@given(text=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1))
def test_any_printable_ascii_round_trips(layout: str, text: str) -> None:
    assert typed(layout, list(key_events_for(text, LAYOUTS[layout]))) == [text]


def test_base45_shifted_keys_differ_between_layouts() -> None:
    # the point of having layouts: the same character is a different key press
    where = {name: {c: lay.keys_for(c) for c in " $%*+-./:"} for name, lay in LAYOUTS.items()}
    assert where["us"][":"] == (kl.KEY_SEMICOLON, 1)
    assert where["de"][":"] == (kl.KEY_DOT, 1)
    assert where["fr"][":"] == (kl.KEY_DOT, 0)
    assert where["us"]["*"] == where["uk"]["*"] == (kl.KEY_8, 1)
    assert where["de"]["*"] == (kl.KEY_RIGHTBRACE, 1)
    assert where["fr"]["*"] == (kl.KEY_BACKSLASH, 0)
    assert len({tuple(sorted(w.items())) for w in where.values()}) == 3  # us == uk here


def test_terminators() -> None:
    code = tap(kl.KEY_A) + tap(kl.KEY_B)
    assert typed("us", code + tap(kl.KEY_TAB) + code + enter(), "enter") == ["ab\tab"]
    assert typed("us", code + tap(kl.KEY_TAB) + code + enter(), "tab") == ["ab"]
    assert typed("us", code + tap(kl.KEY_TAB) + code + tap(kl.KEY_KPENTER), "enter_or_tab") == [
        "ab",
        "ab",
    ]
    t = KeyTranslator(LAYOUTS["us"], Terminator.IDLE)
    for key, value in code + enter():
        assert t.key(key, value) is None
    assert t.pending and t.finish() == "ab\n"
    assert not t.pending and t.finish() is None


def test_caps_lock_autorepeat_ctrl_and_unmapped_keys() -> None:
    t = KeyTranslator(LAYOUTS["us"], Terminator.ENTER)
    events = tap(kl.KEY_CAPSLOCK) + tap(kl.KEY_A) + tap(kl.KEY_A, SHIFT) + tap(kl.KEY_1)
    events += [(kl.KEY_B, 2)]  # auto-repeat: ignored
    events += tap(kl.KEY_RIGHTBRACE, kl.KEY_LEFTCTRL)  # Ctrl+]: a control code, dropped
    events += tap(kl.KEY_CAPSLOCK) + tap(kl.KEY_C) + tap(183)  # F13: no character
    out = [c for k, v in events + enter() if (c := t.key(k, v)) is not None]
    assert out == ["Aa1c"]
    assert t.unmapped == [183]


def test_overlong_input_is_dropped_whole_and_counted() -> None:
    t = KeyTranslator(LAYOUTS["us"], Terminator.ENTER, max_length=3)
    out = [
        c for k, v in tap(kl.KEY_A) * 5 + enter() + tap(kl.KEY_B) + enter() if (c := t.key(k, v))
    ]
    assert out == ["b"] and t.overflows == 1


def test_a_character_a_layout_cannot_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="no key for"):
        list(key_events_for("ß", LAYOUTS["us"]))
