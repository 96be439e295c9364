"""Growing and shrinking a venue: found, admit, join, remove, leave.

- **found**: a box with ``[mesh] enabled`` and no venue makes a venue of one: the
  venue CA (``<data_dir>/tls``, shared with the LAN API's certificates), its member key
  and certificate, its NKEY seeds, a roster with itself. Nothing runs yet.
- **admit** (on any member, with a join code a supervisor issued): the new box's
  certificate is issued for the public key it sent, it is added to the roster — at once
  here (so its routes are accepted) and for everyone through a ``member_added`` event —
  and it gets the sealed bundle (roster, venue CA, its certificate). A member that was
  alone starts its server: the venue now has two boxes.
- **join** (on the new box): sends the request, opens the bundle, takes the venue's CA
  (its LAN certificate is then issued from the venue's CA too), saves its credentials
  and roster, and starts clustered. Its admissions so far are seeded into the venue's
  bucket, where double admissions surface as conflicts. Only a box alone may join.
- **remove** / **leave**: a ``member_removed`` event; every member drops the box's pin
  and NKEYs and reloads (its routes and connections close at once), the removed box
  goes back to a venue of one, and the lowest-named remaining member takes it out of
  the JetStream meta group, scales the stores to ``min(3, members)`` and makes sure
  each has a leader. Never automatic: a box that stopped answering may be cut off, not
  dead, and two halves removing each other would be two venues (``docs/mesh.md``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import shutil
import time
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from edge_agent.mesh import js_admin
from edge_agent.mesh.connection import connect
from edge_agent.mesh.errors import JoinRefused, MeshError, MeshUnavailable
from edge_agent.mesh.identity import MemberKeys, issue_member_cert, spki_pin
from edge_agent.mesh.join import code_key, proof, seal, unseal
from edge_agent.mesh.roster import Member, Roster, save_roster
from edge_agent.mesh.venue_events import EventKind, VenueEvent
from edge_agent.tls.venue_ca import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    VenueCA,
    load_or_create_venue_ca,
    load_venue_ca,
    write_private,
    write_public,
)

if TYPE_CHECKING:
    from edge_agent.mesh.service import MeshService

log = logging.getLogger(__name__)

#: How long a joining box waits for the member's answer.
JOIN_TIMEOUT_S = 20.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def found_venue(svc: MeshService) -> Roster:
    """A venue of one with this box in it (fresh member keys; the CA kept or made)."""
    ca = load_or_create_venue_ca(svc.tls_dir, svc.config.agent.venue or svc.me, _now())
    keys = MemberKeys.new()
    cert = issue_member_cert(ca, svc.me, keys.key.public_key(), svc.member_hosts(), _now())
    svc.files.save(keys, cert)
    me = svc.own_member(pin=keys.pin, agent_nkey=keys.agent_nkey, admin_nkey=keys.admin_nkey)
    roster = Roster(venue_id=secrets.token_hex(8), venue=svc.config.agent.venue, members=(me,))
    save_roster(svc.dir, roster)
    log.info("mesh: founded venue %s with this box alone", roster.venue_id)
    return roster


# ------------------------------------------------------------------------- admit
async def admit(svc: MeshService, doc: dict[str, Any]) -> dict[str, Any]:
    """Answer a join request (``POST /api/v1/mesh/join``). Raises ``JoinRefused``."""
    request, mac = doc.get("request"), doc.get("proof")
    if not isinstance(request, dict) or not isinstance(mac, str):
        raise JoinRefused("invalid_request", "a join request has 'request' and 'proof'")
    key = svc.codes.redeem(request, mac, svc.clock_ms())  # raises for a wrong code
    try:
        member = Member.from_json(request.get("member", {}))
        public = serialization.load_pem_public_key(str(request["public_key"]).encode())
    except (MeshError, KeyError, ValueError) as exc:
        raise JoinRefused("invalid_request", f"join request: {exc}") from None
    if not isinstance(public, ec.EllipticCurvePublicKey) or spki_pin(public) != member.pin:
        raise JoinRefused("invalid_request", "the public key does not match the pin")
    if member.name in svc.roster.removed:
        raise JoinRefused("name_taken", f"{member.name!r} was removed from this venue")
    if svc.roster.member(member.name) is not None:
        raise JoinRefused("name_taken", f"a member is already called {member.name!r}")
    ca = load_venue_ca(svc.tls_dir)
    hosts = [member.route.rsplit(":", 1)[0], member.client.rsplit(":", 1)[0], "127.0.0.1"]
    cert = issue_member_cert(ca, member.name, public, hosts, _now())
    member = replace(member, joined_at_ms=svc.clock_ms())
    await add_member(svc, member)
    bundle = {
        "roster": svc.roster.to_json(),
        "ca_cert": ca.cert_pem.decode(),
        "ca_key": _ca_key_pem(ca),
        "member_cert": cert.public_bytes(serialization.Encoding.PEM).decode(),
    }
    log.info("mesh: %s joined the venue (%d members now)", member.name, svc.roster.size)
    return seal(key, request, bundle)


def _ca_key_pem(ca: VenueCA) -> str:
    return ca.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


async def add_member(svc: MeshService, member: Member) -> None:
    """Into the roster here at once (its routes are accepted), then for everyone."""
    was_alone = not svc.clustered
    svc.roster = svc.roster.added(member)
    save_roster(svc.dir, svc.roster)
    await svc.cluster_up()  # alone before: starts the server; else: a reload
    if not was_alone:
        event = VenueEvent(
            EventKind.MEMBER_ADDED, svc.me, svc.clock_ms(), {"member": asdict(member)}
        )
        await _publish_now(svc, event)


async def _publish_now(svc: MeshService, event: VenueEvent) -> None:
    """Publish and wait until the stream holds it (membership cannot wait in a queue)."""
    nc = svc.nc
    if nc is None:
        raise MeshUnavailable("this box is not connected to the venue's cluster")
    deadline = time.monotonic() + 10.0
    while True:
        try:
            await nc.jetstream().publish(
                event.subject, event.encode(), timeout=2.0, headers={"Nats-Msg-Id": event.msg_id}
            )
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise MeshUnavailable(f"the cluster did not take the change: {exc}") from None
            await asyncio.sleep(0.5)


# -------------------------------------------------------------------------- join
async def join(svc: MeshService, via: str, code: str) -> dict[str, Any]:
    """Join the venue of the member whose LAN API is at ``via`` with ``code``."""
    if svc.clustered:
        raise MeshError(
            f"this box is already in a venue of {svc.roster.size}; leave it first "
            "(edge-agent mesh leave)"
        )
    keys = MemberKeys.new()
    me = svc.own_member(pin=keys.pin, agent_nkey=keys.agent_nkey, admin_nkey=keys.admin_nkey)
    request = {
        "member": asdict(me),
        "public_key": keys.public_pem.decode(),
        "nonce": os.urandom(16).hex(),
    }
    key = await asyncio.to_thread(code_key, code)
    body = {"request": request, "proof": proof(key, request)}
    url = via.rstrip("/") + "/api/v1/mesh/join"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=JOIN_TIMEOUT_S)) as http,
            # The member's LAN certificate is from the venue CA this box gets only in the
            # answer: TLS cannot be verified yet. The answer is what is trusted — sealed
            # under the join code (AES-GCM), and the request proves the code (HMAC).
            http.post(url, json=body, ssl=False) as resp,
        ):
            answer = await resp.json(content_type=None)
            if resp.status != 200:
                err = answer.get("error", {}) if isinstance(answer, dict) else {}
                raise JoinRefused(
                    str(err.get("code", "refused")), str(err.get("message", resp.status))
                )
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise MeshError(f"cannot reach {via}: {exc or type(exc).__name__}") from None
    bundle = unseal(key, request, answer)
    roster = Roster.from_json(bundle["roster"])
    ca_cert = x509.load_pem_x509_certificate(str(bundle["ca_cert"]).encode())
    cert = x509.load_pem_x509_certificate(str(bundle["member_cert"]).encode())
    cert.verify_directly_issued_by(ca_cert)
    if spki_pin(cert.public_key()) != keys.pin or roster.member(svc.me) is None:  # type: ignore[arg-type]
        raise MeshError("the member's answer does not hold this box's certificate")
    adopt_venue_ca(svc, str(bundle["ca_cert"]), str(bundle["ca_key"]))
    svc.files.save(keys, cert)
    _retire_store(svc)
    svc.roster = roster
    save_roster(svc.dir, roster)
    await svc.cluster_up()
    log.info("mesh: joined venue %s (%d members)", roster.venue_id, roster.size)
    return {"venue_id": roster.venue_id, "members": list(roster.names)}


def adopt_venue_ca(svc: MeshService, cert_pem: str, key_pem: str) -> None:
    """Make the venue's CA this box's (``<data_dir>/tls``): a CA of its own is moved
    aside with any certificate it issued there, so the LAN API's certificate is issued
    again — from the venue's CA, the one every device of the venue trusts."""
    tls = svc.tls_dir
    cert_path = tls / CA_CERT_FILE
    if cert_path.exists() and cert_path.read_text() == cert_pem:
        return
    if tls.exists():
        aside = tls.with_name(f"tls.replaced-{int(time.time())}")
        shutil.move(str(tls), str(aside))
        log.warning("mesh: this box's own CA moved aside to %s; the venue's CA replaces it", aside)
    write_private(tls / CA_KEY_FILE, key_pem.encode())
    write_public(cert_path, cert_pem.encode())


