"""The computer opponent (server/bot.py): a seat like any other, played by the service's timer,
judged like anyone's, within a per-tick search budget and a bound on its matches. No sockets: the
service is fed datagrams and ticks at an accelerated clock."""

from __future__ import annotations

import json
import random

import pytest

from server import bot as bot_module
from server.bot import BOT_HOST, BotSeats
from server.bot_level import LEVELS, BotLevel, Quality, parse_bot
from server.errors import ProtocolError
from server.match import EndReason, Match, MatchState
from server.protocol import Connect, decode
from server.replay_verify import verify_text
from server.rules.effects import Effect, EffectKind
from server.rules.field import Field
from server.service import GameService, ServerSettings, SingleThreadLock
from server.wire import MAX_DATAGRAM, Reason
from tests.bots import Bot

NOW = 1_764_000_000_000
TICK = 50  # ms, as the shell's timer thread (TICK_SECONDS)
HUMAN = ("127.0.0.1", 50001)


class CpuClock:
    """The bots' budget clock, advanced only by their searches: `cost` seconds each."""

    def __init__(self, cost: float) -> None:
        self.cost = cost
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def service(clock=None, **settings) -> GameService:
    extra = {} if clock is None else {"bot_clock": clock}
    return GameService(ServerSettings(**settings), secret=b"bot test", rng=random.Random(3),
                       lock_factory=SingleThreadLock, **extra)


def send(svc: GameService, address, msg: dict, now: int) -> list[tuple[dict, tuple]]:
    data = json.dumps(msg).encode()
    assert svc.admit(address, len(data), now)
    return [(json.loads(d), to) for d, to in svc.handle(data, address, now)]


def tick(svc: GameService, now: int) -> list[tuple[dict, tuple]]:
    out = svc.tick(now)
    assert all(len(data) <= MAX_DATAGRAM and to[0] != BOT_HOST for data, to in out)
    return [(json.loads(d), to) for d, to in out]


def mine(replies, address=HUMAN) -> list[dict]:
    return [reply for reply, to in replies if to == address]


def challenge(svc: GameService, opponent: str, now: int = NOW, address=HUMAN,
              name: str = "alice") -> list[dict]:
    # padded, as clients pad it: an error's detail fits in a reply no larger than the request
    return mine(send(svc, address, {"command": "connect", "self": name, "opponent": opponent,
                                    "timestamp": now, "pad": "." * 200}, now), address)


def bot_seat(match: Match):
    return next(seat for seat in match.seats if seat.address[0] == BOT_HOST)


def only_match(svc: GameService) -> Match:
    (match,) = svc.lobby.matches.values()
    return match


class Human:
    """A scripted player of the tests' own (tests/bots.py) against the bot: a lock every
    `every_ms` with the unacknowledged ones repeated, powers used as soon as held."""

    def __init__(self, start: dict, every_ms: int = 400, **bot: object) -> None:
        self.game = start
        self.bot = Bot(**bot)
        self.bot.learn(start)
        self.every_ms = every_ms
        self.next_at = NOW
        self.stamp = NOW
        self.end: dict | None = None

    def take(self, replies: list[dict]) -> None:
        for reply in replies:
            if reply["command"] in ("game_start", "game_flux"):
                self.bot.learn(reply)
            elif reply["command"] == "game_end":
                self.end = reply

    def step(self, svc: GameService, now: int) -> None:
        if self.end is not None or now < self.next_at:
            return
        self.next_at = now + self.every_ms
        if len(self.bot.unacked) < 4:
            self.bot.next_lock()
        self.stamp += 1
        msg = {"command": "game_flux", "timestamp": self.stamp,
               "game_name": self.game["game_name"], "token": self.game["token"],
               "locks": self.bot.unacked[:8], **self.bot.power_fields()}
        self.take(mine(send(svc, HUMAN, msg, now)))


def play_out(svc: GameService, human: Human | None, until: int, now: int = NOW) -> int:
    """Tick (and let the human play) until every match ended or `until`: the time it stopped."""
    while now < until:
        now += TICK
        out = tick(svc, now)
        if human is not None:
            human.take(mine(out))
            human.step(svc, now)
            if human.end is not None:
                return now
        elif all(m.state == MatchState.ENDED for m in svc.lobby.matches.values()):
            return now
    return now


