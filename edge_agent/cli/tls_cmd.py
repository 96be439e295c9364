"""``edge-agent tls --config FILE``: the venue CA's fingerprint and the API's certificate.

What a venue tech compares with the trust page (``https://<box>:8443/trust/``) before a
staff device trusts the CA, and where the files are. It only reads: the agent makes the
CA and the certificate on its first start (as the agent's user, with the right modes), so
a command run as root never leaves files the agent cannot read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from edge_agent.api.routes.trust import grouped
from edge_agent.config.loading import load_config
from edge_agent.errors import GatehouseError
from edge_agent.tls.server_cert import SERVER_CERT_FILE
from edge_agent.tls.venue_ca import CA_CERT_FILE, read_file


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("tls", help="show the venue CA's fingerprint and the API's certificate")
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--json", action="store_true", help="print it as JSON")
    p.set_defaults(func=cmd_tls)


def describe(config_path: Path) -> dict[str, Any]:
    config = load_config(config_path)
    own = bool(config.tls.cert_file)
    tls_dir = config.tls_dir
    cert_path = Path(config.tls.cert_file) if own else tls_dir / SERVER_CERT_FILE
    doc: dict[str, Any] = {"source": "files" if own else "venue_ca", "certificate": str(cert_path)}
    if not own:
        ca_path = tls_dir / CA_CERT_FILE
        if not ca_path.exists():
            raise GatehouseError(f"{ca_path}: no venue CA yet; the agent makes it on first start")
        ca = x509.load_pem_x509_certificate(read_file(ca_path))
        doc["ca_certificate"] = str(ca_path)
        doc["ca_fingerprint_sha256"] = ca.fingerprint(hashes.SHA256()).hex()
    if cert_path.exists():
        cert = x509.load_pem_x509_certificates(read_file(cert_path))[0]
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        doc["names"] = [
            *names.get_values_for_type(x509.DNSName),
            *(str(a) for a in names.get_values_for_type(x509.IPAddress)),
        ]
        doc["not_after"] = cert.not_valid_after_utc.isoformat()
    return doc


def cmd_tls(args: argparse.Namespace) -> int:
    doc = describe(args.config)
    if args.json:
        print(json.dumps(doc))
        return 0
    if "ca_fingerprint_sha256" in doc:
        print(f"Venue CA: {doc['ca_certificate']}")
        print(f"  SHA-256 {grouped(doc['ca_fingerprint_sha256'])}")
        print("  Compare it with https://<this box>:8443/trust/ on each device that trusts it.")
    else:
        print("The venue's own certificate (tls.cert_file): no Gatehouse CA to trust.")
    if "names" in doc:
        print(f"API certificate: {doc['certificate']}")
        print(f"  for {', '.join(doc['names'])}; valid until {doc['not_after']}")
    return 0
