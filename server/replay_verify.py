"""Re-judging a replay (docs/replays.md "Verifying"): its inputs — the locks, the power uses and
the moments the grace period struck — are fed in the recorded order to a fresh `Match` with the
recorded seed and settings, the very code the server judges with. That match records its own
replay as it goes; every event it makes must equal the file's, and so must the result. The first
difference is reported with where it is (which player, which lock, what differs).

Verification shows the file is a match the rules allow and that its claims (fields, effects,
scores, winner) follow from its inputs; it cannot show which server recorded it (nothing is
signed).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from server.errors import IllegalLock
from server.match import EndReason, Match, MatchSettings, MatchState, Outgoing, Seat
from server.protocol import Flux, Leave, LeaveIntent
from server.replay import EFFECT, FORCE, INPUTS, LOCK, POWER, Recorder, load
from server.replies import GameFlux
from server.rules.board import Lock
from server.rules.effects import EffectKind
from server.rules.movement import LastTurn
from server.rules.pieces import TURNS, Piece

_NEVER = 2**62  # ms: the silence and waiting limits the re-judging never reaches


class Mismatch(Exception):
    """The first place where the file and the rules part."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what


@dataclass(frozen=True)
class Verdict:
    doc: dict[str, Any]  # the file, parsed
    rebuilt: dict[str, Any] | None  # the replay the rules made (None if they stopped early)
    mismatch: Mismatch | None

    @property
    def ok(self) -> bool:
        return self.mismatch is None


class _Checking(Recorder):
    """A recorder that also keeps its events parsed, to compare as they come."""

    __slots__ = ("items",)

    def __init__(self, started: int) -> None:
        super().__init__(started)
        self.items: list[Any] = []

    def _add(self, text: str) -> None:
        super()._add(text)
        self.items.append(json.loads(text))


def verify_text(text: bytes | str) -> Verdict:
    """Read (ReplayFormatError on a bad file) and re-judge a replay file."""
    return verify(load(text))


def verify(doc: dict[str, Any]) -> Verdict:
    """Re-judge a replay `load` accepted."""
    judge = _Judge(doc)
    try:
        judge.run()
    except Mismatch as mismatch:
        return Verdict(doc, None, mismatch)
    return Verdict(doc, judge.rebuilt, None)


