"""One browser WebSocket ↔ one UDP socket to the game server.

Each WebSocket gets a UDP socket of its own, connected to the configured server (never to a
destination the browser names: that would be an open relay), so the server tells players apart by
source address just as it does for plain UDP clients. The handler's task is the only one that calls
`receive()` (aiohttp allows one reader); datagrams land in a bounded `Outbox` that a single writer
task drains, so a slow browser costs the bridge a fixed amount of memory, never more.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from bridge.frames import (
    CONNECT,
    ERROR,
    GAME_END,
    GAME_FLUX,
    JOINED_COMMANDS,
    VERIFY,
    ClientFrame,
    FrameError,
    binary_frame_error,
    error_frame,
    leave_datagram,
    parse_client_frame,
    read_server_datagram,
    server_lost_frame,
)
from bridge.limits import ClientSeats, TokenBucket
from bridge.routing import Address, FixedRoute, Route
from server.wire import NODE_SILENCE_SECONDS, SERVER_LOST_SECONDS, Reason

logger = logging.getLogger(__name__)

NOTICE_SECONDS = 1.0  # at most one error frame per reason per second, to each WebSocket
# Frames a WebSocket may have refused (not JSON, unknown command…) before the bridge reads it at
# BAD_SENDER_FRAMES_PER_SECOND only: a page sends none, and a flood's WebSocket, slowed rather
# than closed, costs nothing while it waits, where a closed one comes back as a new handshake.
MAX_BAD_FRAMES = 16
BAD_SENDER_FRAMES_PER_SECOND = 1.0
REDIRECTS_PER_CONNECT = 3  # a loop of redirects between nodes ends here
WATCH_SECONDS = 0.5  # how often a relay asks whether its server has gone


@dataclass(eq=False, slots=True)
class _Slot:
    text: str
    latest_wins: bool


class Outbox:
    """Frames waiting for the browser, in order: at most one game_flux plus `max_other` others.

    A game_flux carries the whole state, so a newer one makes an unsent older one worthless: it
    replaces it (and goes to the back, so it never overtakes what was queued before it). Other
    messages (game_start, waiting, game_end, error) queue; past `max_other` the oldest is dropped.
    """

    def __init__(self, max_other: int) -> None:
        self._slots: deque[_Slot] = deque()
        self._flux: _Slot | None = None
        self._others = 0
        self._max_other = max_other
        self._ready = asyncio.Event()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._slots)

    def put(self, text: str, *, latest_wins: bool = False) -> None:
        slot = _Slot(text, latest_wins)
        if latest_wins:
            if self._flux is not None:
                self._slots.remove(self._flux)
                self.dropped += 1
            self._flux = slot
        else:
            if self._others >= self._max_other:
                self._drop_oldest_other()
            self._others += 1
        self._slots.append(slot)
        self._ready.set()

    def _drop_oldest_other(self) -> None:
        oldest = next(slot for slot in self._slots if not slot.latest_wins)
        self._slots.remove(oldest)
        self._others -= 1
        self.dropped += 1

    async def get(self) -> str:
        while not self._slots:
            self._ready.clear()
            await self._ready.wait()
        slot = self._slots.popleft()
        if slot is self._flux:
            self._flux = None
        elif not slot.latest_wins:
            self._others -= 1
        return slot.text


@dataclass
class RelayStats:
    frames_forwarded: int = 0
    frames_rejected: int = 0  # refused, with an error frame (at most one per reason a second)
    frames_delayed: int = 0  # read late: over the WebSocket's or its address's frame rate
    matches_refused: int = 0  # connects over the address's match limits (too_many_matches)
    datagrams_received: int = 0
    datagrams_dropped: int = 0  # replaced or pushed out of the outbox, or not text at all
    frames_sent: int = 0  # to the browser


@dataclass
class _Seat:
    """The match this connection is in, as the server's replies tell it."""

    game_name: str | None = None
    token: str | None = None
    last_client_timestamp: int = 0


@dataclass(frozen=True)
class RelayLimits:
    frames_per_second: float = 60.0
    max_queued_frames: int = 16
    # A match whose server said nothing for this long while the browser kept sending ends with
    # `server_lost`; sooner (node_silence_seconds) once the directory says the node is gone.
    server_lost_seconds: float = SERVER_LOST_SECONDS
    node_silence_seconds: float = NODE_SILENCE_SECONDS


