"""What crosses the bridge: browser frames checked at the edge, server datagrams classified.

The bridge does not understand games. It checks only what docs/protocol.md ("The bridge") asks of
a frame before it becomes a datagram, and reads from the server's datagrams only the few fields it
needs to queue them (`command`), to say goodbye for a closed tab (`game_name`, `token`) and to
answer the address handshake (`cookie`, which the page never sees).

Each frame and each datagram is decoded at most once (a server game_flux only its head). A frame
goes out as the browser's own bytes, or, once the server has sent a cookie, encoded once more from
its decoded object with the cookie as one more field: never bytes spliced into bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from server.match import EndReason
from server.wire import CLIENT_COMMANDS, MAX_DATAGRAM, TOKEN_PATTERN, Reason

# Server commands the bridge reads for its own bookkeeping.
GAME_FLUX = "game_flux"
JOINED_COMMANDS = frozenset({"waiting", "game_start"})  # the connection is in a match
GAME_END = "game_end"
ERROR = "error"
CONNECT = "connect"
COOKIE = "cookie"  # the address cookie's member, both ways (docs/protocol.md "Handshake")


class FrameError(Exception):
    """A browser frame that must not be forwarded; `reason` is a docs/protocol.md error reason."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ClientFrame:
    """A checked browser frame: `payload` is the exact bytes the browser sent, `message` their
    decoded object (read-only by convention: `datagram` copies it)."""

    command: str
    payload: bytes
    timestamp: int | None
    message: dict[str, Any]

    @property
    def opens_match(self) -> bool:
        """A `connect` naming no match: the server opens one for it, unless it pairs with a
        challenge that is waiting (docs/protocol.md `connect`)."""
        return self.command == CONNECT and self.message.get("game_name") is None

    def datagram(self, cookie: str | None) -> bytes:
        """What the server gets: the browser's bytes, with the address cookie as a field when
        there is one; unchanged if the cookie would take them past the datagram limit."""
        if cookie is None:
            return self.payload
        with_cookie = _COMPACT.encode({**self.message, COOKIE: cookie}).encode("utf-8")
        return with_cookie if len(with_cookie) <= MAX_DATAGRAM else self.payload


@dataclass(frozen=True, slots=True)
class ServerMessage:
    """A server datagram as the browser will get it, with the fields the bridge looks at."""

    text: str  # without the server's cookie: the handshake is the bridge's business
    command: str | None
    game_name: str | None
    token: str | None
    cookie: str | None = None  # the server's cookie for this connection's UDP address
    timestamp: int | None = None  # the server's clock: a frame the bridge makes must be newer
    redirect: tuple[str, str] | None = None  # a `redirect`'s (node, address)


VERIFY = "verify"  # the server's bare cookie, for the bridge alone (docs/protocol.md "Handshake")
REDIRECT = "redirect"  # a cluster node's "ask that node": the bridge follows it itself


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and the server) does not.
    raise ValueError(f"{name} is not JSON")