class _Judge:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.names: list[str] = doc["players"]
        self.events: list[Any] = doc["events"]
        settings = doc["settings"]
        rules = MatchSettings(
            match_ms=settings["match_ms"], effect_grace_ms=settings["effect_grace_ms"],
            starting_powers=tuple(EffectKind(p) for p in settings["starting_powers"]),
            disconnect_ms=_NEVER, away_ms=_NEVER, waiting_ms=_NEVER, waiting_idle_ms=_NEVER,
            linger_ms=0)
        self.match = Match(doc["game_name"], doc["seed"], None, rules, now=0)
        for p, name in enumerate(self.names):
            self.match.connect(name, ("replay", p), None, f"seat{p}", 0)
        # Event times count from the moment pieces start to fall (after any countdown).
        assert self.match.started_at is not None
        self.base = self.match.started_at
        self.recorder = _Checking(self.base)
        self.match.recorder = self.recorder
        self._stamps = itertools.count(1)
        self.compared = 0
        self.rebuilt: dict[str, Any] | None = None
        # For naming events: each lock event's n, and each event's player name.
        counts = [0, 0]
        self.lock_n: dict[int, int] = {}
        for k, event in enumerate(self.events):
            if event[1] == LOCK:
                self.lock_n[k] = counts[event[2]]
                counts[event[2]] += 1

    # -- naming ---------------------------------------------------------------------------------

    def where(self, k: int, event: list[Any] | None = None) -> str:
        event = event if event is not None else self.events[k]
        name = self.names[event[2]]
        at = f"events[{k}], t {event[0]} ms"
        if event[1] == LOCK:
            n = self.lock_n.get(k, self.recorder.locks[event[2]])
            return f"{name}'s lock {n} ({at})"
        if event[1] == POWER:
            return f"{name}'s use of {event[3]} ({at})"
        if event[1] == FORCE:
            return f"the grace period on {name}'s effects ({at})"
        return f"effect {event[3].get('id')} for {name} ({at})"

    # -- running --------------------------------------------------------------------------------

    def run(self) -> None:
        for k, event in enumerate(self.events):
            if event[1] in INPUTS:
                self.feed(k, event)
            self.compare_new()
        if self.compared < len(self.events):
            k = self.compared
            raise Mismatch(self.where(k), "the rules make no such event here (the file has "
                                          f"{_short(self.events[k])})")
        self.finish()

    def feed(self, k: int, event: list[Any]) -> None:
        match = self.match
        if match.state != MatchState.PLAYING:
            raise Mismatch(self.where(k), f"the match was already over ({_ended(match)})")
        t, kind, p = self.base + event[0], event[1], event[2]
        seat = match.seats[p]
        if kind == LOCK:
            n = self.recorder.locks[p]
            last = None if len(event) == 10 else LastTurn(TURNS[event[10]], event[11])
            lock = Lock(n, event[3], Piece(event[4]), event[5], event[6], event[7], last, event[8])
            self._flux(seat, t, (lock,), None)
            if self.recorder.locks[p] == n:
                raise Mismatch(self.where(k), self._refusal(seat, lock))
        elif kind == POWER:
            uses = seat.power_uses
            before = len(self.recorder.items)
            out = self._flux(seat, t, (), EffectKind(event[3]))
            if not any(item[1] == POWER for item in self.recorder.items[before:]):
                why = _power_refusal(out) if seat.power_uses > uses else "not handled"
                held = ", ".join(map(str, seat.powers)) or "nothing"
                raise Mismatch(self.where(k), f"the rules refuse it: {why} (held: {held})")
        else:  # FORCE: the timers at that moment
            match.tick(t)

    def _flux(self, seat: Seat, t: int, locks: tuple[Lock, ...],
              power: EffectKind | None) -> list[Outgoing]:
        flux = Flux(timestamp=next(self._stamps), game_name=self.match.game_name,
                    token=seat.token, locks=locks, power_used=power,
                    power_n=None if power is None else seat.power_uses)
        return self.match.handle_flux(seat, flux, t, seat.address)

    def _refusal(self, seat: Seat, lock: Lock) -> str:
        if self.match.state != MatchState.PLAYING:
            return f"the match was already over ({_ended(self.match)})"
        try:  # a refused lock changed nothing: judging it again gives the reason in full
            seat.board.apply_lock(lock, self.match.sequence)
        except IllegalLock as exc:
            return f"the rules refuse it ({exc})"
        return "the rules refuse it"

    def compare_new(self) -> None:
        items = self.recorder.items
        while self.compared < len(items):
            k = self.compared
            mine = items[k]
            if k >= len(self.events):
                raise Mismatch(self.where(k, mine), "the rules make this event; the file ends "
                                                    f"before it ({_short(mine)})")
            theirs = self.events[k]
            if mine != theirs:
                raise Mismatch(self.where(k), _difference(mine, theirs))
            self.compared += 1

    def finish(self) -> None:
        match, result = self.match, self.doc["result"]
        reason, t = result["reason"], self.base + result["t"]
        losers = [s for s in match.seats if s.name != result["winner"]]
        if match.state == MatchState.PLAYING:
            if reason == EndReason.TIME_UP:
                if result["t"] < match.settings.match_ms:
                    raise Mismatch("result.t", f"time_up at {result['t']} ms, before the match's "
                                               f"{match.settings.match_ms} ms were up")
                match.tick(t)
            elif reason in (EndReason.FORFEIT, EndReason.DISCONNECT):
                if len(losers) != 1:
                    raise Mismatch("result.winner", f"a {reason} needs a winner")
                if reason == EndReason.FORFEIT:
                    match.handle_leave(losers[0], Leave(next(self._stamps), match.game_name,
                                                        losers[0].token, LeaveIntent.FORFEIT),
                                       t, losers[0].address)
                else:  # silence is not in the file: the end is taken as recorded
                    match._end(EndReason.DISCONNECT, loser=losers[0], now=t)
            elif reason == EndReason.SERVER_SHUTDOWN:
                match.shut_down(t)
            else:
                raise Mismatch("result.reason", "the file says top_out; by the rules nobody "
                                                "topped out")
        self.compare_new()
        rebuilt = match.take_replay()
        assert rebuilt is not None, "the re-judged match ended with a result"
        self.rebuilt = json.loads(rebuilt)
        for where, mine, theirs in _result_parts(self.rebuilt["result"], result, self.names):
            if mine != theirs:
                raise Mismatch(where, f"the file says {_short(theirs)}, the rules say "
                                      f"{_short(mine)}")


def _ended(match: Match) -> str:
    assert match.result is not None and match.started_at is not None
    assert match.ended_at is not None
    return f"{match.result.reason} at {match.ended_at - match.started_at} ms"


def _power_refusal(out: list[Outgoing]) -> str:
    for item in out:
        reply = item.reply
        if isinstance(reply, GameFlux) and reply.power_rejected is not None:
            return reply.power_rejected.reason
    return "not handled"


