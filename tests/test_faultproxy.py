"""The fault proxy itself: each fault does to a real client what the sync tests rely on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from tests.faultproxy import Fault, FaultProxy

pytestmark = pytest.mark.integration


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[web.AppRunner, list[bytes]]]:
    received: list[bytes] = []

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        received.append(body)
        return web.json_response({"got": len(body), "pad": "x" * 2000})

    app = web.Application()
    app.router.add_post("/v1/echo", echo)
    app.router.add_get("/v1/echo", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield runner, received
    await runner.cleanup()


@pytest.fixture
async def proxy(upstream: tuple[web.AppRunner, list[bytes]]) -> AsyncIterator[FaultProxy]:
    runner, _ = upstream
    port = runner.addresses[0][1]
    p = FaultProxy("127.0.0.1", port)
    await p.start()
    yield p
    await p.close()


async def post(url: str, body: bytes, limit_s: float = 5.0) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=limit_s)) as s,
        s.post(url + "/v1/echo", data=body) as r,
    ):
        return r.status, await r.json()


async def test_clean_requests_pass_through(
    proxy: FaultProxy, upstream: tuple[web.AppRunner, list[bytes]]
) -> None:
    for i in range(3):
        status, doc = await post(proxy.url, b"a" * (10 + i))
        assert (status, doc["got"]) == (200, 10 + i)
    assert len(upstream[1]) == 3


async def test_reset_request_never_reaches_upstream(
    proxy: FaultProxy, upstream: tuple[web.AppRunner, list[bytes]]
) -> None:
    proxy.add(Fault.RESET_REQUEST)
    with pytest.raises(aiohttp.ClientError):
        await post(proxy.url, b"b" * 5000)
    assert upstream[1] == []
    assert (await post(proxy.url, b"ok"))[0] == 200


async def test_lost_response_after_upstream_handled_it(
    proxy: FaultProxy, upstream: tuple[web.AppRunner, list[bytes]]
) -> None:
    proxy.add(Fault.LOSE_RESPONSE, method="POST", path_prefix="/v1/echo")
    with pytest.raises(aiohttp.ClientError):
        await post(proxy.url, b"committed")
    assert upstream[1] == [b"committed"]


async def test_status_500_and_truncate(
    proxy: FaultProxy, upstream: tuple[web.AppRunner, list[bytes]]
) -> None:
    proxy.add(Fault.STATUS_500)
    proxy.add(Fault.TRUNCATE)
    status, doc = await post(proxy.url, b"x")
    assert status == 500
    assert doc["error"] == {"code": "injected", "message": "fault proxy: 500"}
    with pytest.raises(aiohttp.ClientPayloadError):
        await post(proxy.url, b"y")
    assert upstream[1] == [b"y"]
    assert list(proxy.faults_applied()) == [Fault.STATUS_500, Fault.TRUNCATE]


async def test_slow_answer_times_the_client_out(proxy: FaultProxy) -> None:
    proxy.add(Fault.SLOW, delay_s=1.0)
    with pytest.raises(asyncio.TimeoutError):
        await post(proxy.url, b"z", limit_s=0.3)


async def test_down_refuses_on_the_same_port_until_up(proxy: FaultProxy) -> None:
    port = proxy.port
    await proxy.down()
    with pytest.raises(aiohttp.ClientConnectorError):
        await post(proxy.url, b"q")
    await proxy.up()
    assert proxy.port == port
    assert (await post(proxy.url, b"q"))[0] == 200


async def test_rules_match_method_and_path(proxy: FaultProxy) -> None:
    rule = proxy.add(Fault.STATUS_500, method="GET", times=2)
    assert (await post(proxy.url, b"post is not matched"))[0] == 200
    async with aiohttp.ClientSession() as s:
        for expected in (500, 500, 200):
            async with s.get(proxy.url + "/v1/echo") as r:
                assert r.status == expected
    assert rule.hits == 2
