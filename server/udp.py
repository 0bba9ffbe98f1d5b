"""The UDP shell: receive, call the service (server/service.py), send; plus the server's threads.

The seed's `socketserver.ThreadingMixIn` + `UDPServer`, with its handler. By default
`process_request` does not start a thread per datagram (24% of the CPU under load went on that):
it queues the datagram, bounded, for a pool of worker threads that run the same handler. The
stock thread per datagram stays behind `thread_per_datagram`, so a bench can compare the two.
`verify_request` runs in the serving thread before any of that: the per-address rate check sheds
a flood before any thread, decode or match lock. A third thread runs the timers.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import socket
import socketserver
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from server.match import Address
from server.metrics import OperatorHTTPServer, ServerMetrics
from server.service import Datagram, GameService, ServerSettings
from server.wire import TICK_SECONDS

__all__ = ["GameServer", "RunningServer", "ServerSettings", "start_server"]

log = logging.getLogger(__name__)

Request = tuple[bytes, socket.socket]  # socketserver's UDP request: the datagram and the socket


class Clock:
    """Milliseconds since the epoch that never run backwards: wall time at start, then the
    monotonic clock, so a clock step cannot reorder our timestamps or cut a match short."""

    def __init__(self) -> None:
        self._epoch_ms = time.time() * 1000
        self._start = time.monotonic()

    def now(self) -> int:
        return int(self._epoch_ms + (time.monotonic() - self._start) * 1000)


class _Handler(socketserver.BaseRequestHandler):
    # BaseRequestHandler, not DatagramRequestHandler: that one's finish() always sends a reply,
    # even an empty one.
    server: GameServer

    def handle(self) -> None:
        data, _socket = self.request
        self.server.serve_datagram(data, self.client_address)


class GameServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True  # a handler stuck on a dead peer must not block shutdown
    block_on_close = False

    def __init__(self, settings: ServerSettings) -> None:
        self.address_family = _family(settings.host)
        self.settings = settings
        self.clock = Clock()
        self.service = GameService(settings, secret=os.urandom(16), rng=random.SystemRandom(),
                                   lock_factory=threading.Lock)
        # Only with --metrics-port: without it the datagram path does not even read the clock.
        self.metrics = None if settings.metrics_port is None else ServerMetrics(self.service)
        self._queue: queue.SimpleQueue[tuple[Request, Address] | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        super().__init__((settings.host, settings.port), _Handler)
        if not settings.thread_per_datagram:
            self._workers = [threading.Thread(target=self._work, name=f"udp-worker-{k}",
                                              daemon=True)
                             for k in range(settings.workers)]
            for worker in self._workers:
                worker.start()

    def verify_request(self, request: Any, client_address: Any) -> bool:
        # The serving thread, before any queue, thread, decode or lock: a flood is shed here.
        data, _socket = request
        return self.service.admit(client_address, len(data), self.clock.now())

    def process_request(self, request: Any, client_address: Any) -> None:
        if self.settings.thread_per_datagram:
            super().process_request(request, client_address)
        elif not self._workers:
            self.process_request_thread(request, client_address)  # inline, in the serving thread
        elif self._queue.qsize() >= self.settings.queued_datagrams:
            self.service.overflowed()  # late answers are worth less than none: drop, count
        else:
            self._queue.put((request, client_address))

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            self.process_request_thread(*item)  # the handler, as a ThreadingMixIn thread runs it

    def serve_datagram(self, data: bytes, address: Address) -> None:
        started = time.perf_counter() if self.metrics is not None else 0.0
        try:
            datagrams = self.service.handle(data, address, self.clock.now())
        except Exception:  # a bug must never take the server down with it
            log.exception("unhandled error for a datagram from %s", address)
            return
        if self.metrics is not None:
            self.metrics.datagram_seconds.observe(time.perf_counter() - started)
        self.send(datagrams)

    def send(self, datagrams: Iterable[Datagram]) -> None:
        for data, address in datagrams:
            try:
                self.socket.sendto(data, address)
            except OSError as exc:  # an unreachable peer is its problem, not the match's
                log.debug("send to %s failed: %s", address, exc)

    def server_close(self) -> None:
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join(timeout=5)
        super().server_close()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class RunningServer:
    """A GameServer serving in a background thread, with its timer thread, and the operator's
    endpoints (server/metrics.py) when `metrics_port` is set."""

    def __init__(self, settings: ServerSettings) -> None:
        self.server = GameServer(settings)
        self.address: tuple[str, int] = self.server.server_address[:2]
        # Set on SIGTERM while matches finish: readiness answers 503 so new players go elsewhere.
        self.draining = False
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self.server.serve_forever, name="udp-serve", daemon=True),
            threading.Thread(target=self._tick_loop, name="udp-tick", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self.operator: OperatorHTTPServer | None = None
        if self.server.metrics is not None:
            try:
                self.operator = OperatorHTTPServer(
                    (settings.metrics_host, settings.metrics_port or 0),
                    self.server.metrics.registry, self.is_ready)
            except OSError:
                self.stop()
                raise

    @property
    def metrics_address(self) -> tuple[str, int] | None:
        return None if self.operator is None else self.operator.address

    def is_ready(self) -> bool:
        """Whether a load balancer should send new players here: serving, and not draining."""
        return not self.draining and not self._stopping.is_set()

    def _tick_loop(self) -> None:
        metrics = self.server.metrics
        while not self._stopping.wait(TICK_SECONDS):
            started = time.perf_counter()
            try:
                datagrams = self.server.service.tick(self.server.clock.now())
            except Exception:
                log.exception("timer tick failed")
                continue
            if metrics is not None:
                metrics.tick_seconds.observe(time.perf_counter() - started)
            self.server.send(datagrams)

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self.operator is not None:
            self.operator.close()
        self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        log.info("stopped: %s", self.summary())

    def summary(self) -> str:
        """What the server saw, for the operator: traffic, refusals by reason, defences."""
        return self.server.service.summary()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_server(settings: ServerSettings) -> RunningServer:
    return RunningServer(settings)