def _difference(mine: list[Any], theirs: list[Any]) -> str:
    if mine[:2] == theirs[:2] and mine[1] == LOCK and mine[:9] == theirs[:9]:
        return (f"the field after it differs: the file's check is {theirs[9]}, the rules' is "
                f"{mine[9]}")
    if mine[1] == theirs[1] == EFFECT:
        differs = sorted(key for key in mine[3].keys() | theirs[3].keys()
                         if mine[3].get(key) != theirs[3].get(key))
        return (f"the effect differs in {', '.join(differs) or 'its time or target'}: the file "
                f"has {_short(theirs)}, the rules make {_short(mine)}")
    return f"the file has {_short(theirs)}, the rules make {_short(mine)}"


def _result_parts(mine: dict[str, Any], theirs: dict[str, Any],
                  names: list[str]) -> Iterator[tuple[str, Any, Any]]:
    for key in ("reason", "winner", "t"):
        yield f"result.{key}", mine[key], theirs[key]
    for name in names:
        yield f"result: {name}'s score", mine["score"][name], theirs["score"][name]
    for name, board, claimed in zip(names, mine["boards"], theirs["boards"], strict=True):
        for key in board.keys() | claimed.keys():
            yield f"result: {name}'s {key}", board.get(key), claimed.get(key)


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- for people -------------------------------------------------------------------------------


def final_report(verdict: Verdict) -> str:
    """What `replay verify` prints: the re-judged fields side by side, the scores, the winner."""
    doc = verdict.rebuilt or verdict.doc
    result = doc["result"]
    names = doc["players"]
    boards = result["boards"]
    lines = ["    ".join(f"{name:<10.10}" for name in names)]
    for y in range(20):
        lines.append("    ".join(board["field"][y] for board in boards))
    for name, board in zip(names, boards, strict=True):
        lines.append(f"{name}: score {board['score']}, {board['lines']} lines, "
                     f"{board['pieces']} pieces, {board['garbage_sent']} garbage sent"
                     + (f", topped out ({board['top_out']})" if board["top_out"] else ""))
    winner = result["winner"] or "nobody (a draw)"
    lines.append(f"winner: {winner} ({result['reason']} at {result['t'] / 1000:.1f} s)")
    return "\n".join(lines)


def summary(doc: dict[str, Any]) -> str:
    """What `replay show` prints: players, result, duration, pieces, lines, powers and a
    timeline of pieces locked, from the file alone (nothing is judged)."""
    names, result, events = doc["players"], doc["result"], doc["events"]
    seconds = result["t"] / 1000
    outcome = (f"{result['winner']} wins by {result['reason']}" if result["winner"]
               else f"a draw ({result['reason']})")
    out = [f"match {doc['game_name']} (seed {doc['seed']}, rules {doc['rules']}, "
           f"format {doc['format']})",
           f"players: {names[0]} vs {names[1]}",
           f"result: {outcome} after {seconds:.1f} s"]
    powers: list[Counter[str]] = [Counter(), Counter()]
    hits: list[Counter[str]] = [Counter(), Counter()]
    forced = [0, 0]
    for event in events:
        if event[1] == POWER:
            powers[event[2]][event[3]] += 1
        elif event[1] == EFFECT:
            hits[event[2]][event[3]["kind"]] += 1
        elif event[1] == FORCE:
            forced[event[2]] += 1
    for p, name in enumerate(names):
        board = result["boards"][p]
        used = ", ".join(f"{k} ×{v}" for k, v in sorted(powers[p].items())) or "none"
        took = ", ".join(f"{k} ×{v}" for k, v in sorted(hits[p].items())) or "none"
        rate = board["pieces"] / seconds if seconds else 0.0
        out.append(f"{name}: score {board['score']}, {board['pieces']} pieces ({rate:.2f}/s), "
                   f"{board['lines']} lines, {board['garbage_sent']} garbage sent; powers used: "
                   f"{used}; effects received: {took}; forced by the grace period: "
                   f"{forced[p]}")
    step = 30_000 if result["t"] > 60_000 else 10_000
    out.append(f"pieces locked per {step // 1000} s:")
    buckets: list[Counter[int]] = [Counter(), Counter()]
    for event in events:
        if event[1] == LOCK:
            buckets[event[2]][event[0] // step] += 1
    for k in range(result["t"] // step + 1):
        row = "  ".join(f"{name} {buckets[p][k]:>3}" for p, name in enumerate(names))
        out.append(f"  {k * step // 1000:>4}-{(k + 1) * step // 1000:<4} s  {row}")
    out.append(f"{len(events)} events, "
               f"{sum(1 for e in events if e[1] == LOCK)} locks")
    return "\n".join(out)