# Built once: json.loads and json.dumps with options build a new decoder or encoder per call.
_STRICT = json.JSONDecoder(parse_constant=_reject_constant)
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def parse_client_frame(text: str) -> ClientFrame:
    """Check one TEXT frame from the browser or raise FrameError."""
    try:
        payload = text.encode("utf-8")
    except UnicodeEncodeError:
        raise FrameError(Reason.BAD_JSON, "frame is not valid UTF-8") from None
    if len(payload) > MAX_DATAGRAM:
        raise FrameError(Reason.TOO_LARGE, f"{len(payload)} bytes, limit {MAX_DATAGRAM}")
    try:
        obj = _STRICT.decode(text)
    except (ValueError, RecursionError) as exc:
        raise FrameError(Reason.BAD_JSON, str(exc)[:80]) from None
    if not isinstance(obj, dict):
        raise FrameError(Reason.NOT_OBJECT, f"expected a JSON object, got {type(obj).__name__}")
    command = obj.get("command")
    if not isinstance(command, str) or command not in CLIENT_COMMANDS:
        raise FrameError(Reason.UNKNOWN_COMMAND, "command must be one of " + _commands_list())
    timestamp = obj.get("timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        timestamp = None
    return ClientFrame(command=command, payload=payload, timestamp=timestamp, message=obj)


def _commands_list() -> str:
    return ", ".join(sorted(CLIENT_COMMANDS))


def binary_frame_error() -> FrameError:
    return FrameError(Reason.BAD_JSON, "binary frames are not accepted; send JSON text frames")


def error_frame(reason: Reason, detail: str | None = None) -> str:
    """An `error` frame the bridge itself sends the browser (same shape as the server's)."""
    message: dict[str, str] = {"command": ERROR, "reason": reason}
    if detail is not None:
        message["detail"] = detail
    return _COMPACT.encode(message)


def read_server_datagram(data: bytes) -> ServerMessage | None:
    """Classify a datagram from the server; None if it cannot be a text frame at all."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    flux = _FLUX_HEAD.match(data)
    if flux is not None and _QUOTED_COOKIE_BYTES not in data:
        # Most of what crosses: a game_flux as the server writes it (server/protocol.py
        # `_flux_json`), its head read in place of decoding the whole state; it names neither
        # seat nor cookie, so nothing else in it concerns the bridge.
        return ServerMessage(text=text, command=GAME_FLUX, game_name=None, token=None,
                             timestamp=int(flux.group(1)))
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        obj = None
    if not isinstance(obj, dict):
        # The server is trusted to speak JSON; forward anyway and let the browser judge.
        return ServerMessage(text=text, command=None, game_name=None, token=None)
    cookie = None
    if COOKIE in obj:  # only in replies to an address not yet proven
        cookie = _str_or_none(obj.pop(COOKIE))
        text = _without_cookie(text, obj)
    command = _str_or_none(obj.get("command"))
    timestamp = obj.get("timestamp")
    node, address = _str_or_none(obj.get("node")), _str_or_none(obj.get("address"))
    return ServerMessage(
        text=text,
        command=command,
        game_name=_str_or_none(obj.get("game_name")),
        token=_str_or_none(obj.get("token")),
        cookie=cookie,
        timestamp=timestamp if isinstance(timestamp, int) else None,
        redirect=(node, address) if command == REDIRECT and node and address else None,
    )


def _without_cookie(text: str, rest: dict[str, Any]) -> str:
    """The datagram's text less its cookie. The server puts it first (docs/protocol.md
    "Handshake"), so it is cut off there; anywhere else, `rest` is encoded again."""
    match = _LEADING_COOKIE.match(text)
    if match is not None:
        remainder = text[match.end() :]
        if _QUOTED_COOKIE not in remainder:  # not a second cookie member, nor a "cookie" value
            return "{" + remainder
    return _COMPACT.encode(rest)


_QUOTED_COOKIE = f'"{COOKIE}"'
_QUOTED_COOKIE_BYTES = _QUOTED_COOKIE.encode()
_FLUX_HEAD = re.compile(rb'\{"timestamp":(0|[1-9][0-9]{0,17}),"command":"game_flux",')
_LEADING_COOKIE = re.compile(r"\{" + _QUOTED_COOKIE + ':"' + TOKEN_PATTERN + '",')


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def server_lost_frame(timestamp: int, game_name: str) -> str:
    """The `game_end` the bridge makes when a match's node is gone (docs/protocol.md)."""
    return _COMPACT.encode({"timestamp": timestamp, "command": GAME_END, "game_name": game_name,
                            "winner": None, "score": {}, "reason": EndReason.SERVER_LOST})


def leave_datagram(
    timestamp: int, game_name: str, token: str | None, cookie: str | None = None
) -> bytes:
    """The `leave` the bridge sends for a browser whose WebSocket closed (docs/protocol.md)."""
    message: dict[str, object] = {
        "command": "leave",
        "timestamp": timestamp,
        "game_name": game_name,
        "intent": "closed",
    }
    if token is not None:
        message["token"] = token
    if cookie is not None:
        message[COOKIE] = cookie
    return json.dumps(message, separators=(",", ":")).encode("utf-8")
