"""A UDP impairment proxy for tests: loss, duplication, delay and jitter (which reorders), per
direction, seeded so a failing run can be repeated.

One proxy stands between one client and the server: the client sends to `proxy.address`, the
proxy forwards from a socket of its own to the server and carries the answers back. Loopback
only; the thread stops when the proxy is closed.
"""

from __future__ import annotations

import heapq
import random
import selectors
import socket
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Impairment:
    loss: float = 0.0  # probability a datagram is dropped
    duplicate: float = 0.0  # probability a delivered datagram is delivered twice
    delay_ms: float = 0.0
    jitter_ms: float = 0.0  # uniform ±jitter around the delay: later datagrams may overtake

    def schedule(self, rng: random.Random, now: float) -> list[float]:
        """Delivery times for one datagram (none when it is lost)."""
        if rng.random() < self.loss:
            return []
        copies = 2 if rng.random() < self.duplicate else 1
        return [now + max(0.0, self.delay_ms + rng.uniform(-self.jitter_ms, self.jitter_ms)) / 1000
                for _ in range(copies)]


@dataclass
class Counts:
    sent: int = 0
    dropped: int = 0
    duplicated: int = 0


class ImpairedLink:
    def __init__(self, server: tuple[str, int], upstream: Impairment, downstream: Impairment,
                 seed: int = 1) -> None:
        self.server = server
        self.upstream, self.downstream = upstream, downstream
        self.rng = random.Random(seed)
        self.counts = {"up": Counts(), "down": Counts()}
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # faces the client
        self.front.bind(("127.0.0.1", 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # faces the server
        self.back.bind(("127.0.0.1", 0))
        self.address = self.front.getsockname()
        self.client: tuple[str, int] | None = None
        self._queue: list[tuple[float, int, bytes, str]] = []
        self._order = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="impaired-link", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.front.close()
        self.back.close()

    def _enqueue(self, data: bytes, direction: str) -> None:
        impairment = self.upstream if direction == "up" else self.downstream
        times = impairment.schedule(self.rng, time.monotonic())
        counts = self.counts[direction]
        counts.sent += 1
        counts.dropped += not times
        counts.duplicated += len(times) > 1
        for at in times:
            self._order += 1
            heapq.heappush(self._queue, (at, self._order, data, direction))

    def _deliver_due(self) -> None:
        now = time.monotonic()
        while self._queue and self._queue[0][0] <= now:
            _, _, data, direction = heapq.heappop(self._queue)
            if direction == "up":
                self.back.sendto(data, self.server)
            elif self.client is not None:
                self.front.sendto(data, self.client)

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.front, selectors.EVENT_READ, "up")
            selector.register(self.back, selectors.EVENT_READ, "down")
            while not self._stop.is_set():
                timeout = 0.005 if self._queue else 0.05
                for key, _ in selector.select(timeout):
                    data, sender = key.fileobj.recvfrom(65536)  # type: ignore[union-attr]
                    if key.data == "up":
                        self.client = sender
                    self._enqueue(data, key.data)
                self._deliver_due()
