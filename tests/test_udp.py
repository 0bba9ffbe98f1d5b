"""Whole matches over real UDP on loopback, against the threaded server."""

from __future__ import annotations

import gc
import json
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from server.udp import ServerSettings, _Collector, start_server
from server.wire import GC_FULL_SECONDS
from tests.helpers import CLI, child
from tests.seed_client import SeedClient, pair


@pytest.fixture
def clients() -> Iterator:
    made: list[SeedClient] = []

    def _make(server: tuple[str, int], name: str, strategy: str = "best") -> SeedClient:
        client = SeedClient(server, name, strategy)
        made.append(client)
        return client

    yield _make
    for client in made:
        client.close()


def play_until_end(players: list[SeedClient], seconds: float, step: float = 0.03) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(p.end for p in players):
        for player in players:
            player.play_step() if player.end is None else player.flux()
            player.drain(step)
    assert all(p.end for p in players), "the match did not end in time"


def test_time_up_whole_match(serve, clients):
    server = serve(match_seconds=3)
    alice, bob = clients(server, "alice"), clients(server, "bob")
    pair(alice, bob)
    play_until_end([alice, bob], seconds=10)
    assert alice.end["reason"] == bob.end["reason"] == "time_up"
    assert alice.end["score"] == bob.end["score"]
    scores = alice.end["score"]
    assert alice.bot.score_matches(scores["alice"]) and bob.bot.score_matches(scores["bob"])
    expected = None if scores["alice"] == scores["bob"] else max(scores, key=scores.get)
    assert alice.end["winner"] == bob.end["winner"] == expected
    assert alice.bot.board.locks_applied > 5  # they really played


def test_top_out_whole_match(serve, clients):
    server = serve()
    alice, bob = clients(server, "alice"), clients(server, "bob", strategy="tower")
    pair(alice, bob)
    play_until_end([alice, bob], seconds=15)
    assert alice.end["reason"] == bob.end["reason"] == "top_out"
    assert alice.end["winner"] == bob.end["winner"] == "alice"


def test_disconnect_whole_match(serve, clients):
    server = serve(disconnect_seconds=1)
    alice, bob = clients(server, "alice"), clients(server, "bob")
    pair(alice, bob)
    deadline = time.monotonic() + 5
    while alice.end is None and time.monotonic() < deadline:
        alice.play_step()  # bob has gone silent
        alice.drain(0.05)
    assert alice.end["reason"] == "disconnect" and alice.end["winner"] == "alice"
    assert alice.game.get("opponent_away") is True
    bob.drain(0.3)
    assert bob.end is not None and bob.end["winner"] == "alice"


def test_plain_seed_clients_without_tokens(serve, clients):
    """Exactly the seed's messages plus locks: the seat is found by source address."""
    server = serve(match_seconds=2, require_token=False)
    alice, bob = clients(server, "alice"), clients(server, "bob")
    pair(alice, bob)
    alice.game.pop("token")
    bob.game.pop("token")
    play_until_end([alice, bob], seconds=8)
    assert alice.end["reason"] == "time_up" and alice.bot.board.locks_applied > 3
    assert alice.bot.score_matches(alice.end["score"]["alice"])


def test_a_bare_seed_connect_on_loopback_is_answered_at_once(serve):
    """Loopback is a trusted network by default: no padding, no repeats, no cookie."""
    server = serve()
    alice, bob = SeedClient(server, "alice"), SeedClient(server, "bob")
    try:
        alice.send({"command": "connect", "self": "alice", "opponent": "bob"})
        waiting = alice.recv(2)
        assert waiting is not None and waiting["command"] == "waiting"
        bob.send({"command": "connect", "self": "bob", "opponent": "alice"})
        start = bob.recv(2)
        assert start is not None and start["command"] == "game_start"
        assert alice.cookie is None and bob.cookie is None  # never needed one
    finally:
        alice.close()
        bob.close()


@pytest.mark.parametrize("shell", [{"thread_per_datagram": True}, {"workers": 0},
                                   {"workers": 4}])
def test_every_shell_mode_plays_a_match(serve, clients, shell):
    server = serve(match_seconds=2, **shell)
    alice, bob = clients(server, "alice"), clients(server, "bob")
    pair(alice, bob)
    play_until_end([alice, bob], seconds=8)
    assert alice.end["reason"] == "time_up" and alice.bot.board.locks_applied > 3
    assert alice.bot.score_matches(alice.end["score"]["alice"])


