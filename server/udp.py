"""The UDP shell: receive, call the service (server/service.py), send; plus the server's threads.

The seed's `socketserver.ThreadingMixIn` + `UDPServer`, with its handler. By default
`process_request` starts no thread per datagram (24% of the CPU under load went on that): it
queues the datagram, bounded, and the reading thread itself serves the queues between reads
(`workers` 0), or a pool of worker threads does (`workers` N: each hand-off between threads cost
about 40 µs a request, and under the GIL the workers cannot run at once anyway). The stock
thread per datagram stays behind `thread_per_datagram`, so a bench can compare. `verify_request`
runs in the reading thread before any of that: the per-address rate check sheds a flood before
any queue, decode or match lock. Another thread runs the timers.

Over capacity, the seats of running matches are served first: a datagram from an address that is
where such a seat is now (a dict lookup the service keeps) goes to a queue of its own, emptied
before the ordinary one. Each queue has its own bound, so a flood of connects or junk from
addresses that have passed the rate check fills only the ordinary queue and is shed there, while
the players' requests go on being served.
"""

from __future__ import annotations

import gc
import logging
import os
import queue
import random
import socket
import socketserver
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from server.directory import Directory
from server.match import Address
from server.metrics import OperatorHTTPServer, ServerMetrics
from server.replay_store import ReplayWriter
from server.service import Datagram, GameService, ServerSettings
from server.wire import GC_FULL_SECONDS, SHUTDOWN_NOTICES, TICK_SECONDS

__all__ = ["GameServer", "RunningServer", "ServerSettings", "start_server"]

log = logging.getLogger(__name__)

Request = tuple[bytes, socket.socket]  # socketserver's UDP request: the datagram and the socket
# Datagrams read per wake-up of the serving thread (with workers), and served per round between
# reads (without): socketserver's one select per datagram costs more than the rate check itself,
# and a flood is shed only as fast as it is read.
READ_BATCH = 64
# Without workers, the serving thread reads everything waiting before it serves again (bounded,
# so a flood faster than reading cannot keep it from serving): a backlog left in the socket
# buffer would be served seconds late, to clients that have resent it meanwhile.
DRAIN_BATCH = 4096
# The socket's receive buffer (the kernel caps it at net.core.rmem_max): the default holds a few
# hundred small datagrams, 10 ms of a 20,000/s flood, so one scheduling hiccup of the serving
# thread would let the kernel drop the players' datagrams along with the flood's.
RECEIVE_BUFFER = 4 * 2**20


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


class _Queues:
    """Two bounded FIFO queues, the seats' one served first, behind one C-level wake-up queue.

    Only the serving thread puts (and, without workers, takes); with workers every put appends
    one item and then one wake-up, so a worker that took a wake-up always finds an item in one
    of the two deques (deque appends and pops are atomic). No Python-level lock or condition on
    the hot path."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self._playing: deque[tuple[Request, Address]] = deque()
        self._ordinary: deque[tuple[Request, Address]] = deque()
        self._wake: queue.SimpleQueue[bool] = queue.SimpleQueue()  # False: stop a worker

    def put(self, item: tuple[Request, Address], playing: bool, wake: bool = True) -> bool:
        """Queue `item` (and wake a worker, unless `wake` is False: the reading thread serves
        the queues itself); False (not queued) when its queue is full."""
        chosen = self._playing if playing else self._ordinary
        if len(chosen) >= self.bound:
            return False
        chosen.append(item)
        if wake:
            self._wake.put(True)
        return True

    def get(self) -> tuple[Request, Address] | None:
        """The next item, the seats' first; None when the worker should stop."""
        if not self._wake.get():
            return None
        while True:  # another worker may pop the item we saw between our two tries: try again
            item = self.take()
            if item is not None:
                return item

    def take(self) -> tuple[Request, Address] | None:
        """The next item, the seats' first, without waiting: None when both are empty."""
        if self._playing:
            return self._playing.popleft()
        if self._ordinary:
            return self._ordinary.popleft()
        return None

    def stop(self, workers: int) -> None:
        for _ in range(workers):
            self._wake.put(False)


class GameServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True  # a handler stuck on a dead peer must not block shutdown
    block_on_close = False

    def __init__(self, settings: ServerSettings) -> None:
        self.address_family = _family(settings.host)
        self.settings = settings
        self.clock = Clock()
        # --replay-dir: a thread of its own writes the files, never a worker (server/replay_store)
        self.replay_writer = (None if settings.replay_dir is None
                              else ReplayWriter(Path(settings.replay_dir)))
        self.service = GameService(settings, secret=os.urandom(16), rng=random.SystemRandom(),
                                   lock_factory=threading.Lock,
                                   replay_sink=self.replay_writer and self.replay_writer.put)
        # Only with --metrics-port: without it the datagram path does not even read the clock.
        self.metrics = None if settings.metrics_port is None else ServerMetrics(self.service)
        self._queues = _Queues(settings.queued_datagrams)
        self._workers: list[threading.Thread] = []
        # Set by shutdown(): the reading thread's own serving loop returns to serve_forever,
        # which stops. Without it a steady flood (never an empty read) would keep it serving.
        self._shutting_down = False
        super().__init__((settings.host, settings.port), _Handler)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        except OSError as exc:  # a smaller buffer still serves; it only absorbs less
            log.warning("cannot set the receive buffer to %d bytes: %s", RECEIVE_BUFFER, exc)
        self.directory = self._directory(settings)  # a cluster node's; started by RunningServer
        self.service.directory = self.directory
        if not settings.thread_per_datagram:
            self._workers = [threading.Thread(target=self._work, name=f"udp-worker-{k}",
                                              daemon=True)
                             for k in range(settings.workers)]
            for worker in self._workers:
                worker.start()

    def _directory(self, settings: ServerSettings) -> Directory | None:
        if settings.directory_url is None:
            return None
        host, port = self.server_address[:2]
        public = settings.public_address or f"{_format_host(host)}:{port}"
        return Directory(settings.directory_url, settings.node_id, public, self.service.load)

    def _handle_request_noblock(self) -> None:
        """socketserver's, for every datagram already waiting (up to READ_BATCH) instead of one:
        the rate check sheds a flood here, so reading must cost as little as it can.

        Without workers (the default) this thread serves too: it reads what is waiting into the
        bounded queues, serves a batch from them, and reads again, until both the socket and the
        queues are empty (or shutdown() asks it to stop). No hand-off to another thread (that
        cost 40 µs a request), and over capacity the backlog is the queues' bound, not the 4 MiB
        socket buffer: what does not fit is shed unread, so an answer never comes after the
        client has given up on it."""
        if self._workers or self.settings.thread_per_datagram:
            self._read_batch(READ_BATCH)
            return
        while not self._shutting_down:
            read = self._read_batch(DRAIN_BATCH)  # all that waits: the queues shed the excess
            for _ in range(READ_BATCH):
                item = self._queues.take()
                if item is None:
                    break
                self.process_request_thread(*item)  # the handler, as a worker runs it
            else:
                continue  # more may be queued: read what came meanwhile, then serve again
            if not read:
                return

    def _read_batch(self, limit: int) -> int:
        """Up to `limit` waiting datagrams, each rate-checked and then processed (queued,
        without workers); how many were read."""
        for count in range(limit):
            try:
                data, client_address = self.socket.recvfrom(self.max_packet_size,
                                                            socket.MSG_DONTWAIT)
            except OSError:  # BlockingIOError: nothing more waiting
                return count
            request = (data, self.socket)
            if self.verify_request(request, client_address):
                try:
                    self.process_request(request, client_address)
                except Exception:
                    self.handle_error(request, client_address)
        return limit

    def verify_request(self, request: Any, client_address: Any) -> bool:
        # The serving thread, before any queue, thread, decode or lock: a flood is shed here.
        data, _socket = request
        return self.service.admit(client_address, len(data), self.clock.now())

    def process_request(self, request: Any, client_address: Any) -> None:
        if self.settings.thread_per_datagram:
            super().process_request(request, client_address)
        else:  # to the workers, or (none) to this thread's own serving in the read loop
            playing = self.service.is_playing(client_address)
            if not self._queues.put((request, client_address), playing, wake=bool(self._workers)):
                self.service.overflowed(playing)  # late answers are worth less than none

    def shutdown(self) -> None:
        self._shutting_down = True
        super().shutdown()

    def _work(self) -> None:
        while (item := self._queues.get()) is not None:
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
        self._queues.stop(len(self._workers))
        for worker in self._workers:
            worker.join(timeout=5)
        if self.replay_writer is not None:
            self.replay_writer.close()
        super().server_close()


