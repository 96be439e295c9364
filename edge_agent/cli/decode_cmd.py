"""``edge-agent decode-image FILE...``: decode image files exactly as a camera lane would.

A venue tech with a photo of a ticket that "won't scan" runs this at a desk and gets the
gate's answer: the same decode path (``scanner/decoders/decoder.py``: first pass, then the repairs)
with the same options a camera lane uses. One JSON object per file, in order:
``{"file", "text", "format", "ms"}`` (``text`` and ``format`` are ``null`` when no code was
found; ``ms`` is the decode time, from the loaded picture to the text). A file that cannot
be read still gets its line, with ``"error"``, plus a message on stderr, and the command
exits 1 after the last file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from edge_agent.errors import GatehouseError
from scanner.decoders.registry import BACKENDS as DECODE_BACKENDS

EXIT_UNREADABLE = 1


class DecodeSetupError(GatehouseError):
    """The decoder cannot run as asked (backend missing, unknown format)."""


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    cmd = sub.add_parser(
        "decode-image",
        help="decode QR codes in image files like a camera lane; one JSON object per file",
    )
    cmd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    cmd.add_argument(
        "--decoder",
        choices=tuple(DECODE_BACKENDS),  # the table only: no OpenCV or zxing loaded
        default="zxing",
        help="decode backend (default: zxing)",
    )
    cmd.add_argument(
        "--formats",
        default="QRCode",
        metavar="LIST",
        help="comma-separated barcode formats, zxing-cpp names (default: QRCode)",
    )
    cmd.add_argument(
        "--first-pass-only",
        action="store_true",
        help="skip the repairs for hard pictures (what a raw decoder would see)",
    )
    cmd.set_defaults(func=cmd_decode_image)


def cmd_decode_image(args: argparse.Namespace) -> int:
    # Imported here: OpenCV and zxing-cpp take ~0.2 s to load, which no other command needs.
    from scanner.decoders.decoder import DecodeOptions, Decoder
    from scanner.decoders.images import UnreadableImage, load_image
    from scanner.decoders.interface import DecoderUnavailable

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    try:
        decoder = Decoder(
            DecodeOptions(
                formats=formats, backend=args.decoder, second_pass=not args.first_pass_only
            )
        )
    except (DecoderUnavailable, ValueError) as exc:
        raise DecodeSetupError(f"decode-image: {exc}") from None
    out = sys.stdout
    failed = False
    for path in args.files:
        line: dict[str, object]
        try:
            image = load_image(path)
        except UnreadableImage as exc:
            print(f"edge-agent: decode-image: {exc}", file=sys.stderr)
            line = {"file": str(path), "text": None, "format": None, "ms": None}
            line["error"] = str(exc)
            failed = True
        else:
            started = time.perf_counter()
            found = decoder.decode(image)
            ms = (time.perf_counter() - started) * 1000
            first = found[0] if found else None
            line = {
                "file": str(path),
                "text": first.text if first else None,
                "format": first.format if first else None,
                "ms": round(ms, 3),
            }
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()  # a pipe consumer sees each file's answer as soon as it is known
    return EXIT_UNREADABLE if failed else 0
