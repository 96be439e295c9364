"""The optional zbar backend: reads real frames where libzbar0 is installed (the project's
``scripts/ensure-system-deps.sh`` installs it), and says how to install it where not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from scanner.decoders.decoder import DecodeOptions, Decoder
from scanner.decoders.interface import DecoderUnavailable
from scanner.decoders.render import render_frame
from scanner.decoders.zbar import LIBZBAR_HINT, zbar_available
from tests.scanner.frames import gh1_codes

pytestmark = pytest.mark.integration

#: Runs the CLI with ctypes unable to find libzbar, exactly what pyzbar sees on a machine
#: without the libzbar0 package.
WITHOUT_LIBZBAR = """
import ctypes.util, sys
real = ctypes.util.find_library
ctypes.util.find_library = lambda name: None if name == "zbar" else real(name)
from edge_agent.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_zbar_backend_reads_a_gh1_frame() -> None:
    if (why := zbar_available()) is not None:
        pytest.fail(f"libzbar0 should be installed by scripts/ensure-system-deps.sh: {why}")
    code = gh1_codes(1)[0]
    found = Decoder(DecodeOptions(backend="zbar")).decode(render_frame(code))
    assert [(d.text, d.format) for d in found] == [(code, "QRCode")]
    assert Decoder(DecodeOptions(backend="zbar")).decode(render_frame(None)) == []


def test_zbar_refuses_formats_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="zbar cannot read 'Aztec'"):
        DecodeOptions(backend="zbar", formats=("Aztec",))


def test_missing_libzbar_reports_the_install_hint(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    assert cv2.imwrite(str(image), render_frame(gh1_codes(1)[0]))
    run = [sys.executable, "-c", WITHOUT_LIBZBAR]
    proc = subprocess.run(
        [*run, "decode-image", "--decoder", "zbar", str(image)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert LIBZBAR_HINT in proc.stderr
    assert "libzbar" in proc.stderr


def test_missing_pyzbar_is_a_decoder_unavailable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "pyzbar" or m.startswith("pyzbar.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyzbar", None)  # import pyzbar → ImportError
    with pytest.raises(DecoderUnavailable, match="pyzbar is not installed"):
        Decoder(DecodeOptions(backend="zbar"))
    assert zbar_available() is not None
