"""Test data in a running pretix, made through pretix's own code and REST API.

Runs INSIDE the pretix virtualenv with the instance's environment (``server.py`` starts
it): ``python make_fixtures.py BASE_URL DEVICES`` prints one JSON document with every id,
secret and one-time device token the tests need.

Only what has no REST endpoint goes through pretix's ORM in-process: the organizer (and
its banktransfer plugin), a team with an API token, and the event setting
``ticket_secret_generator`` (the settings API ignores it). Everything else — events,
items with variations, dates, quotas, check-in lists, orders, a reissued secret, a
blocked secret, a check-in, devices — is made with the team token over HTTP, as an
organiser's tools would.
"""

import json
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

ORG = "gh"


class Api:
    def __init__(self, base, token):
        self.base = base.rstrip("/") + "/api/v1"
        self.token = token

    def call(self, method, path, body=None, expect=(200, 201)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"Token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:  # loopback only
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        doc = json.loads(raw) if raw else None
        if status not in expect:
            raise RuntimeError(f"{method} {path} -> {status}: {doc}")
        return doc


def bootstrap():
    import django

    django.setup()
    from django_scopes import scopes_disabled
    from pretix.base.models import Organizer, Team

    with scopes_disabled():
        org, _ = Organizer.objects.get_or_create(slug=ORG, defaults={"name": "Gatehouse Test"})
        org.enable_plugin("pretix.plugins.banktransfer")
        org.save()
        team, _ = Team.objects.get_or_create(
            organizer=org,
            name="API",
            defaults=dict(
                all_events=True, all_event_permissions=True, all_organizer_permissions=True
            ),
        )
        return team.tokens.create(name="gatehouse-tests").token


def set_generator(slug, generator):
    from django_scopes import scopes_disabled
    from pretix.base.models import Event

    with scopes_disabled():
        ev = Event.objects.get(organizer__slug=ORG, slug=slug)
        ev.settings.ticket_secret_generator = generator
        ev.settings.payment_banktransfer__enabled = True


def make_event(api, slug, name, generator, *, series=False, bulk=0):
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=2)
    o = f"/organizers/{ORG}"
    api.call(
        "POST",
        f"{o}/events/",
        {
            "name": {"en": name},
            "slug": slug,
            "currency": "EUR",
            "live": False,
            "date_from": start.isoformat(),
            "date_to": (start + timedelta(days=2)).isoformat(),
            "has_subevents": series,
            "timezone": "UTC",
            "plugins": ["pretix.plugins.banktransfer"],
        },
    )
    set_generator(slug, generator)
    e = f"{o}/events/{slug}"
    ev = {"slug": slug, "items": {}, "subevents": {}, "lists": {}, "orders": {}}
    tax = api.call("POST", f"{e}/taxrules/", {"name": {"en": "VAT"}, "rate": "19.00"})["id"]
    for key, label, price, attention in (
        ("ticket", "Regular ticket", "20.00", {}),
        # staff look at VIP tickets: a flagged product (the gate's `check` verdict)
        ("vip", "VIP ticket", "90.00", {"checkin_attention": True, "checkin_text": "Wristband"}),
    ):
        ev["items"][key] = api.call(
            "POST",
            f"{e}/items/",
            {
                "name": {"en": label},
                "default_price": price,
                "admission": True,
                "tax_rule": tax,
                **attention,
            },
        )["id"]
    day_pass = api.call(
        "POST",
        f"{e}/items/",
        {
            "name": {"en": "Day pass"},
            "default_price": "15.00",
            "admission": True,
            "has_variations": True,
            "tax_rule": tax,
            "variations": [
                {"value": {"en": "Saturday"}, "default_price": "15.00"},
                {"value": {"en": "Sunday"}, "default_price": "12.00"},
            ],
        },
    )
    ev["items"]["daypass"] = day_pass["id"]
    ev["variations"] = {v["value"]["en"].lower(): v["id"] for v in day_pass["variations"]}
    items, variations = list(ev["items"].values()), list(ev["variations"].values())
    api.call(
        "POST",
        f"{e}/questions/",
        {
            "question": {"en": "Wristband number"},
            "identifier": "WRISTBAND",
            "type": "S",
            "required": True,
            "items": [ev["items"]["vip"]],
            "ask_during_checkin": True,
            "options": [],
        },
    )
    if series:
        for i, label in enumerate(("Day 1", "Day 2")):
            se = api.call(
                "POST",
                f"{e}/subevents/",
                {
                    "name": {"en": label},
                    "active": True,
                    "meta_data": {},
                    "date_from": (start + timedelta(days=i)).isoformat(),
                    "date_to": (start + timedelta(days=i, hours=10)).isoformat(),
                },
            )
            ev["subevents"][f"day{i + 1}"] = se["id"]
            api.call(
                "POST",
                f"{e}/quotas/",
                {
                    "name": f"Q {label}",
                    "size": 500,
                    "items": items,
                    "variations": variations,
                    "subevent": se["id"],
                },
            )
    else:
        api.call(
            "POST",
            f"{e}/quotas/",
            {"name": "All", "size": 500, "items": items, "variations": variations},
        )
    ev["lists"]["all"] = api.call(
        "POST",
        f"{e}/checkinlists/",
        {"name": "All products", "all_products": True, "limit_products": []},
    )["id"]
    ev["lists"]["vip_only"] = api.call(
        "POST",
        f"{e}/checkinlists/",
        {"name": "VIP entrance", "all_products": False, "limit_products": [ev["items"]["vip"]]},
    )["id"]
    if series:
        ev["lists"]["day1"] = api.call(
            "POST",
            f"{e}/checkinlists/",
            {
                "name": "Day 1 gate",
                "all_products": True,
                "limit_products": [],
                "subevent": ev["subevents"]["day1"],
            },
        )["id"]
    api.call("PATCH", f"{o}/events/{slug}/", {"live": True})
    sub = {"subevent": ev["subevents"]["day1"]} if series else {}

    def order(key, positions, status="p"):
        doc = api.call(
            "POST",
            f"{e}/orders/",
            {
                "email": f"{key}@example.invalid",
                "locale": "en",
                "status": status,
                "payment_provider": "manual",
                "send_email": False,
                "positions": positions,
            },
        )
        ev["orders"][key] = {
            "code": doc["code"],
            "positions": [
                {
                    k: p[k]
                    for k in ("id", "item", "variation", "subevent", "secret", "attendee_name")
                }
                for p in doc["positions"]
            ],
        }
        return doc

    def one(key, name, status="p"):
        return order(key, [{"item": ev["items"]["ticket"], "attendee_name": name, **sub}], status)

    one("alice", "Alice Example")
    order("vip", [{"item": ev["items"]["vip"], "attendee_name": "Victor VIP", **sub}])
    order(
        "group",
        [
            {"item": ev["items"]["ticket"], "attendee_name": "Gina Group", **sub},
            {
                "item": ev["items"]["daypass"],
                "variation": ev["variations"]["saturday"],
                "attendee_name": "Sam Saturday",
                **sub,
            },
        ],
    )
    if series:
        order(
            "day2",
            [
                {
                    "item": ev["items"]["ticket"],
                    "attendee_name": "Dana Day-Two",
                    "subevent": ev["subevents"]["day2"],
                }
            ],
        )
    one("unpaid", "Ursula Unpaid", status="n")
    one("canceled", "Carl Canceled")
    code = ev["orders"]["canceled"]["code"]
    api.call("POST", f"{e}/orders/{code}/mark_canceled/", {"send_email": False})
    ev["orders"]["canceled"]["secret_after_cancel"] = [
        p["secret"] for p in api.call("GET", f"{e}/orders/{code}/")["positions"]
    ]
    one("to_revoke", "Rita Reissued")
    one("to_block", "Bob Blocked")
    one("to_checkin", "Chuck Checkin")
    one("late_checkin", "Lena Late")
    for i in range(bulk):
        one(f"bulk{i}", f"Bulk Buyer {i}")
    pos = ev["orders"]["to_revoke"]["positions"][0]
    new = api.call("POST", f"{e}/orderpositions/{pos['id']}/regenerate_secrets/")
    ev["revoked"] = {"old_secret": pos["secret"], "new_secret": new["secret"]}
    pos = ev["orders"]["to_block"]["positions"][0]
    ev["blocked"] = api.call(
        "POST", f"{e}/orderpositions/{pos['id']}/add_block/", {"name": "admin"}
    )["secret"]
    pos = ev["orders"]["to_checkin"]["positions"][0]
    api.call(
        "POST",
        f"{o}/checkinrpc/redeem/",
        {
            "secret": pos["secret"],
            "lists": [ev["lists"]["all"]],
            "datetime": (now - timedelta(minutes=30)).isoformat(),
        },
    )
    ev["valid_keys"] = api.call("GET", f"{e}/")["valid_keys"]
    return ev


def main():
    base, devices = sys.argv[1], int(sys.argv[2])
    token = bootstrap()
    api = Api(base, token)
    out = {"base_url": base, "organizer": ORG, "team_token": token, "events": {}}
    out["events"]["sig"] = make_event(api, "sig", "Signed festival", "pretix_sig1", bulk=12)
    out["events"]["rnd"] = make_event(api, "rnd", "Random concert", "random")
    out["events"]["series"] = make_event(api, "series", "Signed series", "pretix_sig1", series=True)
    out["devices"] = [
        api.call(
            "POST",
            f"/organizers/{ORG}/devices/",
            {
                "name": f"gate-{i}",
                "all_events": True,
                "limit_events": [],
                "security_profile": "pretixscan",
            },
        )["initialization_token"]
        for i in range(devices)
    ]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
