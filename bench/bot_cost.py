"""What the computer opponent costs the human matches: the server's own time per human request
(handle and timer ticks, bots' searches included) with 10% of the matches against a bot, against
the same load with none, in the same run (rounds alternate; medians reported).

In process, without sockets: a GameService driven at a simulated clock in 50 ms ticks, so only
the server's work is timed, not the players'. Every human replays the capacity bench's
attack-free script (bench/script.py) with one lock per request every 100 ms; the bots play Hard
(3 pieces a second, hold and attack weighed: the dearest search). The effect grace is long, so
the bot's garbage waits in its opponent's queue and never breaks that player's script.
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from dataclasses import dataclass

from bench.script import LockScript, build_script
from server.service import GameService, ServerSettings

TICK_MS = 50
REQUEST_MS = 100  # each human's game_flux: one new lock each
NOW = 1_764_000_000_000


@dataclass(frozen=True)
class BotCost:
    matches: int
    bot_share: float
    per_request_s: float  # the server's CPU time per human request, everything included
    requests: int  # human requests a round
    search_ms: float  # the bots' mean time per placement search
    most_tick_ms: float  # their largest search time in one tick (the budget: 2 ms)


@dataclass
class _Human:
    address: tuple[str, int]
    name: str
    opponent: str
    game: dict | None = None
    n: int = 0
    stamp: int = 0


def _round(script: LockScript, matches: int, bots: int, seconds: float) -> BotCost:
    svc = GameService(ServerSettings(match_seed=script.seed, effect_grace_seconds=1e6,
                                     match_seconds=seconds + 5), secret=b"bench",
                      rng=random.Random(1), lock_factory=threading.Lock,
                      bot_clock=time.thread_time)  # CPU time: the machine is shared
    humans = []
    for k in range(matches):
        a = _Human(("127.0.0.1", 20000 + 2 * k), f"p{k}a", f"p{k}b")
        if k < bots:
            a.opponent = "bot:hard"
            humans.append(a)
        else:
            humans += [a, _Human(("127.0.0.1", 20001 + 2 * k), f"p{k}b", f"p{k}a")]
    spent = 0.0
    now = NOW
    for human in humans:
        data = json.dumps({"command": "connect", "self": human.name,
                           "opponent": human.opponent}).encode()
        started = time.thread_time()
        svc.admit(human.address, len(data), now)
        out = svc.handle(data, human.address, now)
        spent += time.thread_time() - started
        for reply, _to in out:
            msg = json.loads(reply)
            if msg["command"] == "game_start":
                for other in humans:  # both players of a pair learn at once
                    if other.name == msg["self"]:
                        other.game = msg
    assert all(human.game is not None for human in humans), "every match started"
    spent, requests = 0.0, 0
    steps = round(seconds * 1000 / TICK_MS)
    for step in range(steps):
        now += TICK_MS
        started = time.thread_time()
        svc.tick(now)
        spent += time.thread_time() - started
        for k, human in enumerate(humans):
            if (step + k) % (REQUEST_MS // TICK_MS) or human.n >= len(script):
                continue
            assert human.game is not None
            human.stamp += 1
            lock = script.locks[human.n].wire_json
            data = (f'{{"command":"game_flux","timestamp":{NOW + human.stamp},"game_name":'
                    f'"{human.game["game_name"]}","token":"{human.game["token"]}",'
                    f'"locks":[{lock}]}}').encode()
            started = time.thread_time()
            if svc.admit(human.address, len(data), now):
                svc.handle(data, human.address, now)
            spent += time.thread_time() - started
            requests += 1
            human.n += 1
    stats = svc.bots.stats
    assert stats.refused == 0
    return BotCost(matches, bots / matches, spent / requests, requests,
                   stats.total_ms / max(1, stats.searches), stats.most_tick_ms)


def bench_bot_cost(matches: int = 100, share: float = 0.1, seconds: float = 10.0,
                   rounds: int = 3) -> tuple[BotCost, BotCost]:
    """(none against bots, `share` against bots): medians of alternating rounds."""
    script = build_script(2, round(seconds * 1000 / REQUEST_MS) + 1)
    bots = round(matches * share)
    plain, mixed = [], []
    for _ in range(rounds):
        plain.append(_round(script, matches, 0, seconds))
        mixed.append(_round(script, matches, bots, seconds))

    def median(results: list[BotCost]) -> BotCost:
        ordered = sorted(results, key=lambda result: result.per_request_s)
        middle = ordered[len(ordered) // 2]
        per = statistics.median(result.per_request_s for result in results)
        search = statistics.median(result.search_ms for result in results)
        most = max(result.most_tick_ms for result in results)
        return BotCost(middle.matches, middle.bot_share, per, middle.requests, search, most)

    return median(plain), median(mixed)