# -- bot: names ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "label", "pps", "quality"), [
    ("bot:easy", "easy", 1.0, Quality.EASY),
    ("bot:medium", "medium", 2.0, Quality.MEDIUM),
    ("BOT:Hard", "hard", 3.0, Quality.HARD),
    (" bot:1.5", "1.5", 1.5, Quality.MEDIUM),
    ("bot:0.25", "0.25", 0.25, Quality.EASY),
    ("bot:5", "5", 5.0, Quality.HARD),
    ("bot:2.50", "2.5", 2.5, Quality.HARD),
])
def test_bot_names_pick_a_level(text, label, pps, quality):
    level = parse_bot(text)
    assert (level.label, level.pps, level.quality) == (label, pps, quality)
    connect = decode(json.dumps({"command": "connect", "self": "alice", "opponent": text}).encode())
    assert isinstance(connect, Connect) and connect.bot == level
    assert connect.opponent == f"bot:{label}"  # the key a repeated connect finds its match by


@pytest.mark.parametrize("text", ["bot:", "bot:fast", "bot:0.1", "bot:5.01", "bot:1.234",
                                  "bot:-1", "bot:1e1", "bot: 2", "bot:medium2"])
def test_malformed_bot_names_are_refused_saying_what_is_accepted(text):
    with pytest.raises(ProtocolError) as caught:
        decode(json.dumps({"command": "connect", "self": "alice", "opponent": text}).encode())
    assert caught.value.reason == Reason.BAD_FIELD
    assert "bot:easy, bot:medium, bot:hard or bot:<pieces per second" in caught.value.detail


def test_no_player_can_be_called_bot_and_a_bot_is_not_queued():
    with pytest.raises(ProtocolError) as named:
        decode(b'{"command": "connect", "self": "bot:easy"}')
    assert named.value.reason == Reason.BAD_NAME
    with pytest.raises(ProtocolError) as queued:
        decode(b'{"command": "connect", "self": "a", "opponent": "bot:easy", "queue": "quick"}')
    assert queued.value.reason == Reason.BAD_FIELD


def test_the_bot_never_takes_the_players_own_name():
    assert LEVELS["easy"].seat_name_against("bob") == "CPU Easy"
    assert LEVELS["easy"].seat_name_against("cpu easy") == "CPU Easy 2"
    assert parse_bot("bot:1.25").seat_name == "CPU 1.25 pps"


# -- a match against the computer -------------------------------------------------------------


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_a_match_against_the_bot_is_judged_like_any_and_ends_normally(level):
    svc = service(match_seconds=40, record_history=True)
    (start,) = challenge(svc, f"bot:{level}")
    assert start["command"] == "game_start" and start["opponent"] == f"CPU {level.capitalize()}"
    human = Human(start, use_powers=True)
    match = only_match(svc)
    end = play_out(svc, human, NOW + 60_000)
    assert human.end is not None and human.end["reason"] in ("time_up", "top_out")
    seat = bot_seat(match)
    pps = LEVELS[level].pps
    played = (end - NOW) / 1000
    assert svc.bots.stats.refused == 0  # every lock the bot made was accepted
    assert seat.board.locks_applied >= 0.6 * pps * played  # a human pace: about pps a second
    assert seat.board.locks_applied <= 1.3 * pps * played + 1
    assert seat.board.lines > 0
    kept = svc.replays.get(match.game_name, end)
    assert kept is not None and verify_text(kept.text).ok  # its replay re-judges like anyone's


def test_the_bot_takes_hits_uses_powers_and_sends_garbage():
    svc = service(match_seconds=60, starting_powers=(EffectKind.ADD_LINE, EffectKind.QUAKE,
                                                     EffectKind.NUKE))
    (start,) = challenge(svc, "bot:hard")
    human = Human(start, use_powers=True)
    match = only_match(svc)
    play_out(svc, human, NOW + 70_000)
    seat = bot_seat(match)
    assert seat.stats.powers >= 2  # its attack powers, used on the human
    assert seat.garbage_sent > 0 or match.seats[0].board.fx > 0
    assert seat.board.fx > 0  # effects it took at its own locks (fx), as a client does
    assert svc.bots.stats.refused == 0


