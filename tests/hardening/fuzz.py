"""An OpenAPI-driven fuzz of every route against a live agent (schemathesis, bounded
examples per route, valid and invalid generation): no 500, no traceback in the agent's
log, and every 422 names the field it refuses."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

import aiohttp
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.hardening.common import Agent, Outcome, demo_event

#: Routes not fuzzed: the WebSockets (not plain HTTP) and revoking a device (a lucky
#: id would revoke the fuzzer's own token mid-run).
SKIP = ("/ws", "/revoke")


def named(doc: Any, fields: set[str]) -> bool:
    """A 422 names what it refuses: a field by name (``field 'x' …``, or the route's own
    words: "role must be …", "a ticket id is …"), or the body as a whole."""
    message = str((doc.get("error") or {}).get("message", "")) if isinstance(doc, dict) else ""
    if "'" in message or message.startswith("body "):
        return True
    return any(f in message or f.replace("_", " ") in message for f in fields)


def field_names(op: Any) -> set[str]:
    names = {str(p.name) for p in op.iter_parameters()}
    for body in op.body:
        schema = getattr(body, "definition", {}).get("schema", {})
        names |= set(schema.get("properties", {}))
    return names


def fuzz(url: str, schema_doc: dict[str, Any], tokens: dict[str, dict[str, str]],
         examples: int) -> dict[str, Any]:  # fmt: skip
    schema = schemathesis.openapi.from_dict(schema_doc)
    statuses: dict[int, int] = {}
    errors_500: list[str] = []
    unnamed_422: list[str] = []
    operations = 0
    session = requests.Session()
    for result in schema.get_all_operations():
        op = result.ok()
        if any(part in op.path for part in SKIP):
            continue
        operations += 1
        headers = tokens["box_office" if "/boxoffice" in op.path else "supervisor"]
        fields = field_names(op)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=op.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def one(case: Any) -> None:
                response = case.call(base_url=url, session=session, headers=headers, timeout=10)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                where = f"{op.method.upper()} {op.path}"
                if response.status_code >= 500 and response.status_code != 503:
                    errors_500.append(f"{where}: {response.status_code} {response.text[:200]}")
                if response.status_code == 422:
                    try:
                        doc = response.json()
                    except ValueError:
                        doc = None
                    if not named(doc, fields):
                        unnamed_422.append(f"{where}: {response.text[:200]}")

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    one()
                except Unsatisfiable:
                    pass  # nothing invalid to send (a GET without parameters)
    return {"operations": operations, "requests": sum(statuses.values()),
            "statuses": dict(sorted(statuses.items())), "server_errors": errors_500,
            "unnamed_422": unnamed_422[:10]}  # fmt: skip


async def run(work: Path, heavy: bool) -> Outcome:
    ev = await demo_event(work / "event", tickets=50)
    agent = await asyncio.to_thread(Agent, ev.config_path)
    async with aiohttp.ClientSession() as http:
        tokens = {role: await agent.pair(http, role) for role in ("supervisor", "box_office")}
        async with http.get(f"{agent.url}/api/v1/openapi.json",
                            headers=tokens["supervisor"]) as r:  # fmt: skip
            schema_doc = await r.json()
    figures = await asyncio.to_thread(fuzz, agent.url, schema_doc, tokens, 40 if heavy else 4)
    log = agent.log_text()
    agent.stop()
    figures["tracebacks_logged"] = log.count("Traceback")
    ok = not figures["server_errors"] and not figures["unnamed_422"] and \
        figures["tracebacks_logged"] == 0 and figures["operations"] > 0  # fmt: skip
    return Outcome("schemathesis fuzz of every route", figures["requests"], ok, figures)
