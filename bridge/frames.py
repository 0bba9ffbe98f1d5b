"""What crosses the bridge: browser frames checked at the edge, server datagrams classified.

The bridge does not understand games. It checks only what docs/protocol.md ("The bridge") asks of
a frame before it becomes a datagram, and reads from the server's datagrams only the few fields it
needs to queue them (`command`) and to say goodbye for a closed tab (`game_name`, `token`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from server.protocol import CLIENT_COMMANDS, MAX_DATAGRAM

# Server commands the bridge reads for its own bookkeeping.
GAME_FLUX = "game_flux"
JOINED_COMMANDS = frozenset({"waiting", "game_start"})  # the connection is in a match
GAME_END = "game_end"


class FrameError(Exception):
    """A browser frame that must not be forwarded; `reason` is a docs/protocol.md error reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ClientFrame:
    """A checked browser frame: forwarded as `payload`, the exact bytes the browser sent."""

    command: str
    payload: bytes
    timestamp: int | None


@dataclass(frozen=True)
class ServerMessage:
    """A server datagram as the browser will get it, with the fields the bridge looks at."""

    text: str
    command: str | None
    game_name: str | None
    token: str | None
    cookie: str | None = None  # the server's cookie for this connection's UDP address


VERIFY = "verify"  # the server's bare cookie, for the bridge alone (docs/protocol.md "Handshake")

def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and the server) does not.
    raise ValueError(f"{name} is not JSON")


def parse_client_frame(text: str) -> ClientFrame:
    """Check one TEXT frame from the browser or raise FrameError."""
    try:
        payload = text.encode("utf-8")
    except UnicodeEncodeError:
        raise FrameError("bad_json", "frame is not valid UTF-8") from None
    if len(payload) > MAX_DATAGRAM:
        raise FrameError("too_large", f"{len(payload)} bytes, limit {MAX_DATAGRAM}")
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise FrameError("bad_json", str(exc)[:80]) from None
    if not isinstance(obj, dict):
        raise FrameError("not_object", f"expected a JSON object, got {type(obj).__name__}")
    command = obj.get("command")
    if not isinstance(command, str) or command not in CLIENT_COMMANDS:
        raise FrameError("unknown_command", "command must be one of " + _commands_list())
    timestamp = obj.get("timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        timestamp = None
    return ClientFrame(command=command, payload=payload, timestamp=timestamp)


def _commands_list() -> str:
    return ", ".join(sorted(CLIENT_COMMANDS))


def binary_frame_error() -> FrameError:
    return FrameError("bad_json", "binary frames are not accepted; send JSON text frames")


def error_frame(reason: str, detail: str | None = None) -> str:
    """An `error` frame the bridge itself sends the browser (same shape as the server's)."""
    message: dict[str, str] = {"command": "error", "reason": reason}
    if detail is not None:
        message["detail"] = detail
    return json.dumps(message, separators=(",", ":"))


def read_server_datagram(data: bytes) -> ServerMessage | None:
    """Classify a datagram from the server; None if it cannot be a text frame at all."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        obj = None
    if not isinstance(obj, dict):
        # The server is trusted to speak JSON; forward anyway and let the browser judge.
        return ServerMessage(text=text, command=None, game_name=None, token=None)
    return ServerMessage(
        text=text,
        command=_str_or_none(obj.get("command")),
        game_name=_str_or_none(obj.get("game_name")),
        token=_str_or_none(obj.get("token")),
        cookie=_str_or_none(obj.get("cookie")),
    )


def with_cookie(payload: bytes, cookie: str) -> bytes:
    """A checked client frame (a non-empty JSON object) with the address cookie echoed in it,
    or the frame unchanged if that would pass the datagram limit."""
    extended = payload.rstrip()[:-1] + b',"cookie":' + json.dumps(cookie).encode() + b"}"
    return extended if len(extended) <= MAX_DATAGRAM else payload


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


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
        message["cookie"] = cookie
    return json.dumps(message, separators=(",", ":")).encode("utf-8")
