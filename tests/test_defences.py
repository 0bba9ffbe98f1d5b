"""What no stranger can do to the server (issue 9, the server's side): leave state behind from an
unproven address, fill the match table from one address, crowd running matches out of the
workers, or take a seat whose token it never had. The service without sockets (tests/helpers.py's
Harness), and the shell's two queues with a real socket but no traffic."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from server.lobby import holder
from server.udp import GameServer, ServerSettings, _Queues
from tests.helpers import ALICE, BOB, CAROL, Harness

FAR = ("203.0.113.7", 50001)  # documentation addresses: never trusted
FAR_TOO = ("203.0.113.7", 50002)  # the same IP, another port
ELSEWHERE = ("198.51.100.9", 50001)
KEY = "k" * 22  # a client's own secret for its seat (connect's `key`)
OTHER_KEY = "o" * 22


def connect(name: str, opponent: str | None = None, **extra) -> dict:
    return {"command": "connect", "self": name, "opponent": opponent, **extra}


def untrusted(**settings) -> Harness:
    return Harness(trusted_networks=(), **settings)


def bare(h: Harness, address, msg: dict) -> list[tuple[tuple, dict]]:
    """One unpadded datagram, no cookie added: what a forged or first datagram looks like."""
    return h.received(h.datagram(json.dumps(msg).encode(), address))


def proven(h: Harness, *addresses) -> Harness:
    """Each address takes the handshake's `verify`; the Harness echoes its cookie from now on."""
    for address in addresses:
        assert [reply for _, reply in bare(h, address, connect("x"))] == [{"command": "verify"}]
    return h


def tokens_in(replies: list[tuple[tuple, dict]]) -> set[str]:
    return {reply["token"] for _, reply in replies if "token" in reply}


# -- unproven addresses get no lasting state --------------------------------------------------


@pytest.mark.parametrize("msg", [connect("alice"), connect("alice", "bob"),
                                 connect("bob", game_name="g" * 22)])
def test_an_unproven_connect_creates_nothing_and_gets_only_verify(msg):
    h = untrusted()
    data = json.dumps(msg).encode()
    ((reply, to),) = h.datagram(data, FAR)
    assert to == FAR and reply.startswith(b'{"cookie":"')  # the cookie first, as always
    assert json.loads(reply) == {"cookie": h.service.cookie_for(FAR), "command": "verify"}
    assert len(reply) <= 3 * len(data)  # within the anti-amplification budget
    assert h.service.lobby.matches == {} and h.service.counters.challenged == 1
    assert "1 connects from unproven addresses answered with verify alone" in h.service.summary()


def test_after_echoing_its_cookie_an_unproven_address_gets_in():
    h = untrusted()
    (verify,) = [reply for _, reply in bare(h, FAR, connect("alice"))]
    assert verify == {"command": "verify"}  # Harness keeps the cookie it took off
    waiting = h.only(FAR, connect("alice"))  # the same connect, now with the cookie echoed
    assert waiting["command"] == "waiting" and len(h.service.lobby.matches) == 1


def test_a_wrong_cookie_proves_nothing_and_creates_nothing():
    h = untrusted()
    replies = bare(h, FAR, connect("alice", cookie="x" * 22))
    assert [reply["command"] for _, reply in replies] == ["verify"]
    assert h.service.lobby.matches == {}


def test_a_bare_connect_from_a_trusted_network_gets_in_at_once():
    h = Harness()  # loopback is trusted by default
    ((_, waiting),) = bare(h, ALICE, connect("alice"))
    assert waiting["command"] == "waiting" and h.service.counters.challenged == 0


# -- caps count what an address really holds --------------------------------------------------


def _play_one(h: Harness, host, guest, k: int) -> dict:
    """`host` opens a match and `guest` takes its other seat: it is running."""
    waiting = h.only(host, connect(f"host{k}"))
    assert waiting["command"] == "waiting", waiting
    start = h.only(guest, connect(f"guest{k}", game_name=waiting["game_name"]))
    assert start["command"] == "game_start", start
    return waiting


