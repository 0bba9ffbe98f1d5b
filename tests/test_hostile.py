"""The server on a hostile network: loss and jitter, forged and replayed datagrams, floods,
address changes. Real UDP on loopback; every loop is bounded."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from server.udp import RunningServer, ServerSettings, start_server
from tests.helpers import impaired_pair
from tests.impairment import Impairment
from tests.seed_client import SeedClient, pair

SEED = 20261125


@pytest.fixture
def server() -> Iterator[RunningServer]:
    # Trusting no network: loopback here stands for the public internet (3x rule, cookies).
    running = start_server(ServerSettings(host="127.0.0.1", port=0, match_seconds=30,
                                          trusted_networks=()))
    yield running
    running.stop()


def paired(address: tuple[str, int]) -> tuple[SeedClient, SeedClient]:
    alice, bob = SeedClient(address, "alice"), SeedClient(address, "bob")
    pair(alice, bob)
    return alice, bob


# -- the same match whatever the link ---------------------------------------------------------


def lockstep_match(impairment: Impairment, locks: int = 12) -> dict:
    """Alice and Bob take turns, each locking only once the other's last lock is applied, and
    each uses a power on every 4th lock; so every lock and effect meets the others in one order,
    whatever the network does. Returns what the server ended with."""
    # A grace longer than the match: no effect is forced at a time the network decided.
    settings = ServerSettings(host="127.0.0.1", port=0, match_seconds=8, match_seed=SEED,
                              disconnect_seconds=8, effect_grace_seconds=60)
    with impaired_pair(settings, impairment) as (running, alice, bob, links):
        deadline = time.monotonic() + 20
        while not (alice.end and bob.end) and time.monotonic() < deadline:
            for me, other_ahead in ((alice, 0), (bob, 1)):
                made = len(me.bot.scores) - 1
                turn = me.game.get("opponent_pieces", 0) >= made + other_ahead
                if me.end is None and made < locks and turn and not me.bot.unacked:
                    me.bot.next_lock()
                    if made % 4 == 3 and me.bot.powers:
                        me.bot.pending_power = {"power_used": me.bot.powers[0],
                                                "power_n": me.bot.power_uses}
                        me.bot.power_uses += 1
                me.flux(me.bot.unacked)
                me.drain(0.01)
        assert alice.end and bob.end, "the match did not end"
        (match,) = running.server.service.lobby.matches.values()
        return {
            "made": (len(alice.bot.scores) - 1, len(bob.bot.scores) - 1),
            "fields": [seat.board.field.to_rows() for seat in match.seats],
            "pending": [seat.board.incoming for seat in match.seats],
            "scores": alice.end["score"],
            "winner": alice.end["winner"],
            "ends_agree": alice.end["score"] == bob.end["score"]
            and alice.end["winner"] == bob.end["winner"],
            "effects": [seat.board.last_effect_id for seat in match.seats],
            "rejections": alice.bot.rejections + bob.bot.rejections,
            "dropped": sum(link.counts["up"].dropped + link.counts["down"].dropped
                           for link in links),
        }


def test_loss_and_jitter_change_nothing_in_the_match():
    clean = lockstep_match(Impairment())
    assert clean["made"] == (12, 12) and clean["ends_agree"] and clean["rejections"] == []
    assert sum(clean["effects"]) > 0  # powers were used and landed
    for loss in (0.10, 0.25):
        lossy = lockstep_match(Impairment(loss=loss, duplicate=0.05, delay_ms=50, jitter_ms=40))
        assert lossy["dropped"] > 0
        assert lossy["made"] == clean["made"] and lossy["ends_agree"]
        assert lossy["rejections"] == []
        for key in ("fields", "pending", "scores", "winner", "effects"):
            assert lossy[key] == clean[key], f"{key} differs at {loss:.0%} loss"


# -- seats nobody else can take -----------------------------------------------------------------


def test_forged_tokens_and_names_change_nothing(server):
    alice, bob = paired(server.address)
    mallory = SeedClient(server.address, "mallory")
    try:
        mallory.send({"command": "connect", "self": "mallory"})  # the handshake: no match yet
        assert mallory.recv(1) == {"command": "verify"} and mallory.cookie is not None
        game = alice.game["game_name"]
        before = dict(alice.game)
        for forged in ({"command": "game_flux", "timestamp": 2**52, "game_name": game,
                        "token": "A" * 22, "locks": []},
                       {"command": "leave", "timestamp": 2**52, "game_name": game,
                        "token": "B" * 22},
                       {"command": "game_flux", "timestamp": 2**52, "game_name": game},
                       {"command": "connect", "self": "bob", "game_name": game,
                        "pad": "." * 400},
                       {"command": "connect", "self": "bob", "game_name": game,
                        "token": alice.game["token"][:-1] + "x", "pad": "." * 400}):
            mallory.send(forged)
            reply = mallory.recv(1)
            assert reply is not None and reply["command"] == "error"
            assert reply["reason"] in ("bad_token", "name_taken")
        alice.flux()
        alice.drain(0.2)
        assert alice.end is None and alice.game["user_blocks"] == before["user_blocks"]
        assert alice.game["opponent"] == "bob"
    finally:
        for client in (alice, bob, mallory):
            client.close()


def test_replayed_datagram_from_another_address_moves_nothing(server):
    alice, bob = paired(server.address)
    replayer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    replayer.bind(("127.0.0.1", 0))
    try:
        lock = alice.bot.next_lock()
        datagram = json.dumps({"command": "game_flux", "timestamp": alice.stamp(),
                               "game_name": alice.game["game_name"],
                               "token": alice.game["token"], "locks": [lock]}).encode()
        alice.send(datagram)
        alice.drain(0.2)
        assert alice.game["ack"] == 1
        replayer.sendto(datagram, server.address)  # a captured datagram, replayed: stale
        replayer.settimeout(0.5)
        with pytest.raises(TimeoutError):  # no answer to a stale datagram from elsewhere
            replayer.recvfrom(65536)
        (match,) = server.server.service.lobby.matches.values()
        assert match.find_seat("alice").address == alice.sock.getsockname()
        alice.flux(alice.bot.unacked)
        alice.drain(0.2)
        assert alice.game["ack"] == 1 and alice.end is None
    finally:
        replayer.close()
        alice.close()
        bob.close()


def test_a_reloaded_client_takes_its_seat_back(server):
    alice, bob = paired(server.address)
    for _ in range(3):
        alice.play_step()
        alice.drain(0.05)
    field, ack = alice.game["user_blocks"], alice.game["ack"]
    alice.sock.close()  # the tab goes; a new one (new address) comes back with the token
    again = SeedClient(server.address, "alice")
    try:
        rejoin = {"command": "connect", "self": "alice", "game_name": alice.game["game_name"],
                  "token": alice.game["token"], "pad": "." * 400}
        again.send({**rejoin, "timestamp": again.stamp()})  # a new address proves itself first
        assert again.recv(0.5) == {"command": "verify"}
        again.send({**rejoin, "timestamp": 1000})  # older than alice's last request: ignored
        assert again.recv(0.5) is None
        again.send({**rejoin, "timestamp": again.stamp()})
        start = again.recv(1)
        assert start["command"] == "game_start" and start["user_blocks"] == field
        assert start["ack"] == ack and start["token"] == alice.game["token"]
        bob.flux()
        bob.drain(0.2)
        assert bob.end is None and bob.game.get("opponent_away", False) is False
    finally:
        again.close()
        bob.close()


# -- floods and amplification -------------------------------------------------------------------


def _blast(address: tuple[str, int], datagrams: list[bytes]) -> tuple[int, int]:
    """Send every datagram from one fresh socket; returns (bytes sent, bytes received back)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.3)
    received = 0
    try:
        for data in datagrams:
            sock.sendto(data, address)
        while True:
            try:
                reply, _ = sock.recvfrom(65536)
            except TimeoutError:
                break
            received += len(reply)
    finally:
        sock.close()
    return sum(map(len, datagrams)), received


