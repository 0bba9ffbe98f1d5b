"""The wire format: datagrams parsed once into typed messages, replies encoded once.

Everything that comes off a socket goes through `decode`, which either returns a frozen message
or raises `ProtocolError` naming the field at fault. Nothing inside the server re-checks dict keys.
See docs/protocol.md for every message and field.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from server.errors import ProtocolError
from server.rules.board import Lock
from server.rules.effects import POWERS, EffectKind
from server.rules.pieces import Piece

MAX_DATAGRAM = 1200  # payload bytes either way; a conservative MTU that avoids IP fragmentation
MAX_LOCKS = 16  # per request; clients send at most 8 unacknowledged locks
CLIENT_COMMANDS = frozenset({"connect", "game_flux", "leave"})
MAX_TIMESTAMP = 2**53  # JavaScript's safe integers: anything larger is not a real clock

_POWER_NAMES = frozenset(str(power) for power in POWERS)
_NAME = re.compile(r"[A-Za-z0-9_ .-]{1,16}")  # ASCII: 16 characters are 16 bytes
_GAME_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


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


Message = Connect | Flux | Leave


# -- decoding -----------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(data: bytes) -> Message:
    """Parse one datagram or raise ProtocolError; never anything else."""
    if len(data) > MAX_DATAGRAM:
        raise ProtocolError("too_large", f"{len(data)} bytes, limit {MAX_DATAGRAM}")
    try:
        obj = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError("bad_json", str(exc)[:80]) from None
    if not isinstance(obj, dict):
        raise ProtocolError("not_object")
    command = obj.get("command")
    parser = _PARSERS.get(command) if isinstance(command, str) else None
    if parser is None:
        raise ProtocolError("unknown_command", repr(command)[:40])
    return parser(obj)


def _int(obj: Mapping[str, Any], key: str, where: str, lo: int, hi: int) -> int:
    value = obj.get(key)
    # bool is an int subclass; a float like 3.0 is not an integer on this wire either
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError("bad_field", f"{where}.{key}: expected an integer")
    if not lo <= value <= hi:
        raise ProtocolError("bad_field", f"{where}.{key}: out of range")
    return value


def _optional_str(
    obj: Mapping[str, Any], key: str, where: str, pattern: re.Pattern[str]
) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ProtocolError("bad_field", f"{where}.{key}: invalid")
    return value


def _name(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError("bad_name", f"{where}.{key}: expected a string")
    value = value.strip(" ")
    if not _NAME.fullmatch(value) or not value.isprintable():
        raise ProtocolError("bad_name", f"{where}.{key}: 1-16 letters, digits, spaces, _ - .")
    return value


def _required(value: str | None, where: str) -> str:
    if value is None:
        raise ProtocolError("bad_field", f"{where}: required")
    return value


def _parse_connect(obj: Mapping[str, Any]) -> Connect:
    name = _required(_name(obj, "self", "connect"), "connect.self")
    opponent = _name(obj, "opponent", "connect")
    if opponent is not None and opponent.casefold() == name.casefold():
        raise ProtocolError("bad_name", "connect.opponent: cannot be yourself")
    timestamp = None
    if obj.get("timestamp") is not None:
        timestamp = _int(obj, "timestamp", "connect", 0, MAX_TIMESTAMP)
    return Connect(
        name=name,
        opponent=opponent,
        game_name=_optional_str(obj, "game_name", "connect", _GAME_NAME),
        token=_optional_str(obj, "token", "connect", _TOKEN),
        timestamp=timestamp,
        cookie=_optional_str(obj, "cookie", "connect", _TOKEN),
    )


def _parse_lock(obj: Any, where: str) -> Lock:
    if not isinstance(obj, dict):
        raise ProtocolError("bad_field", f"{where}: expected an object")
    piece = obj.get("piece")
    if not isinstance(piece, str) or piece not in Piece.__members__:
        raise ProtocolError("bad_field", f"{where}.piece: expected one of IJLOSTZ")
    spin = obj.get("spin", False)
    if not isinstance(spin, bool):
        raise ProtocolError("bad_field", f"{where}.spin: expected a boolean")
    return Lock(
        n=_int(obj, "n", where, 0, 1_000_000),
        index=_int(obj, "i", where, 0, 1_000_000),
        piece=Piece(piece),
        r=_int(obj, "r", where, 0, 3),
        x=_int(obj, "x", where, -4, 13),
        y=_int(obj, "y", where, -8, 23),
        spin=spin,
        fx=_int(obj, "fx", where, 0, 1_000_000) if "fx" in obj else 0,
    )


def _parse_flux(obj: Mapping[str, Any]) -> Flux:
    raw_locks = obj.get("locks", [])
    if raw_locks is None:
        raw_locks = []
    if not isinstance(raw_locks, list):
        raise ProtocolError("bad_field", "game_flux.locks: expected a list")
    if len(raw_locks) > MAX_LOCKS:
        raise ProtocolError("bad_field", f"game_flux.locks: at most {MAX_LOCKS}")
    locks = tuple(_parse_lock(lock, f"game_flux.locks[{k}]") for k, lock in enumerate(raw_locks))
    power_used = obj.get("power_used")
    if power_used is not None and (
        not isinstance(power_used, str) or power_used not in _POWER_NAMES
    ):
        raise ProtocolError("bad_field", "game_flux.power_used: expected a power name or null")
    power_n = None
    if power_used is not None and obj.get("power_n") is not None:
        power_n = _int(obj, "power_n", "game_flux", 0, 1_000_000)
    return Flux(
        timestamp=_int(obj, "timestamp", "game_flux", 0, MAX_TIMESTAMP),
        game_name=_required(
            _optional_str(obj, "game_name", "game_flux", _GAME_NAME), "game_flux.game_name"
        ),
        token=_optional_str(obj, "token", "game_flux", _TOKEN),
        locks=locks,
        power_used=None if power_used is None else EffectKind(power_used),
        power_n=power_n,
        cookie=_optional_str(obj, "cookie", "game_flux", _TOKEN),
    )


def _parse_leave(obj: Mapping[str, Any]) -> Leave:
    intent = obj.get("intent", LeaveIntent.FORFEIT.value)
    if not isinstance(intent, str) or intent not in LeaveIntent._value2member_map_:
        raise ProtocolError("bad_field", "leave.intent: expected forfeit or closed")
    return Leave(
        timestamp=_int(obj, "timestamp", "leave", 0, MAX_TIMESTAMP),
        game_name=_required(
            _optional_str(obj, "game_name", "leave", _GAME_NAME), "leave.game_name"
        ),
        token=_optional_str(obj, "token", "leave", _TOKEN),
        intent=LeaveIntent(intent),
        cookie=_optional_str(obj, "cookie", "leave", _TOKEN),
    )


_PARSERS: dict[str, Callable[[Mapping[str, Any]], Message]] = {
    "connect": _parse_connect,
    "game_flux": _parse_flux,
    "leave": _parse_leave,
}
assert frozenset(_PARSERS) == CLIENT_COMMANDS


# -- encoding -----------------------------------------------------------------------------


def encode(payload: Mapping[str, Any]) -> bytes:
    """One compact UTF-8 JSON datagram; callers encode each reply once."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return data.encode("utf-8")