def test_running_and_lingering_matches_count_against_the_address():
    h = proven(untrusted(max_matches_per_address=2, linger_seconds=60), FAR, FAR_TOO, ELSEWHERE)
    first = _play_one(h, FAR, FAR_TOO, 0)  # one IP seating both players itself
    _play_one(h, FAR, FAR_TOO, 1)
    leave = {"command": "leave", "timestamp": 2**40, "game_name": first["game_name"],
             "token": first["token"]}
    assert h.only(FAR, leave)["command"] == "game_end"  # ended: it lingers, still held
    refused = h.only(FAR_TOO, connect("host2"))  # another port of the same IP: the same holder
    assert refused["reason"] == "too_many_matches"
    assert h.only(ELSEWHERE, connect("stranger"))["command"] == "waiting"  # others are not
    h.tick(60_000)  # the ended match is forgotten: its place is free again
    assert first["game_name"] not in h.service.lobby.matches
    assert h.only(FAR, connect("host3"))["command"] == "waiting"


def test_a_seat_taken_in_someone_elses_match_counts_too():
    h = proven(untrusted(max_matches_per_address=1), FAR, ELSEWHERE)
    _play_one(h, ELSEWHERE, FAR, 0)  # FAR only joined
    assert h.only(FAR, connect("mine"))["reason"] == "too_many_matches"


def test_the_trusted_networks_are_not_capped_per_address():
    h = Harness(max_matches_per_address=1)  # the bridge is on loopback: all its browsers
    for k, (host, guest) in enumerate([(ALICE, BOB), (BOB, CAROL), (CAROL, ALICE)]):
        _play_one(h, host, guest, k)
    assert len(h.service.lobby.matches) == 3


def test_a_holder_is_an_ip_or_an_ipv6_64():
    assert holder(("203.0.113.7", 1)) == holder(("203.0.113.7", 2)) == "203.0.113.7"
    assert holder(("::ffff:203.0.113.7", 1, 0, 0)) == "203.0.113.7"
    assert holder(("2001:db8:1:2::5", 1, 0, 0)) == holder(("2001:db8:1:2:ffff::9", 1, 0, 0))
    assert holder(("2001:db8:1:2::5", 1, 0, 0)) != holder(("2001:db8:1:3::5", 1, 0, 0))


# -- tokens: never handed to a socket for holding an old port ---------------------------------


def _host_waiting(h: Harness, **extra) -> dict:
    waiting = h.only(ALICE, connect("alice", **extra))
    assert waiting["command"] == "waiting"
    return waiting


@pytest.mark.parametrize("thief_key", [None, OTHER_KEY])
def test_a_new_socket_on_a_keyed_hosts_old_port_gets_neither_token_nor_seat(thief_key):
    h = Harness()
    waiting = _host_waiting(h, key=KEY)
    # The host's tab is gone; a new socket bound to its old port sends a bare connect.
    extra = {} if thief_key is None else {"key": thief_key}
    replies = h.send(ALICE, connect("alice", **extra))
    assert waiting["token"] not in tokens_in(replies)
    ((_, theirs),) = replies
    assert theirs["command"] == "waiting" and theirs["game_name"] != waiting["game_name"]
    seat = h.service.lobby.find(waiting["game_name"]).find_seat("alice")
    assert seat.key == KEY and seat.token == waiting["token"]
    # ...and by the link, with the host's name: the same refusal, no token.
    by_link = h.send(ALICE, connect("alice", game_name=waiting["game_name"], **extra))
    assert [reply["reason"] for _, reply in by_link] == ["name_taken"]


def test_a_challenge_seat_is_not_handed_to_another_socket_either():
    h = Harness()
    waiting = _host_waiting(h, opponent="bob", key=KEY)
    for extra in ({}, {"key": OTHER_KEY}):
        replies = h.send(ALICE, connect("alice", "bob", **extra))
        assert [reply["reason"] for _, reply in replies] == ["name_taken"]
    assert h.only(ALICE, connect("alice", "bob", key=KEY))["token"] == waiting["token"]


def test_the_key_finds_its_own_match_again_from_a_new_address():
    h = Harness()
    waiting = _host_waiting(h, key=KEY)
    again = h.only(CAROL, connect("alice", key=KEY, timestamp=2**40))  # a new socket, same tab
    assert again["game_name"] == waiting["game_name"] and again["token"] == waiting["token"]
    assert h.service.lobby.find(waiting["game_name"]).find_seat("alice").address == CAROL


