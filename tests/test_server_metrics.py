"""The server's operator endpoints over real UDP and HTTP: /metrics against the traffic sent,
/readyz while serving and draining, /livez, and the flags that turn them on."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.udp import RunningServer, ServerSettings, start_server
from server.wire import Reason
from tests.helpers import CLI, child

PAD = "." * 200  # every request outgrows its error reply, so each refusal is answered


def scrape(address: tuple[str, int]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample at `address`/metrics, by (name, sorted labels)."""
    host, port = address
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def status(address: tuple[str, int], path: str) -> int:
    host, port = address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Peer:
    """One loopback UDP address that sends a datagram and reads the answers."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)

    def send(self, message: dict[str, object] | bytes) -> None:
        data = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.sock.sendto(data, self.server)

    def recv(self) -> dict[str, object]:
        return json.loads(self.sock.recv(2048))


@pytest.fixture
def running() -> Iterator[RunningServer]:
    # One datagram a second, bursts of two: the flooder below is held to its first two.
    server = start_server(ServerSettings(host="127.0.0.1", port=0, metrics_port=0,
                                         datagrams_per_second=1.0))
    try:
        yield server
    finally:
        server.stop()


def test_metrics_count_the_traffic_sent(running: RunningServer) -> None:
    assert running.metrics_address is not None
    peers = [Peer(running.address) for _ in range(7)]
    junk1, junk2, junk3, flooder, eve, alice, bob = peers
    try:
        before = scrape(running.metrics_address)
        assert before[("block_attack_server_datagrams_received_total", ())] == 0
        expected_reasons = {Reason.BAD_JSON: 0, Reason.UNKNOWN_COMMAND: 0,
                            Reason.UNKNOWN_GAME: 0}

        def refused(peer: Peer, data: dict[str, object] | bytes, reason: Reason) -> None:
            peer.send(data)
            reply = peer.recv()
            assert (reply["command"], reply["reason"]) == ("error", reason)
            expected_reasons[reason] += 1

        bad_json = b"{not json" + PAD.encode()
        refused(junk1, bad_json, Reason.BAD_JSON)
        refused(junk1, bad_json, Reason.BAD_JSON)
        refused(junk2, bad_json, Reason.BAD_JSON)
        refused(junk2, {"command": "dance", "pad": PAD}, Reason.UNKNOWN_COMMAND)
        refused(junk3, {"command": "dance", "pad": PAD}, Reason.UNKNOWN_COMMAND)
        refused(junk3, {"command": "connect", "self": "carol", "game_name": "nosuchgame",
                        "pad": PAD}, Reason.UNKNOWN_GAME)
        for _ in range(7):  # a burst of two is admitted, the other five are dropped unread
            flooder.send(bad_json)
        for _ in range(2):
            assert flooder.recv()["reason"] == Reason.BAD_JSON
        expected_reasons[Reason.BAD_JSON] += 2

        eve.send({"command": "connect", "self": "eve", "opponent": "mallory"})
        assert eve.recv()["command"] == "waiting"
        alice.send({"command": "connect", "self": "alice", "opponent": "bob"})
        assert alice.recv()["command"] == "waiting"
        bob.send({"command": "connect", "self": "bob", "opponent": "alice"})
        assert bob.recv()["command"] == "game_start"
        assert alice.recv()["command"] == "game_start"

        after = scrape(running.metrics_address)
    finally:
        for peer in peers:
            peer.sock.close()

    def value(name: str, **labels: str) -> float:
        return after[(name, tuple(sorted(labels.items())))]

    admitted = 6 + 2 + 3  # the junk, the flooder's burst, three connects
    assert value("block_attack_server_datagrams_received_total") == admitted
    # An answer to each refusal, two waiting, two game_start: each read above.
    assert value("block_attack_server_datagrams_sent_total") == 8 + 2 + 2
    for reason in Reason:
        assert value("block_attack_server_refusals_total", reason=str(reason)) == \
            expected_reasons.get(reason, 0), reason
    assert value("block_attack_server_rate_limited_total") == 5
    assert value("block_attack_server_amplification_held_total") == 0  # loopback is trusted
    assert value("block_attack_server_queue_dropped_total") == 0
    assert value("block_attack_server_matches", state="waiting") == 1
    assert value("block_attack_server_matches", state="playing") == 1
    assert value("block_attack_server_matches", state="ended") == 0
    assert value("block_attack_server_players") == 3
    assert value("block_attack_server_addresses") == 7
    # One observation per datagram handled.
    assert value("block_attack_server_datagram_seconds_count") == admitted
    assert value("block_attack_server_datagram_seconds_bucket", le="+Inf") == admitted


def test_every_timer_tick_is_observed(running: RunningServer) -> None:
    assert running.metrics_address is not None
    deadline = time.monotonic() + 10
    ticks = 0.0
    while ticks < 3 and time.monotonic() < deadline:  # a tick every 50 ms
        time.sleep(0.05)
        ticks = scrape(running.metrics_address)[("block_attack_server_tick_seconds_count", ())]
    assert ticks >= 3


def test_readiness_answers_503_while_draining(running: RunningServer) -> None:
    address = running.metrics_address
    assert address is not None
    assert (status(address, "/readyz"), status(address, "/livez")) == (200, 200)
    running.draining = True
    assert (status(address, "/readyz"), status(address, "/livez")) == (503, 200)
    running.draining = False
    assert status(address, "/readyz") == 200
    assert status(address, "/nothing-here") == 404
    running.stop()
    with pytest.raises(urllib.error.URLError):
        status(address, "/livez")


def test_no_metrics_port_by_default() -> None:
    with start_server(ServerSettings(host="127.0.0.1", port=0)) as plain:
        assert plain.metrics_address is None and plain.server.metrics is None


def test_a_taken_metrics_port_fails_the_start_and_frees_the_udp_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            start_server(ServerSettings(host="127.0.0.1", port=0,
                                        metrics_port=taken.getsockname()[1]))


def test_cli_metrics_port_serves_readiness_until_sigterm() -> None:
    with child([*CLI, "server", "--port", "0", "--metrics-port", "0"],
               stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening on udp://127.0.0.1:")
        line = proc.stdout.readline().strip()
        assert line.startswith("metrics on http://127.0.0.1:") and line.endswith("/metrics")
        port = int(line.removesuffix("/metrics").rsplit(":", 1)[1])
        assert status(("127.0.0.1", port), "/readyz") == 200
        assert ("block_attack_server_datagrams_received_total", ()) in scrape(("127.0.0.1", port))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
