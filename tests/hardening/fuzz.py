"""An OpenAPI-driven fuzz of every route against a live agent (schemathesis, bounded
examples per route, valid and invalid generation): no 500, no traceback in the agent's
log, and every 422 names the field it refuses."""

from __future__ import annotations

import asyncio
import contextlib
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
    words: "role must be …", "a ticket id is …", "… needs customer.email"), or the body
    as a whole."""
    message = str((doc.get("error") or {}).get("message", "")) if isinstance(doc, dict) else ""
    if "'" in message or message.startswith("body "):
        return True
    return any(f in message or f.replace("_", " ") in message for f in fields)


def property_names(node: Any) -> set[str]:
    """Every property name anywhere in the OpenAPI document (bodies use ``$ref``s)."""
    names: set[str] = set()
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            names |= set(props)
        for value in node.values():
            names |= property_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= property_names(value)
    return names


def field_names(op: Any) -> set[str]:
    names = {str(p.name) for p in op.iter_parameters()}
    for body in op.body:
        schema = getattr(body, "definition", {}).get("schema", {})
        names |= set(schema.get("properties", {}))
    return names


class Tally:
    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.server_errors: list[str] = []
        self.unnamed_422: list[str] = []
        #: requests that got no answer in time (a loaded machine, or a hang)
        self.no_answer: list[str] = []


def fuzz_operation(op: Any, url: str, session: requests.Session, headers: dict[str, str],
                   examples: int, tally: Tally, derandomize: bool,
                   known: set[str]) -> None:  # fmt: skip
    """``examples`` valid and ``examples`` invalid requests of one route."""
    fields = field_names(op) | known
    where = f"{op.method.upper()} {op.path}"

    def check(case: Any) -> None:
        try:
            response = case.call(base_url=url, session=session, headers=headers, timeout=20)
        except requests.RequestException as exc:
            tally.no_answer.append(f"{where}: {exc!r}"[:200])
            return
        code = response.status_code
        tally.statuses[code] = tally.statuses.get(code, 0) + 1
        if code >= 500 and code != 503:  # 503: not_recorded/clock_unknown, by design
            tally.server_errors.append(f"{where}: {code} {response.text[:200]}")
        if code == 422:
            try:
                doc = response.json()
            except ValueError:
                doc = None
            if not named(doc, fields):
                tally.unnamed_422.append(f"{where}: {response.text[:200]}")

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        test = given(case=op.as_strategy(generation_mode=mode))(check)
        test = settings(max_examples=examples, deadline=None, database=None,
                        derandomize=derandomize,
                        suppress_health_check=list(HealthCheck))(test)  # fmt: skip
        with warnings.catch_warnings(), contextlib.suppress(Unsatisfiable):
            warnings.simplefilter("ignore")
            test()  # Unsatisfiable: nothing invalid to send (a GET without parameters)


def fuzz(url: str, schema_doc: dict[str, Any], tokens: dict[str, dict[str, str]],
         examples: int, derandomize: bool) -> dict[str, Any]:  # fmt: skip
    schema = schemathesis.openapi.from_dict(schema_doc)
    known = property_names(schema_doc)
    tally = Tally()
    operations = 0
    session = requests.Session()
    for result in schema.get_all_operations():
        op = result.ok()
        if any(part in op.path for part in SKIP):
            continue
        operations += 1
        headers = tokens["box_office" if "/boxoffice" in op.path else "supervisor"]
        fuzz_operation(op, url, session, headers, examples, tally, derandomize, known)
    return {
        "operations": operations,
        "requests": sum(tally.statuses.values()),
        "statuses": dict(sorted(tally.statuses.items())),
        "server_errors": tally.server_errors,
        "unnamed_422": tally.unnamed_422[:10],
        "no_answer": tally.no_answer[:5],
    }


async def run(work: Path, heavy: bool) -> Outcome:
    ev = await demo_event(work / "event", tickets=50)
    agent = await asyncio.to_thread(Agent, ev.config_path)
    async with aiohttp.ClientSession() as http:
        tokens = {role: await agent.pair(http, role) for role in ("supervisor", "box_office")}
        async with http.get(f"{agent.url}/api/v1/openapi.json",
                            headers=tokens["supervisor"]) as r:  # fmt: skip
            schema_doc = await r.json()
    # light (make test): the same examples every run; heavy: new ones each time
    examples = 40 if heavy else 4
    figures = await asyncio.to_thread(fuzz, agent.url, schema_doc, tokens, examples, not heavy)
    log = agent.log_text()
    agent.stop()
    figures["tracebacks_logged"] = log.count("Traceback")
    ok = not figures["server_errors"] and not figures["unnamed_422"] and \
        figures["tracebacks_logged"] == 0 and figures["operations"] > 0  # fmt: skip
    return Outcome("schemathesis fuzz of every route", figures["requests"], ok, figures)
