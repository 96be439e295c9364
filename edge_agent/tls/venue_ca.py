"""The venue CA and the certificates it issues (``cryptography``'s x509 builder).

Why a CA of our own: the venue LAN is hostile by assumption (guest Wi-Fi is often the
same network), so scanners, iPads, the TUI and the other boxes must verify whom they talk
to, with no internet to reach a public CA. Staff devices trust this CA once; every box
of the venue presents a certificate issued by it.

Keys are ECDSA P-256 and signatures SHA-256: what iOS, Android, browsers, Go (NATS) and
OpenSSL all accept. Server certificates follow Apple's rules for user-trusted CAs
(subjectAltName, serverAuth EKU, at most 825 days) so an iPad accepts them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from edge_agent.errors import FileAccessError

#: File names inside a TLS directory (``<data_dir>/tls`` unless configured).
CA_CERT_FILE = "venue-ca.crt"
CA_KEY_FILE = "venue-ca.key"

#: The CA outlives any event series; server certificates are re-issued well before
#: Apple's 825-day ceiling.
CA_DAYS = 3650
SERVER_DAYS = 397
#: Certificates start a day in the past: a Pi without a real-time clock may run slow
#: until NTP answers, and a certificate "not yet valid" would stop the doors.
BACKDATE = dt.timedelta(days=1)


@dataclass(frozen=True)
class VenueCA:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def fingerprint_sha256(self) -> str:
        """What a person compares when trusting the CA on a device (hex, colon-free)."""
        return self.cert.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class IssuedCert:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def create_venue_ca(venue: str, now: dt.datetime) -> VenueCA:
    """A new self-signed CA named after the venue (path length 0: it signs only leaves)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gatehouse"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Gatehouse venue CA {venue}"[:64]),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return VenueCA(cert, key)


def issue_cert(
    ca: VenueCA,
    common_name: str,
    *,
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[str] = (),
    now: dt.datetime,
    days: int = SERVER_DAYS,
    client: bool = False,
) -> IssuedCert:
    """A leaf certificate for ``dns_names`` and ``ip_addresses`` (at least one), usable
    by a server, and also as a client certificate when ``client`` (NATS routes between
    boxes authenticate both ends)."""
    if not dns_names and not ip_addresses:
        raise ValueError("a certificate needs at least one DNS name or IP address")
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ip_addresses]
    usages = [ExtendedKeyUsageOID.SERVER_AUTH]
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    public = key.public_key()
    ca_public = ca.key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])]))
        .issuer_name(ca.cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    return IssuedCert(cert, key)


def load_or_create_venue_ca(directory: Path, venue: str, now: dt.datetime) -> VenueCA:
    """The CA in ``directory`` (made there, key 0600, on the first call)."""
    cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
    if cert_path.exists() or key_path.exists():
        return load_venue_ca(directory)
    ca = create_venue_ca(venue, now)
    save_venue_ca(directory, ca)
    return ca


def save_venue_ca(directory: Path, ca: VenueCA) -> None:
    """Write the CA's certificate and (0600) key; never over existing files."""
    key_pem = ca.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private(directory / CA_KEY_FILE, key_pem)
    write_public(directory / CA_CERT_FILE, ca.cert_pem)


def load_venue_ca(directory: Path) -> VenueCA:
    cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
    cert = x509.load_pem_x509_certificate(read_file(cert_path))
    try:
        key = serialization.load_pem_private_key(read_file(key_path), password=None)
    except ValueError:
        raise FileAccessError(key_path, "not a PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise FileAccessError(key_path, "not an EC private key")
    if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise FileAccessError(key_path, f"does not belong to {cert_path.name}")
    return VenueCA(cert, key)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileAccessError(path, "missing") from None
    except OSError as exc:
        raise FileAccessError(path, f"cannot read: {exc.strerror}") from None


def write_private(path: Path, data: bytes) -> None:
    """A secret file: created with mode 0600 before a byte is written, never replaced."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise FileAccessError(path, "exists already; not overwritten") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