def test_the_full_collection_runs_only_from_the_timer_and_rarely(monkeypatch):
    collected: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation) or 0)
    before = gc.get_threshold()
    collector = _Collector(now=100.0)
    try:
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2] and full > 10**9  # never at an allocation count
        collector.run_due(100.0 + GC_FULL_SECONDS / 2)
        assert collected == []
        collector.run_due(100.0 + GC_FULL_SECONDS)
        collector.run_due(100.0 + GC_FULL_SECONDS * 1.5)
        assert collected == [2]
    finally:
        collector.close()
    assert gc.get_threshold() == before


def test_the_collector_thaws_only_what_it_froze():
    gc.freeze()  # an embedder's start-up objects, frozen before the server's
    frozen = gc.get_freeze_count()
    try:
        collector = _Collector(now=0.0)
        assert gc.get_freeze_count() >= frozen
        collector.close()
        assert gc.get_freeze_count() >= frozen  # still the embedder's
    finally:
        gc.unfreeze()
    collector = _Collector(now=0.0)
    assert gc.get_freeze_count() > 0
    collector.close()
    assert gc.get_freeze_count() == 0  # what it froze alone, given back


def test_only_a_server_that_owns_its_process_takes_the_collector():
    before = gc.get_threshold()
    running = start_server(ServerSettings(host="127.0.0.1", port=0, paced_gc=True))
    try:
        assert gc.get_threshold()[2] > 10**9
    finally:
        running.stop()
    assert gc.get_threshold() == before  # given back
    plain = start_server(ServerSettings(host="127.0.0.1", port=0))  # embedders' and tests'
    try:
        assert gc.get_threshold() == before
    finally:
        plain.stop()


def test_a_server_that_fails_to_start_leaves_the_collector_alone():
    before = gc.get_threshold()
    with socket.socket() as taken:  # the operator's endpoints cannot bind: the start fails
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            start_server(ServerSettings(host="127.0.0.1", port=0, paced_gc=True,
                                        metrics_port=taken.getsockname()[1]))
    assert gc.get_threshold() == before


@pytest.mark.parametrize("workers", [0, 1])
def test_a_full_queue_drops_unread_and_counts(serve, workers):
    """No room in the queue (size 0 here): admitted datagrams are dropped, counted."""
    running = start_server(ServerSettings(host="127.0.0.1", port=0, workers=workers,
                                          queued_datagrams=0))
    client = SeedClient(running.address, "alice")
    try:
        for _ in range(3):
            client.send({"command": "connect", "self": "alice"})
        assert client.recv(0.5) is None
        assert "3 datagrams in, 0 out" in running.summary()
        assert "3 dropped unread with the queue full" in running.summary()
    finally:
        client.close()
        running.stop()


def test_forged_stale_duplicated_and_reordered(serve, clients):
    server = serve()
    alice, bob = clients(server, "alice"), clients(server, "bob")
    pair(alice, bob)
    empty = ["." * 10] * 20
    alice.flux(user_score=999999, user_blocks=["GGGGGGGGG."] * 20, powers_available=["nuke"])
    alice.drain(0.2)
    assert alice.game["user_score"] == 0 and alice.game["user_blocks"] == empty
    # An old datagram carrying a lock arrives after a newer one: it changes nothing.
    first = alice.bot.next_lock()
    old = {"timestamp": alice.stamp(), "command": "game_flux", "game_name": alice.game["game_name"],
           "token": alice.game["token"], "locks": [first]}
    alice.flux([])
    alice.send(json.dumps(old).encode())
    alice.drain(0.2)
    assert alice.game["ack"] == 0 and alice.game["user_blocks"] == empty
    # The same lock, sent three times in fresh datagrams, applies once.
    for _ in range(3):
        alice.flux([first])
    alice.drain(0.3)
    assert alice.game["ack"] == 1
    assert alice.game["user_blocks"] == alice.bot.board.field.to_rows() != empty
    bob.drain(0.1)
    assert bob.game["opponent_blocks"] == alice.game["user_blocks"]  # pushed, unasked


