"""Battles over lossy links: every lock and every effect applied exactly once."""

from __future__ import annotations

import time

import pytest

from server.rules.board import replay
from server.rules.effects import EffectKind
from server.udp import ServerSettings
from tests.helpers import impaired_pair
from tests.impairment import Impairment


def play_battle(impairment: Impairment, seconds: float, seed: int):
    settings = ServerSettings(host="127.0.0.1", port=0, match_seconds=seconds,
                              record_history=True)
    with impaired_pair(settings, impairment, seed, use_powers=True) as (running, alice, bob,
                                                                        links):
        (match,) = running.server.service.lobby.matches.values()
        deadline = time.monotonic() + seconds + 10
        while time.monotonic() < deadline and not (alice.end and bob.end):
            for player in (alice, bob):
                player.play_step() if player.end is None else player.flux()
                player.drain(0.02)
        assert alice.end and bob.end, "the match did not end"
        return running, match, alice, bob, links


@pytest.mark.parametrize(
    "impairment",
    [Impairment(), Impairment(loss=0.2, duplicate=0.1, delay_ms=20, jitter_ms=15)],
    ids=["clean", "20%-loss"],
)
def test_every_lock_and_effect_applies_exactly_once(impairment):
    _running, match, alice, bob, links = play_battle(impairment, seconds=6, seed=11)
    assert alice.end["winner"] == bob.end["winner"] and alice.end["score"] == bob.end["score"]
    for client in (alice, bob):
        seat = match.find_seat(client.name)
        board = seat.board
        # Replaying what the server did, in its order, rebuilds the same board: every lock and
        # effect went in once, at one point.
        again = replay(board.history, match.sequence)
        assert (again.field, again.score, again.fx, again.incoming, again.locks_applied) == (
            board.field, board.score, board.fx, board.incoming, board.locks_applied)
        received = [item for kind, item in board.history if kind == "receive"]
        assert [effect.id for effect in received] == list(range(1, len(received) + 1))
        # The client predicted exactly what the server did: no lock of its was refused.
        assert client.bot.rejections == []
        assert client.bot.score_matches(client.end["score"][client.name])
        assert board.locks_applied > 10
    # Each power use was applied once (a use makes one effect; a switch one on each field).
    for user in (alice, bob):
        seat = match.find_seat(user.name)
        made = [item for s in match.seats for kind, item in s.board.history
                if kind == "receive" and item.source == user.name
                and item.kind is not EffectKind.GARBAGE]
        uses = len(made) - sum(1 for e in made if e.kind is EffectKind.SWITCH) // 2
        assert uses == seat.power_uses
        assert user.bot.power_uses - 1 <= seat.power_uses <= user.bot.power_uses
    if impairment.loss:
        assert all(link.counts["up"].dropped and link.counts["down"].dropped for link in links)
    total_effects = sum(len([k for k, _ in s.board.history if k == "receive"])
                        for s in match.seats)
    assert total_effects > 0  # the battle really happened