def test_a_connect_with_the_token_marks_it_shown():
    h = Harness()
    waiting = _host_waiting(h, key=KEY)
    seat = h.service.lobby.find(waiting["game_name"]).find_seat("alice")
    assert not seat.token_shown
    rejoin = connect("alice", game_name=waiting["game_name"], token=waiting["token"])
    assert h.only(ALICE, rejoin)["command"] == "waiting"  # the waiting page's keep-alive
    assert seat.token_shown
    # From now on only the token opens the seat: not its key, not its own address.
    for extra in ({"key": KEY}, {}):
        refused = h.send(ALICE, connect("alice", game_name=waiting["game_name"], **extra))
        assert [reply["reason"] for _, reply in refused] == ["bad_token"]
        assert waiting["token"] not in tokens_in(refused)


def test_a_plain_seed_client_keeps_the_address_fallback_until_its_token_is_shown():
    h = Harness()
    waiting = _host_waiting(h)  # no key: a client written from the seed alone
    again = h.only(ALICE, connect("alice"))  # its repeat (a lost answer): the same match
    assert again["game_name"] == waiting["game_name"] and again["token"] == waiting["token"]
    assert h.only(ALICE, connect("alice", key=KEY))["game_name"] != waiting["game_name"]
    h.only(ALICE, connect("alice", game_name=waiting["game_name"], token=waiting["token"]))
    refused = h.send(ALICE, connect("alice", game_name=waiting["game_name"]))
    assert [reply["reason"] for _, reply in refused] == ["bad_token"]


@pytest.mark.parametrize("key", ["short", "x" * 65, "not/base64url!!!!!!", 12345])
def test_a_bad_key_is_refused_and_changes_nothing(key):
    h = Harness()
    assert h.only(ALICE, connect("alice", key=key))["reason"] == "bad_field"
    assert h.service.lobby.matches == {}


# -- over capacity, the seats of running matches first ----------------------------------------


def test_the_service_knows_where_the_seats_of_running_matches_are():
    h = Harness()
    waiting = h.only(ALICE, connect("alice", "bob"))
    assert not h.service.is_playing(ALICE)  # waiting is not running
    start = dict(h.send(BOB, connect("bob", "alice")))
    assert h.service.is_playing(ALICE) and h.service.is_playing(BOB)
    assert not h.service.is_playing(CAROL)
    move = connect("alice", game_name=waiting["game_name"], token=start[ALICE]["token"],
                   timestamp=2**40)
    h.only(CAROL, move)  # alice's seat moves: so does her priority
    assert h.service.is_playing(CAROL) and not h.service.is_playing(ALICE)
    leave = {"command": "leave", "timestamp": 2**40 + 1, "game_name": waiting["game_name"],
             "token": start[BOB]["token"]}
    h.send(BOB, leave)
    assert not h.service.is_playing(CAROL) and not h.service.is_playing(BOB)


def test_two_queues_serve_the_seats_first_and_shed_the_ordinary_one():
    queues = _Queues(bound=2)
    assert queues.put(((b"o1", None), FAR), playing=False)
    assert queues.put(((b"o2", None), FAR), playing=False)
    assert not queues.put(((b"o3", None), FAR), playing=False)  # full: shed
    assert queues.put(((b"p1", None), ALICE), playing=True)  # the seats' queue has room
    assert [queues.get()[0][0] for _ in range(3)] == [b"p1", b"o1", b"o2"]
    queues.stop(1)
    assert queues.get() is None


