"""A rule set of realistic size for the decide benchmark: 3 events, 10 check-in lists,
5 zones (issue 16), appended to the demo event's config.

Every benchmark code is an admit that walks the whole rule path: its event has doors
open now and typed rules (a day pass for today, an 18+ type with a flag), the lane scans
against all ten lists and only the last one covers the demo's types (so nine are looked
at and passed over), the matching list has a window, a total and a per-day limit, and
the lane enters a zone with a (large) capacity, so occupancy is checked on every admit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EVENTS = (1001, 1002, 1003)


def realistic_rules(now_s: int) -> str:
    now = datetime.fromtimestamp(now_s, tz=UTC)
    day = now.date().isoformat()
    yesterday = (now - timedelta(days=1)).date().isoformat()
    opening = (now - timedelta(hours=2)).strftime("%H:%M")
    closing = (now + timedelta(hours=4)).strftime("%H:%M")
    # a window that started two hours ago on today's (or, just after midnight, yesterday's)
    # date and runs six hours
    start_day = day if now - timedelta(hours=2) >= now.replace(hour=0, minute=0) else yesterday
    window = f'{{ day = "{start_day}", open = "{opening}", close = "{closing}" }}'
    parts = []
    for event_id in EVENTS:
        parts.append(
            f"""[[events]]
event_id = {event_id}
name = "Event {event_id}"
doors = [{window}]
ticket_types = [
  {{ ticket_type = 0, name = "Day ticket", days = ["{start_day}"] }},
  {{ ticket_type = 1, name = "VIP", note = "VIP wristband" }},
  {{ ticket_type = 2, name = "Bar pass", flags = ["age_18"] }},
]
"""
        )
    for n, name in enumerate(("hall-a", "hall-b", "foyer", "vip-deck", "backstage")):
        capacity = 1_000_000 if n == 0 else 500
        parts.append(f'[[zones]]\nid = "{name}"\ncapacity = {capacity}\nwhen_full = "warn"\n')
    for n in range(9):  # lists for other types: looked at, not taken
        parts.append(
            f'[[lists]]\nid = "other-{n}"\nevents = [{EVENTS[n % 3]}]\n'
            f"ticket_types = [{10 + n}]\nreentry = true\nmax_entries = 3\n"
        )
    parts.append(
        f'[[lists]]\nid = "main"\nevents = [{", ".join(map(str, EVENTS))}]\n'
        f"ticket_types = [0, 1, 2]\nwindows = [{window}]\nreentry = true\n"
        "max_entries = 5\nmax_entries_per_day = 3\n"
    )
    lists = ", ".join([*(f'"other-{n}"' for n in range(9)), '"main"'])
    parts.append(f'[[lanes]]\nid = "lane-1"\nlists = [{lists}]\nzone = "hall-a"\n')
    return "\n".join(parts)
