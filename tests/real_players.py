"""The real players of the attack tests (tests/test_attacks.py) and of `make bench`'s attack line:
a pair of seed clients that echo their cookie, and a pair of browser-like WebSocket clients
through the bridge, each on a loopback address of its own. What they measure is the player's
experience: how long until both are in a match, how many requests went unanswered, the round
trip of the answered ones.

All of it runs on one asyncio loop, so the measuring players share no lock with anything an
attack does (the attackers are processes of their own). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

PAD = "." * 400  # a connect's answer fits the anti-amplification allowance (protocol.md)
JOIN_SECONDS = 10.0  # a pair that is not in a match by then has failed outright
ANSWER_SECONDS = 0.5  # a request not answered by then counts as lost
REQUESTS = 100  # per player, so 200 per pair
INTERVAL = 0.02  # between one player's requests: under the server's 100/s and the bridge's 60/s

# The bar (issue 9): while an attack runs, a real player still gets into a match within 3 s,
# loses under 2% of its requests and keeps a median round trip under 10 ms.
JOIN_BAR = 3.0
LOSS_BAR = 0.02
RTT_BAR = 0.010


@dataclass
class Experience:
    """What one pair of players lived through."""

    who: str
    joined: float = float("inf")  # seconds from the first connect until both had game_start
    sent: int = 0
    rtts: list[float] = field(default_factory=list)  # of the answered requests, in seconds

    @property
    def loss(self) -> float:
        return 1 - len(self.rtts) / self.sent if self.sent else 1.0

    @property
    def median(self) -> float:
        return statistics.median(self.rtts) if self.rtts else float("inf")

    def line(self) -> str:
        return (f"{self.who}: in a match after {self.joined * 1000:.0f} ms, "
                f"{self.loss:.1%} of {self.sent} requests lost, "
                f"median round trip {self.median * 1000:.2f} ms")

    def problems(self) -> list[str]:
        """Where the bar is not met (empty: it is)."""
        found = []
        if not self.joined < JOIN_BAR:
            found.append(f"{self.who}: not in a match within {JOIN_BAR:g} s")
        if not self.loss < LOSS_BAR:
            found.append(f"{self.who}: lost {self.loss:.1%} of its requests")
        if not self.median < RTT_BAR:
            found.append(f"{self.who}: median round trip {self.median * 1000:.1f} ms")
        return found


class Stamps:
    """Strictly increasing millisecond timestamps (the seed's `timestamp > now` rule)."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        self._last = max(int(time.time() * 1000), self._last + 1)
        return self._last


def flux_request(stamp: int, game: dict[str, Any]) -> dict[str, Any]:
    """A keep-alive game_flux: no locks, so it changes nothing and is answered with `echo`."""
    return {"timestamp": stamp, "command": "game_flux", "game_name": game["game_name"],
            "token": game["token"], "user_blocks": None, "opponent_blocks": None,
            "power_used": None, "user_score": 0, "powers_available": [], "locks": []}


class _Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if isinstance(message, dict):
            self.queue.put_nowait(message)


class Player:
    """What both kinds of player share: a name, stamps, the match they are in, and a way to
    send a message and read the next ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stamp = Stamps()
        self.game: dict[str, Any] = {}

    async def send(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    async def next(self, timeout: float) -> dict[str, Any] | None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def connect_message(self, opponent: str) -> dict[str, Any]:
        return {"command": "connect", "self": self.name, "opponent": opponent,
                "timestamp": self.stamp(), "pad": PAD}

    async def join(self, opponent: str, every: float) -> dict[str, Any]:
        """Repeat `connect` every `every` seconds until game_start (bounded): the message, or
        AssertionError with the last answer."""
        deadline = time.monotonic() + JOIN_SECONDS
        last: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            await self.send(self.connect_message(opponent))
            resend = time.monotonic() + every
            while (left := min(resend, deadline) - time.monotonic()) > 0:
                message = await self.next(left)
                if message is None:
                    break
                last = message
                if message.get("command") == "game_start":
                    self.game = message
                    return message
                if message.get("command") == "verify":
                    break  # the seed client echoes the cookie at once (it keeps it in `send`)
        raise AssertionError(f"{self.name}: no game_start within {JOIN_SECONDS:g} s "
                             f"(last answer {last})")

    async def ping(self, requests: int, interval: float) -> tuple[int, list[float]]:
        """`requests` keep-alives, one at a time, each waiting up to ANSWER_SECONDS for its
        answer (the game_flux whose `echo` is its timestamp): (sent, round trips)."""
        rtts: list[float] = []
        for _ in range(requests):
            started = time.monotonic()
            stamp = self.stamp()
            await self.send(flux_request(stamp, self.game))
            deadline = started + ANSWER_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                message = await self.next(left)
                if message is None:
                    break
                if message.get("command") == "game_flux" and message.get("echo") == stamp:
                    rtts.append(time.monotonic() - started)
                    break
            await asyncio.sleep(max(0.0, started + interval - time.monotonic()))
        return requests, rtts


class SeedPlayer(Player):
    """A seed client on `source` (an IP of its own): UDP, echoing the last cookie it got."""

    def __init__(self, name: str, server: tuple[str, int], source: str) -> None:
        super().__init__(name)
        self.server = server
        self.source = source
        self.cookie: str | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._inbox = _Inbox()

    async def open(self, port: int = 0) -> SeedPlayer:
        """Bind `source` (at `port`; 0 picks a free one)."""
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: self._inbox, local_addr=(self.source, port))
        return self

    @property
    def address(self) -> tuple[str, int]:
        assert self._transport is not None
        return self._transport.get_extra_info("sockname")[:2]

    async def send(self, message: dict[str, Any]) -> None:
        assert self._transport is not None
        if self.cookie is not None:
            message = {"cookie": self.cookie, **message}
        self._transport.sendto(json.dumps(message).encode(), self.server)

    async def next(self, timeout: float) -> dict[str, Any] | None:
        try:
            message = await asyncio.wait_for(self._inbox.queue.get(), timeout)
        except TimeoutError:
            return None
        self.cookie = message.pop("cookie", self.cookie)
        return message

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            await asyncio.sleep(0)  # the socket itself closes on the loop's next turn


class BrowserPlayer(Player):
    """A browser tab as the page behaves: a WebSocket to the bridge from `source`, the right
    Origin, its own key in every connect, a connect repeated once a second."""

    def __init__(self, name: str, site: str, source: str) -> None:
        super().__init__(name)
        self.site = site  # http://host:port/
        self.source = source
        self.key = secrets.token_urlsafe(16)
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def open(self) -> BrowserPlayer:
        connector = aiohttp.TCPConnector(local_addr=(self.source, 0), force_close=True)
        self._session = aiohttp.ClientSession(connector=connector)
        origin = self.site.rstrip("/")
        self._ws = await self._session.ws_connect(self.site + "ws", origin=origin,
                                                  timeout=aiohttp.ClientWSTimeout(ws_close=1.0))
        return self

    def connect_message(self, opponent: str) -> dict[str, Any]:
        return {**super().connect_message(opponent), "key": self.key}

    async def send(self, message: dict[str, Any]) -> None:
        assert self._ws is not None
        await self._ws.send_str(json.dumps(message))

    async def next(self, timeout: float) -> dict[str, Any] | None:
        assert self._ws is not None
        try:
            msg = await self._ws.receive(timeout)
        except TimeoutError:
            return None
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise AssertionError(f"{self.name}: the bridge closed the WebSocket: {msg}")
        return json.loads(msg.data)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()


_pairs = itertools.count()


async def play_pair(
    who: str, host: Player, guest: Player, every: float, requests: int = REQUESTS
) -> Experience:
    """`host` challenges `guest` and both join (repeating connect every `every` s); then each
    sends `requests` keep-alives. Both are closed at the end."""
    experience = Experience(who)
    try:
        started = time.monotonic()
        await asyncio.gather(host.join(guest.name, every), guest.join(host.name, every))
        experience.joined = time.monotonic() - started
        results = await asyncio.gather(host.ping(requests, INTERVAL),
                                       guest.ping(requests, INTERVAL))
        for sent, rtts in results:
            experience.sent += sent
            experience.rtts += rtts
    finally:
        await asyncio.gather(host.close(), guest.close(), return_exceptions=True)
    return experience


async def seed_pair(
    server: tuple[str, int], sources: tuple[str, str], requests: int = REQUESTS
) -> Experience:
    k = next(_pairs)
    host = await SeedPlayer(f"seed-a{k}", server, sources[0]).open()
    guest = await SeedPlayer(f"seed-b{k}", server, sources[1]).open()
    return await play_pair("seed clients", host, guest, every=0.25, requests=requests)


async def browser_pair(site: str, sources: tuple[str, str]) -> Experience:
    k = next(_pairs)
    players = [BrowserPlayer(f"tab-a{k}", site, sources[0]),
               BrowserPlayer(f"tab-b{k}", site, sources[1])]
    try:
        await asyncio.gather(*(player.open() for player in players))
    except BaseException:
        await asyncio.gather(*(player.close() for player in players), return_exceptions=True)
        raise
    return await play_pair("browsers", *players, every=1.0)  # the page's CONNECT_RETRY_MS
