"""Lanes: each one's scanners in, the pipeline's verdict, the lane's lights out.

A lane is where people pass one at a time. Each input runs as its own task; every code it
reads is debounced (``scanner.debounce``), judged by the one pipeline with the lane's id and
direction (so the verdict is durable before anything shows green), turned into a
:class:`~hardware.signals.Signal` and shown on every output of the lane.

Failure rules (a gate must keep working with a broken part):
- an input that raises is logged and restarted with backoff; it never stops the agent or
  the other inputs; a lost device is the input's own warning and health record;
- an output that fails to build or to signal is logged and shown in its health;
- outputs are released (relay open, lamps and buzzer off) when the lanes stop, and by an
  ``atexit`` hook if the process dies of an exception before that.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from edge_agent.config.lanes import LaneSection
from edge_agent.config.sections import Config
from edge_agent.devices.registry import DeviceRegistry
from edge_agent.devices.roles import Role
from edge_agent.devices.tokens import token_hash
from edge_agent.domain.reasons import Direction, Outcome, ReasonCode
from edge_agent.gate.pipeline import ScanPipeline, ScanResult
from edge_agent.gate.request_ids import RequestReused
from edge_agent.gate.verdict_json import answer_json
from edge_agent.i18n.languages import DEFAULT_LANGUAGE
from hardware.errors import HardwareError
from hardware.health import DeviceHealth
from hardware.registry import build_output
from hardware.signals import GateOutput, Signal
from scanner.backoff import Backoff
from scanner.debounce import Debouncer
from scanner.inputs.context import InputContext
from scanner.inputs.evdev_source import EvdevSource
from scanner.inputs.registry import build_input
from scanner.inputs.websocket import WebSocketInput
from scanner.reads import CodeInput, CodeRead

log = logging.getLogger(__name__)

#: Roles whose devices may submit scans over TCP and WebSocket (as POST /api/v1/scans).
SCANNING_ROLES = frozenset({Role.SCANNER, Role.SUPERVISOR})

#: Verdicts that need a steward's eyes rather than a plain red: the person may well be
#: honest (a friend scanned the ticket already; the box could not record the scan).
_ATTENTION = frozenset({ReasonCode.ALREADY_ADMITTED, ReasonCode.NOT_RECORDED})


def signal_for(result: ScanResult) -> Signal:
    """admit/readmit/exit → ADMIT (an exit lane's turnstile must open too); an admit
    with flags → CHECK; already admitted and not recorded → ATTENTION; every other
    refusal → REFUSE."""
    decision = result.decision
    if not result.recorded or decision.reason in _ATTENTION:
        return Signal.ATTENTION
    if decision.needs_check:
        return Signal.CHECK
    if decision.outcome in (Outcome.ADMIT, Outcome.EXIT):
        return Signal.ADMIT
    return Signal.REFUSE


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class LaneVerdict(NamedTuple):
    #: ``None`` when judging failed unexpectedly (logged; the lane shows ATTENTION).
    result: ScanResult | None
    #: A debounced repeat: ``result`` is the first read's verdict, nothing new was recorded.
    repeat: bool = False


#: Called with each new verdict of a lane and the read it came from (not for repeats).
VerdictListener = Callable[[ScanResult, CodeRead], None]


class Lane:
    def __init__(
        self,
        lane_id: str,
        direction: Direction,
        debounce_ms: int,
        pipeline: ScanPipeline,
        outputs: list[GateOutput],
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.id = lane_id
        #: Language of the answers this lane's network scanners get.
        self.language = language
        self.direction = direction
        self.debounce_ms = debounce_ms
        self.pipeline = pipeline
        self.outputs = outputs
        self.inputs: list[CodeInput] = []
        #: Live views of this lane's verdicts (the demo prints them); must not block.
        self.listeners: list[VerdictListener] = []
        self._debounce: Debouncer[asyncio.Future[ScanResult | None]] = Debouncer(debounce_ms)

    async def judge(self, read: CodeRead, device_id: str | None = None) -> LaneVerdict:
        """Debounce, judge, record and signal one read. Never raises (but cancellation)."""
        repeat, first = self._debounce.repeat_of(read.text, read.at_ns)
        if repeat and first is not None:
            return LaneVerdict(await asyncio.shield(first), repeat=True)
        pending: asyncio.Future[ScanResult | None] = asyncio.get_running_loop().create_future()
        self._debounce.remember(read.text, read.at_ns, pending)
        result: ScanResult | None = None
        try:
            result = await self.pipeline.scan(
                read.text,
                lane=self.id,
                device_id=device_id or read.input_id,
                device_kind=read.device_kind,
                direction=self.direction,
                request_id=read.request_id,
            )
        except RequestReused:
            raise  # the device's bug, answered as such; nothing was judged or shown
        except Exception:
            log.exception("%s: judging a scan from %s failed", self.id, read.input_id)
        finally:
            pending.set_result(result)
            if result is None or not result.recorded:
                self._debounce.forget(read.text)  # "scan again" must be able to count
        if result is not None and result.replayed:
            return LaneVerdict(result)  # its signal was shown when it was first judged
        await self.show(Signal.ATTENTION if result is None else signal_for(result))
        if result is not None:
            for listener in self.listeners:
                try:
                    listener(result, read)
                except Exception:
                    log.exception("%s: a verdict listener failed", self.id)
        return LaneVerdict(result)

    async def emit(self, read: CodeRead) -> None:
        """The :data:`scanner.reads.Emit` given to local inputs."""
        await self.judge(read)

    async def answer(self, read: CodeRead, device_id: str) -> Mapping[str, object]:
        """The :data:`scanner.inputs.context.Judge` given to network inputs: the reply's JSON."""
        try:
            verdict = await self.judge(read, device_id)
        except RequestReused as exc:
            return {"error": {"code": "request_reused", "message": str(exc)}}
        doc = answer_json(verdict.result, self.language)
        if verdict.repeat:
            doc["debounced"] = True
        return doc

    async def show(self, signal: Signal) -> None:
        for output in self.outputs:
            try:
                await output.signal(signal)
            except Exception as exc:  # a broken lamp must not lose the verdict
                log.warning("%s: output %s failed to show %s: %s", self.id, output.id, signal, exc)
                output.health.fail(f"signal {signal} failed: {exc}", _wall_ms())

    def websocket(self) -> WebSocketInput | None:
        for inp in self.inputs:
            if isinstance(inp, WebSocketInput):
                return inp
        return None

    def status(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "direction": self.direction.value,
            "debounce_ms": self.debounce_ms,
            "debounced": self._debounce.suppressed,
            "inputs": [i.health.snapshot() for i in self.inputs],
            "outputs": [o.health.snapshot() for o in self.outputs],
        }


class BrokenOutput:
    """Stands in for an output that could not be built (pin busy, bad wiring), so the
    lane still runs and the status says what is wrong."""

    def __init__(self, output_id: str, output_type: str, problem: str) -> None:
        self.id = output_id
        self.health = DeviceHealth(output_id, "output", output_type)
        self.health.fail(problem, _wall_ms(), disconnected=True)

    async def signal(self, signal: Signal) -> None:
        return None

    def release(self) -> None:
        return None

    async def close(self) -> None:
        return None


class GateLanes:
    """Every lane of this gate: built from config, started and stopped with the runtime."""

    def __init__(self, lanes: list[Lane]) -> None:
        self.lanes = lanes
        self._tasks: list[asyncio.Task[None]] = []
        self._atexit_registered = False

    @classmethod
    def from_config(
        cls,
        config: Config,
        pipeline: ScanPipeline,
        devices: DeviceRegistry,
        evdev_source: EvdevSource | None = None,
        server_tls: Callable[[], ssl.SSLContext] | None = None,
    ) -> GateLanes:
        def authenticate(token: str) -> str | None:
            device = devices.by_token_hash(token_hash(token)) if token else None
            if device is None or device.role not in SCANNING_ROLES:
                return None
            return device.device_id

        lanes = []
        for spec in config.lanes:
            lane = Lane(
                spec.id,
                Direction(spec.direction),
                spec.debounce_ms,
                pipeline,
                [_build_output(spec, o.id, o.type, o.options) for o in spec.outputs],
                spec.language or config.gate.language,
            )
            ctx = InputContext(
                judge=lane.answer,
                authenticate=authenticate,
                evdev_source=evdev_source,
                server_tls=server_tls,
            )
            lane.inputs = [build_input(i.id, i.type, i.options, ctx) for i in spec.inputs]
            lanes.append(lane)
        return cls(lanes)

    def lane(self, lane_id: str) -> Lane | None:
        return next((lane for lane in self.lanes if lane.id == lane_id), None)

    def outputs(self) -> list[GateOutput]:
        return [o for lane in self.lanes for o in lane.outputs]

    async def start(self) -> None:
        self.release_all()  # a known, safe state before the first scan
        if self.outputs():
            atexit.register(self.release_all)
            self._atexit_registered = True
        loop = asyncio.get_running_loop()
        for lane in self.lanes:
            for inp in lane.inputs:
                self._tasks.append(
                    loop.create_task(_supervise(lane, inp), name=f"input-{lane.id}-{inp.id}")
                )
        if self.lanes:
            log.info(
                "lanes running",
                extra={
                    "lanes": [
                        f"{lane.id}:{len(lane.inputs)}in/{len(lane.outputs)}out"
                        for lane in self.lanes
                    ]
                },
            )

    async def stop(self) -> None:
        """Stop reading, then release and close every output (fail-safe: relay open)."""
        try:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks.clear()
        finally:
            self.release_all()
            for output in self.outputs():
                try:
                    await output.close()
                except Exception as exc:
                    log.warning("output %s did not close cleanly: %s", output.id, exc)
            if self._atexit_registered:
                atexit.unregister(self.release_all)
                self._atexit_registered = False

    def release_all(self) -> None:
        """Synchronous and safe to call at any time, from anywhere (atexit, finally)."""
        for output in self.outputs():
            try:
                output.release()
            except Exception as exc:  # keep releasing the others
                log.error("output %s could not be released: %s", output.id, exc)

    def status(self) -> list[dict[str, Any]]:
        return [lane.status() for lane in self.lanes]


def _build_output(spec: LaneSection, output_id: str, output_type: str, options: Any) -> GateOutput:
    try:
        return build_output(output_id, output_type, options)
    except (HardwareError, OSError) as exc:
        log.error("%s: output %s (%s) could not start: %s", spec.id, output_id, output_type, exc)
        return BrokenOutput(output_id, output_type, f"could not start: {exc}")


async def _supervise(lane: Lane, inp: CodeInput) -> None:
    """Run one input for the agent's life; a crash is logged and the input restarted."""
    backoff = Backoff(0.5, 30.0)
    while True:
        started = time.monotonic()
        try:
            await inp.run(lane.emit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if time.monotonic() - started > 60:
                backoff.reset()  # it ran well for a while: this is a new problem
            delay = backoff.next_delay()
            log.error(
                "%s: input %s crashed (%r); restarting in %.1f s",
                lane.id,
                inp.id,
                exc,
                delay,
                exc_info=True,
            )
            inp.health.fail(f"crashed: {exc!r}", _wall_ms(), disconnected=True)
            await asyncio.sleep(delay)
            continue
        log.info("%s: input %s finished", lane.id, inp.id)
        return
