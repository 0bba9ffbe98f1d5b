"""The server's operator endpoints over HTTP: Prometheus `/metrics`, `/readyz` and `/livez`.

The datagram path pays for none of it but two histograms' `observe()`: the counts live in the
service's own `Counters` and the guard's, and `ServiceCollector` reads them, and counts the
matches by state under the registry lock, only when Prometheus scrapes. Each server has its own
`CollectorRegistry` (no global state: tests run several servers in one process).
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from server.match import MatchState
from server.service import GameService
from server.wire import Reason

log = logging.getLogger(__name__)

PREFIX = "block_attack_server"
# Handling one datagram takes tens of microseconds; a timer tick, up to milliseconds under load.
DATAGRAM_BUCKETS = (2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 5e-2)
TICK_BUCKETS = (1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 1e-1, 2.5e-1)


class ServiceCollector(Collector):
    """Reads the service's counters at scrape time, under the locks that guard them."""

    def __init__(self, service: GameService) -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        service = self._service
        with service.registry_lock:  # seats change only under it (connect), so this is exact
            matches = list(service.lobby.matches.values())
            states = Counter(match.state for match in matches)
            players = sum(len(match.seats) for match in matches
                          if match.state != MatchState.ENDED)
        with service.guard_lock:
            counters = dataclasses.replace(service.counters,
                                           by_reason=dict(service.counters.by_reason))
            guard = dataclasses.replace(service.guard.counters)
            addresses = len(service.guard)

        by_state = GaugeMetricFamily(f"{PREFIX}_matches", "Matches held, by state",
                                     labels=["state"])
        for state in MatchState:
            by_state.add_metric([state.name.lower()], states.get(state, 0))
        yield by_state
        yield GaugeMetricFamily(f"{PREFIX}_players",
                                "Players seated in waiting and running matches", value=players)
        yield CounterMetricFamily(f"{PREFIX}_datagrams_received",
                                  "Datagrams admitted past the rate check", value=counters.received)
        yield CounterMetricFamily(f"{PREFIX}_datagrams_sent", "Datagrams sent",
                                  value=counters.sent)
        refusals = CounterMetricFamily(f"{PREFIX}_refusals", "Requests answered with an error",
                                       labels=["reason"])
        for reason in Reason:
            refusals.add_metric([str(reason)], counters.by_reason.get(str(reason), 0))
        yield refusals
        yield CounterMetricFamily(f"{PREFIX}_rate_limited",
                                  "Datagrams dropped unread: their address was over its rate",
                                  value=guard.rate_limited)
        yield CounterMetricFamily(f"{PREFIX}_amplification_held",
                                  "Replies held back from unproven addresses (the 3x limit)",
                                  value=guard.amplification_held)
        yield CounterMetricFamily(f"{PREFIX}_addresses_verified",
                                  "Addresses that proved they read our datagrams",
                                  value=guard.verified)
        yield GaugeMetricFamily(f"{PREFIX}_addresses", "Source addresses the guard remembers",
                                value=addresses)
        yield CounterMetricFamily(f"{PREFIX}_queue_dropped",
                                  "Admitted datagrams dropped unread with the queue full",
                                  value=counters.overflowed)


class ServerMetrics:
    """One server's registry: the collector above and the two histograms the shell observes."""

    def __init__(self, service: GameService) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(ServiceCollector(service))
        self.datagram_seconds = Histogram(
            f"{PREFIX}_datagram_seconds", "Time to handle one datagram, send excluded",
            buckets=DATAGRAM_BUCKETS, registry=self.registry)
        self.tick_seconds = Histogram(
            f"{PREFIX}_tick_seconds", "Time of one timer tick, send excluded",
            buckets=TICK_BUCKETS, registry=self.registry)


class _Endpoints(BaseHTTPRequestHandler):
    server: OperatorHTTPServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/metrics":
            self._reply(HTTPStatus.OK, generate_latest(self.server.registry), CONTENT_TYPE_LATEST)
        elif path == "/readyz":
            ready = self.server.ready()
            self._reply(HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE,
                        b"ready\n" if ready else b"not ready\n")
        elif path == "/livez":
            self._reply(HTTPStatus.OK, b"ok\n")
        else:
            self._reply(HTTPStatus.NOT_FOUND, b"not found\n")

    def _reply(self, status: HTTPStatus, body: bytes,
               content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("metrics http: " + format, *args)


class OperatorHTTPServer(ThreadingHTTPServer):
    """`/metrics`, `/readyz` and `/livez`, served from a daemon thread until `close()`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], registry: CollectorRegistry,
                 ready: Callable[[], bool]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.registry = registry
        self.ready = ready
        super().__init__(address, _Endpoints)
        self.address: tuple[str, int] = self.server_address[:2]  # type: ignore[assignment]
        self._thread = threading.Thread(target=self.serve_forever, name="metrics-http",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