def test_the_bot_tops_out_when_the_rules_say_so(replay_audit):
    replay_audit.expect_hand_made()  # its field is written here, not played to
    svc = service(match_seconds=60)
    (start,) = challenge(svc, "bot:medium")
    match = only_match(svc)
    seat = bot_seat(match)
    seat.board.field = Field.from_rows(["." * 10] * 2 + ["GGGGGGGGG."] * 18)
    seat.board.receive(Effect(id=1, kind=EffectKind.GARBAGE, source="alice", lines=12, hole=0))
    seat.effect_times[1] = NOW
    human = Human(start, every_ms=10_000)
    play_out(svc, human, NOW + 5_000)
    assert human.end is not None and human.end["reason"] == "top_out"
    assert human.end["winner"] == "alice" and svc.bots.stats.refused == 0


def test_a_repeated_connect_finds_the_same_match_and_the_bot_keeps_its_seat():
    svc = service()
    (first,) = challenge(svc, "bot:easy")
    (again,) = challenge(svc, "bot:Easy", now=NOW + 100)
    assert again["command"] == "game_start" and again["game_name"] == first["game_name"]
    assert len(svc.lobby.matches) == 1 and svc.bots.playing() == 1
    play_out(svc, None, NOW + 15_000)  # silent human: it loses by disconnect, not the bot
    match = only_match(svc)
    assert match.result is not None and match.result.reason == EndReason.DISCONNECT
    assert match.result.winner == "CPU Easy"


