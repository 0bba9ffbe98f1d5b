"""Fetching a replay over UDP, the client's side (docs/protocol.md "Replays"): `PartsFetch` is
the sans-I/O bookkeeping (which parts to ask for, when to ask again, the address cookie), shared
by the blocking `fetch_replay` here (tests, tools) and the bridge's asyncio fetch
(bridge/replays.py).

It asks for a window of parts at a time and asks again for a part not answered within
`retry_ms`, so a lost request or reply only costs a retry. An unproven address first gets the
server's `verify` (the part would not fit its anti-amplification allowance): the cookie is then
echoed in every request, and the parts come.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from server.protocol import encode

WINDOW = 8  # parts asked for at once
RETRY_MS = 250  # a part not answered within this is asked for again


class ReplayNotFound(LookupError):
    """The server has no replay of that match (unknown, expired, or still being played)."""


class ReplayTimeout(TimeoutError):
    """The server did not answer in time."""


@dataclass
class PartsFetch:
    game_name: str
    window: int = WINDOW
    retry_ms: int = RETRY_MS
    parts: int | None = None  # known from the first replay_part
    cookie: str | None = None
    missing: str | None = None  # the server's detail, when it has no such replay
    _got: dict[int, str] = field(default_factory=dict)
    _asked: dict[int, int] = field(default_factory=dict)  # part -> when last asked (ms)

    @property
    def done(self) -> bool:
        return self.parts is not None and len(self._got) == self.parts

    def text(self) -> str:
        assert self.done
        return "".join(self._got[k] for k in range(len(self._got)))

    def requests(self, now: int) -> list[bytes]:
        """The requests to send at `now` (ms, any monotonic clock)."""
        wanted = [0] if self.parts is None else [
            k for k in range(self.parts) if k not in self._got]
        in_flight = sum(1 for k, at in self._asked.items()
                        if k not in self._got and now - at < self.retry_ms)
        due = []
        for k in wanted:
            if in_flight >= self.window:
                break
            at = self._asked.get(k)
            if at is None or now - at >= self.retry_ms:
                self._asked[k] = now
                due.append(k)
                in_flight += 1
        return [self._request(k, now) for k in due]

    def _request(self, k: int, now: int) -> bytes:
        msg: dict[str, Any] = {"command": "replay", "timestamp": now,
                               "game_name": self.game_name, "part": k}
        if self.cookie is not None:
            msg = {"cookie": self.cookie, **msg}
        return encode(msg)

    def receive(self, data: bytes) -> None:
        """Take one datagram from the server; anything not for this fetch is ignored."""
        try:
            msg = json.loads(data)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        if isinstance(msg.get("cookie"), str):
            if msg["cookie"] != self.cookie:
                self._asked.clear()  # unanswered for want of it: ask again at once
            self.cookie = msg["cookie"]
        command = msg.get("command")
        if command == "error" and msg.get("reason") == "unknown_game":
            self.missing = str(msg.get("detail", "no such replay"))
        elif (command == "replay_part" and msg.get("game_name") == self.game_name
              and isinstance(msg.get("part"), int) and isinstance(msg.get("parts"), int)
              and isinstance(msg.get("data"), str) and 0 <= msg["part"] < msg["parts"]):
            if self.parts is None:
                self.parts = msg["parts"]
            if msg["parts"] == self.parts:
                self._got[msg["part"]] = msg["data"]


def fetch_replay(server: tuple[str, int], game_name: str, timeout: float = 5.0,
                 sock: socket.socket | None = None) -> bytes:
    """The replay of `game_name` from the UDP server at `server`; ReplayNotFound, or
    ReplayTimeout when it is not complete within `timeout` seconds. Blocking."""
    own = sock is None
    sock = sock or socket.socket(socket.AF_INET6 if ":" in server[0] else socket.AF_INET,
                                 socket.SOCK_DGRAM)
    fetch = PartsFetch(game_name)
    deadline = time.monotonic() + timeout
    try:
        while not fetch.done:
            now = time.monotonic()
            if now >= deadline:
                raise ReplayTimeout(f"no complete replay of {game_name} within {timeout:g} s")
            for request in fetch.requests(int(now * 1000)):
                sock.sendto(request, server)
            sock.settimeout(min(fetch.retry_ms / 1000, max(0.001, deadline - now)))
            try:
                data, _ = sock.recvfrom(65536)
            except TimeoutError:
                continue
            fetch.receive(data)
            if fetch.missing is not None:
                raise ReplayNotFound(fetch.missing)
        return fetch.text().encode("ascii")
    finally:
        if own:
            sock.close()
