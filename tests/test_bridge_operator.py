"""The bridge's operator endpoints: /metrics (off unless enabled) against the frames sent,
/livez, and /readyz (the game server answers; not shutting down)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bridge.app import READINESS
from tests.conftest import CONNECT, ClientFactory, FakeServer, origin_of


async def scrape(client: TestClient[Any, Any], path: str = "/metrics") -> dict[str, float]:
    response = await client.get(path)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = await response.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[sample.name + (f"{{{labels}}}" if labels else "")] = sample.value
    return samples


async def test_metrics_count_frames_both_ways_and_drops(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    # Two frames a second, a burst of two: the third and fourth frame are read late (the relay
    # stops reading: backpressure), not dropped; one notice says so.
    client = await make_client(metrics=True, frames_per_second=2.0)
    assert (await scrape(client))["block_attack_bridge_websockets"] == 0
    ws = await client.ws_connect("/ws", origin=origin_of(client))
    await ws.send_str(json.dumps(CONNECT))
    _, addr = await asyncio.wait_for(fake_server.received.get(), 5)
    fake_server.send({"command": "waiting", "timestamp": 1, "game_name": "g1"}, addr)
    assert json.loads(await ws.receive_str(timeout=5))["command"] == "waiting"
    await ws.send_str("not json")
    assert json.loads(await ws.receive_str(timeout=5))["reason"] == "bad_json"
    await ws.send_str(json.dumps(CONNECT))
    await ws.send_str(json.dumps(CONNECT))
    assert json.loads(await ws.receive_str(timeout=5))["reason"] == "rate_limited"
    for _ in range(2):  # the late ones still reach the server
        assert (await fake_server.next())[0]["command"] == "connect"

    expected = {
        "block_attack_bridge_websockets": 1,
        "block_attack_bridge_frames_received_total": 4,
        "block_attack_bridge_frames_sent_total": 3,  # waiting and two error frames
        "block_attack_bridge_frames_delayed_total": 2,
        "block_attack_bridge_frames_dropped_total{why=rejected}": 1,
        "block_attack_bridge_frames_dropped_total{why=outbox}": 0,
        "block_attack_bridge_datagrams_sent_total": 3,
        "block_attack_bridge_datagrams_received_total": 1,
    }
    samples = await scrape(client)
    assert {name: samples[name] for name in expected} == expected

    await ws.close()
    leave, _ = await fake_server.next()  # the relay has finished: its stats are the closed ones
    assert leave["command"] == "leave"
    samples = await scrape(client)
    assert {name: samples[name] for name in expected} == {
        **expected, "block_attack_bridge_websockets": 0}


async def test_metrics_are_off_unless_enabled(make_client: ClientFactory) -> None:
    client = await make_client()
    assert (await client.get("/metrics")).status == 404
    assert (await client.get("/livez")).status == 200
    assert await (await client.get("/healthz")).text() == "ok"


async def test_metrics_live_under_the_base_path(make_client: ClientFactory) -> None:
    client = await make_client(base_path="/ba/", metrics=True)
    assert "block_attack_bridge_websockets" in await scrape(client, "/ba/metrics")
    assert (await client.get("/metrics")).status == 404
    assert (await client.get("/ba/livez")).status == 200


async def test_ready_while_the_server_answers_and_not_shutting_down(
    make_client: ClientFactory, udp_server: tuple[str, int]
) -> None:
    client = await make_client(server=udp_server)
    response = await client.get("/readyz")
    assert (response.status, await response.text()) == (200, "ready")
    client.app[READINESS].shutting_down = True  # what the app's on_shutdown does first
    response = await client.get("/readyz")
    assert (response.status, await response.text()) == (503, "not ready: shutting down")
    assert (await client.get("/livez")).status == 200


async def test_not_ready_when_the_server_is_silent(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client()  # the fake server records the probe and never answers
    response = await client.get("/readyz")
    assert response.status == 503
    assert "no answer from the game server" in await response.text()
    probe, _ = await fake_server.next()
    assert probe["command"] == "readiness_probe"
    # Kept for a second: asking again sends no second probe.
    assert (await client.get("/readyz")).status == 503
    assert fake_server.received.empty()