class _ServerLink(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes], None]) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        # The socket is connected, so the kernel already dropped anything not from the server.
        self._on_datagram(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable when the server is down; the browser's retries cover it.
        logger.debug("UDP error from the game server: %s", exc)


class Relay:
    """Relays one prepared WebSocket to `server` until the WebSocket closes."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        server: tuple[str, int],
        limits: RelayLimits,
        seats: ClientSeats | None = None,
        route: Route | None = None,
        address_frames: TokenBucket | None = None,
        browser: asyncio.BaseTransport | None = None,
    ) -> None:
        self.ws = ws
        # The browser's TCP transport: paused while the relay waits for frame tokens, so what a
        # flooder sends stays in the kernel (and its sends block) instead of being read, parsed
        # and queued by aiohttp only to wait here.
        # (uvloop's transports are not asyncio.ReadTransport instances: check what they can do.)
        can_pause = all(hasattr(browser, name)
                        for name in ("pause_reading", "resume_reading", "is_reading"))
        self._browser: Any = browser if can_pause else None
        # Where this WebSocket's datagrams go (bridge/routing.py): the one server, or with a
        # directory the node each connect belongs on; `server` is the current one, if any.
        self._route = route or FixedRoute(server)
        self.server: Address | None = self._route.initial()
        self.limits = limits
        self.stats = RelayStats()
        self._outbox = Outbox(limits.max_queued_frames)
        rate = limits.frames_per_second
        # This WebSocket's frame budget, and the one its browser address's WebSockets share.
        self._bucket = TokenBucket(rate, burst=max(1.0, rate))
        self._address_frames = address_frames
        self._noticed: dict[Reason, float] = {}  # when each reason's error frame last went out
        self._seat = _Seat()
        # The browser address's match limits (bridge/limits.py), and the (self, opponent) of the
        # connect asking for a new match that the server has not answered yet: its repeats are
        # the same request, not new matches.
        self._seats = seats
        self._asking: tuple[object, object] | None = None
        self._transport: asyncio.DatagramTransport | None = None
        # The server's cookie for this relay's UDP address: echoed in every datagram, it proves
        # the address reads the server's replies (docs/protocol.md "Handshake"). The address is
        # the bridge's, so the bridge answers for it; browsers never see the handshake.
        self._cookie: str | None = None
        # The last connect (what a redirect sends again) and what it asked for (its repeats
        # stay where it went); redirects followed for it.
        self._connect: ClientFrame | None = None
        self._connect_key: tuple[object, ...] | None = None
        self._redirects = 0
        # For server_lost: when the server last spoke and the browser last sent (loop time),
        # and the server's newest timestamp (a frame the bridge makes must be newer).
        self._heard_at = 0.0
        self._sent_at = 0.0
        self._server_ts = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        if self.server is not None:
            await self._point_at(self.server)
        writer = asyncio.create_task(self._write_frames(), name="bridge-writer")
        watcher = asyncio.create_task(self._watch_server(), name="bridge-watch")
        try:
            await self._read_frames()
        finally:
            self._say_goodbye()
            if self._transport is not None:
                self._transport.close()
            if self._seats is not None:
                self._seats.stand()
            for task in (writer, watcher, *self._tasks):
                await _cancel(task)
            logger.debug("relay closed: %s", self.stats)

    async def _point_at(self, server: Address) -> None:
        """Point this WebSocket's UDP socket at `server`: a new socket when the node changes
        (the old one's source address and cookie belong to the old node)."""
        if server == self.server and self._transport is not None:
            return
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _ServerLink(self._on_datagram), remote_addr=server
        )
        if self._transport is not None:
            self._transport.close()
        self._transport, self.server, self._cookie = transport, server, None
        self._heard_at = loop.time()

    async def _read_frames(self) -> None:
        loop = asyncio.get_running_loop()
        slowed = False
        async for msg in self.ws:
            if msg.type is WSMsgType.ERROR:
                logger.debug("WebSocket error: %s", self.ws.exception())
                break
            await self._pace(loop)
            if msg.type is WSMsgType.TEXT:
                await self._on_text(msg.data, loop.time())
            elif msg.type is WSMsgType.BINARY:
                self._reject(binary_frame_error())
            if not slowed and self.stats.frames_rejected > MAX_BAD_FRAMES:
                slowed = True
                self._bucket = TokenBucket(BAD_SENDER_FRAMES_PER_SECOND, burst=1.0)
                logger.info("slowed a WebSocket that sent %d bad frames to %g a second",
                            self.stats.frames_rejected, BAD_SENDER_FRAMES_PER_SECOND)

    async def _pace(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait until this WebSocket and its address both have a token for the frame just read,
        then spend them. Shedding by backpressure: while the relay waits nothing reads the
        WebSocket, so aiohttp's bounded queue pauses the socket, the kernel's window fills and
        a flooder's own sends block, at no cost here; a browser over its rate for a moment
        finds its frames late, not lost."""
        buckets = (self._bucket,) if self._address_frames is None else (
            self._bucket, self._address_frames)
        now = loop.time()
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            self.stats.frames_delayed += 1
            self._notice(Reason.RATE_LIMITED,
                         f"over {self.limits.frames_per_second:g} frames a second; "
                         "frames delayed", now)
        browser = self._browser
        paused = wait > 0 and browser is not None and browser.is_reading()
        if paused:
            browser.pause_reading()
        try:
            while wait > 0:
                await asyncio.sleep(wait)
                now = loop.time()
                wait = max(bucket.wait(now) for bucket in buckets)
        finally:
            if paused and not browser.is_closing():
                browser.resume_reading()
        for bucket in buckets:
            bucket.take(now)

    def _notice(self, reason: Reason, detail: str, now: float) -> None:
        """An error frame for `reason`, unless one went out less than NOTICE_SECONDS ago: a
        flood's every bad frame answered would cost the bridge more than it costs the flood."""
        last = self._noticed.get(reason)
        if last is None or now - last >= NOTICE_SECONDS:
            self._noticed[reason] = now
            self._outbox.put(error_frame(reason, detail))

    async def _on_text(self, text: str, now: float) -> None:
        try:
            frame = parse_client_frame(text)
        except FrameError as exc:
            self._reject(exc)
            return
        if frame.opens_match and not self._may_open(frame.message, now):
            return
        if not await self._aim(frame):
            return
        if frame.timestamp is not None:
            seat = self._seat
            seat.last_client_timestamp = max(seat.last_client_timestamp, frame.timestamp)
        assert self._transport is not None
        self._transport.sendto(frame.datagram(self._cookie))
        self._sent_at = now
        self.stats.frames_forwarded += 1

    async def _aim(self, frame: ClientFrame) -> bool:
        """Point the socket where `frame` belongs (a new connect asks the route; its repeats and
        everything else go where it went). False, answered with an error, when no node can."""
        if frame.command == CONNECT:
            message = frame.message
            key = (message.get("self"), message.get("opponent"), message.get("game_name"))
            if key == self._connect_key and self._transport is not None:
                self._connect = frame
                return True
            self._connect, self._connect_key, self._redirects = frame, key, 0
        elif self._transport is not None:
            return True
        target = await self._route.target(frame, self.server)
        if target is None:
            self._reject(FrameError(Reason.DIRECTORY_UNAVAILABLE,
                                    "no game server can take this now; try again shortly"))
            return False
        await self._point_at(target)
        return True

    async def _follow(self, node_id: str, address: str) -> None:
        """A node sent this connection's connect to another node: follow it and send the
        connect again there. The page never sees the hop."""
        frame = self._connect
        if frame is None or self._redirects >= REDIRECTS_PER_CONNECT:
            logger.warning("ignored a redirect to %s: too many for one connect", node_id)
            return
        self._redirects += 1
        target = await self._route.follow(node_id, address)
        if target is None:
            self._reject(FrameError(Reason.DIRECTORY_UNAVAILABLE,
                                    "the game server that holds this match cannot be reached"))
            return
        await self._point_at(target)
        assert self._transport is not None
        self._transport.sendto(frame.datagram(self._cookie))

    async def _watch_server(self) -> None:
        """End the match with `server_lost` once its node has gone: silent while the browser
        kept sending, and its key expired; or silent far longer, whatever the directory says
        (alone, silence is all a bridge can see)."""
        loop = asyncio.get_running_loop()
        limits = self.limits
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            game_name, server = self._seat.game_name, self.server
            if game_name is None or server is None or self._sent_at <= self._heard_at:
                continue
            silence = loop.time() - self._heard_at
            if silence >= limits.server_lost_seconds or (
                silence >= limits.node_silence_seconds and self._route.gone(server)
            ):
                self._lose_server(game_name)

    def _lose_server(self, game_name: str) -> None:
        timestamp = max(int(time.time() * 1000), self._server_ts + 1)
        self._follow_seat(GAME_END, game_name, None)
        self._connect_key = None  # the next connect is routed afresh
        self._outbox.put(server_lost_frame(timestamp, game_name))
        logger.info("the server of match %s at %s is lost: told the player", game_name,
                    self.server)

    def _may_open(self, message: dict[str, object], now: float) -> bool:
        """Whether a `connect` that would create a match goes on to the server (it counts
        against the browser address's limits once, however often it is repeated)."""
        request = (message.get("self"), message.get("opponent"))
        if self._seats is None or request == self._asking:
            return True
        refusal = self._seats.create(now)
        if refusal is not None:
            self.stats.matches_refused += 1
            self._reject(FrameError(Reason.TOO_MANY_MATCHES, refusal))
            return False
        self._asking = request
        return True

    def _reject(self, exc: FrameError) -> None:
        self.stats.frames_rejected += 1
        self._notice(exc.reason, exc.detail, asyncio.get_running_loop().time())

    def _on_datagram(self, data: bytes) -> None:
        self.stats.datagrams_received += 1
        message = read_server_datagram(data)
        if message is None:
            self.stats.datagrams_dropped += 1
            logger.warning("dropped a datagram from the game server that is not UTF-8")
            return
        self._heard_at = asyncio.get_running_loop().time()
        if message.timestamp is not None:
            self._server_ts = max(self._server_ts, message.timestamp)
        if message.cookie is not None:
            self._cookie = message.cookie
        if message.command == VERIFY:
            return  # the handshake is the bridge's business, not the page's
        if message.redirect is not None:
            task = asyncio.create_task(self._follow(*message.redirect), name="bridge-redirect")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._follow_seat(message.command, message.game_name, message.token)
        dropped = self._outbox.dropped
        self._outbox.put(message.text, latest_wins=message.command == GAME_FLUX)
        self.stats.datagrams_dropped += self._outbox.dropped - dropped

    def _follow_seat(self, command: str | None, game_name: str | None, token: str | None) -> None:
        seat = self._seat
        if command in JOINED_COMMANDS and game_name is not None:
            if game_name != seat.game_name:
                seat.token = None
            seat.game_name = game_name
            seat.token = token or seat.token
            self._asking = None
            if self._seats is not None:
                self._seats.sit()
        elif command == GAME_END and game_name == seat.game_name:
            seat.game_name = seat.token = None
            self._stand_unless_asking()
        elif command == ERROR and self._asking is not None:
            self._asking = None  # the request for a new match was refused
            self._stand_unless_asking()

    def _stand_unless_asking(self) -> None:
        if self._seats is not None and self._seat.game_name is None and self._asking is None:
            self._seats.stand()

    def _say_goodbye(self) -> None:
        """Tell the server the browser is gone, so the opponent hears it at once (protocol.md)."""
        seat = self._seat
        if seat.game_name is None or self._transport is None:
            return
        # Newer than anything the browser sent, on the browser's own clock (the server orders a
        # seat's requests by it; the bridge's clock may be far ahead or behind).
        timestamp = seat.last_client_timestamp + 1
        self._transport.sendto(leave_datagram(timestamp, seat.game_name, seat.token, self._cookie))
        logger.debug("sent leave for %s", seat.game_name)

    async def _write_frames(self) -> None:
        while True:
            text = await self._outbox.get()
            try:
                await self.ws.send_str(text)
            except ConnectionError:
                return  # the WebSocket is closing; the reader sees it too
            self.stats.frames_sent += 1


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # we are being cancelled ourselves: do not swallow it
