"""Issue 11 over real UDP on loopback, against the threaded server: a rematch, a spectator who
watches a match to its end, a link's state, and a closed tab's short grace."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from server.wire import MAX_DATAGRAM
from tests.bots import Bot


class Peer:
    """One UDP socket speaking JSON to the server; every datagram it reads is checked for size."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(server)
        self.sock.settimeout(0.2)
        self.clock = int(time.time() * 1000)
        self.seen: list[dict] = []

    def stamp(self) -> int:
        self.clock += 1
        return self.clock

    def send(self, message: dict) -> None:
        self.sock.send(json.dumps(message).encode())

    def until(self, want: Callable[[dict], bool], seconds: float = 5.0,
              resend: dict | None = None) -> dict:
        """Read until a message `want`s it (resending `resend` now and then, as a client
        repeats); every message read is kept in `seen`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if resend is not None:
                self.send({**resend, "timestamp": self.stamp()}
                          if "timestamp" in resend else resend)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            assert len(data) <= MAX_DATAGRAM
            message = json.loads(data)
            self.seen.append(message)
            if want(message):
                return message
        raise AssertionError(f"nothing wanted came; seen {[m['command'] for m in self.seen]}")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def peers() -> Iterator[Callable[[tuple[str, int]], Peer]]:
    made: list[Peer] = []

    def _make(server: tuple[str, int]) -> Peer:
        peer = Peer(server)
        made.append(peer)
        return peer

    yield _make
    for peer in made:
        peer.close()


def command(name: str) -> Callable[[dict], bool]:
    return lambda message: message["command"] == name


def pair(alice: Peer, bob: Peer) -> tuple[dict, dict]:
    alice.until(command("waiting"), resend={"command": "connect", "self": "alice",
                                            "opponent": "bob"})
    bob_start = bob.until(command("game_start"), resend={"command": "connect", "self": "bob",
                                                         "opponent": "alice"})
    return alice.until(command("game_start")), bob_start


def flux(peer: Peer, game: dict, **extra) -> dict:
    return {"command": "game_flux", "timestamp": peer.stamp(), "game_name": game["game_name"],
            "token": game["token"], **extra}


def test_a_rematch_over_udp(serve, peers):
    server = serve()
    alice, bob = peers(server), peers(server)
    a_start, b_start = pair(alice, bob)
    bob.send({"command": "leave", "timestamp": bob.stamp(), "game_name": b_start["game_name"],
              "token": b_start["token"]})
    alice.until(command("game_end"))
    bob.until(command("game_end"))
    ask = {"command": "rematch", "game_name": a_start["game_name"], "token": a_start["token"],
           "answer": "ask", "timestamp": 0}
    alice.until(lambda m: m["command"] == "rematch" and m["state"] == "asked", resend=ask)
    asked = bob.until(lambda m: m["command"] == "rematch" and m["state"] == "asked")
    assert asked["from"] == "alice"
    bob.send({"command": "rematch", "timestamp": bob.stamp(), "game_name": b_start["game_name"],
              "token": b_start["token"], "answer": "accept"})
    new_b = bob.until(command("game_start"))
    new_a = alice.until(command("game_start"))
    started = [m for m in bob.seen if m["command"] == "rematch" and m["state"] == "started"]
    assert started and started[0]["next"] == new_b["game_name"] == new_a["game_name"]
    assert new_b["game_name"] != b_start["game_name"] and new_b["token"] != b_start["token"]
    bot = Bot()
    bot.learn(new_a)
    bot.next_lock()
    reply = alice.until(lambda m: m["command"] == "game_flux" and m.get("ack") == 1,
                        resend=flux(alice, new_a, locks=bot.unacked))
    assert reply["game_name"] == new_a["game_name"]


def test_a_spectator_watches_a_match_to_its_end_over_udp(serve, peers):
    server = serve()
    alice, bob, carol = peers(server), peers(server), peers(server)
    a_start, b_start = pair(alice, bob)
    info = carol.until(command("match_info"),
                       resend={"command": "probe", "game_name": a_start["game_name"]})
    assert info["state"] == "running" and info["players"] == ["alice", "bob"]
    carol.until(command("spectate"), resend={"command": "watch", "timestamp": 1,
                                             "game_name": a_start["game_name"]})
    bot = Bot()
    bot.learn(a_start)
    bot.next_lock()
    alice.send(flux(alice, a_start, locks=bot.unacked))
    pushed = carol.until(lambda m: m["command"] == "spectate" and m["players"][0]["pieces"] == 1)
    assert pushed["players"][0]["blocks"] != ["." * 10] * 20
    assert alice.until(lambda m: m.get("watchers") == 1,
                       resend=flux(alice, a_start))["command"] == "game_flux"
    bob.send({"command": "leave", "timestamp": bob.stamp(), "game_name": b_start["game_name"],
              "token": b_start["token"]})
    end = carol.until(command("game_end"))
    assert end["winner"] == "alice" and end["stats"]["alice"]["pieces"] == 1
    ended = carol.until(command("match_info"),
                        resend={"command": "probe", "game_name": a_start["game_name"]})
    assert ended["state"] == "ended" and ended["winner"] == "alice"


def test_a_closed_tab_forfeits_after_the_short_grace_over_udp(serve, peers):
    server = serve(closed_grace_seconds=0.3, disconnect_seconds=10)
    alice, bob = peers(server), peers(server)
    a_start, b_start = pair(alice, bob)
    bob.send({"command": "leave", "timestamp": bob.stamp(), "game_name": b_start["game_name"],
              "token": b_start["token"], "intent": "closed"})
    end = alice.until(command("game_end"), resend=flux(alice, a_start))
    assert end["reason"] == "forfeit" and end["left"] is True and end["winner"] == "alice"
