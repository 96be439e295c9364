"""A QR code as terminal text: two module rows per line with half blocks (▀ ▄ █), so a
pairing URL's code fits a 24-line terminal. Shown dark-on-light (the widget's style),
which phone cameras read; segno does the encoding."""

from __future__ import annotations

import segno

_CHARS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def qr_lines(data: str, border: int = 2) -> list[str]:
    """Rows of text; a block means a *dark* module (draw it dark on a light ground)."""
    qr = segno.make(data, error="l", micro=False)
    rows = [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=border)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return [
        "".join(_CHARS[(top, bottom)] for top, bottom in zip(rows[i], rows[i + 1], strict=True))
        for i in range(0, len(rows), 2)
    ]


def pairing_url(agent_url: str, code: str) -> str:
    """What the QR holds: the agent's pairing endpoint with the one-time code. A device
    that scans it sends ``POST /api/v1/pair {"code": …}`` to that address."""
    return f"{agent_url.rstrip('/')}/api/v1/pair?code={code}"
