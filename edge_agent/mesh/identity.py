"""This box's mesh credentials: its member key and certificate, and its NKEY seeds.

The member certificate is issued by the venue CA (``edge_agent/tls``) for the box's
mesh addresses, with both serverAuth and clientAuth: the same certificate serves the
client listener, both ends of cluster routes and the agent's own client connection.
Servers admit only *pinned* certificates (SHA-256 of the public key, in the roster),
so a certificate from the venue CA alone does not let a box in: it must be a member.

The key pair is made on the box that uses it; only its public key ever leaves (in a
join request), and the member that admits the box issues the certificate for it.
Seeds and keys are 0600 files in ``<data_dir>/mesh/`` and never appear in logs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

import nkeys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from edge_agent.mesh.errors import MeshError
from edge_agent.tls.venue_ca import BACKDATE, VenueCA, read_file, write_private, write_public

MEMBER_KEY_FILE = "member.key"
MEMBER_CERT_FILE = "member.crt"
AGENT_SEED_FILE = "agent.nk"
ADMIN_SEED_FILE = "admin.nk"
#: Member certificates live as long as the CA allows a leaf (re-issued on re-join).
MEMBER_DAYS = 825


def spki_pin(public_key: ec.EllipticCurvePublicKey) -> str:
    """``pinned_certs`` entry of nats-server: SHA-256 hex of the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def new_user_seed() -> bytes:
    """A fresh NKEY user seed (``SU…``); nkeys 0.2 has no generator of its own."""
    seed: bytes = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    return seed


def seed_public_key(seed: bytes) -> str:
    public: bytes = nkeys.from_seed(bytearray(seed)).public_key
    return public.decode("ascii")


def issue_member_cert(
    ca: VenueCA,
    name: str,
    public_key: ec.EllipticCurvePublicKey,
    hosts: list[str],
    now: dt.datetime,
) -> x509.Certificate:
    """A leaf for ``public_key`` (the joining box keeps the private half), valid for
    ``hosts`` (IP addresses or DNS names) and ``<name>.mesh.gatehouse``."""
    alt: list[x509.GeneralName] = [
        x509.DNSName(f"{name}.mesh.gatehouse"),
        x509.DNSName("localhost"),
    ]
    for host in dict.fromkeys(hosts):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    return (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gatehouse mesh"),
                    x509.NameAttribute(NameOID.COMMON_NAME, name),
                ]
            )
        )
        .issuer_name(ca.cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + dt.timedelta(days=MEMBER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )


@dataclass(frozen=True)
class MemberKeys:
    """A box's secret halves (kept in memory only while needed)."""

    key: ec.EllipticCurvePrivateKey
    agent_seed: bytes
    admin_seed: bytes

    @classmethod
    def new(cls) -> MemberKeys:
        return cls(ec.generate_private_key(ec.SECP256R1()), new_user_seed(), new_user_seed())

    @property
    def pin(self) -> str:
        return spki_pin(self.key.public_key())

    @property
    def agent_nkey(self) -> str:
        return seed_public_key(self.agent_seed)

    @property
    def admin_nkey(self) -> str:
        return seed_public_key(self.admin_seed)

    @property
    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@dataclass(frozen=True)
class MemberFiles:
    """Where a box keeps its mesh credentials (``<data_dir>/mesh``)."""

    directory: Path

    @property
    def key(self) -> Path:
        return self.directory / MEMBER_KEY_FILE

    @property
    def cert(self) -> Path:
        return self.directory / MEMBER_CERT_FILE

    @property
    def agent_seed(self) -> Path:
        return self.directory / AGENT_SEED_FILE

    @property
    def admin_seed(self) -> Path:
        return self.directory / ADMIN_SEED_FILE

    def exist(self) -> bool:
        return all(p.exists() for p in (self.key, self.cert, self.agent_seed, self.admin_seed))

    def save(self, keys: MemberKeys, cert: x509.Certificate) -> None:
        """Write the four files (secrets 0600), replacing any: a box that joins a new
        venue gets new credentials, never a mix of two venues'."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.remove()
        key_pem = keys.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private(self.key, key_pem)
        write_private(self.agent_seed, keys.agent_seed + b"\n")
        write_private(self.admin_seed, keys.admin_seed + b"\n")
        write_public(self.cert, cert.public_bytes(serialization.Encoding.PEM))

    def load_keys(self) -> MemberKeys:
        try:
            key = serialization.load_pem_private_key(read_file(self.key), password=None)
        except ValueError:
            raise MeshError(f"{self.key}: not a PEM private key") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise MeshError(f"{self.key}: not an EC private key")
        return MemberKeys(
            key, read_file(self.agent_seed).strip(), read_file(self.admin_seed).strip()
        )

    def load_cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(read_file(self.cert))

    def remove(self) -> None:
        """Forget this venue's credentials (a box removed from, or leaving, the venue)."""
        for path in (self.key, self.cert, self.agent_seed, self.admin_seed):
            path.unlink(missing_ok=True)
