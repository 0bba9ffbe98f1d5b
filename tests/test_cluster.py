"""A cluster of real processes on loopback: redis-server, two `block-attack server` nodes with
`--directory`, and two `block-attack bridge`s routing through it (docs/operations.md "A
cluster"). Matches are short; every wait is bounded."""

from __future__ import annotations

import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from server.directory import match_key, node_key
from tests.cluster import (
    Browser,
    Process,
    UdpClient,
    directory,
    host_port,
    running,
    start_bridge,
    start_node,
    start_redis,
    start_server,
    wait_for,
)


@dataclass
class Cluster:
    url: str
    redis: Process
    nodes: dict[str, Process]
    bridges: list[str]  # their URLs

    def address(self, node_id: str) -> tuple[str, int]:
        return host_port(self.nodes[node_id].ready)

    def owner(self, game_name: str) -> str:
        return directory(self.url).get(match_key(game_name))


@pytest.fixture
def node_args() -> tuple[str, ...]:
    return ("--match-seconds", "30")


@pytest.fixture
def cluster(node_args: tuple[str, ...]) -> Iterator[Cluster]:
    """redis, nodes a and b, and two bridges (a test parametrizes `node_args` for its nodes)."""
    redis_process, url = start_redis()
    with running(redis_process):
        nodes = {node_id: start_node(url, node_id, *node_args) for node_id in ("a", "b")}
        with running(*nodes.values()):
            bridges = [start_bridge("--directory", url) for _ in range(2)]
            with running(*bridges):
                yield Cluster(url, redis_process, nodes, [b.ready for b in bridges])


def play_link(cluster: Cluster) -> tuple[Browser, Browser, dict, dict]:
    """alice opens a match through the first bridge, bob follows its link through the second."""
    alice, bob = Browser(cluster.bridges[0]), Browser(cluster.bridges[1])
    alice.send({"command": "connect", "self": "alice", "opponent": None})
    waiting = alice.receive("waiting")
    bob.send({"command": "connect", "self": "bob", "game_name": waiting["game_name"]})
    return alice, bob, alice.receive("game_start"), bob.receive("game_start")


def test_an_invite_link_through_another_bridge_reaches_the_node_that_owns_the_match(
    cluster: Cluster,
) -> None:
    alice, bob, alice_start, bob_start = play_link(cluster)
    assert alice_start["game_name"] == bob_start["game_name"]
    assert (alice_start["opponent"], bob_start["opponent"]) == ("bob", "alice")
    assert cluster.owner(alice_start["game_name"]) in cluster.nodes
    # the page never sees the directory's business
    assert "redirect" not in (alice_start["command"], bob_start["command"])
    alice.close()
    bob.close()


def test_a_link_page_asking_another_bridge_about_the_match_hears_from_its_owner(
    cluster: Cluster,
) -> None:
    """A link page's first frame is a probe: it goes to the node that holds the match, not to
    the least-loaded one (which would answer "unknown")."""
    alice = Browser(cluster.bridges[0])
    alice.send({"command": "connect", "self": "alice", "opponent": None})
    game_name = alice.receive("waiting")["game_name"]
    for _ in range(4):  # each a fresh page, so each asks the route afresh
        page = Browser(cluster.bridges[1])
        page.send({"command": "probe", "game_name": game_name})
        info = page.receive("match_info")
        assert (info["game_name"], info["state"]) == (game_name, "waiting")
        page.close()
    alice.close()


def test_a_challenge_by_name_sent_to_two_nodes_meets_on_one(cluster: Cluster) -> None:
    alice, bob = UdpClient(), UdpClient()
    waiting = alice.ask(cluster.address("a"),
                        {"command": "connect", "self": "alice", "opponent": "bob"})
    assert waiting["command"] == "waiting"
    redirect = bob.ask(cluster.address("b"),
                       {"command": "connect", "self": "bob", "opponent": "alice"})
    assert redirect == {"command": "redirect", "node": "a",
                        "address": cluster.nodes["a"].ready}
    start = bob.ask(host_port(redirect["address"]),
                    {"command": "connect", "self": "bob", "opponent": "alice"}, "game_start")
    assert start["game_name"] == waiting["game_name"]
    assert alice.receive("game_start")["opponent"] == "bob"
    # through the bridges, the same pair meets with no hop the page could see
    carol, dave = Browser(cluster.bridges[0]), Browser(cluster.bridges[1])
    carol.send({"command": "connect", "self": "carol", "opponent": "dave"})
    carol_waiting = carol.receive("waiting")
    dave.send({"command": "connect", "self": "dave", "opponent": "carol"})
    assert dave.receive("game_start")["game_name"] == carol_waiting["game_name"]
    for client in (alice, bob, carol, dave):
        client.close()


