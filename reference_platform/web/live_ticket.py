"""The attendee's live ticket: a page that shows a ticket's rotating QR on a phone.

``GET /tickets/{ticket_id}/live?k=<ticket secret, hex>`` is the link the platform hands
the ticket holder (it holds the per-ticket secret a phone app would: whoever has the
link can show the ticket, as with an app login). The page fetches
``/tickets/{ticket_id}/live.svg?k=…`` every few seconds: the QR of the code at the
platform's current 15-second step (``docs/formats/rotating-v1.md``), so a screenshot of
it stops working at the gate within 45 seconds.
"""

from __future__ import annotations

import html
import sqlite3

import segno
from aiohttp import web

from reference_platform.services.live_tickets import live_code
from reference_platform.web.app_keys import CLOCK_KEY, DB_KEY

live_routes = web.RouteTableDef()

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your ticket</title>
<style>body{{font-family:system-ui,sans-serif;text-align:center;margin:1.5em}}
img{{width:min(90vw,420px);image-rendering:pixelated}}#t{{color:#555}}</style></head>
<body><h1>{event}</h1><p>{holder}</p><img id="qr" alt="Live ticket QR" src="{svg}">
<p id="t">Live code — it changes every 15 seconds. A screenshot will not get you in.</p>
<script>
const src = {svg_js};
setInterval(() => {{ document.getElementById("qr").src = src + "&t=" + Date.now(); }}, 3000);
</script></body></html>
"""


@live_routes.get("/tickets/{ticket_id}/live")
async def live_page(request: web.Request) -> web.Response:
    ticket_id, key = request.match_info["ticket_id"], request.query.get("k", "")
    now_s = request.app[CLOCK_KEY]() // 1000

    def read(conn: sqlite3.Connection) -> tuple[str, str]:
        live_code(conn, ticket_id, key, now_s)  # checks the link before showing anything
        row = conn.execute(
            "SELECT e.name, coalesce(t.holder_name, '') FROM tickets t"
            " JOIN events e ON e.event_id = t.event_id WHERE t.ticket_id = ?",
            (ticket_id,),
        ).fetchone()
        return str(row[0]), str(row[1])

    event, holder = await request.app[DB_KEY].read(read)
    svg = f"/tickets/{ticket_id}/live.svg?k={key}"
    page = _PAGE.format(
        event=html.escape(event), holder=html.escape(holder), svg=html.escape(svg),
        svg_js=repr(svg),
    )  # fmt: skip
    return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-store"})


@live_routes.get("/tickets/{ticket_id}/live.svg")
async def live_svg(request: web.Request) -> web.Response:
    ticket_id, key = request.match_info["ticket_id"], request.query.get("k", "")
    now_s = request.app[CLOCK_KEY]() // 1000
    code = await request.app[DB_KEY].read(lambda c: live_code(c, ticket_id, key, now_s))
    qr = segno.make_qr(code, error="m", mode="alphanumeric", boost_error=False)
    svg = qr.svg_inline(scale=6, border=4)
    return web.Response(
        text=svg, content_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )
