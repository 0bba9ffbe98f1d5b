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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import WSMsgType, web

from bridge.frames import (
    GAME_END,
    GAME_FLUX,
    JOINED_COMMANDS,
    VERIFY,
    FrameError,
    binary_frame_error,
    error_frame,
    leave_datagram,
    parse_client_frame,
    read_server_datagram,
)
from server.wire import Reason

logger = logging.getLogger(__name__)

RATE_NOTICE_SECONDS = 1.0  # at most one `rate_limited` error frame per second


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


class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; `now` is any monotonic clock in seconds."""

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._updated: float | None = None

    def take(self, now: float) -> bool:
        if self._updated is not None:
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


@dataclass
class RelayStats:
    frames_forwarded: int = 0
    frames_rejected: int = 0  # answered with an error frame
    frames_rate_limited: int = 0  # dropped by the token bucket
    datagrams_received: int = 0
    datagrams_dropped: int = 0  # replaced or pushed out of the outbox, or not text at all


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
        self, ws: web.WebSocketResponse, server: tuple[str, int], limits: RelayLimits
    ) -> None:
        self.ws = ws
        self.server = server
        self.limits = limits
        self.stats = RelayStats()
        self._outbox = Outbox(limits.max_queued_frames)
        rate = limits.frames_per_second
        self._bucket = TokenBucket(rate, burst=max(1.0, rate))
        self._last_rate_notice: float | None = None
        self._seat = _Seat()
        self._transport: asyncio.DatagramTransport | None = None
        # The server's cookie for this relay's UDP address: echoed in every datagram, it proves
        # the address reads the server's replies (docs/protocol.md "Handshake"). The address is
        # the bridge's, so the bridge answers for it; browsers never see the handshake.
        self._cookie: str | None = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _ServerLink(self._on_datagram), remote_addr=self.server
        )
        writer = asyncio.create_task(self._write_frames(), name="bridge-writer")
        try:
            await self._read_frames()
        finally:
            self._say_goodbye()
            self._transport.close()
            await _cancel(writer)
            logger.debug("relay closed: %s", self.stats)

    async def _read_frames(self) -> None:
        loop = asyncio.get_running_loop()
        async for msg in self.ws:
            if msg.type is WSMsgType.ERROR:
                logger.debug("WebSocket error: %s", self.ws.exception())
                break
            if not self._admit(loop.time()):
                continue
            if msg.type is WSMsgType.TEXT:
                self._on_text(msg.data)
            elif msg.type is WSMsgType.BINARY:
                self._reject(binary_frame_error())

    def _admit(self, now: float) -> bool:
        if self._bucket.take(now):
            return True
        self.stats.frames_rate_limited += 1
        last = self._last_rate_notice
        if last is None or now - last >= RATE_NOTICE_SECONDS:
            self._last_rate_notice = now
            detail = f"over {self.limits.frames_per_second:g} frames a second; frames dropped"
            self._outbox.put(error_frame(Reason.RATE_LIMITED, detail))
        return False

    def _on_text(self, text: str) -> None:
        try:
            frame = parse_client_frame(text)
        except FrameError as exc:
            self._reject(exc)
            return
        if frame.timestamp is not None:
            seat = self._seat
            seat.last_client_timestamp = max(seat.last_client_timestamp, frame.timestamp)
        assert self._transport is not None
        self._transport.sendto(frame.datagram(self._cookie))
        self.stats.frames_forwarded += 1

    def _reject(self, exc: FrameError) -> None:
        self.stats.frames_rejected += 1
        self._outbox.put(error_frame(exc.reason, exc.detail))

    def _on_datagram(self, data: bytes) -> None:
        self.stats.datagrams_received += 1
        message = read_server_datagram(data)
        if message is None:
            self.stats.datagrams_dropped += 1
            logger.warning("dropped a datagram from the game server that is not UTF-8")
            return
        if message.cookie is not None:
            self._cookie = message.cookie
        if message.command == VERIFY:
            return  # the handshake is the bridge's business, not the page's
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
        elif command == GAME_END and game_name == seat.game_name:
            seat.game_name = seat.token = None

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


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # we are being cancelled ourselves: do not swallow it