def test_the_bot_accepts_a_rematch_and_plays_it():
    svc = service(match_seconds=5)
    (start,) = challenge(svc, "bot:medium")
    human = Human(start)
    now = play_out(svc, human, NOW + 10_000)
    assert human.end is not None
    for _ in range(12_000 // TICK):  # the end screen a while: longer than --disconnect-seconds
        now += TICK
        tick(svc, now)
        if now % 1000 == 0:  # the page's keep-alive on the ended match
            send(svc, HUMAN, {"command": "game_flux", "timestamp": now, "game_name":
                              start["game_name"], "token": start["token"]}, now)
    asked = mine(send(svc, HUMAN, {"command": "rematch", "timestamp": NOW + 99_000,
                                   "game_name": start["game_name"], "token": start["token"],
                                   "answer": "ask"}, now))
    assert asked[-1]["command"] == "rematch" and asked[-1]["state"] == "asked"
    replies: list[dict] = []
    for _ in range(10):
        now += TICK
        replies += mine(tick(svc, now))
    (again,) = [r for r in replies if r["command"] == "game_start"]
    assert again["game_name"] != start["game_name"] and again["opponent"] == "CPU Medium"
    rematch = svc.lobby.matches[again["game_name"]]
    human = Human(again)
    play_out(svc, human, now + 8_000, now=now)
    assert bot_seat(rematch).board.locks_applied > 0 and svc.bots.stats.refused == 0


# -- bots against bots, and practice with --seed ---------------------------------------------------


def test_a_bot_against_a_bot_ends_normally_and_its_replay_verifies():
    svc = service(match_seconds=30)
    match = svc.bots.start_match(svc, LEVELS["easy"], LEVELS["hard"], NOW)
    end = play_out(svc, None, NOW + 40_000)
    assert match.state == MatchState.ENDED and match.result is not None
    assert match.result.reason in (EndReason.TIME_UP, EndReason.TOP_OUT)
    assert all(seat.board.locks_applied > 20 for seat in match.seats)
    assert svc.bots.stats.refused == 0
    kept = svc.replays.get(match.game_name, end)
    assert kept is not None and verify_text(kept.text).ok


def test_with_a_seed_the_bot_plays_the_same_match_again():
    texts = []
    for _ in range(2):
        # A clock that stands still: the budget never binds, so no search waits a tick (under
        # load the pace would vary by up to a tick, and with it the garbage's timing).
        svc = service(CpuClock(0), match_seconds=20, match_seed=7)
        match = svc.bots.start_match(svc, LEVELS["medium"], BotLevel("1.5", 1.5, Quality.EASY),
                                     NOW)
        end = play_out(svc, None, NOW + 30_000)
        kept = svc.replays.get(match.game_name, end)
        assert kept is not None
        texts.append(json.loads(kept.text))
    assert texts[0]["seed"] == texts[1]["seed"] == 7
    assert texts[0]["events"] == texts[1]["events"]  # the same pieces, the same bot


# -- what it costs ------------------------------------------------------------------------------


def test_the_search_budget_holds_per_tick_and_every_bot_still_plays(monkeypatch):
    clock = CpuClock(cost=0.0007)  # 0.7 ms a search: two fit in 2 ms, a third would not
    real = bot_module._choose

    def timed(turn, player):
        clock.t += clock.cost
        return real(turn, player)

    monkeypatch.setattr(bot_module, "_choose", timed)
    svc = service(clock, bot_search_ms=2.0, match_seconds=30)
    for k in range(12):
        (start,) = challenge(svc, "bot:easy", address=("127.0.0.1", 51000 + k), name=f"p{k}")
        assert start["command"] == "game_start"
    now, most = NOW, 0
    for _ in range(200):  # 10 s
        now += TICK
        before = svc.bots.stats.searches
        svc.tick(now)
        searched = svc.bots.stats.searches - before
        most = max(most, searched)
        assert searched <= 2 and svc.bots.stats.last_tick_ms <= 2.0 + 1e-9
    stats = svc.bots.stats
    assert most == 2 and stats.deferred > 0 and stats.most_tick_ms <= 2.0 + 1e-9
    # 12 bots at 1 piece a second want 12 searches a second; the budget gives 40: all played.
    assert all(bot_seat(m).board.locks_applied >= 6 for m in svc.lobby.matches.values())


def test_matches_against_bots_are_bounded_and_the_refusal_changes_nothing():
    svc = service(max_bot_matches=2, match_seconds=30)
    first = ("127.0.0.1", 52001)
    (start,) = challenge(svc, "bot:easy", address=first, name="p1")
    challenge(svc, "bot:hard", address=("127.0.0.1", 52002), name="p2")
    (refused,) = challenge(svc, "bot:medium", address=("127.0.0.1", 52003), name="p3")
    assert refused["command"] == "error" and refused["reason"] == "too_many_bots"
    assert "2 matches" in refused["detail"] and len(svc.lobby.matches) == 2
    (again,) = challenge(svc, "bot:easy", address=first, name="p1", now=NOW + 10)
    assert again["command"] == "game_start"  # a repeat of a match held is no new one
    send(svc, first, {"command": "leave", "timestamp": NOW + 20, "game_name": start["game_name"],
                      "token": start["token"]}, NOW + 20)
    (now_room,) = challenge(svc, "bot:medium", address=("127.0.0.1", 52003), name="p3",
                            now=NOW + 30)
    assert now_room["command"] == "game_start"


def test_no_bots_at_all_when_the_bound_is_zero():
    svc = service(max_bot_matches=0)
    (refused,) = challenge(svc, "bot:easy")
    assert refused["reason"] == "too_many_bots" and not svc.lobby.matches


def test_the_bots_book_lets_go_of_ended_matches():
    svc = service(match_seconds=3, linger_seconds=1)
    svc.bots.start_match(svc, LEVELS["easy"], LEVELS["easy"], NOW)
    assert svc.bots.playing() == 1
    play_out(svc, None, NOW + 10_000)
    for k in range(1, 60):
        svc.tick(NOW + 10_000 + k * TICK)
    assert svc.bots.playing() == 0 and not svc.bots._players and not svc.lobby.matches


def test_a_bot_seat_is_never_sent_a_datagram():
    svc = service(match_seconds=5)
    svc.bots.start_match(svc, LEVELS["hard"], LEVELS["medium"], NOW)
    now = NOW
    for _ in range(120):
        now += TICK
        assert tick(svc, now) == []  # nobody but bots: nothing leaves the service
    assert isinstance(svc.bots, BotSeats)
