"""The venue CA: made once (key 0600), certificates an iPad and Go accept, and TLS on
loopback that verifies against it — and only against it."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from edge_agent.errors import FileAccessError
from edge_agent.tls.contexts import client_context, server_context
from edge_agent.tls.venue_ca import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    SERVER_DAYS,
    create_venue_ca,
    issue_cert,
    load_or_create_venue_ca,
    save_venue_ca,
)

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def test_the_ca_is_made_once_with_a_private_key_only_its_owner_reads(tmp_path: Path) -> None:
    first = load_or_create_venue_ca(tmp_path / "tls", "Demo Hall", NOW)
    again = load_or_create_venue_ca(tmp_path / "tls", "Demo Hall", NOW)
    assert again.cert == first.cert
    assert stat.S_IMODE((tmp_path / "tls" / CA_KEY_FILE).stat().st_mode) == 0o600
    constraints = first.cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    assert first.cert.not_valid_before_utc < NOW  # backdated: a slow Pi clock still works
    with pytest.raises(FileAccessError, match="not overwritten"):
        save_venue_ca(tmp_path / "tls", create_venue_ca("Other", NOW))


def test_a_key_that_does_not_belong_to_the_certificate_is_refused(tmp_path: Path) -> None:
    save_venue_ca(tmp_path / "a", create_venue_ca("A", NOW))
    save_venue_ca(tmp_path / "b", create_venue_ca("B", NOW))
    (tmp_path / "a" / CA_KEY_FILE).unlink()
    (tmp_path / "a" / CA_KEY_FILE).write_bytes((tmp_path / "b" / CA_KEY_FILE).read_bytes())
    with pytest.raises(FileAccessError, match=f"does not belong to {CA_CERT_FILE}"):
        load_or_create_venue_ca(tmp_path / "a", "A", NOW)


def test_server_certificates_follow_apples_rules_for_user_trusted_cas() -> None:
    ca = create_venue_ca("Demo Hall", NOW)
    leaf = issue_cert(ca, "gate-1", dns_names=["gate-1.local"], ip_addresses=["192.0.2.7"], now=NOW)
    cert = leaf.cert
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["gate-1.local"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["192.0.2.7"]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime <= dt.timedelta(days=825) and lifetime.days == SERVER_DAYS + 1
    assert cert.issuer == ca.cert.subject
    with pytest.raises(ValueError, match="at least one"):
        issue_cert(ca, "nameless", now=NOW)


async def _handshake(server: ssl.SSLContext, client: ssl.SSLContext) -> bytes:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(await reader.readline())
            await writer.drain()
        except (ssl.SSLError, ConnectionError):
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server)
    port = srv.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client, server_hostname="127.0.0.1"
        )
        writer.write(b"hello\n")
        line = await reader.readline()
        writer.close()
        return line
    finally:
        srv.close()
        await srv.wait_closed()


def _files(tmp_path: Path, name: str, *, client: bool = False) -> tuple[Path, Path, Path]:
    ca = create_venue_ca(name, dt.datetime.now(dt.UTC))
    leaf = issue_cert(
        ca, name, ip_addresses=["127.0.0.1"], now=dt.datetime.now(dt.UTC), client=client
    )
    folder = tmp_path / name
    folder.mkdir()
    (folder / "ca.crt").write_bytes(ca.cert_pem)
    (folder / "leaf.crt").write_bytes(leaf.cert_pem)
    (folder / "leaf.key").write_bytes(leaf.key_pem)
    return folder / "ca.crt", folder / "leaf.crt", folder / "leaf.key"


async def test_tls_on_loopback_verifies_against_the_venue_ca_only(tmp_path: Path) -> None:
    ca, cert, key = _files(tmp_path, "venue")
    other_ca, _, _ = _files(tmp_path, "stranger")
    assert await _handshake(server_context(cert, key), client_context(ca)) == b"hello\n"
    with pytest.raises(ssl.SSLCertVerificationError):
        await _handshake(server_context(cert, key), client_context(other_ca))


async def test_mutual_tls_needs_a_client_certificate_from_the_venue(tmp_path: Path) -> None:
    ca, cert, key = _files(tmp_path, "venue", client=True)
    strict = server_context(cert, key, client_ca=ca)
    assert await _handshake(strict, client_context(ca, cert=cert, key=key)) == b"hello\n"
    # without a client certificate the server ends the handshake (TLS 1.3 reports it at
    # the first read): nothing is echoed
    try:
        line = await _handshake(strict, client_context(ca))
    except (ssl.SSLError, ConnectionError):
        line = b""
    assert line == b""
