"""``edge-agent decode-image``: one JSON line per file, in order, through the camera
lane's decode path; unreadable files get their line too and make the exit code 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_agent.cli.main import main
from scanner.decoders.render import Degradation, degrade, render_frame
from tests.scanner.frames import corpus_files, gh1_codes

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-m", "edge_agent.cli.main"]


def write(path: Path, frame: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), frame)
    return path


def test_lines_in_order_with_text_format_and_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = gh1_codes(2)
    first = write(tmp_path / "a.png", render_frame(codes[0]))
    blank = write(tmp_path / "blank.jpg", render_frame(None))
    dark = write(
        tmp_path / "dark.png",
        degrade(render_frame(codes[1]), Degradation.LOW_LIGHT, np.random.default_rng(3)),
    )
    assert main(["decode-image", str(first), str(blank), str(dark)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(first), str(blank), str(dark)]
    assert [line["text"] for line in lines] == [codes[0], None, codes[1]]
    assert [line["format"] for line in lines] == ["QRCode", None, "QRCode"]
    for line in lines:
        assert set(line) == {"file", "text", "format", "ms"}
        assert isinstance(line["ms"], float) and line["ms"] >= 0


def test_first_pass_only_is_what_a_raw_decoder_sees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = gh1_codes(1, seed=2)[0]
    rng = np.random.default_rng(3)
    dark = write(tmp_path / "dark.png", degrade(render_frame(code), Degradation.LOW_LIGHT, rng))
    assert main(["decode-image", "--first-pass-only", str(dark)]) == 0
    assert json.loads(capsys.readouterr().out)["text"] is None
    assert main(["decode-image", str(dark)]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == code


def test_unreadable_files_get_an_error_line_and_exit_1(tmp_path: Path) -> None:
    """A real subprocess: stdout lines, stderr messages and the exit code together."""
    good = write(tmp_path / "good.png", render_frame(gh1_codes(1)[0]))
    not_image = tmp_path / "notes.png"
    not_image.write_text("not a picture")
    missing = tmp_path / "missing.png"
    corpus = [str(p) for p, _ in corpus_files()[:1]]
    args = [str(missing), str(good), str(not_image), str(tmp_path), *corpus]
    proc = subprocess.run(
        [*CLI, "decode-image", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 1
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["file"] for line in lines] == args
    assert lines[0]["text"] is None and "No such file" in lines[0]["error"]
    assert lines[1]["text"] == gh1_codes(1)[0] and "error" not in lines[1]
    assert "not an image" in lines[2]["error"]
    assert "directory" in lines[3]["error"]
    assert lines[4]["text"] is not None
    errors = proc.stderr.splitlines()
    assert len(errors) == 3
    assert all(line.startswith("edge-agent: decode-image: ") for line in errors)


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    image = write(tmp_path / "a.png", render_frame(None))
    assert main(["decode-image", "--formats", "QRCode,Bogus", str(image)]) == 2


def test_16_bit_and_transparent_pngs_are_read_like_paper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = gh1_codes(1)[0]
    gray = cv2.cvtColor(render_frame(code), cv2.COLOR_BGR2GRAY)
    deep = write(tmp_path / "deep.png", gray.astype(np.uint16) * 257)
    # Black modules on a transparent background: without compositing on white, the
    # transparent pixels' color (black) would hide the code.
    transparent = write(tmp_path / "alpha.png", np.dstack([np.zeros_like(gray)] * 3 + [255 - gray]))
    assert main(["decode-image", str(deep), str(transparent)]) == 0
    assert [json.loads(x)["text"] for x in capsys.readouterr().out.splitlines()] == [code, code]
