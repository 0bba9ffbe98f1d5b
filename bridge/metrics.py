"""The bridge's Prometheus metrics, read at scrape time from the relays' own `RelayStats`:
nothing is counted twice on the hop. Each app has its own registry (tests run several)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge.relay import RelayStats

PREFIX = "block_attack_bridge"


def add_stats(total: RelayStats, stats: RelayStats) -> None:
    """Adds `stats` into `total`, field by field."""
    for item in dataclasses.fields(RelayStats):
        setattr(total, item.name, getattr(total, item.name) + getattr(stats, item.name))


def sum_stats(closed: RelayStats, live: Iterable[RelayStats]) -> RelayStats:
    total = dataclasses.replace(closed)
    for stats in live:
        add_stats(total, stats)
    return total


class RelayCollector(Collector):
    """`read()` gives the open WebSockets and the stats of every relay, open or closed."""

    def __init__(self, read: Callable[[], tuple[int, RelayStats]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        websockets, stats = self._read()
        yield GaugeMetricFamily(f"{PREFIX}_websockets", "Open WebSockets", value=websockets)
        yield CounterMetricFamily(
            f"{PREFIX}_frames_received", "Frames from browsers",
            value=stats.frames_forwarded + stats.frames_rejected)
        yield CounterMetricFamily(f"{PREFIX}_frames_sent", "Frames to browsers",
                                  value=stats.frames_sent)
        yield CounterMetricFamily(
            f"{PREFIX}_frames_delayed",
            "Frames from browsers read late: over the WebSocket's or its address's frame rate",
            value=stats.frames_delayed)
        dropped = CounterMetricFamily(
            f"{PREFIX}_frames_dropped",
            "Frames not relayed: rejected with an error frame, or replaced or pushed out of a "
            "slow browser's outbox", labels=["why"])
        dropped.add_metric(["rejected"], stats.frames_rejected)
        dropped.add_metric(["outbox"], stats.datagrams_dropped)
        yield dropped
        yield CounterMetricFamily(f"{PREFIX}_datagrams_sent", "Datagrams to the game server",
                                  value=stats.frames_forwarded)
        yield CounterMetricFamily(f"{PREFIX}_datagrams_received",
                                  "Datagrams from the game server",
                                  value=stats.datagrams_received)


def bridge_registry(read: Callable[[], tuple[int, RelayStats]]) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(RelayCollector(read))
    return registry