def test_no_reply_to_an_unverified_address_amplifies(server):
    connect = json.dumps({"command": "connect", "self": "victim"}).encode()
    sent, received = _blast(server.address, [connect] * 20 + [b"x" * 3, b"{}", b"[1]" * 3])
    assert 0 < received <= 3 * sent


def test_a_plain_seed_client_gets_in_by_repeating_connect(server):
    alice = SeedClient(server.address, "alice")
    bob = SeedClient(server.address, "bob")
    try:
        deadline = time.monotonic() + 5
        while "game_name" not in alice.game:  # a verify first, then (cookie echoed) waiting
            assert time.monotonic() < deadline
            alice.send({"command": "connect", "self": "alice", "opponent": "bob"})
            alice.drain(0.1)
        start = bob.connect("alice", pad=0)  # unpadded: the cookie, not padding, lets it in
        assert start["command"] == "game_start"
    finally:
        alice.close()
        bob.close()


def test_a_flood_is_rate_limited_and_the_match_plays_on(server):
    alice, bob = paired(server.address)
    flood = json.dumps({"command": "game_flux", "timestamp": 1, "game_name": "x" * 22,
                        "token": "y" * 22}).encode()
    _blast(server.address, [flood] * 3000)
    guard = server.server.service.guard
    assert guard.counters.rate_limited > 0
    for _ in range(5):
        alice.play_step()
        alice.drain(0.05)
    assert alice.game["ack"] >= 3 and alice.end is None
    alice.close()
    bob.close()


def test_a_token_does_not_prove_an_address_so_it_cannot_amplify(server):
    """A player aiming its own seat at a victim (here: a socket that never echoes the cookie)
    gets the victim at most 3x the bytes sent from there."""
    alice, bob = paired(server.address)
    try:
        requests = [json.dumps({"command": "game_flux", "timestamp": alice.stamp(),
                                "game_name": alice.game["game_name"],
                                "token": alice.game["token"]}).encode() for _ in range(40)]
        sent, received = _blast(server.address, requests)
        assert 0 < received <= 3 * sent
    finally:
        alice.close()
        bob.close()


def test_the_operator_sees_what_the_server_refused(server):
    _blast(server.address, [b"{}", b"[1, 2]", b"nope"])
    time.sleep(0.1)
    summary = server.summary()
    assert "3 refused" in summary and "unknown_command 1" in summary
    assert "not_object 1" in summary and "bad_json 1" in summary