def _format_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class _Collector:
    """The process's cyclic garbage collector without its full collections mid-play. CPython's
    own stopped the server for up to 67 ms with 1,500 matches running (a p99 round trip of 52 ms
    where every other request took under 5). Its young generations stay as they are (frequent
    and small: under a millisecond, where a paced collection of a whole second's survivors took
    15 to 33), the objects made at start-up are frozen out of every collection, and the full
    collection runs only from the timer thread, every GC_FULL_SECONDS. A match's objects die by
    reference counting when it is forgotten; the full collection has only the rare reference
    cycle that outlived the young generations to find."""

    def __init__(self, now: float) -> None:
        self._thresholds = gc.get_threshold()
        # unfreeze() thaws every frozen object: only when none were frozen before us
        self._thaw = gc.get_freeze_count() == 0
        gc.freeze()
        young, middle, _full = self._thresholds
        gc.set_threshold(young, middle, _NEVER)
        self._full_at = now + GC_FULL_SECONDS

    def run_due(self, now: float) -> None:
        if now >= self._full_at:
            gc.collect()
            self._full_at = now + GC_FULL_SECONDS

    def close(self) -> None:
        gc.set_threshold(*self._thresholds)
        if self._thaw:
            gc.unfreeze()


_NEVER = 2**31 - 1  # a generation threshold no count reaches


class RunningServer:
    """A GameServer serving in a background thread, with its timer thread, and the operator's
    endpoints (server/metrics.py) when `metrics_port` is set."""

    def __init__(self, settings: ServerSettings) -> None:
        self.server = GameServer(settings)
        self.address: tuple[str, int] = self.server.server_address[:2]
        # Set on SIGTERM while matches finish: readiness answers 503 so new players go elsewhere.
        self.draining = False
        self._stopping = threading.Event()
        self._collector: _Collector | None = None  # taken last: a failed start leaves gc alone
        self._threads = [
            threading.Thread(target=self.server.serve_forever, name="udp-serve", daemon=True),
            threading.Thread(target=self._tick_loop, name="udp-tick", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        if self.server.directory is not None:
            self.server.directory.start()  # listed (or the outage logged) before we report ready
        self.operator: OperatorHTTPServer | None = None
        if self.server.metrics is not None:
            try:
                self.operator = OperatorHTTPServer(
                    (settings.metrics_host, settings.metrics_port or 0),
                    self.server.metrics.registry, self.is_ready)
            except OSError:
                self.stop()
                raise
        if settings.paced_gc:  # started: from here on stop() gives the collector back
            self._collector = _Collector(time.monotonic())

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
            if self._collector is not None:
                self._collector.run_due(time.monotonic())

    def drain(self, seconds: float, interrupted: threading.Event | None = None) -> None:
        """SIGTERM: make no new match (the node's key says draining, readiness answers 503),
        give the running matches up to `seconds` to end by themselves (or until `interrupted`),
        then end the rest with `game_end` reason `server_shutdown`, sent a few times (UDP)."""
        service = self.server.service
        self.draining = True
        service.drain()
        if self.server.directory is not None:
            self.server.directory.set_draining()
        deadline = time.monotonic() + seconds
        if playing := service.playing():
            log.info("draining: %d running matches get up to %gs to end", playing, seconds)
        interrupted = interrupted or threading.Event()
        while service.playing() and time.monotonic() < deadline:
            if interrupted.wait(0.1):
                break
        notices = service.shut_down(self.server.clock.now())
        if notices:
            log.info("ending the remaining matches: %d server_shutdown notices", len(notices))
        for k in range(SHUTDOWN_NOTICES):
            if k:
                time.sleep(0.05)
            self.server.send(notices)

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self.server.directory is not None:
            self.server.directory.stop()
        if self.operator is not None:
            self.operator.close()
        try:
            self.server.shutdown()
            self.server.server_close()
            for thread in self._threads:
                thread.join(timeout=5)
        finally:
            if self._collector is not None:
                self._collector.close()
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
