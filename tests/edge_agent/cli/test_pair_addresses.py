"""``edge-agent pair`` prints where a device reaches the running agent: the addresses it
is bound to (asked over the control socket), never the config's port 0."""

from __future__ import annotations

from edge_agent.cli.pair_cmd import device_urls


def test_bound_urls_are_printed_as_a_device_reaches_them() -> None:
    assert device_urls(["http://127.0.0.1:40123", "http://10.0.0.5:8443"]) == [
        "http://127.0.0.1:40123",
        "http://10.0.0.5:8443",
    ]
    # a wildcard is where the agent listens, not an address a device can use
    assert device_urls(["http://0.0.0.0:8443", "http://[::]:8443"]) == [
        "http://<this box's address>:8443",
        "http://<this box's address>:8443",
    ]
    assert device_urls([]) == []