SHORT_PREVIEW = 7  # next_block when a full one would not fit
# Extension fields left out when null or false: the client reads a missing one as null/false.
OMITTED_WHEN_EMPTY = frozenset(
    {"hold", "hold_index", "opponent_away", "rejected", "power_rejected"}
)


def encode_reply(payload: Mapping[str, Any]) -> bytes:
    """Encode a reply within MAX_DATAGRAM: if it is too large, `next_block` is cut to
    SHORT_PREVIEW pieces and `power_applied` left out, then the newest `effects` wait for a
    later datagram (they are repeated until applied, so nothing is lost; docs/protocol.md), and
    last the preview shrinks to the next piece. ValueError if even that does not fit."""
    payload = {
        key: value for key, value in payload.items()
        if not (key in OMITTED_WHEN_EMPTY and value in (None, False))
    }
    data = encode(payload)
    if len(data) <= MAX_DATAGRAM:
        return data
    trimmed = dict(payload)
    if "next_block" in trimmed:
        trimmed["next_block"] = trimmed["next_block"][:SHORT_PREVIEW]
    if trimmed.get("power_applied"):
        trimmed["power_applied"] = []  # it only repeats what `effects` and `fx` say
    effects = list(trimmed.get("effects", ()))
    data = encode(trimmed)
    while len(data) > MAX_DATAGRAM and effects:
        effects.pop()
        trimmed["effects"] = effects
        data = encode(trimmed)
    if len(data) > MAX_DATAGRAM and "next_block" in trimmed:
        trimmed["next_block"] = trimmed["next_block"][:2]  # the piece in hand and the next
        data = encode(trimmed)
    if len(data) > MAX_DATAGRAM:
        raise ValueError(f"a {payload.get('command')} reply of {len(data)} bytes cannot be cut")
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

