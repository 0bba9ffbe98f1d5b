"""A plain UDP client that speaks exactly the seed's messages plus the documented extensions.

Blocking sockets with timeouts: every wait is bounded, so a broken server fails a test instead of
hanging it.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from tests.bots import Bot
from tests.flux_schedule import FluxSchedule


class SeedClient:
    def __init__(
        self, server: tuple[str, int], name: str, strategy: str = "best", use_powers: bool = False
    ) -> None:
        self.server = server
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.last_ts = 0  # our own timestamps: strictly increasing
        self.newest_applied = 0  # the newest server timestamp applied (timestamp > now)
        self.game: dict[str, Any] = {}
        self.cookie: str | None = None  # the server's cookie for our address, once it sent one
        self.end: dict[str, Any] | None = None
        self.bot = Bot(strategy=strategy, use_powers=use_powers)
        self.schedule = FluxSchedule()  # the browser's resend backoff

    def close(self) -> None:
        self.sock.close()

    def stamp(self) -> int:
        self.last_ts = max(int(time.time() * 1000), self.last_ts + 1)
        return self.last_ts

    def send(self, msg: dict[str, Any] | bytes) -> None:
        if isinstance(msg, dict) and self.cookie is not None:
            msg = {"cookie": self.cookie, **msg}
        data = msg if isinstance(msg, bytes) else json.dumps(msg).encode()
        self.sock.sendto(data, self.server)

    def recv(self, timeout: float = 0.2) -> dict[str, Any] | None:
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65536)
        except TimeoutError:
            return None
        assert len(data) <= 1200, f"datagram of {len(data)} bytes"
        msg = json.loads(data)
        self.cookie = msg.pop("cookie", self.cookie)  # echoed: it proves our address
        self._apply(msg)
        return msg

    def _apply(self, msg: dict[str, Any]) -> None:
        command = msg.get("command")
        if isinstance(msg.get("echo"), int):  # a direct answer: our stamps are the wall clock
            self.schedule.measured(time.time() - msg["echo"] / 1000)
        if command == "waiting":
            self.game.setdefault("game_name", msg["game_name"])
        elif command == "game_end":
            self.end = self.end or msg
        elif command in ("game_start", "game_flux") and msg["timestamp"] > self.newest_applied:
            self.newest_applied = msg["timestamp"]
            self.game = {**self.game, **msg}
            progress = (self.bot.ack, self.bot.pending_power)
            self.bot.learn(msg)
            if (self.bot.ack, self.bot.pending_power) != progress:
                self.schedule.acked()

    def connect(
        self, opponent: str | None = None, game_name: str | None = None, pad: int = 400
    ) -> dict:
        """Repeat `connect` until the match starts, as a seed client does; bounded. `pad` makes
        room for game_start in the anti-amplification budget (docs/protocol.md "Handshake")."""
        msg: dict[str, Any] = {"command": "connect", "self": self.name, "opponent": opponent}
        if pad:
            msg["pad"] = "." * pad
        if game_name is not None:
            msg["game_name"] = game_name
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            self.send(msg)
            reply = self.recv(0.3)
            while reply is not None:
                if reply["command"] in ("game_start", "error"):
                    return reply
                reply = self.recv(0.05)
        raise AssertionError(f"{self.name}: no game_start within 10 s")

    def flux(self, locks: list[dict] | None = None, **fields: Any) -> None:
        msg = {
            "timestamp": self.stamp(), "command": "game_flux",
            "game_name": self.game["game_name"], "user_blocks": self.game.get("user_blocks"),
            "opponent_blocks": self.game.get("opponent_blocks"), "power_used": None,
            "user_score": self.game.get("user_score", 0), "powers_available": [],
            "token": self.game.get("token"), "locks": locks if locks is not None else [],
            **self.bot.power_fields(),
            **fields,
        }
        self.send(msg)
        pending = len(msg["locks"]) + ("power_n" in msg)
        self.schedule.sent(time.monotonic(), pending)

    def play_step(self) -> None:
        """Lock one more piece if the last ones were acknowledged and send it at once; else
        resend the unacknowledged ones (or a keep-alive) when the browser's schedule says so."""
        locked = self.end is None and len(self.bot.unacked) < 3 and self.bot.next_lock()
        waiting = len(self.bot.unacked) + (self.bot.pending_power is not None)
        if locked or self.schedule.due(time.monotonic(), waiting):
            self.flux(self.bot.unacked)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.recv(max(0.01, min(0.05, deadline - time.monotonic())))


def pair(alice: SeedClient, bob: SeedClient) -> None:
    """Alice challenges Bob and waits; Bob answers; both then send a first request echoing the
    cookie, which proves their address to the server (docs/protocol.md "Handshake"). Bounded."""
    deadline = time.monotonic() + 10
    while "game_name" not in alice.game:
        assert time.monotonic() < deadline, "alice got no answer to connect"
        alice.send({"command": "connect", "self": alice.name, "opponent": bob.name,
                    "pad": "." * 400})
        alice.drain(0.1)
    assert bob.connect(alice.name)["command"] == "game_start"
    assert alice.connect(bob.name)["command"] == "game_start"
    for player in (alice, bob):
        player.flux()
        player.drain(0.05)
