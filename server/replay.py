"""The replay format (docs/replays.md): what the server records of a match as it is played, the
compact JSON it becomes at the end, and the strict reading of such a file.

A `Recorder` rides along with a running match (server/match.py calls it where locks, power uses,
effects and forced effects happen). Each event is encoded to its JSON text at once and appended
to one bytearray, so a running match keeps tens of bytes per lock, not Python objects; the file
is that text spliced between a header and the result. server/replay_verify.py re-judges a file.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from server.rules import RULES_VERSION
from server.rules.board import Board, Lock
from server.rules.effects import POWERS, Effect, EffectKind
from server.rules.field import Field
from server.rules.pieces import TURNS, Piece
from server.wire import GAME_NAME_PATTERN, NAME_PATTERN

FORMAT_VERSION: Final = 1

# The event kinds, the second member of every event (docs/replays.md "Events").
LOCK: Final = "l"  # [t, "l", p, i, piece, r, x, y, fx, crc] (+ rot, kick for a turn claim)
POWER: Final = "p"  # [t, "p", p, power]: player p used a power (accepted uses only)
EFFECT: Final = "e"  # [t, "e", p, {effect}]: an effect made for player p
FORCE: Final = "f"  # [t, "f", p, through]: the grace period applied p's effects up to `through`
INPUTS: Final = frozenset({LOCK, POWER, FORCE})  # what the re-judging feeds; EFFECTs follow
# How a recorded match can end (server/match.py EndReason, but the bridge's own server_lost).
END_REASONS: Final = frozenset({"time_up", "top_out", "disconnect", "forfeit", "server_shutdown"})

_ROT_NAMES: Final = {direction: name for name, direction in TURNS.items()}
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False)


class ReplayFormatError(ValueError):
    """Not a replay this build reads: not JSON, the wrong shape, or an unknown format version."""


class RulesVersionError(ReplayFormatError):
    """A well-formed replay recorded under rules this build does not judge."""


def field_crc(field: Field) -> int:
    """The check a lock event carries: CRC-32 of the field's 40 rows (hidden first), as ASCII."""
    return zlib.crc32("".join(field.all_rows()).encode("ascii"))


def board_json(field: Field) -> dict[str, Any]:
    """A final field as the result shows it: 20 visible rows, and the hidden rows' hex."""
    return {"field": field.to_rows(), "hidden": field.hidden_hex()}


class Recorder:
    """The events of one running match, in the order the server applied them, as JSON text."""

    __slots__ = ("_events", "_landed", "locks", "started")

    def __init__(self, started: int) -> None:
        self.started = started  # the server's clock at the start: events carry t = now - this
        self._events = bytearray()
        self.locks = [0, 0]  # lock events per player: the next lock's n
        # Per player, per effect id - 1: the lock n that applied it, or None (forced).
        self._landed: tuple[list[int | None], list[int | None]] = ([], [])

    def _add(self, text: str) -> None:
        self._events += text.encode("ascii")
        self._events += b","

    def lock(self, now: int, p: int, lock: Lock, field: Field, applied: Sequence[Effect]) -> None:
        """Player p's lock was accepted; `field` is the field after it."""
        turn = "" if lock.last is None else (
            f',"{_ROT_NAMES[lock.last.direction]}",{lock.last.kick}')
        self._add(f'[{now - self.started},"{LOCK}",{p},{lock.index},"{lock.piece}",{lock.r},'
                  f'{lock.x},{lock.y},{lock.fx},{field_crc(field)}{turn}]')
        if applied:
            self._landed[p].extend([self.locks[p]] * len(applied))
        self.locks[p] += 1

    def power(self, now: int, p: int, power: EffectKind) -> None:
        self._add(f'[{now - self.started},"{POWER}",{p},"{power}"]')

    def effect(self, now: int, p: int, effect: Effect) -> None:
        self._add(f'[{now - self.started},"{EFFECT}",{p},{_ENCODER.encode(effect.to_wire())}]')

    def force(self, now: int, p: int, through: int, applied: Sequence[Effect]) -> None:
        self._add(f'[{now - self.started},"{FORCE}",{p},{through}]')
        self._landed[p].extend([None] * len(applied))

    def landed(self, p: int) -> list[int | None]:
        return list(self._landed[p])

    def events_json(self) -> bytes:
        return b"[" + bytes(self._events[:-1]) + b"]"

    def __len__(self) -> int:
        """Bytes of events so far."""
        return len(self._events)


