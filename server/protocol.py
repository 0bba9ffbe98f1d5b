"""The wire format: datagrams parsed once into typed messages, replies encoded once.

Everything that comes off a socket goes through `decode`, which either returns a frozen message
or raises `ProtocolError` naming the field at fault. Nothing inside the server re-checks dict keys.
See docs/protocol.md for every message and field.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from server.bot_level import BotLevel, is_bot_name, parse_bot
from server.errors import ProtocolError
from server.replies import GameFlux, Reply, Shown
from server.rules.board import Lock
from server.rules.effects import POWERS, EffectKind
from server.rules.field import HIDDEN, Field
from server.rules.movement import LastTurn
from server.rules.pieces import DIRECTIONS, KICKS, TURNS, Piece
from server.wire import (
    CLIENT_COMMANDS,
    FETCH_COMMANDS,
    GAME_NAME_PATTERN,
    KEY_PATTERN,
    MAX_DATAGRAM,
    MAX_LOCKS,
    MAX_TIMESTAMP,
    NAME_PATTERN,
    SHORT_PREVIEW,
    TOKEN_PATTERN,
    Reason,
)

__all__ = ["CLIENT_COMMANDS", "MAX_DATAGRAM", "ChallengesQuery", "Connect", "Flux", "Leave",
           "LeaveIntent", "Message", "Probe", "Rematch", "RematchAnswer", "ReplayRequest",
           "Watch", "decode", "encode", "encode_reply", "error_reply"]

_POWER_NAMES = frozenset(str(power) for power in POWERS)
_PIECES: Final = {str(piece): piece for piece in Piece}  # a lock's `piece` letter
_NAME = re.compile(NAME_PATTERN)
_GAME_NAME = re.compile(GAME_NAME_PATTERN)
_TOKEN = re.compile(TOKEN_PATTERN)
_KEY = re.compile(KEY_PATTERN)


class LeaveIntent(enum.StrEnum):
    FORFEIT = "forfeit"  # the player gave up
    CLOSED = "closed"  # the bridge saw the browser go away; the seat may come back


@dataclass(frozen=True)
class Connect:
    name: str
    opponent: str | None
    game_name: str | None
    token: str | None
    timestamp: int | None
    cookie: str | None = None  # echo of the server's address cookie (docs/protocol.md)
    key: str | None = None  # the client's own secret for its seat (docs/protocol.md "Tokens")
    queue: str | None = None  # "quick": pair with the next player waiting in the queue
    bot: BotLevel | None = None  # opponent "bot:<level>": play the computer (server/bot.py)


@dataclass(frozen=True)
class Flux:
    timestamp: int
    game_name: str
    token: str | None
    locks: tuple[Lock, ...]
    power_used: EffectKind | None
    power_n: int | None  # the player's count of power uses before this one
    cookie: str | None = None


@dataclass(frozen=True)
class Leave:
    timestamp: int
    game_name: str
    token: str | None
    intent: LeaveIntent
    cookie: str | None = None


class RematchAnswer(enum.StrEnum):
    ASK = "ask"
    ACCEPT = "accept"  # the same as ask: "I want a rematch"
    DECLINE = "decline"


@dataclass(frozen=True)
class Probe:
    """What is behind a link (no seat): answered with `match_info`."""

    game_name: str
    cookie: str | None = None


@dataclass(frozen=True)
class Rematch:
    timestamp: int
    game_name: str
    token: str | None
    answer: RematchAnswer
    cookie: str | None = None


@dataclass(frozen=True)
class ChallengesQuery:
    """Who is challenging `name` (names are not accounts: anyone may ask)."""

    name: str
    cookie: str | None = None


@dataclass(frozen=True)
class Watch:
    timestamp: int
    game_name: str
    cookie: str | None = None


QUEUES: Final = frozenset({"quick"})

@dataclass(frozen=True)
class ReplayRequest:
    """One part of an ended match's replay (docs/protocol.md "Replays"); no seat needed."""

    game_name: str
    part: int
    timestamp: int | None = None
    cookie: str | None = None


