"""Ticket printing: the exact ESC/POS bytes (native QR store command, text lines), the
image fallback decoded back with zxing-cpp, and the network backend against a real TCP
"printer" on 127.0.0.1 that captures the job and answers the paper-status query."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import zxingcpp
from PIL import Image

from hardware.errors import HardwareConfigError, PrinterError, PrinterOffline, PrinterPaperOut
from hardware.printer import PrintableTicket, qr_store_command, render_ticket
from hardware.printer_backends import (
    DummyPrinter,
    DummyPrinterOptions,
    NetworkPrinter,
    UsbPrinter,
    UsbPrinterOptions,
)
from hardware.registry import build_printer, parse_printer_options

TICKET = PrintableTicket(
    event_name="Summer Gala",
    venue="Town Hall, Main Room",
    ticket_type="Standing",
    holder="Ada Lovelace",
    ticket_id="T-000123",
    order_id="O-000045",
    price_text="EUR 25.00",
    qr_text="GH1.eyJ0IjoiVC0wMDAxMjMifQ.c2lnbmF0dXJlLWJ5dGVz",
    footer="No re-entry. Keep this ticket.",
)
PAPER_OK, PAPER_LOW, PAPER_NONE = b"\x12", b"\x1e", b"\x72"
STATUS_QUERY = b"\x10\x04\x04"


def assert_ticket_bytes(data: bytes, ticket: PrintableTicket = TICKET) -> None:
    assert qr_store_command(ticket.qr_text) in data
    for line in (
        ticket.event_name,
        ticket.venue,
        ticket.ticket_type,
        ticket.holder,
        f"Ticket: {ticket.ticket_id}",
        f"Order:  {ticket.order_id}",
        f"Price:  {ticket.price_text}",
        ticket.footer,
    ):
        assert line.encode() + b"\n" in data, line
    assert data.startswith(b"\x1b@")  # ESC @ initialise
    assert data.endswith(b"\x1dV\x00")  # GS V 0: full cut


def test_qr_store_command_matches_the_escpos_spec() -> None:
    # GS ( k pL pH cn=49 fn=80 m=48 d1..dk, with pL + 256*pH = k + 3.
    assert qr_store_command("AB") == b"\x1d\x28\x6b\x05\x00\x31\x50\x30AB"
    assert qr_store_command("x" * 300)[3:5] == (303).to_bytes(2, "little")


def test_native_render_has_qr_model_size_ec_store_and_print() -> None:
    data = render_ticket(TICKET, qr_size=7)
    assert_ticket_bytes(data)
    store = data.index(qr_store_command(TICKET.qr_text))
    assert data.index(b"\x1d(k\x03\x001C\x07") < store  # module size 7
    assert data.index(b"\x1d(k\x03\x001E1") < store  # error correction M
    assert data.index(b"\x1d(k\x03\x001Q0") > store  # print the stored symbol
    assert data.index(b"Ada Lovelace") < store < data.index(b"Ticket: T-000123")


def test_render_refuses_a_ticket_whose_qr_cannot_be_printed() -> None:
    with pytest.raises(PrinterError, match="no QR text"):
        render_ticket(PrintableTicket("E", "V", "T", "H", "T-1", "O-1", "1", ""))
    with pytest.raises(PrinterError, match="longer than 2331 bytes"):
        render_ticket(PrintableTicket("E", "V", "T", "H", "T-1", "O-1", "1", "é" * 1166))
    assert qr_store_command("x" * 2331) in render_ticket(
        PrintableTicket("E", "V", "T", "H", "T-1", "O-1", "1", "x" * 2331)
    )


def raster_images(data: bytes) -> list[Image.Image]:
    """Decode every ``GS v 0`` raster block (1 bit per dot, MSB first, 1 = black)."""
    images, at = [], 0
    while (at := data.find(b"\x1dv0", at)) != -1:
        width_bytes = data[at + 4] | data[at + 5] << 8
        height = data[at + 6] | data[at + 7] << 8
        bits = data[at + 8 : at + 8 + width_bytes * height]
        img = Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in bits))
        images.append(img)
        at += 8 + len(bits)
    return images


def test_image_fallback_qr_decodes_back_to_the_exact_ticket_text() -> None:
    data = render_ticket(TICKET, qr_mode="image", qr_size=4)
    assert b"\x1d(k" not in data  # no native 2D-code commands
    (img,) = raster_images(data)
    big = img.convert("L").resize((img.width * 4, img.height * 4), Image.Resampling.NEAREST)
    padded = Image.new("L", (big.width + 80, big.height + 80), 255)
    padded.paste(big, (40, 40))
    texts = [r.text for r in zxingcpp.read_barcodes(padded)]
    assert texts == [TICKET.qr_text]


async def test_dummy_printer_keeps_each_job_and_reports_health() -> None:
    printer = DummyPrinter("box-1")
    await printer.print_ticket(TICKET)
    other = PrintableTicket("E", "V", "Seated", "Bob", "T-2", "O-2", "EUR 5.00", "GH1.two")
    await printer.print_ticket(other)
    assert len(printer.jobs) == 2
    assert_ticket_bytes(printer.jobs[0])
    assert_ticket_bytes(printer.jobs[1], other)
    assert printer.health.reads == 2 and printer.health.connected

    printer.simulate = "paper_out"
    with pytest.raises(PrinterPaperOut):
        await printer.print_ticket(TICKET)
    assert len(printer.jobs) == 2
    assert printer.health.errors == 1 and printer.health.connected
    printer.simulate = "offline"
    with pytest.raises(PrinterOffline):
        await printer.print_ticket(TICKET)
    assert not printer.health.connected
    assert printer.health.snapshot()["last_error"] == "box-1: dummy printer simulating offline"


@dataclass
class FakeNetworkPrinter:
    """A port-9100 listener on 127.0.0.1 that keeps what each connection sent and answers
    ``DLE EOT 4`` with ``paper`` (or never answers when ``paper`` is None)."""

    paper: bytes | None = PAPER_OK
    jobs: list[bytes] = field(default_factory=list)
    port: int = 0
    expect: int = 1
    done: asyncio.Event = field(default_factory=asyncio.Event)
    open_now: int = 0
    most_open: int = 0
    answer_delay: float = 0.0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        got = bytearray()
        while chunk := await reader.read(65536):
            before = got.count(STATUS_QUERY)
            got += chunk
            queries = got.count(STATUS_QUERY) - before
            if self.paper is not None and queries:
                await asyncio.sleep(self.answer_delay)
                writer.write(self.paper * queries)
                await writer.drain()
        self.open_now -= 1
        self.jobs.append(bytes(got))
        writer.close()
        if len(self.jobs) >= self.expect:
            self.done.set()


@pytest.fixture
async def fake_printer() -> AsyncIterator[FakeNetworkPrinter]:
    fake = FakeNetworkPrinter()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake


def network(port: int, **kw: object) -> NetworkPrinter:
    raw: dict[str, object] = {"host": "127.0.0.1", "port": port, "timeout_s": 2.0, **kw}
    opts = parse_printer_options("box-1", "network", raw)
    printer = build_printer("box-1", "network", opts)
    assert isinstance(printer, NetworkPrinter)
    return printer


async def test_network_printer_sends_the_rendered_job_after_a_paper_check(
    fake_printer: FakeNetworkPrinter,
) -> None:
    printer = network(fake_printer.port)
    await printer.print_ticket(TICKET)
    await asyncio.wait_for(fake_printer.done.wait(), 5)
    (job,) = fake_printer.jobs
    assert job == STATUS_QUERY + render_ticket(TICKET)
    assert_ticket_bytes(job.removeprefix(STATUS_QUERY))
    assert printer.health.connected and printer.health.reads == 1


async def test_network_printer_without_status_check_sends_only_the_job(
    fake_printer: FakeNetworkPrinter,
) -> None:
    printer = network(fake_printer.port, check_paper=False, qr_size=3)
    await printer.print_ticket(TICKET)
    await asyncio.wait_for(fake_printer.done.wait(), 5)
    assert fake_printer.jobs == [render_ticket(TICKET, qr_size=3)]


async def test_paper_out_is_refused_before_anything_is_printed(
    fake_printer: FakeNetworkPrinter,
) -> None:
    fake_printer.paper = PAPER_NONE
    printer = network(fake_printer.port)
    with pytest.raises(PrinterPaperOut, match="out of paper"):
        await printer.print_ticket(TICKET)
    await asyncio.wait_for(fake_printer.done.wait(), 5)
    assert fake_printer.jobs == [STATUS_QUERY]
    assert printer.health.errors == 1


async def test_paper_low_still_prints(fake_printer: FakeNetworkPrinter) -> None:
    fake_printer.paper = PAPER_LOW
    await network(fake_printer.port).print_ticket(TICKET)
    await asyncio.wait_for(fake_printer.done.wait(), 5)
    assert_ticket_bytes(fake_printer.jobs[0].removeprefix(STATUS_QUERY))


async def test_silent_printer_is_offline_with_a_hint(fake_printer: FakeNetworkPrinter) -> None:
    fake_printer.paper = None
    printer = network(fake_printer.port, timeout_s=0.3)
    with pytest.raises(PrinterOffline, match="check_paper = false"):
        await printer.print_ticket(TICKET)
    assert not printer.health.connected


async def test_unreachable_printer_is_offline_and_health_says_so() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    printer = network(port)
    with pytest.raises(PrinterOffline, match=f"cannot reach printer at 127.0.0.1:{port}"):
        await printer.print_ticket(TICKET)
    snap = printer.health.snapshot()
    assert snap["connected"] is False and snap["errors"] == 1


async def test_jobs_from_concurrent_callers_never_interleave(
    fake_printer: FakeNetworkPrinter,
) -> None:
    printer = network(fake_printer.port, check_paper=False)
    tickets = [
        PrintableTicket("E", "V", "T", f"Holder {i}", f"T-{i}", "O", "1", f"GH1.{i}")
        for i in range(4)
    ]
    fake_printer.expect = len(tickets)
    await asyncio.gather(*(printer.print_ticket(t) for t in tickets))
    await asyncio.wait_for(fake_printer.done.wait(), 5)
    assert sorted(fake_printer.jobs) == sorted(render_ticket(t) for t in tickets)
    assert fake_printer.most_open == 1  # one job at a time, as a port-9100 printer expects


async def test_a_cancelled_caller_does_not_let_the_next_job_overlap(
    fake_printer: FakeNetworkPrinter,
) -> None:
    fake_printer.answer_delay = 0.3
    fake_printer.expect = 2
    printer = network(fake_printer.port)
    first = asyncio.create_task(printer.print_ticket(TICKET))
    await asyncio.sleep(0.05)  # the worker thread is waiting for the paper status
    first.cancel()
    second = PrintableTicket("E", "V", "T", "H", "T-2", "O", "1", "GH1.second")
    await printer.print_ticket(second)
    await asyncio.wait_for(fake_printer.done.wait(), 5)
    assert first.cancelled()
    assert fake_printer.most_open == 1
    assert fake_printer.jobs == [
        STATUS_QUERY + render_ticket(TICKET),  # the abandoned job still completed whole
        STATUS_QUERY + render_ticket(second),
    ]


async def test_usb_printer_without_libusb_or_device_is_a_clear_offline_error() -> None:
    printer = UsbPrinter("box-2", UsbPrinterOptions(vendor_id=0x04B8, product_id=0x0202))
    with pytest.raises(PrinterOffline, match="04b8:0202"):
        await printer.print_ticket(TICKET)
    assert not printer.health.connected


@pytest.mark.parametrize(
    ("type_", "raw", "key"),
    [
        ("network", {"host": "10.0.0.9", "prot": 9100}, "prot"),
        ("network", {"port": 9100}, "host"),
        ("network", {"host": "p", "qr_size": 20}, "qr_size"),
        ("network", {"host": "p", "qr_mode": "svg"}, "qr_mode"),
        ("network", {"host": "p", "profile": "NoSuchPrinter"}, "profile"),
        ("usb", {"vendor_id": 0x04B8}, "product_id"),
        ("dummy", {"simulate": "on_fire"}, "simulate"),
        ("laser", {}, "type"),
    ],
)
def test_bad_printer_config_names_the_key(type_: str, raw: dict[str, object], key: str) -> None:
    with pytest.raises(HardwareConfigError) as err:
        parse_printer_options("box-1", type_, raw)
    assert err.value.key == key


def test_dummy_options_round_trip_through_the_registry() -> None:
    opts = parse_printer_options("box-1", "dummy", {"qr_mode": "image"})
    assert opts == DummyPrinterOptions(qr_mode="image")