def result_json(
    recorder: Recorder,
    reason: str,
    winner: str | None,
    t: int,
    seats: Sequence[tuple[str, Board, int]],
) -> dict[str, Any]:
    """The file's `result`: how it ended, and each player's (name, board, garbage sent)."""
    return {
        "reason": reason,
        "winner": winner,
        "t": t,
        "score": {name: board.score for name, board, _ in seats},
        "boards": [
            {"score": board.score, "lines": board.lines, "pieces": board.locks_applied,
             "garbage_sent": sent,
             "top_out": None if board.top_out is None else str(board.top_out),
             **board_json(board.field), "landed": recorder.landed(p)}
            for p, (_, board, sent) in enumerate(seats)
        ],
    }


@dataclass(frozen=True)
class Header:
    game_name: str
    seed: int
    players: tuple[str, str]
    started: int  # the server's clock (ms since the epoch) at the start
    match_ms: int
    effect_grace_ms: int
    starting_powers: tuple[EffectKind, ...]


def build(header: Header, events: bytes, result: Mapping[str, Any]) -> bytes:
    """The replay file: compact ASCII JSON, keys in the documented order."""
    head = _ENCODER.encode({
        "format": FORMAT_VERSION,
        "rules": RULES_VERSION,
        "game_name": header.game_name,
        "seed": header.seed,
        "settings": {"match_ms": header.match_ms, "effect_grace_ms": header.effect_grace_ms,
                     "starting_powers": [str(p) for p in header.starting_powers]},
        "started": header.started,
        "players": list(header.players),
    }).encode("ascii")
    return b"".join([head[:-1], b',"events":', events, b',"result":',
                     _ENCODER.encode(result).encode("ascii"), b"}"])


def dumps(doc: Mapping[str, Any]) -> bytes:
    """A parsed replay written back exactly as the server writes one (tests, tampering)."""
    return _ENCODER.encode(doc).encode("ascii")


# -- reading ------------------------------------------------------------------------------------


def load(text: bytes | str) -> dict[str, Any]:
    """A replay file parsed and checked for shape; ReplayFormatError saying what is wrong, or
    RulesVersionError for a well-formed file of other rules. Nothing is judged here."""
    try:
        doc = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ReplayFormatError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ReplayFormatError("not a replay: expected a JSON object")
    if doc.get("format") != FORMAT_VERSION:
        raise ReplayFormatError(f"replay format {doc.get('format')!r}: this build reads format "
                                f"{FORMAT_VERSION} only")
    rules = doc.get("rules")
    if rules != RULES_VERSION:
        raise RulesVersionError(f"recorded under rules version {rules}; this build judges "
                                f"version {RULES_VERSION} only")
    _check_header(doc)
    for k, event in enumerate(doc["events"]):
        _check_event(event, f"events[{k}]")
    _check_result(doc["result"], doc["players"])
    return doc


def _fail(where: str, what: str) -> ReplayFormatError:
    return ReplayFormatError(f"{where}: {what}")


def _int(value: Any, where: str, lo: int = 0, hi: int = 2**53) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise _fail(where, f"expected an integer in {lo}..{hi}")
    return value


