"""The LAN API's certificate: issued from the venue CA for this box's names, or the
venue's own.

Why on every start: a box's addresses change (a new venue, DHCP), a certificate nears
its end, or the venue CA was replaced (a box that joined a mesh received the venue's).
So each start checks ``server.crt`` in the TLS directory and issues a new one from the
venue CA when it is missing, does not name every address the API listens on, expires
within ``RENEW_DAYS`` or was not signed by the CA in force. The CA itself is made once
(``venue_ca.load_or_create_venue_ca``). With ``tls.cert_file``/``tls.key_file`` the
venue's own chain and key are used as they are (e.g. from ACME DNS-01 elsewhere) and no
CA is involved.

The names: the API's listen addresses (every interface's for a wildcard), 127.0.0.1 and
``localhost`` (local tools), ``<agent_id>.local`` (the mDNS name discovery announces) and
``tls.names``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ifaddr
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from edge_agent.errors import FileAccessError
from edge_agent.tls.contexts import server_context
from edge_agent.tls.venue_ca import (
    IssuedCert,
    VenueCA,
    issue_cert,
    load_or_create_venue_ca,
    read_file,
    write_public,
)

SERVER_CERT_FILE = "server.crt"
SERVER_KEY_FILE = "server.key"
#: A certificate this close to its end is replaced at start.
RENEW_DAYS = 30
_WILDCARDS = ("0.0.0.0", "::")  # noqa: S104 - addresses compared, not bound


@dataclass(frozen=True)
class TrustedCa:
    """The venue CA as staff devices install it: its certificate, name, fingerprint."""

    pem: bytes
    name: str
    #: SHA-256 of the DER certificate, hex (what a person compares).
    fingerprint: str

    @property
    def der(self) -> bytes:
        cert = x509.load_pem_x509_certificate(self.pem)
        return cert.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class TlsSetup:
    """What the API serves TLS with, and what staff devices must trust."""

    cert_path: Path
    key_path: Path
    #: "venue_ca" (issued here from the venue CA) or "files" (the venue's own).
    source: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    not_after: dt.datetime
    #: The venue CA staff devices trust; None with the venue's own certificate.
    ca: TrustedCa | None

    def server_context(self) -> ssl.SSLContext:
        return server_context(self.cert_path, self.key_path)


def host_label(agent_id: str) -> str:
    """``agent_id`` as one DNS label (the ``.local`` name discovery announces)."""
    label = "".join(c if c.isalnum() or c == "-" else "-" for c in agent_id).strip("-")
    return (label or "gatehouse")[:63].lower()


def wanted_names(
    agent_id: str, listen: Iterable[str], extra: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(DNS names, IP addresses) the certificate must hold."""
    ips: set[str] = {"127.0.0.1"}
    for host in listen:
        if host in _WILDCARDS:
            ips.update(_interface_addresses(ipaddress.ip_address(host).version))
        else:
            ips.add(str(ipaddress.ip_address(host)))
    dns = {"localhost", f"{host_label(agent_id)}.local", *(n.lower() for n in extra)}
    return tuple(sorted(dns)), tuple(sorted(ips, key=lambda a: ipaddress.ip_address(a).packed))


def _interface_addresses(version: int) -> set[str]:
    out: set[str] = set()
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            text = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            addr = ipaddress.ip_address(text.split("%", 1)[0])
            if addr.version == version and not addr.is_link_local:
                out.add(str(addr))
    return out


def setup_tls(
    directory: Path,
    *,
    agent_id: str,
    venue: str,
    listen: Iterable[str],
    extra_names: Iterable[str] = (),
    cert_file: str = "",
    key_file: str = "",
    now: dt.datetime,
) -> TlsSetup:
    """The certificate the API serves (made or renewed here), ready for contexts."""
    if cert_file:
        return _venue_files(Path(cert_file), Path(key_file))
    ca = load_or_create_venue_ca(directory, venue or agent_id, now)
    dns, ips = wanted_names(agent_id, listen, extra_names)
    cert_path, key_path = directory / SERVER_CERT_FILE, directory / SERVER_KEY_FILE
    cert = _current(cert_path, key_path, ca, dns, ips, now)
    if cert is None:
        issued = issue_cert(ca, agent_id, dns_names=dns, ip_addresses=ips, now=now)
        _write_server(cert_path, key_path, issued)
        cert = issued.cert
    return TlsSetup(
        cert_path,
        key_path,
        "venue_ca",
        dns,
        ips,
        cert.not_valid_after_utc,
        TrustedCa(ca.cert_pem, _common_name(ca.cert), ca.fingerprint_sha256),
    )


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _current(
    cert_path: Path,
    key_path: Path,
    ca: VenueCA,
    dns: tuple[str, ...],
    ips: tuple[str, ...],
    now: dt.datetime,
) -> x509.Certificate | None:
    """The stored server certificate if it still serves, else None (issue a new one)."""
    if not cert_path.exists() or not key_path.exists():
        return None
    try:
        cert = x509.load_pem_x509_certificate(read_file(cert_path))
        cert.verify_directly_issued_by(ca.cert)  # not by a CA this box no longer uses
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound, FileAccessError):
        return None
    has_dns = {n.lower() for n in names.get_values_for_type(x509.DNSName)}
    has_ips = {str(a) for a in names.get_values_for_type(x509.IPAddress)}
    if not set(dns) <= has_dns or not set(ips) <= has_ips:
        return None
    if cert.not_valid_after_utc - now < dt.timedelta(days=RENEW_DAYS):
        return None
    return cert


def _write_server(cert_path: Path, key_path: Path, issued: IssuedCert) -> None:
    """The key first (0600 from its first byte, then moved into place), then the cert."""
    cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = key_path.with_name(key_path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(issued.key_pem)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, key_path)
    write_public(cert_path, issued.cert_pem)


def _venue_files(cert_path: Path, key_path: Path) -> TlsSetup:
    """The venue's own certificate chain and key, checked to belong together."""
    chain = x509.load_pem_x509_certificates(read_file(cert_path))
    if not chain:
        raise FileAccessError(cert_path, "no PEM certificate in it")
    try:
        server_context(cert_path, key_path)
    except ssl.SSLError as exc:
        raise FileAccessError(key_path, f"does not go with {cert_path.name}: {exc}") from None
    if key_path.stat().st_mode & 0o077:
        raise FileAccessError(key_path, "readable by group or others; chmod 600 it")
    leaf = chain[0]
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(names.get_values_for_type(x509.DNSName))
        ips = tuple(str(a) for a in names.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    return TlsSetup(cert_path, key_path, "files", dns, ips, leaf.not_valid_after_utc, None)
