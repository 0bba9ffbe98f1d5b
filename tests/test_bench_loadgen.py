"""The capacity bench's load generator speaks the protocol: against a real server, with a few
matches for a few seconds, every scripted lock is judged, accepted and acknowledged, and the
opponent sees it. Correctness only: no speed is asserted (that is `make bench`)."""

from __future__ import annotations

import select

from bench.capacity import node_of
from bench.cluster import node_group
from bench.loadgen import Load, Mode, Player, Tally, make_players, run_step
from bench.script import build_script
from bench.transports import UdpTransport
from server.directory import match_key
from server.rules.bag import PieceSequence
from server.udp import ServerSettings, start_server
from tests.cluster import directory, start_redis

SEED = 2


def play(players: list[Player], nodes: list[tuple[str, int]], tally: Tally) -> None:
    """One bench step over UDP, players 2m and 2m+1 on node m mod len(nodes) as the bench puts
    them; every link closed after."""
    poller = select.epoll()
    try:
        for k, player in enumerate(players):
            player.link = UdpTransport(nodes[node_of(k // 2, len(nodes))], poller)
        run_step(players, Load(len(players) // 2, warmup=0.5, window=2.0, drain=0.5,
                               setup_seconds=10), tally, poller)
    finally:
        for player in players:
            if player.link is not None:
                player.link.close()
        poller.close()


def test_the_script_is_legal_and_sends_no_attack():
    script = build_script(SEED, 30)
    sequence = PieceSequence(SEED)
    assert [lock.wire["n"] for lock in script.locks] == list(range(30))
    assert all(lock.wire["piece"] == str(sequence[lock.wire["i"]]) for lock in script.locks)
    assert script.pieces == tuple(str(sequence[i]) for i in range(14))


def test_scripted_matches_are_judged_and_acknowledged():
    script = build_script(SEED, 20)
    tally = Tally()
    players = make_players(3, script, Mode.GAME, seed=1, tally=tally)
    with start_server(ServerSettings(port=0, match_seed=SEED)) as running:
        play(players, [running.address], tally)
    assert tally.started == len(players) and tally.wrong_pieces == 0
    assert tally.rejected == set() and tally.errors == {} and tally.ended == 0
    assert tally.sent > 0 and tally.answered == tally.sent, "every request got its answer"
    for player in players:
        assert player.made >= 4 and player.ack == player.made, "every lock acknowledged"
        assert player.opponent_seen == player.rival.made, "the opponent saw every lock"
    assert len(tally.views) > 0



def test_a_cluster_step_plays_half_the_matches_on_each_node():
    """The bench's two-node setup: both nodes listed, match m made on node m mod 2 (as the
    directory's match keys say), no redirect, every request answered."""
    script, tally = build_script(SEED, 20), Tally()
    players = make_players(4, script, Mode.GAME, seed=1, tally=tally)
    redis_server, url = start_redis()
    client = directory(url)
    try:
        with node_group(SEED, url, 2) as first:
            play(players, [node.address for node in (first, *first.extra)], tally)
        owners = [client.get(match_key(players[2 * m].game_name)) for m in range(4)]
    finally:
        client.close()
        redis_server.stop()
    assert owners == ["n1", "n2", "n1", "n2"]
    assert tally.started == len(players) and tally.errors == {} and tally.rejected == set()
    assert tally.sent > 0 and tally.answered == tally.sent