def test_a_plain_udp_client_asking_the_wrong_node_is_redirected_to_the_owner(
    cluster: Cluster,
) -> None:
    alice, bob = UdpClient(), UdpClient()
    waiting = alice.ask(cluster.address("a"), {"command": "connect", "self": "alice"})
    game = waiting["game_name"]
    assert cluster.owner(game) == "a"
    redirect = bob.ask(cluster.address("b"),
                       {"command": "connect", "self": "bob", "game_name": game})
    assert redirect == {"command": "redirect", "node": "a",
                        "address": cluster.nodes["a"].ready}
    start = bob.ask(host_port(redirect["address"]),
                    {"command": "connect", "self": "bob", "game_name": game}, "game_start")
    assert start["game_name"] == game
    alice.close()
    bob.close()


def test_players_of_a_node_killed_with_sigkill_are_told_server_lost(cluster: Cluster) -> None:
    alice, bob, start, _ = play_link(cluster)
    owner = cluster.owner(start["game_name"])
    cluster.nodes[owner].popen.kill()
    cluster.nodes[owner].wait(5)
    for player in (alice, bob):
        end = player.receive("game_end", timeout=10, keep_alive=True)
        assert (end["reason"], end["winner"], end["game_name"]) == (
            "server_lost", None, start["game_name"])
    assert directory(cluster.url).get(node_key(owner)) is None
    # the next match goes to the node that is left
    carol = Browser(cluster.bridges[0])
    carol.send({"command": "connect", "self": "carol"})
    survivor = next(node_id for node_id in cluster.nodes if node_id != owner)
    assert cluster.owner(carol.receive("waiting")["game_name"]) == survivor
    for player in (alice, bob, carol):
        player.close()


@pytest.mark.parametrize("node_args", [("--match-seconds", "3", "--drain-seconds", "10")])
def test_a_node_sent_sigterm_drains_its_match_and_new_ones_land_elsewhere(
    cluster: Cluster,
) -> None:
    alice, bob, start, _ = play_link(cluster)
    owner = cluster.owner(start["game_name"])
    survivor = next(node_id for node_id in cluster.nodes if node_id != owner)
    cluster.nodes[owner].signal(signal.SIGTERM)
    wait_for(lambda: '"draining":true' in (directory(cluster.url).get(node_key(owner)) or ""))
    # a new match through either bridge, and a plain client asking the draining node, go on
    # to the other node
    carol = Browser(cluster.bridges[1])
    carol.send({"command": "connect", "self": "carol"})
    assert cluster.owner(carol.receive("waiting")["game_name"]) == survivor
    dave = UdpClient()
    redirect = dave.ask(cluster.address(owner), {"command": "connect", "self": "dave"})
    assert redirect["command"] == "redirect"
    assert redirect["node"] == survivor
    # the running match plays on to its end, and the drained node leaves
    for player in (alice, bob):
        end = player.receive("game_end", timeout=10, keep_alive=True)
        assert end["reason"] in ("time_up", "server_shutdown")
    assert cluster.nodes[owner].wait(10) == 0
    for player in (alice, bob, carol):
        player.close()
    dave.close()


def test_a_lone_server_sent_sigterm_ends_what_is_left_with_server_shutdown() -> None:
    node = start_server("--match-seconds", "30", "--drain-seconds", "0.5")
    with running(node):
        alice, bob = UdpClient(), UdpClient()
        address = host_port(node.ready)
        alice.ask(address, {"command": "connect", "self": "alice", "opponent": "bob"}, "waiting")
        bob.ask(address, {"command": "connect", "self": "bob", "opponent": "alice"},
                "game_start")
        node.signal(signal.SIGTERM)
        for player in (alice, bob):
            end = player.receive("game_end", timeout=5)
            assert (end["reason"], end["winner"]) == ("server_shutdown", None)
        assert node.wait(5) == 0
        alice.close()
        bob.close()


@pytest.mark.parametrize("node_args", [("--match-seconds", "3")])
def test_with_redis_stopped_mid_match_the_match_finishes(cluster: Cluster) -> None:
    alice, bob, start, _ = play_link(cluster)
    owner = cluster.owner(start["game_name"])
    cluster.redis.stop()
    for player in (alice, bob):
        end = player.receive("game_end", timeout=10, keep_alive=True)
        assert end["reason"] == "time_up"
    # no new match can be paired meanwhile, and the node says why
    carol = UdpClient()
    refused = carol.ask(cluster.address(owner),
                        {"command": "connect", "self": "carol", "opponent": "dave"})
    assert (refused["command"], refused["reason"]) == ("error", "directory_unavailable")
    carol.close()
    alice.close()
    bob.close()
    node = cluster.nodes[owner]
    node.stop()
    assert node.log().count("is unreachable") == 1


def readiness(bridge_url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(bridge_url + "readyz", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_a_routing_bridge_is_ready_while_the_directory_lists_a_node(cluster: Cluster) -> None:
    # Its readiness asks the directory, not --server (which it does not use, and where nothing
    # listens here): one live node is enough, none is not.
    for bridge in cluster.bridges:
        assert readiness(bridge) == (200, "ready")
    for node in cluster.nodes.values():
        node.stop()  # its key goes with it
    _, reason = wait_for(lambda: (r := readiness(cluster.bridges[0]))[0] == 503 and r)
    assert "no live game server node" in reason
