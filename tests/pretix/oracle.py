"""pretix's own verdict on signed secrets: runs INSIDE the pretix virtualenv, never ours.

Reads JSON lines ``{"code": SECRET, "pubkey": "<base64 PEM as in valid_keys>"}`` on
stdin and writes one line per input, ``{"accepted": bool, "ticket": {...} | null}``,
where the verdict is exactly ``Sig1TicketSecretGenerator._parse`` of the installed
pretix (``pretix/base/secrets.py``: it returns the protobuf ``Ticket`` or ``None``).
No database or server is needed; Django is set up once against a throwaway data dir.
"""

import json
import os
import sys
import tempfile
from types import SimpleNamespace


def _setup_django() -> None:
    tmp = tempfile.mkdtemp(prefix="pretix-oracle-")
    cfg = os.path.join(tmp, "pretix.cfg")
    with open(cfg, "w") as f:
        f.write(
            f"[pretix]\ndatadir={tmp}\n[database]\nbackend=sqlite3\nname={tmp}/unused.sqlite3\n"
            "[django]\nsecret=oracle-only\n"
        )
    os.environ["PRETIX_CONFIG_FILE"] = cfg
    os.environ["DJANGO_SETTINGS_MODULE"] = "pretix.settings"
    import django

    django.setup()


def main() -> None:
    _setup_django()
    from pretix.base.secrets import Sig1TicketSecretGenerator

    parsers = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        doc = json.loads(line)
        pubkey = doc["pubkey"]
        if pubkey not in parsers:
            event = SimpleNamespace(
                settings=SimpleNamespace(ticket_secrets_pretix_sig1_pubkey=pubkey)
            )
            parsers[pubkey] = Sig1TicketSecretGenerator(event)._parse
        t = parsers[pubkey](doc["code"])
        ticket = None
        if t is not None:
            ticket = {
                "seed": t.seed,
                "item": t.item,
                "variation": t.variation,
                "subevent": t.subevent,
                "valid_from": t.validFromUnixTime,
                "valid_until": t.validUntilUnixTime,
            }
        print(json.dumps({"accepted": t is not None, "ticket": ticket}), flush=True)


if __name__ == "__main__":
    main()
