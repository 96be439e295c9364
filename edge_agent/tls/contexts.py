"""``ssl.SSLContext`` objects from venue certificates: servers present theirs, clients
verify against the venue CA (and, between boxes, both ends do)."""

from __future__ import annotations

import ssl
from pathlib import Path


def server_context(cert: Path, key: Path, *, client_ca: Path | None = None) -> ssl.SSLContext:
    """A TLS 1.2+ server context; with ``client_ca`` it also requires a client
    certificate issued by that CA (mutual TLS, as the mesh's routes use)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    if client_ca is not None:
        ctx.load_verify_locations(cafile=client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def client_context(
    ca: Path, *, cert: Path | None = None, key: Path | None = None
) -> ssl.SSLContext:
    """A client context that trusts only ``ca`` (not the system's public CAs: a venue
    certificate is never issued by one) and checks the host name; with ``cert``/``key``
    it presents a client certificate."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert is not None:
        ctx.load_cert_chain(cert, key)
    return ctx