def _str(value: Any, where: str, allowed: frozenset[str] | None = None) -> str:
    if not isinstance(value, str) or (allowed is not None and value not in allowed):
        choice = "" if allowed is None else " (" + ", ".join(sorted(allowed)) + ")"
        raise _fail(where, f"expected a string{choice}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "expected a list")
    return value


def _dict(value: Any, where: str, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "expected an object")
    missing = [key for key in keys if key not in value]
    if missing:
        raise _fail(where, "missing " + ", ".join(missing))
    return value


_POWER_NAMES: Final = frozenset(str(power) for power in POWERS)
_PIECES: Final = frozenset(Piece.__members__)


def _check_header(doc: dict[str, Any]) -> None:
    _dict(doc, "replay", ("game_name", "seed", "settings", "started", "players", "events",
                          "result"))
    if not re.fullmatch(GAME_NAME_PATTERN, _str(doc["game_name"], "game_name")):
        raise _fail("game_name", "not a game name")
    _int(doc["seed"], "seed", 0, 2**32 - 1)
    _int(doc["started"], "started")
    settings = _dict(doc["settings"], "settings",
                     ("match_ms", "effect_grace_ms", "starting_powers"))
    _int(settings["match_ms"], "settings.match_ms", 1)
    _int(settings["effect_grace_ms"], "settings.effect_grace_ms")
    for k, power in enumerate(_list(settings["starting_powers"], "settings.starting_powers")):
        _str(power, f"settings.starting_powers[{k}]", _POWER_NAMES)
    players = _list(doc["players"], "players")
    if len(players) != 2 or not all(
            isinstance(name, str) and re.fullmatch(NAME_PATTERN, name) for name in players):
        raise _fail("players", "expected two player names")
    if players[0].casefold() == players[1].casefold():
        raise _fail("players", "the two names are the same")
    _list(doc["events"], "events")


def _check_event(event: Any, where: str) -> None:
    if not isinstance(event, list) or len(event) < 4:
        raise _fail(where, "expected [t, kind, player, ...]")
    _int(event[0], f"{where}[0] (t)")
    kind = _str(event[1], f"{where}[1] (kind)", frozenset({LOCK, POWER, EFFECT, FORCE}))
    _int(event[2], f"{where}[2] (player)", 0, 1)
    if kind == LOCK:
        if len(event) not in (10, 12):
            raise _fail(where, "a lock is [t, \"l\", p, i, piece, r, x, y, fx, crc(, rot, kick)]")
        _int(event[3], f"{where}[3] (i)", 0, 10**6)
        _str(event[4], f"{where}[4] (piece)", _PIECES)
        _int(event[5], f"{where}[5] (r)", 0, 3)
        _int(event[6], f"{where}[6] (x)", -4, 13)
        _int(event[7], f"{where}[7] (y)", -23, 23)
        _int(event[8], f"{where}[8] (fx)", 0, 10**6)
        _int(event[9], f"{where}[9] (crc)", 0, 2**32 - 1)
        if len(event) == 12:
            _str(event[10], f"{where}[10] (rot)", frozenset(TURNS))
            _int(event[11], f"{where}[11] (kick)", 0, 5)
    elif kind == POWER:
        if len(event) != 4:
            raise _fail(where, "a power use is [t, \"p\", p, power]")
        _str(event[3], f"{where}[3] (power)", _POWER_NAMES)
    elif kind == FORCE:
        if len(event) != 4:
            raise _fail(where, "a forced effect is [t, \"f\", p, through]")
        _int(event[3], f"{where}[3] (through)", 1, 10**6)
    else:
        if len(event) != 4:
            raise _fail(where, "an effect is [t, \"e\", p, {effect}]")
        effect_of(event[3], f"{where}[3]")


def effect_of(wire: Any, where: str) -> Effect:
    """An effect event's object as the rules' Effect; ReplayFormatError when it is not one."""
    obj = _dict(wire, where, ("id", "kind", "from"))
    _int(obj["id"], f"{where}.id", 1, 10**6)
    _str(obj["kind"], f"{where}.kind", frozenset(str(kind) for kind in EffectKind))
    _str(obj["from"], f"{where}.from")
    try:
        return Effect.from_wire(obj)
    except (TypeError, ValueError) as exc:
        raise _fail(where, f"not an effect: {exc}") from None


def _check_result(result: Any, players: list[str]) -> None:
    obj = _dict(result, "result", ("reason", "winner", "t", "score", "boards"))
    _str(obj["reason"], "result.reason", END_REASONS)
    if obj["winner"] is not None and obj["winner"] not in players:
        raise _fail("result.winner", "expected a player's name or null")
    _int(obj["t"], "result.t")
    score = _dict(obj["score"], "result.score", players)
    for name in players:
        _int(score[name], f"result.score.{name}")
    boards = _list(obj["boards"], "result.boards")
    if len(boards) != 2:
        raise _fail("result.boards", "expected one board per player")
    for k, board in enumerate(boards):
        where = f"result.boards[{k}]"
        board = _dict(board, where, ("score", "lines", "pieces", "garbage_sent", "top_out",
                                     "field", "hidden", "landed"))
        for key in ("score", "lines", "pieces", "garbage_sent"):
            _int(board[key], f"{where}.{key}")
        rows = _list(board["field"], f"{where}.field")
        if len(rows) != 20 or not all(isinstance(row, str) and len(row) == 10 for row in rows):
            raise _fail(f"{where}.field", "expected 20 rows of 10 cells")
        _str(board["hidden"], f"{where}.hidden")
        for n, at in enumerate(_list(board["landed"], f"{where}.landed")):
            if at is not None:
                _int(at, f"{where}.landed[{n}]")