def _retire_store(svc: MeshService) -> None:
    """A JetStream store from another cluster must not meet this one."""
    store = svc.dir / "jetstream"
    if store.exists():
        shutil.rmtree(store.with_name("jetstream.retired"), ignore_errors=True)
        store.rename(store.with_name("jetstream.retired"))


# ------------------------------------------------------------------ remove / leave
async def remove(svc: MeshService, name: str) -> dict[str, Any]:
    """Remove ``name`` from the venue (any member; ``leave`` when it is this box)."""
    if not svc.clustered:
        raise MeshError("this box is alone: there is nobody to remove")
    if svc.roster.member(name) is None:
        raise MeshError(f"no member called {name!r} (members: {', '.join(svc.roster.names)})")
    event = VenueEvent(
        EventKind.MEMBER_REMOVED, svc.me, svc.clock_ms(), {"name": name, "by": svc.me}
    )
    await _publish_now(svc, event)
    return {"removed": name, "members": [n for n in svc.roster.names if n != name]}


async def leave(svc: MeshService, *, force: bool = False) -> dict[str, Any]:
    """Take this box out of its venue. Without a quorum only ``force`` does it (here
    alone: the others must still remove it, or they keep waiting for it)."""
    if not svc.clustered:
        return {"left": False, "detail": "alone already"}
    try:
        return await remove(svc, svc.me)
    except MeshUnavailable:
        if not force:
            raise
    await go_alone(svc)
    return {"left": True, "forced": True}