def test_garbage_while_a_match_runs(serve, clients):
    server = serve(match_seconds=3)
    alice, bob = clients(server, "alice"), clients(server, "bob")
    pair(alice, bob)
    rng = random.Random(7)
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.bind(("127.0.0.1", 0))
    stranger.settimeout(0.5)
    garbage = [b"\xff" * 40, b"[" * 1000, b"{}" * 10, b"x" * 1500, b'{"command":"nuke"}',
               json.dumps({"timestamp": 1, "command": "game_flux",
                           "game_name": alice.game["game_name"], "locks": "all"}).encode(),
               json.dumps({"timestamp": 2**60, "command": "game_flux",
                           "game_name": alice.game["game_name"]}).encode()]
    garbage += [rng.randbytes(rng.randint(20, 300)) for _ in range(20)]
    replies = 0
    try:
        for data in garbage:
            stranger.sendto(data, server)
            try:
                reply, _ = stranger.recvfrom(65536)
            except TimeoutError:
                continue  # silence is allowed when an error would be larger than the request
            replies += 1
            assert len(reply) <= len(data) and json.loads(reply)["command"] == "error"
            alice.play_step()
            alice.drain(0.01)
    finally:
        stranger.close()
    assert replies >= len(garbage) // 2
    play_until_end([alice, bob], seconds=10)
    assert alice.end["reason"] == "time_up"
    assert alice.bot.score_matches(alice.end["score"]["alice"])


def test_cli_server_prints_address_and_stops_on_sigterm():
    with child([*CLI, "server", "--port", "0", "--match-seconds", "5"],
               stderr=subprocess.PIPE) as proc:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on udp://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        client = SeedClient(("127.0.0.1", port), "alice")
        try:
            client.send({"command": "connect", "self": "alice", "opponent": "bob",
                         "pad": "." * 400})
            assert client.recv(2)["command"] == "waiting"
        finally:
            client.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "stopped" in proc.stdout.read()


# A server whose start is followed at once by SIGTERM, as a service manager may send it: the
# signal lands before the banner, so only handlers installed before the start catch it.
_SIGTERM_AT_START = """
import os, signal, sys
import block_attack.cli as cli
start = cli.start_server
def started(settings):
    running = start(settings)
    os.kill(os.getpid(), signal.SIGTERM)
    return running
cli.start_server = started
sys.exit(cli.main(["server", "--port", "0"]))
"""


def test_cli_server_sigterm_as_soon_as_it_starts_still_drains():
    done = subprocess.run([sys.executable, "-c", _SIGTERM_AT_START], capture_output=True,
                          text=True, timeout=20)
    assert done.returncode == 0, done.stderr  # not -15: killed before its handlers
    assert "stopped" in done.stdout


def test_cli_flags_reach_the_server_settings():
    from block_attack.cli import _server_settings, build_parser

    def settings(*argv: str) -> ServerSettings:
        return _server_settings(build_parser().parse_args(["server", *argv]))

    default = settings()
    assert default.match_seed is None and default.workers == 0  # the reading thread serves
    assert not default.thread_per_datagram
    assert default.paced_gc  # the command line's server owns its process
    assert [str(n) for n in default.trusted_networks] == ["127.0.0.0/8", "::1/128"]
    chosen = settings("--seed", "7", "--workers", "3", "--thread-per-datagram",
                      "--trusted-networks", "none")
    assert (chosen.match_seed, chosen.workers, chosen.thread_per_datagram) == (7, 3, True)
    assert chosen.trusted_networks == ()
    assert [str(n) for n in settings("--trusted-networks", "10.0.0.0/8, fd00::/8")
            .trusted_networks] == ["10.0.0.0/8", "fd00::/8"]


@pytest.mark.parametrize("argv", [["--port", "70000"], ["--match-seconds", "-1"],
                                  ["--match-seconds", "soon"], ["--port", "x"],
                                  ["--max-matches", "0"], ["--starting-powers", "laser"],
                                  ["--effect-grace-seconds", "nan"],
                                  ["--trusted-networks", "10.0.0.1/8"],
                                  ["--trusted-networks", "localhost"], ["--workers", "-1"],
                                  ["--workers", "many"], ["--seed", "-1"], ["--seed", "x"]])
def test_cli_rejects_bad_flags(argv):
    result = subprocess.run([sys.executable, "-m", "block_attack.cli", "server", *argv],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "error:" in result.stderr
    assert argv[0] in result.stderr  # the error names the flag