def test_without_workers_the_reading_thread_serves_seats_first(monkeypatch):
    """The default shell (no workers): what process_request queued is served by the reading
    thread's own loop, the seats' queue first, the overflow shed and counted."""
    server = GameServer(ServerSettings(host="127.0.0.1", port=0, workers=0, queued_datagrams=2))
    served: list[bytes] = []
    monkeypatch.setattr(server, "serve_datagram", lambda data, address: served.append(data))
    monkeypatch.setattr(server.service, "is_playing", lambda address: address == ALICE)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for data, address in [(b"o1", FAR), (b"o2", FAR), (b"o3", FAR),
                              (b"p1", ALICE), (b"p2", ALICE)]:
            server.process_request((data, sock), address)
        assert served == []  # queued, not served on the spot
        server._handle_request_noblock()  # as serve_forever calls it when the socket is readable
        assert served == [b"p1", b"p2", b"o1", b"o2"]
        assert server.service.counters.overflowed == 1
    finally:
        sock.close()
        server.server_close()


def test_without_workers_a_backlog_is_shed_from_the_socket_not_served_late(monkeypatch):
    """Everything waiting on the socket is read before serving, and what does not fit the queue
    is dropped unread: the backlog is the queue's bound, never the socket buffer's megabytes."""
    server = GameServer(ServerSettings(host="127.0.0.1", port=0, workers=0, queued_datagrams=4))
    served: list[bytes] = []
    monkeypatch.setattr(server, "serve_datagram", lambda data, address: served.append(data))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for k in range(10):
            sender.sendto(b"d%d" % k, server.server_address)
        server._handle_request_noblock()
        assert served == [b"d0", b"d1", b"d2", b"d3"]
        assert server.service.counters.overflowed == 6
        server._handle_request_noblock()  # nothing was left waiting in the socket
        assert len(served) == 4
    finally:
        sender.close()
        server.server_close()


def test_without_workers_a_flood_that_never_pauses_does_not_keep_the_server_from_stopping(
        monkeypatch):
    """The reading thread's serving loop ends at an empty read, which a steady flood never gives:
    shutdown() must still stop it. The flood is simulated (a datagram "read" each round, up to
    `flood` rounds after shutdown was asked); one real datagram makes the socket readable."""
    flood = 200_000
    server = GameServer(ServerSettings(host="127.0.0.1", port=0, workers=0))
    started, asked = threading.Event(), threading.Event()
    after = 0

    def read_batch(limit: int) -> int:
        nonlocal after
        started.set()
        if asked.is_set():
            after += 1
            if after > flood:
                return 0  # the flood ends: the loop would stop by itself now
        server.process_request((b"junk", server.socket), FAR)
        return 1

    monkeypatch.setattr(server, "_read_batch", read_batch)
    monkeypatch.setattr(server, "serve_datagram", lambda data, address: None)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        serving.start()
        sender.sendto(b"wake", server.server_address)
        assert started.wait(5)
        asked.set()
        server.shutdown()  # returns once serve_forever has stopped
        assert after < flood  # stopped mid-flood, not when the flood ended
    finally:
        asked.set()
        after = flood  # a failed assertion still ends the simulated flood
        sender.close()
        serving.join(timeout=5)
        server.server_close()


def test_the_shell_serves_seats_first_when_its_workers_are_busy(monkeypatch):
    """A real GameServer (its socket bound, nothing sent on it): one worker, held busy by the
    first datagram while the reading thread queues the rest, as serve_forever would."""
    server = GameServer(ServerSettings(host="127.0.0.1", port=0, workers=1, queued_datagrams=2))
    busy, release, done = threading.Event(), threading.Event(), threading.Event()
    served: list[bytes] = []

    def serve(data: bytes, address) -> None:
        if not served:
            busy.set()
            assert release.wait(5)
        served.append(data)
        if len(served) == 5:
            done.set()

    monkeypatch.setattr(server, "serve_datagram", serve)
    monkeypatch.setattr(server.service, "is_playing", lambda address: address == ALICE)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        server.process_request((b"first", sock), FAR)
        assert busy.wait(5)
        for data, address in [(b"o1", FAR), (b"o2", FAR), (b"o3", FAR),
                              (b"p1", ALICE), (b"p2", ALICE)]:
            server.process_request((data, sock), address)
        release.set()
        assert done.wait(5)
        assert served == [b"first", b"p1", b"p2", b"o1", b"o2"]  # o3 found the queue full
        counters = server.service.counters
        assert counters.overflowed == 1 and counters.overflowed_seated == 0
    finally:
        release.set()
        sock.close()
        server.server_close()
