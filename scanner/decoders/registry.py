"""Decode backends by their config name: one line each, imported only when named.

``DecodeOptions`` checks a config's ``backend`` and ``formats`` here (at load, not at the
gate), and the decoder builds its backend here. A backend module is imported the first
time it is named: zbar's needs pyzbar and the system's libzbar, which most boxes never
install. Adding a backend is one entry in :data:`BACKENDS`.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

from scanner.decoders.interface import DecodeBackend, DecodeBackendPlugin


class BackendRef(NamedTuple):
    """``module`` exports ``cls``, a :class:`DecodeBackendPlugin`."""

    module: str
    cls: str

    def load(self) -> DecodeBackendPlugin:
        plugin: DecodeBackendPlugin = getattr(importlib.import_module(self.module), self.cls)
        return plugin


BACKENDS: dict[str, BackendRef] = {
    "zxing": BackendRef("scanner.decoders.zxing", "ZxingBackend"),
    "zbar": BackendRef("scanner.decoders.zbar", "ZbarBackend"),
}


def check_backend(name: str, formats: tuple[str, ...]) -> None:
    """``ValueError`` naming the problem when ``name`` or one of ``formats`` is not usable."""
    ref = BACKENDS.get(name)
    if ref is None:
        raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {name!r}")
    plugin = ref.load()
    for fmt in formats:
        plugin.check_format(fmt)


def make_backend(name: str, formats: tuple[str, ...]) -> DecodeBackend:
    """A ready backend (``DecoderUnavailable`` with an install hint if it cannot run here)."""
    return BACKENDS[name].load()(formats)
