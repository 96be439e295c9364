"""An Apple configuration profile (``.mobileconfig``) that installs the venue CA on an
iPad or iPhone: one ``com.apple.security.root`` payload holding the CA's DER bytes.

Why a profile and not the bare certificate: iOS installs a root CA only from a profile
(Safari downloads it, Settings → *Profile Downloaded* installs it, and Settings →
General → About → Certificate Trust Settings turns on full trust). The profile is not
signed — iOS shows "Not Signed", which is why the trust page shows the CA's SHA-256
fingerprint to compare with the one on the box. Its identifiers come from that
fingerprint, so downloading it again replaces the same profile instead of adding one.
"""

from __future__ import annotations

import plistlib
import uuid

_NAMESPACE = uuid.UUID("6f0b9f43-3c1e-4d43-9a4e-0c6b1f7a2d11")


def mobileconfig(ca_der: bytes, ca_name: str, fingerprint: str, agent: str) -> bytes:
    """The profile's XML plist bytes (served as ``application/x-apple-aspen-config``)."""
    root_uuid = uuid.uuid5(_NAMESPACE, f"root:{fingerprint}")
    profile_uuid = uuid.uuid5(_NAMESPACE, f"profile:{fingerprint}")
    ident = f"local.gatehouse.venue-ca.{fingerprint[:16]}"
    doc = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": ident,
        "PayloadUUID": str(profile_uuid).upper(),
        "PayloadDisplayName": "Gatehouse venue CA",
        "PayloadDescription": (
            f"Lets this device trust the Gatehouse agents of the venue ({agent}). "
            f"CA SHA-256 fingerprint: {fingerprint}"
        ),
        "PayloadOrganization": "Gatehouse",
        "PayloadRemovalDisallowed": False,
        "PayloadContent": [
            {
                "PayloadType": "com.apple.security.root",
                "PayloadVersion": 1,
                "PayloadIdentifier": f"{ident}.root",
                "PayloadUUID": str(root_uuid).upper(),
                "PayloadDisplayName": ca_name,
                "PayloadCertificateFileName": "gatehouse-venue-ca.cer",
                "PayloadContent": ca_der,
            }
        ],
    }
    return plistlib.dumps(doc, fmt=plistlib.FMT_XML)