Message = Connect | Flux | Leave | Probe | Rematch | ChallengesQuery | Watch | ReplayRequest


# -- decoding -----------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # built once, not per datagram


def decode(data: bytes) -> Message:
    """Parse one datagram or raise ProtocolError; never anything else."""
    if len(data) > MAX_DATAGRAM:
        raise ProtocolError(Reason.TOO_LARGE, f"{len(data)} bytes, limit {MAX_DATAGRAM}")
    try:
        obj = _DECODER.decode(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(Reason.BAD_JSON, str(exc)[:80]) from None
    if not isinstance(obj, dict):
        raise ProtocolError(Reason.NOT_OBJECT)
    command = obj.get("command")
    parser = _PARSERS.get(command) if isinstance(command, str) else None
    if parser is None:
        raise ProtocolError(Reason.UNKNOWN_COMMAND, repr(command)[:40])
    return parser(obj)


def _int(obj: Mapping[str, Any], key: str, where: str, lo: int, hi: int) -> int:
    value = obj.get(key)
    # bool is an int subclass; a float like 3.0 is not an integer on this wire either (JSON's
    # integers are exact ints: the common case asks no more)
    if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
        raise ProtocolError(Reason.BAD_FIELD, f"{where}.{key}: expected an integer")
    if not lo <= value <= hi:
        raise ProtocolError(Reason.BAD_FIELD, f"{where}.{key}: out of range")
    return value


def _optional_int(obj: Mapping[str, Any], key: str, where: str, lo: int, hi: int) -> int | None:
    return None if obj.get(key) is None else _int(obj, key, where, lo, hi)


def _optional_str(
    obj: Mapping[str, Any], key: str, where: str, pattern: re.Pattern[str]
) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ProtocolError(Reason.BAD_FIELD, f"{where}.{key}: invalid")
    return value


def _name(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(Reason.BAD_NAME, f"{where}.{key}: expected a string")
    value = value.strip(" ")
    if not _NAME.fullmatch(value) or not value.isprintable():
        raise ProtocolError(Reason.BAD_NAME, f"{where}.{key}: 1-16 letters, digits, spaces, _ - .")
    return value


def _required(value: str | None, where: str) -> str:
    if value is None:
        raise ProtocolError(Reason.BAD_FIELD, f"{where}: required")
    return value


def _game_name(obj: Mapping[str, Any], where: str) -> str:
    return _required(_optional_str(obj, "game_name", where, _GAME_NAME), f"{where}.game_name")


def _cookie(obj: Mapping[str, Any], where: str) -> str | None:
    return _optional_str(obj, "cookie", where, _TOKEN)


def _parse_connect(obj: Mapping[str, Any]) -> Connect:
    name = _required(_name(obj, "self", "connect"), "connect.self")
    # "bot:medium" is no name (':' is not a name character): the computer at that level, and
    # the key a repeated connect finds its match by.
    bot = parse_bot(obj["opponent"]) if is_bot_name(obj.get("opponent")) else None
    opponent = bot.opponent if bot is not None else _name(obj, "opponent", "connect")
    if opponent is not None and opponent.casefold() == name.casefold():
        raise ProtocolError(Reason.BAD_NAME, "connect.opponent: cannot be yourself")
    queue = obj.get("queue")
    if queue is not None and (not isinstance(queue, str) or queue not in QUEUES):
        raise ProtocolError(Reason.BAD_FIELD, "connect.queue: expected quick or null")
    game_name = _optional_str(obj, "game_name", "connect", _GAME_NAME)
    if queue is not None and (opponent is not None or game_name is not None):
        raise ProtocolError(Reason.BAD_FIELD, "connect.queue: not with opponent or game_name")
    return Connect(
        name=name,
        opponent=opponent,
        game_name=game_name,
        token=_optional_str(obj, "token", "connect", _TOKEN),
        timestamp=_optional_int(obj, "timestamp", "connect", 0, MAX_TIMESTAMP),
        cookie=_cookie(obj, "connect"),
        key=_optional_str(obj, "key", "connect", _KEY),
        queue=queue,
        bot=bot,
    )


# The highest 0-based kick test a turn has (5 tests for 90°, 6 for 180°).
MAX_KICK = {d: max(len(table[(0, d % 4)]) for table in KICKS.values()) - 1 for d in DIRECTIONS}


def _parse_last(obj: Any, where: str) -> LastTurn | None:
    # docs/protocol.md: {"rot": "cw" | "ccw" | "180", "kick": k}, absent after a move.
    if obj is None:
        return None
    rot = obj.get("rot") if isinstance(obj, dict) else None
    if not isinstance(rot, str) or rot not in TURNS:  # a list or dict is not even hashable
        raise ProtocolError(Reason.BAD_FIELD, f"{where}: expected {{rot: cw|ccw|180, kick}}")
    direction = TURNS[rot]
    return LastTurn(direction, _int(obj, "kick", where, 0, MAX_KICK[direction]))


def _parse_lock(obj: Any, where: str) -> Lock:
    if not isinstance(obj, dict):
        raise ProtocolError(Reason.BAD_FIELD, f"{where}: expected an object")
    piece = obj.get("piece")
    piece = _PIECES.get(piece) if isinstance(piece, str) else None
    if piece is None:
        raise ProtocolError(Reason.BAD_FIELD, f"{where}.piece: expected one of IJLOSTZ")
    # Checked in this order, so the first bad field is the one named; positional arguments
    # (every name as Lock's own) are the quicker call, once per lock of every request.
    n = _int(obj, "n", where, 0, 1_000_000)
    index = _int(obj, "i", where, 0, 1_000_000)
    r = _int(obj, "r", where, 0, 3)
    x = _int(obj, "x", where, -4, 13)
    y = _int(obj, "y", where, -HIDDEN - 3, 23)
    last = obj.get("last")
    last = None if last is None else _parse_last(last, f"{where}.last")
    fx = _int(obj, "fx", where, 0, 1_000_000) if "fx" in obj else 0
    return Lock(n, index, piece, r, x, y, last, fx)


def _parse_flux(obj: Mapping[str, Any]) -> Flux:
    raw_locks = obj.get("locks", [])
    if raw_locks is None:
        raw_locks = []
    if not isinstance(raw_locks, list):
        raise ProtocolError(Reason.BAD_FIELD, "game_flux.locks: expected a list")
    if len(raw_locks) > MAX_LOCKS:
        raise ProtocolError(Reason.BAD_FIELD, f"game_flux.locks: at most {MAX_LOCKS}")
    locks = tuple([_parse_lock(lock, f"game_flux.locks[{k}]") for k, lock in enumerate(raw_locks)])
    power_used = obj.get("power_used")
    if power_used is not None and (
        not isinstance(power_used, str) or power_used not in _POWER_NAMES
    ):
        raise ProtocolError(Reason.BAD_FIELD, "game_flux.power_used: expected a power name or null")
    power_n = None
    if power_used is not None:
        power_n = _optional_int(obj, "power_n", "game_flux", 0, 1_000_000)
    timestamp = _int(obj, "timestamp", "game_flux", 0, MAX_TIMESTAMP)
    game_name = _game_name(obj, "game_flux")
    token = _optional_str(obj, "token", "game_flux", _TOKEN)
    power = None if power_used is None else EffectKind(power_used)
    return Flux(timestamp, game_name, token, locks, power, power_n, _cookie(obj, "game_flux"))


def _parse_leave(obj: Mapping[str, Any]) -> Leave:
    intent = obj.get("intent", LeaveIntent.FORFEIT.value)
    if not isinstance(intent, str) or intent not in LeaveIntent._value2member_map_:
        raise ProtocolError(Reason.BAD_FIELD, "leave.intent: expected forfeit or closed")
    return Leave(
        timestamp=_int(obj, "timestamp", "leave", 0, MAX_TIMESTAMP),
        game_name=_game_name(obj, "leave"),
        token=_optional_str(obj, "token", "leave", _TOKEN),
        intent=LeaveIntent(intent),
        cookie=_cookie(obj, "leave"),
    )


def _parse_probe(obj: Mapping[str, Any]) -> Probe:
    return Probe(game_name=_game_name(obj, "probe"), cookie=_cookie(obj, "probe"))


def _parse_rematch(obj: Mapping[str, Any]) -> Rematch:
    answer = obj.get("answer", RematchAnswer.ASK.value)
    if not isinstance(answer, str) or answer not in RematchAnswer._value2member_map_:
        raise ProtocolError(Reason.BAD_FIELD, "rematch.answer: expected ask, accept or decline")
    return Rematch(
        timestamp=_int(obj, "timestamp", "rematch", 0, MAX_TIMESTAMP),
        game_name=_game_name(obj, "rematch"),
        token=_optional_str(obj, "token", "rematch", _TOKEN),
        answer=RematchAnswer(answer),
        cookie=_cookie(obj, "rematch"),
    )


def _parse_challenges(obj: Mapping[str, Any]) -> ChallengesQuery:
    return ChallengesQuery(name=_required(_name(obj, "self", "challenges"), "challenges.self"),
                           cookie=_cookie(obj, "challenges"))


def _parse_watch(obj: Mapping[str, Any]) -> Watch:
    return Watch(timestamp=_int(obj, "timestamp", "watch", 0, MAX_TIMESTAMP),
                 game_name=_game_name(obj, "watch"), cookie=_cookie(obj, "watch"))


def _parse_replay(obj: Mapping[str, Any]) -> ReplayRequest:
    return ReplayRequest(
        game_name=_game_name(obj, "replay"),
        part=_int(obj, "part", "replay", 0, 1_000_000),
        timestamp=_optional_int(obj, "timestamp", "replay", 0, MAX_TIMESTAMP),
        cookie=_cookie(obj, "replay"),
    )


_PARSERS: dict[str, Callable[[Mapping[str, Any]], Message]] = {
    "connect": _parse_connect,
    "game_flux": _parse_flux,
    "leave": _parse_leave,
    "probe": _parse_probe,
    "rematch": _parse_rematch,
    "challenges": _parse_challenges,
    "watch": _parse_watch,
    "replay": _parse_replay,
}
assert frozenset(_PARSERS) == CLIENT_COMMANDS | FETCH_COMMANDS


# -- encoding -----------------------------------------------------------------------------


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode(payload: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return _ENCODER.encode(payload).encode("utf-8")


def encode_str(payload: Any) -> str:
    """Compact JSON, as a str (a part of a larger document)."""
    return _ENCODER.encode(payload)


_string = json.encoder.encode_basestring  # a JSON string as _ENCODER writes it (not ASCII-only)


def _plain_strings(items: Sequence[str]) -> str:
    """A JSON array of strings that need no escaping, the rules' own alphabets: piece letters,
    field rows ('.', letters, 'G') and power names."""
    return '["' + '","'.join(items) + '"]' if items else "[]"


# id(field) -> (field, its 20 rows as JSON, its occupied hidden rows as a JSON string or b"")
_FRAGMENTS: dict[int, tuple[Field, bytes, bytes]] = {}
_MAX_FRAGMENTS = 8192  # two boards of 4,096 matches; past that it starts afresh


def _fragments(field: Field) -> tuple[Field, bytes, bytes]:
    """A board encoded once per field and reused by every reply that shows it until the board
    changes. A Field is immutable, so the object is the key; the entry keeps it alive, so its id
    cannot be reused while cached. Dict calls are atomic under the GIL, and a race at worst
    encodes one field twice."""
    entry = _FRAGMENTS.get(id(field))
    if entry is not None and entry[0] is field:
        return entry
    hidden = field.hidden_hex()
    entry = (field, _plain_strings(field.to_rows()).encode(),
             f'"{hidden}"'.encode() if hidden else b"")
    if len(_FRAGMENTS) >= _MAX_FRAGMENTS:
        _FRAGMENTS.clear()
    _FRAGMENTS[id(field)] = entry
    return entry


def rows_fragment(field: Field) -> bytes:
    """A board's 20 visible rows as JSON (cached: see _fragments)."""
    return _fragments(field)[1]


def hidden_fragment(field: Field) -> bytes:
    """A board's occupied hidden rows as a JSON string, b"" when there are none (cached)."""
    return _fragments(field)[2]


@functools.cache
def _member(key: str) -> bytes:
    return f',"{key}":'.encode()  # "user_blocks" -> b',"user_blocks":'


def _board(shown: Shown, with_hidden: bool) -> bytes:
    _, rows, hidden = _fragments(shown.field)
    data = _member(shown.rows_key) + rows
    if hidden and with_hidden:
        data += _member(shown.hidden_key) + hidden
    return data


def _joined(
    payload: Mapping[str, Any], boards: Sequence[Shown], cut_hidden: frozenset[str] = frozenset()
) -> bytes:
    data = encode(payload)
    if not boards:
        return data
    parts = (_board(shown, shown.hidden_key not in cut_hidden) for shown in boards)
    return b"".join([data[:-1], *parts, b"}"])


# What a reply too large leaves out before anything the prediction needs: the page only draws
# these, and keeps the counters of an earlier datagram while one is missing (docs/protocol.md).
_CUT_HIDDEN: Final = frozenset({"opponent_hidden"})
_SHOWN_ONLY: Final = ("opponent_lines", "opponent_pieces", "garbage_sent", "watchers",
                      "opponent_away_ms")
# Then what tells of this one request, not the state: a power use is handled either way
# (`power_ack` says so), and `echo` only measures the round trip.
_ONCE: Final = frozenset({"power_rejected", "echo"})


def _flux_json(reply: GameFlux, timestamp: int, cookie: str | None) -> bytes:
    """A game_flux reply written member by member, byte for byte what `_joined` writes for its
    payload: two go out per request, and building the dict for the encoder cost as much as
    judging the lock. tests/test_service.py holds the two writings equal."""
    s = reply.state
    hold = "" if s.hold is None else f',"hold":{_string(s.hold)},"hold_index":{s.hold_index}'
    away = ""
    if s.opponent_away:
        away = ',"opponent_away":true' + (
            "" if s.opponent_away_ms is None else f',"opponent_away_ms":{s.opponent_away_ms}')
    tail = ""
    if s.watchers:
        tail += f',"watchers":{s.watchers}'
    if s.countdown_ms:
        tail += f',"countdown_ms":{s.countdown_ms}'
    tail += f',"power_used":{"null" if reply.power_used is None else _string(reply.power_used)}'
    if reply.power_rejected is not None:
        tail += f',"power_rejected":{encode_str(reply.power_rejected.to_wire())}'
    if reply.rejected is not None:
        tail += f',"rejected":{encode_str(reply.rejected.to_wire())}'
    if reply.echo is not None:
        tail += f',"echo":{reply.echo}'
    head = "{" if cookie is None else f'{{"cookie":{_string(cookie)},'
    text = (
        f'{head}"timestamp":{timestamp},"command":"game_flux","game_name":'
        f'{_string(reply.game_name)},"next_block":{_plain_strings(s.next_block)},'
        f'"time_left":{s.time_left},"user_score":{s.user_score},'
        f'"opponent_score":{s.opponent_score},'
        f'"powers_available":{_plain_strings(s.powers_available)},'
        f'"ack":{s.ack},"piece_index":{s.piece_index}{hold},"combo":{s.combo},'
        f'"b2b":{"true" if s.b2b else "false"},"lines":{s.lines},'
        f'"opponent_lines":{s.opponent_lines},"opponent_pieces":{s.opponent_pieces}{away},'
        f'"fx":{s.fx},"effects":{encode_str(s.effects) if s.effects else "[]"},'
        f'"power_ack":{s.power_ack},'
        f'"power_applied":{encode_str(s.power_applied) if s.power_applied else "[]"},'
        f'"garbage_sent":{s.garbage_sent}{tail}'
    )
    user, opponent = _fragments(s.user_field), _fragments(s.opponent_field)
    parts = [text.encode(), b',"user_blocks":', user[1]]
    if user[2]:
        parts += (b',"user_hidden":', user[2])
    parts += (b',"opponent_blocks":', opponent[1])
    if opponent[2]:
        parts += (b',"opponent_hidden":', opponent[2])
    parts.append(b"}")
    return b"".join(parts)


def encode_reply(reply: Reply, timestamp: int, cookie: str | None = None) -> bytes:
    """One reply as one datagram of at most MAX_DATAGRAM bytes, stamped with `timestamp`.

    The address `cookie`, when given, is a member like any other, and always the first one (so a
    relay can take it off without parsing). A reply too large is cut, step by step until it fits
    (docs/protocol.md "Size"): `next_block` to SHORT_PREVIEW pieces and `power_applied` left
    empty; then what the page only draws (`opponent_hidden` and the _SHOWN_ONLY counters); then
    the newest `effects` wait for a later datagram (they are repeated until applied, so nothing
    is lost); then `power_rejected` and `echo` (_ONCE); last the preview down to the next piece.
    `user_hidden` is never cut: the prediction needs it. ValueError if even that does not fit
    (the service then sends a cookie's `verify` alone; a reply without a cookie always fits)."""
    if type(reply) is GameFlux:  # the hot path: written directly unless it must be cut
        data = _flux_json(reply, timestamp, cookie)
        if len(data) <= MAX_DATAGRAM:
            return data
    head = {} if cookie is None else {"cookie": cookie}
    payload = {**head, "timestamp": timestamp, "command": reply.COMMAND, **reply.fields()}
    boards = reply.boards()
    data = _joined(payload, boards)
    if len(data) <= MAX_DATAGRAM:
        return data
    # A reply that knows how to make itself smaller (game_end, spectate) does so first.
    smaller = reply.shrink() if hasattr(reply, "shrink") else None
    if smaller is not None:
        return encode_reply(smaller, timestamp, cookie)
    if "next_block" in payload:
        payload["next_block"] = payload["next_block"][:SHORT_PREVIEW]
    if payload.get("power_applied"):
        payload["power_applied"] = []  # it only repeats what `effects` and `fx` say
    cut: frozenset[str] = frozenset()
    data = _joined(payload, boards)
    if len(data) > MAX_DATAGRAM:
        cut = _CUT_HIDDEN
        for key in _SHOWN_ONLY:
            payload.pop(key, None)
        data = _joined(payload, boards, cut)
    effects = list(payload.get("effects", ()))
    while len(data) > MAX_DATAGRAM and effects:
        effects.pop()
        payload["effects"] = effects
        data = _joined(payload, boards, cut)
    if len(data) > MAX_DATAGRAM and not _ONCE.isdisjoint(payload):
        for key in _ONCE:
            payload.pop(key, None)
        data = _joined(payload, boards, cut)
    if len(data) > MAX_DATAGRAM and "next_block" in payload:
        payload["next_block"] = payload["next_block"][:2]  # the piece in hand and the next
        data = _joined(payload, boards, cut)
    if len(data) > MAX_DATAGRAM:
        raise ValueError(f"a {reply.COMMAND} reply of {len(data)} bytes cannot be cut")
    return data


def error_reply(error: ProtocolError, request_size: int) -> bytes | None:
    """The `error` datagram for a bad request, never larger than the request itself.

    A reply larger than its request would let a forged source address turn the server into an
    amplifier; `detail` goes first, and a request too small for even the bare reason gets silence.
    """
    payload: dict[str, Any] = {"command": "error", "reason": error.reason}
    if error.detail:
        detailed = encode({**payload, "detail": error.detail})
        if len(detailed) <= request_size:
            return detailed
    bare = encode(payload)
    return bare if len(bare) <= request_size else None