async def go_alone(svc: MeshService) -> None:
    """Back to a venue of one: stop the server, retire its store, found anew."""
    await svc.cluster_down()
    svc.claimer.clustered = False
    svc.claimer.revisions.clear()
    _retire_store(svc)
    svc.roster = await found_venue(svc)


async def apply_membership(svc: MeshService, event: VenueEvent, seq: int) -> None:
    """A ``member_added`` / ``member_removed`` event, in stream order, on every member."""
    body = event.body
    if event.kind is EventKind.MEMBER_ADDED:
        member = Member.from_json(body["member"])
        if svc.roster.member(member.name) == member or member.name in svc.roster.removed:
            return
        svc.roster = svc.roster.added(member)
        save_roster(svc.dir, svc.roster)
        await svc.cluster_up()
        return
    name = str(body["name"])
    if name == svc.me:
        log.warning("mesh: this box was removed from the venue (by %s)", body.get("by"))
        svc.spawn(go_alone(svc), "mesh-go-alone")
        return
    if svc.roster.member(name) is None:
        return
    svc.roster = svc.roster.without(name)
    save_roster(svc.dir, svc.roster)
    if svc.roster.size < 2:
        svc.spawn(go_alone(svc), "mesh-go-alone")
        return
    svc.write_server_config()
    if svc.server is not None:
        svc.server.reload()
    if svc.me == min(svc.roster.names):
        svc.spawn(_after_removal(svc, name), "mesh-after-removal")


async def _after_removal(svc: MeshService, name: str) -> None:
    """The chores one member does for all: the removed server out of the meta group,
    the stores scaled to the new size, each with a leader (step down if stuck)."""
    admin = await connect(svc.client_urls(), svc.credentials(admin=True), name=f"admin-{svc.me}")
    try:
        for _ in range(60):  # only the meta leader answers; one may be elected first
            if await js_admin.server_remove(admin, name):
                break
            await asyncio.sleep(1.0)
        nc = svc.nc
        if nc is None:
            return
        for _ in range(60):
            try:
                svc.stores = await js_admin.ensure_stores(nc, svc.roster.replicas)
                if all(info.leader for info in svc.stores.values()):
                    break
                for stream, info in svc.stores.items():
                    if not info.leader:
                        await js_admin.leader_stepdown(nc, stream)
            except MeshUnavailable:
                pass
            await asyncio.sleep(1.0)
        log.info("mesh: %s removed; stores keep %d replica(s)", name, svc.roster.replicas)
    finally:
        await admin.close()
