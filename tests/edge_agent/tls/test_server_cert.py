"""The API's certificate: made from the venue CA for the box's names, kept while it
serves, renewed when it does not; or the venue's own files, checked; and the Apple
profile that installs the CA on an iPad."""

from __future__ import annotations

import datetime as dt
import plistlib
import stat
from pathlib import Path

import pytest
from cryptography import x509

from edge_agent.errors import FileAccessError
from edge_agent.tls.server_cert import (
    SERVER_CERT_FILE,
    SERVER_KEY_FILE,
    host_label,
    setup_tls,
    wanted_names,
)
from edge_agent.tls.trust_profile import mobileconfig
from edge_agent.tls.venue_ca import CA_CERT_FILE, CA_KEY_FILE, create_venue_ca, issue_cert

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def setup(tmp: Path, listen: tuple[str, ...] = ("192.0.2.7",), now: dt.datetime = NOW, **kw):  # type: ignore[no-untyped-def]
    return setup_tls(tmp, agent_id="Gate Box_1", venue="Demo Hall", listen=listen, now=now, **kw)


def san(path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {
        *names.get_values_for_type(x509.DNSName),
        *map(str, names.get_values_for_type(x509.IPAddress)),
    }


def test_first_start_makes_the_ca_and_a_certificate_for_every_name(tmp_path: Path) -> None:
    tls = setup(tmp_path, extra_names=("Gate3.Venue.example",))
    assert tls.source == "venue_ca" and tls.ca is not None
    assert san(tmp_path / SERVER_CERT_FILE) == {
        "192.0.2.7", "127.0.0.1", "localhost", "gate-box-1.local", "gate3.venue.example"
    }  # fmt: skip
    for name in (CA_KEY_FILE, SERVER_KEY_FILE):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate((tmp_path / CA_CERT_FILE).read_bytes())
    leaf = x509.load_pem_x509_certificate((tmp_path / SERVER_CERT_FILE).read_bytes())
    leaf.verify_directly_issued_by(ca)
    assert tls.ca.pem == (tmp_path / CA_CERT_FILE).read_bytes()


def test_the_certificate_is_kept_while_it_serves_and_renewed_when_not(tmp_path: Path) -> None:
    setup(tmp_path)
    first = (tmp_path / SERVER_CERT_FILE).read_bytes()
    setup(tmp_path, now=NOW + dt.timedelta(days=100))
    assert (tmp_path / SERVER_CERT_FILE).read_bytes() == first  # same names, far from its end
    setup(tmp_path, listen=("192.0.2.7", "198.51.100.4"), now=NOW + dt.timedelta(days=100))
    second = (tmp_path / SERVER_CERT_FILE).read_bytes()
    assert second != first and "198.51.100.4" in san(tmp_path / SERVER_CERT_FILE)  # new address
    setup(tmp_path, listen=("192.0.2.7",), now=NOW + dt.timedelta(days=100 + 397 - 10))
    assert (tmp_path / SERVER_CERT_FILE).read_bytes() != second  # within 30 days of its end


def test_a_new_venue_ca_gets_a_new_certificate(tmp_path: Path) -> None:
    setup(tmp_path)
    old = (tmp_path / SERVER_CERT_FILE).read_bytes()
    for name in (CA_CERT_FILE, CA_KEY_FILE):  # e.g. the box joined a mesh: the venue's CA
        (tmp_path / name).unlink()
    tls = setup(tmp_path)
    assert (tmp_path / SERVER_CERT_FILE).read_bytes() != old
    assert tls.ca is not None
    leaf = x509.load_pem_x509_certificate((tmp_path / SERVER_CERT_FILE).read_bytes())
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(tls.ca.pem))


def test_the_venues_own_certificate_is_used_as_it_is(tmp_path: Path) -> None:
    ca = create_venue_ca("Venue IT", NOW)
    leaf = issue_cert(ca, "gate3", dns_names=["gate3.venue.example"], now=NOW)
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    cert.write_bytes(leaf.cert_pem + ca.cert_pem)
    key.write_bytes(leaf.key_pem)
    key.chmod(0o600)
    tls = setup(tmp_path / "tls", cert_file=str(cert), key_file=str(key))
    assert tls.source == "files" and tls.ca is None and tls.dns_names == ("gate3.venue.example",)
    assert not (tmp_path / "tls").exists()  # no CA is made for a venue with its own
    tls.server_context()
    key.chmod(0o644)
    with pytest.raises(FileAccessError, match="readable by group or others"):
        setup(tmp_path / "tls", cert_file=str(cert), key_file=str(key))
    other = issue_cert(ca, "other", dns_names=["x.example"], now=NOW)
    key.write_bytes(other.key_pem)
    key.chmod(0o600)
    with pytest.raises(FileAccessError, match="does not go with"):
        setup(tmp_path / "tls", cert_file=str(cert), key_file=str(key))


def test_names_for_a_wildcard_listen_are_the_boxs_addresses() -> None:
    dns, ips = wanted_names("gate-1", ["0.0.0.0"], [])
    assert "127.0.0.1" in ips and "gate-1.local" in dns and "0.0.0.0" not in ips
    assert host_label("Gate Box_1") == "gate-box-1" and host_label("__") == "gatehouse"


def test_the_apple_profile_holds_the_ca_as_a_root_payload(tmp_path: Path) -> None:
    tls = setup(tmp_path)
    assert tls.ca is not None
    raw = mobileconfig(tls.ca.der, tls.ca.name, tls.ca.fingerprint, "gate-1")
    doc = plistlib.loads(raw)
    assert doc["PayloadType"] == "Configuration" and doc["PayloadVersion"] == 1
    (root,) = doc["PayloadContent"]
    assert root["PayloadType"] == "com.apple.security.root"
    assert root["PayloadContent"] == tls.ca.der
    assert tls.ca.fingerprint in doc["PayloadDescription"]
    again = plistlib.loads(mobileconfig(tls.ca.der, tls.ca.name, tls.ca.fingerprint, "gate-1"))
    assert again["PayloadUUID"] == doc["PayloadUUID"]  # a new download replaces, not adds
