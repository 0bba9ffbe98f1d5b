"""Scripted matches for the replay vectors and tests: two scripted players (tests/bots.py) play
through a real `Match` on a clock the script moves, requests parsed by the real protocol, and
the match's own replay is the result. Deterministic: the same script gives the same bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from server.match import Match, MatchSettings, MatchState
from server.protocol import decode, encode_reply
from server.replay import load
from server.replay_verify import verify
from server.rules.effects import EffectKind
from tests.bots import Bot

Json = Any
STEP_MS = 250  # the script's clock step: each player may lock once a step


@dataclass(frozen=True)
class Script:
    name: str
    seed: int
    match_ms: int = 20_000
    strategies: tuple[str, str] = ("best", "best")
    use_powers: bool = False
    starting_powers: tuple[EffectKind, ...] = ()
    idle: tuple[int, int] | None = None  # (from, to) ms: the second player sends nothing
    effect_grace_ms: int = 5_000


def play(script: Script) -> bytes:
    """Play `script` to its end; the match's replay file."""
    settings = MatchSettings(match_ms=script.match_ms, effect_grace_ms=script.effect_grace_ms,
                             starting_powers=script.starting_powers)
    match = Match(f"vector-{script.name}", script.seed, None, settings, now=0)
    bots = [Bot(strategy=s, use_powers=script.use_powers) for s in script.strategies]
    names = ("alice", "bob")
    stamps = [0, 0]
    for p, name in enumerate(names):
        _learn(match, bots, match.connect(name, ("script", p), None, f"token{p}", 0))
    now = 0
    while match.state == MatchState.PLAYING:
        now += STEP_MS
        _learn(match, bots, match.tick(now))
        for p, bot in enumerate(bots):
            if match.state != MatchState.PLAYING:
                break
            if p == 1 and script.idle and script.idle[0] <= now < script.idle[1]:
                continue
            if len(bot.unacked) < 2:
                bot.next_lock()
            stamps[p] += 1
            seat = match.seats[p]
            request = {"command": "game_flux", "timestamp": stamps[p],
                       "game_name": match.game_name, "token": seat.token,
                       "locks": bot.unacked, **bot.power_fields()}
            flux = decode(json.dumps(request).encode())
            _learn(match, bots, match.handle_flux(seat, flux, now, seat.address))
    replay = match.take_replay()
    assert replay is not None
    return replay


def _learn(match: Match, bots: list[Bot], outgoing: list) -> None:
    for item in outgoing:
        msg = json.loads(encode_reply(item.reply, 1))
        if msg["command"] in ("game_start", "game_flux"):
            bots[match.seats.index(item.seat)].learn(msg)


SCRIPTS = (
    Script("quiet", seed=5, strategies=("peaceful", "peaceful"), match_ms=12_000),
    Script("battle", seed=11, use_powers=True,
           starting_powers=(EffectKind.ADD_LINE, EffectKind.QUAKE, EffectKind.SWITCH,
                            EffectKind.NUKE, EffectKind.GRAVITY, EffectKind.CLEAR_LINE),
           idle=(2_000, 11_500), match_ms=18_000),
    Script("tower", seed=3, strategies=("best", "tower"), match_ms=60_000),
)


def replay_vectors() -> list[Json]:
    cases = []
    for script in SCRIPTS:
        doc = load(play(script))
        verdict = verify(doc)
        assert verdict.ok, verdict.mismatch
        result = doc["result"]
        cases.append({
            "name": script.name,
            "replay": doc,
            "final": {"winner": result["winner"], "reason": result["reason"],
                      "score": result["score"],
                      "fields": [{"field": b["field"], "hidden": b["hidden"]}
                                 for b in result["boards"]]},
        })
    return cases
