"""The service as a cluster node and while draining, without sockets: the directory is a fake
that answers as server/directory.py's would (tests/test_cluster.py runs the real one)."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.directory import DirectoryUnavailable, Elsewhere, Node, least_loaded, pair_key
from tests.helpers import ALICE, BOB, CAROL, Harness

OTHER = Node("b", "127.0.0.1:9002", load=0)


@dataclass
class FakeDirectory:
    node_id: str = "a"
    owners: dict[str, str] = field(default_factory=dict)  # game_name -> node id
    pairs: dict[str, Elsewhere] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=lambda: {"b": OTHER})
    up: bool = True
    claims: list[tuple[str, tuple[str, str] | None]] = field(default_factory=list)

    def _check(self) -> None:
        if not self.up:
            raise DirectoryUnavailable

    def elsewhere(self) -> Node | None:
        return least_loaded(self.nodes, besides=self.node_id)

    def owner(self, game_name: str) -> Node | None:
        self._check()
        return self.nodes.get(self.owners.get(game_name, ""))

    def claim(self, game_name, pair, lifetime_ms, waiting_ms) -> Elsewhere | None:
        self._check()
        self.claims.append((game_name, pair))
        if pair is not None and pair_key(*pair) in self.pairs:
            return self.pairs[pair_key(*pair)]
        self.owners[game_name] = self.node_id
        return None


def node(**settings: float) -> tuple[Harness, FakeDirectory]:
    h = Harness(**settings)
    directory = FakeDirectory()
    h.service.directory = directory
    return h, directory


REDIRECT = {"command": "redirect", "node": "b", "address": "127.0.0.1:9002"}


def test_a_new_match_is_claimed_in_the_directory_under_the_name_it_gets() -> None:
    h, directory = node()
    waiting = h.only(ALICE, {"command": "connect", "self": "alice"})
    assert waiting["command"] == "waiting"
    assert directory.claims == [(waiting["game_name"], None)]
    # its repeats find the same match and claim nothing more
    h.only(ALICE, {"command": "connect", "self": "alice"})
    assert len(directory.claims) == 1


def test_a_connect_for_a_match_of_another_node_is_redirected_there() -> None:
    h, directory = node()
    directory.owners["Xk3elsewhere"] = "b"
    reply = h.only(BOB, {"command": "connect", "self": "bob", "game_name": "Xk3elsewhere"})
    assert reply == REDIRECT
    assert h.service.counters.redirected == 1
    # a name nobody owns is unknown, as on a lone server
    assert h.only(BOB, {"command": "connect", "self": "bob", "game_name": "nobody"})["reason"] \
        == "unknown_game"


def test_a_challenge_whose_pair_waits_on_another_node_is_redirected_and_makes_nothing() -> None:
    h, directory = node()
    directory.pairs[pair_key("alice", "bob")] = Elsewhere(OTHER, "G")
    reply = h.only(BOB, {"command": "connect", "self": "bob", "opponent": "alice"})
    assert reply == REDIRECT
    assert h.service.lobby.matches == {}


def test_a_challenge_that_wins_the_pair_is_made_here_and_its_answer_joins_it() -> None:
    h, directory = node()
    waiting = h.only(ALICE, {"command": "connect", "self": "alice", "opponent": "bob"})
    assert directory.claims == [(waiting["game_name"], ("alice", "bob"))]
    start = h.only(BOB, {"command": "connect", "self": "bob", "opponent": "alice"})
    assert start["command"] == "game_start"
    assert start["game_name"] == waiting["game_name"]
    assert len(directory.claims) == 1  # the answer found the local match: no second claim


def test_with_the_directory_away_no_new_match_is_made_but_running_ones_play_on() -> None:
    h, directory = node()
    alice, bob = h.start()
    directory.up = False
    refused = h.only(CAROL, {"command": "connect", "self": "carol", "opponent": "dave"})
    assert refused["command"] == "error"
    assert refused["reason"] == "directory_unavailable"
    assert len(h.service.lobby.matches) == 1
    flux = h.flux(ALICE, alice)
    assert [msg["command"] for _, msg in flux] == ["game_flux"]
    # a rejoin names its match, which this node holds: no directory needed
    again = h.only(BOB, {"command": "connect", "self": "bob", "game_name": bob["game_name"],
                         "token": bob["token"], "timestamp": h.stamp(BOB)})
    assert again["command"] == "game_start"


def test_a_lone_server_draining_refuses_new_matches_but_serves_running_ones() -> None:
    h = Harness()
    _, bob = h.start()
    h.service.drain()
    refused = h.only(CAROL, {"command": "connect", "self": "carol"})
    assert (refused["command"], refused["reason"]) == ("error", "server_shutdown")
    assert len(h.service.lobby.matches) == 1
    assert h.service.playing() == 1
    assert [msg["command"] for _, msg in h.flux(BOB, bob)] == ["game_flux"]


def test_a_draining_node_sends_new_matches_to_another_node() -> None:
    h, directory = node()
    h.service.drain()
    assert h.only(CAROL, {"command": "connect", "self": "carol"}) == REDIRECT
    directory.nodes = {"b": Node("b", OTHER.address, draining=True)}
    refused = h.only(CAROL, {"command": "connect", "self": "carol"})
    assert refused["reason"] == "server_shutdown"


def test_shut_down_ends_every_match_with_server_shutdown_and_no_winner() -> None:
    h = Harness()
    h.start()
    waiting = h.only(CAROL, {"command": "connect", "self": "carol"})
    ends = h.received(h.service.shut_down(h.clock.ms))
    assert sorted(address for address, _ in ends) == sorted([ALICE, BOB, CAROL])
    for _, msg in ends:
        assert (msg["command"], msg["reason"], msg["winner"]) == (
            "game_end", "server_shutdown", None)
    assert h.service.playing() == 0
    # later requests for those matches still hear how they ended
    late = h.only(CAROL, {"command": "connect", "self": "carol",
                          "game_name": waiting["game_name"], "token": waiting["token"],
                          "timestamp": h.stamp(CAROL)})
    assert late["reason"] == "server_shutdown"
