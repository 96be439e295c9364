"""``/trust/``: how a staff device comes to trust the venue CA, once.

Public, because a device must reach it before it trusts anything: the page, the CA
certificate (PEM, for Android and laptops) and an Apple configuration profile (iPads).
None of it is secret — the CA's *public* certificate — but a device on a hostile LAN
could be shown someone else's, so the page prints the CA's SHA-256 fingerprint in
groups a person can compare with the one on the box (``edge-agent tls --config FILE``,
the status document's ``tls``). docs/install.md walks through each kind of device.
With the venue's own certificate (``tls.cert_file``) there is no venue CA to install.
"""

from __future__ import annotations

import html

from aiohttp import web

from edge_agent.api.auth import public
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import runtime_of
from edge_agent.tls.server_cert import TlsSetup, TrustedCa
from edge_agent.tls.trust_profile import mobileconfig

routes = web.RouteTableDef()

#: The page has no script and loads nothing: only its own inline style.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def grouped(fingerprint: str) -> str:
    """``ab12cd…`` as ``AB12 CD34 …``: easier to read aloud and compare."""
    text = fingerprint.upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _venue_ca(request: web.Request) -> TrustedCa:
    ca = runtime_of(request).tls.ca
    if ca is None:
        raise ApiError(
            404, "no_venue_ca", "this agent uses the venue's own certificate: nothing to install"
        )
    return ca


@routes.get("/trust/")
@public  # a device reads it before it can trust, or pair with, anything
async def get_trust_page(request: web.Request) -> web.Response:
    rt = runtime_of(request)
    return web.Response(
        text=trust_page(rt.tls, rt.config.agent.agent_id),
        content_type="text/html",
        charset="utf-8",
        headers=_HEADERS,
    )


@routes.get("/trust/venue-ca.crt")
@public
async def get_ca_certificate(request: web.Request) -> web.Response:
    return web.Response(
        body=_venue_ca(request).pem,
        content_type="application/x-x509-ca-cert",
        headers={
            **_HEADERS,
            "Content-Disposition": 'attachment; filename="gatehouse-venue-ca.crt"',
        },
    )


@routes.get("/trust/venue-ca.mobileconfig")
@public
async def get_apple_profile(request: web.Request) -> web.Response:
    ca = _venue_ca(request)
    agent = runtime_of(request).config.agent.agent_id
    return web.Response(
        body=mobileconfig(ca.der, ca.name, ca.fingerprint, agent),
        content_type="application/x-apple-aspen-config",
        headers={
            **_HEADERS,
            "Content-Disposition": 'attachment; filename="gatehouse-venue-ca.mobileconfig"',
        },
    )


def trust_page(tls: TlsSetup, agent_id: str) -> str:
    """The page: the fingerprint to compare, then what to do on each kind of device."""
    agent = html.escape(agent_id)
    if tls.ca is None:
        body = (
            "<p>This agent presents the venue's own certificate, issued by a certificate "
            "authority your devices may already trust. There is no Gatehouse CA to install; "
            "ask the venue's IT if your device warns about the certificate.</p>"
        )
    else:
        body = f"""
<p>Gatehouse agents at this venue use certificates from the <b>venue CA</b>. Trust it once on
each staff device. First compare this fingerprint with the one the box shows
(<code>edge-agent tls --config …</code>, or the supervisor's TUI): they must be identical.</p>
<p class="fp">SHA-256 {grouped(tls.ca.fingerprint)}</p>
<h2>iPad / iPhone</h2>
<ol><li>Open <a href="venue-ca.mobileconfig">the profile</a> in Safari and allow the download.</li>
<li>Settings → <i>Profile Downloaded</i> → Install (it says "Not Signed": the fingerprint
above is your check).</li>
<li>Settings → General → About → Certificate Trust Settings → turn on
<i>Gatehouse venue CA</i>.</li></ol>
<h2>Android</h2>
<ol><li>Download <a href="venue-ca.crt">the CA certificate</a>.</li>
<li>Settings → Security → Encryption &amp; credentials → Install a certificate →
<i>CA certificate</i> → pick the file (Chrome then trusts the agent).</li></ol>
<h2>Laptops</h2>
<ul><li>The TUI: <code>edge-agent tui --url https://&lt;box&gt;:8443 --ca-file
gatehouse-venue-ca.crt</code>.</li>
<li>macOS: open the file, Keychain Access → <i>Always Trust</i>. Windows: open it → Install →
Local Machine → <i>Trusted Root Certification Authorities</i>. Debian/Ubuntu: copy it to
<code>/usr/local/share/ca-certificates/</code> and run <code>update-ca-certificates</code>
(Firefox: Settings → Certificates → Import).</li></ul>"""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trust the venue CA — Gatehouse {agent}</title>
<style>body{{font:17px/1.5 system-ui,sans-serif;max-width:40em;margin:1em auto;padding:0 1em}}
.fp{{font:600 1.1em ui-monospace,monospace;background:#f3f3f3;padding:.6em;word-spacing:.3em}}
</style></head><body>
<h1>Trust this venue's Gatehouse agents</h1>
<p>Agent <b>{agent}</b>.</p>
{body}
</body></html>
"""
