"""The load generator: N matches of players sending what the browser sends, in one epoll loop.

Each player locks a scripted piece 2 times a second and sends a `game_flux` at once; while a lock
is unacknowledged it resends on the browser's backoff (tests/flux_schedule.py), else it sends a
keep-alive every second. Against the game server a player first joins its match with `connect`
(echoing the address cookie if the server asks for one) and every lock is judged; against an echo
server the same requests are sent and the echoed request stands for the answer (its locks count
as acknowledged), so both see the same traffic.

A step is bounded: setup, warm-up, a measured window, then a drain without sends. Only requests
sent inside the window count.
"""

from __future__ import annotations

import heapq
import json
import random
import resource
import select
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from bench.script import LockScript
from server.protocol import MAX_DATAGRAM
from tests.flux_schedule import FluxSchedule

EMPTY_ROWS = json.dumps(["." * 10] * 20, separators=(",", ":"))
SETUP_RATE = 2000.0  # connects a second while the matches are set up
CONNECT_RETRY = 1.0  # seconds between repeated connects, as the browser does


class Mode(Enum):
    GAME = "game"  # a real match: connect first, the server judges every lock
    ECHO = "echo"  # an echo server: the request comes back as its own answer


@dataclass(frozen=True)
class Load:
    matches: int
    warmup: float = 1.0
    window: float = 8.0
    drain: float = 0.5
    locks_per_second: float = 2.0  # per player
    setup_seconds: float = 20.0  # at most, for every match to start


@dataclass
class Tally:
    """What one step saw, over the requests sent inside the window."""

    window: tuple[float, float] = (0.0, 0.0)
    sent: int = 0
    answered: int = 0
    rtts: list[tuple[float, float]] = field(default_factory=list)  # (sent at, round trip)
    views: list[float] = field(default_factory=list)  # A's lock sent -> B's socket has it
    rejected: set[tuple[int, int]] = field(default_factory=set)  # (player, lock n)
    errors: dict[str, int] = field(default_factory=dict)
    ended: int = 0  # game_end received: a match ended under us
    started: int = 0  # players whose match started
    players: int = 0
    wrong_pieces: int = 0  # game_start dealt other pieces than the script's seed
    closed: int = 0  # WebSockets the other side closed
    send_failures: int = 0
    generator_cpu: float = 0.0  # seconds of this process's CPU over the window
    server_cpu: float = 0.0  # seconds of the server processes' CPU over the window
    rcvbuf_errors: int = 0  # the kernel's UDP receive-buffer drops over the window

    def in_window(self, at: float) -> bool:
        return self.window[0] <= at < self.window[1]


class Player:
    """One client: its link, its match, its locks and its resend schedule."""

    def __init__(
        self, index: int, name: str, opponent: str, script: LockScript, mode: Mode,
        rng: random.Random, tally: Tally,
    ) -> None:
        self.index, self.name, self.opponent_name = index, name, opponent
        self.script, self.mode, self.tally = script, mode, tally
        self.link: object = None  # a transport, set by the step
        self.rival: Player | None = None
        self.schedule = FluxSchedule(rng.random)
        self.started = mode is Mode.ECHO
        self.game_name = f"bench{index:017d}"  # replaced by the server's in game mode
        self.token = f"t{index:021d}"
        self.cookie: str | None = None
        self.next_connect = 0.0
        self.made = 0  # locks made (the next lock's n)
        self.ack = 0  # locks the server acknowledged
        self.lock_sent_at: list[float] = []
        self.opponent_seen = 0  # the rival's locks our socket has seen (opponent_pieces)
        self.next_lock_at = float("inf")
        self.lock_interval = 0.5  # seconds between locks, set by the step
        self.last_ts = 0
        self.inflight: dict[int, float] = {}  # our timestamp -> when that request left
        self.wake_at = 0.0

    # -- sending ---------------------------------------------------------------------------

    def stamp(self, wall_ms: int) -> int:
        self.last_ts = max(wall_ms, self.last_ts + 1)
        return self.last_ts

    def connect_bytes(self) -> bytes:
        msg = {"command": "connect", "self": self.name, "opponent": self.opponent_name,
               "pad": "." * 400}
        if self.cookie is not None:
            msg["cookie"] = self.cookie
        return json.dumps(msg).encode()

    def flux_bytes(self, ts: int) -> bytes:
        locks = self.script.locks
        # At most 8 unacknowledged locks a request, as the browser (messages.js MAX_LOCKS).
        pending = [locks[k].wire_json for k in range(self.ack, min(self.made, self.ack + 8))]
        data = self._flux(ts, pending)
        while len(data) > MAX_DATAGRAM and len(pending) > 1:  # as messages.js fluxMessage does
            pending.pop()  # the newest waits for the next request
            data = self._flux(ts, pending)
        return data

    def _flux(self, ts: int, pending: list[str]) -> bytes:
        locks = self.script.locks
        own = json.dumps(locks[self.made - 1].rows) if self.made else EMPTY_ROWS
        seen = self.opponent_seen
        rival = json.dumps(locks[seen - 1].rows) if seen else EMPTY_ROWS
        score = locks[self.made - 1].score if self.made else 0
        cookie = f',"cookie":"{self.cookie}"' if self.cookie is not None else ""
        return (f'{{"timestamp":{ts},"command":"game_flux","game_name":"{self.game_name}",'
                f'"user_blocks":{own},"opponent_blocks":{rival},"power_used":null,'
                f'"user_score":{score},"powers_available":[],"token":"{self.token}",'
                f'"locks":[{",".join(pending)}]{cookie}}}').encode()

    def send_flux(self, now: float, wall_ms: int) -> None:
        ts = self.stamp(wall_ms)
        self.link.send(self.flux_bytes(ts))
        self.inflight[ts] = now
        if self.tally.in_window(now):
            self.tally.sent += 1
        self.schedule.sent(now, self.made - self.ack)

    def wake(self, now: float, wall_ms: int, playing: bool) -> float:
        """Send what is due at `now`; the time at which something is due next."""
        if not self.started:
            if now >= self.next_connect:
                self.link.send(self.connect_bytes())
                self.next_connect = now + CONNECT_RETRY
            return self.next_connect
        if not playing:
            return float("inf")
        if now >= self.next_lock_at:
            if self.made < len(self.script):
                self.made += 1
                self.lock_sent_at.append(now)
                self.send_flux(now, wall_ms)  # a new lock goes out at once
            self.next_lock_at += self.lock_interval
        elif self.schedule.due(now, self.made - self.ack):
            self.send_flux(now, wall_ms)
        return min(self.next_lock_at, self.schedule.next_due(self.made - self.ack))

    # -- receiving -------------------------------------------------------------------------

    def on_message(self, data: bytes, now: float) -> None:
        try:
            msg = json.loads(data)
        except ValueError:
            self._error("undecodable")
            return
        if "cookie" in msg and self.mode is Mode.GAME:  # echoed from now on: proves our address
            self.cookie = msg["cookie"]
        command = msg.get("command")
        if command == "game_flux":
            self._on_flux(msg, now)
        elif command == "game_start":
            self._on_start(msg)
        elif command == "verify":
            self.next_connect = now  # repeat the connect at once, now with the cookie
        elif command == "game_end":
            self.tally.ended += 1
        elif command == "error":
            self._error(str(msg.get("reason")))
        elif command == "redirect":  # a cluster node sent us elsewhere: the bench's spread failed
            self._error(f"redirect to {msg.get('node')}")

    def _error(self, reason: str) -> None:
        self.tally.errors[reason] = self.tally.errors.get(reason, 0) + 1

    def _on_start(self, msg: dict) -> None:
        if self.started:
            return
        self.started = True
        self.tally.started += 1
        self.game_name, self.token = msg["game_name"], msg["token"]
        if tuple(msg["next_block"][: len(self.script.pieces)]) != self.script.pieces:
            self.tally.wrong_pieces += 1

    def _on_flux(self, msg: dict, now: float) -> None:
        if self.mode is Mode.ECHO:
            answered = msg.get("timestamp")
            locks = msg.get("locks") or ()
            ack = locks[-1]["n"] + 1 if locks else self.ack
        else:
            answered = msg.get("echo")
            ack = msg.get("ack", self.ack)
        sent_at = self.inflight.pop(answered, None) if answered is not None else None
        if sent_at is not None:
            self.schedule.measured(now - sent_at)
        if sent_at is not None and self.tally.in_window(sent_at):
            self.tally.answered += 1
            self.tally.rtts.append((sent_at, now - sent_at))
        if ack > self.ack:
            self.ack = ack
            self.schedule.acked()
        if msg.get("rejected"):
            self.tally.rejected.add((self.index, msg["rejected"].get("n", -1)))
        seen = msg.get("opponent_pieces")
        if isinstance(seen, int) and seen > self.opponent_seen and self.rival is not None:
            sent = self.rival.lock_sent_at
            for n in range(self.opponent_seen, min(seen, len(sent))):
                if self.tally.in_window(sent[n]):
                    self.tally.views.append(now - sent[n])
            self.opponent_seen = seen


def make_players(
    matches: int, script: LockScript, mode: Mode, seed: int, tally: Tally, prefix: str = "p"
) -> list[Player]:
    rng = random.Random(seed)
    players: list[Player] = []
    for k in range(matches):
        a = Player(2 * k, f"{prefix}{k}a", f"{prefix}{k}b", script, mode, rng, tally)
        b = Player(2 * k + 1, f"{prefix}{k}b", f"{prefix}{k}a", script, mode, rng, tally)
        a.rival, b.rival = b, a
        players += (a, b)
    tally.players = len(players)
    return players


class Loop:
    """One epoll loop over every player's link, with a heap of wake-up times."""

    def __init__(self, players: list[Player], poller: select.epoll) -> None:
        self.players = players
        self.poller = poller
        self.by_fd = {player.link.fileno(): player for player in players}
        self._heap: list[tuple[float, int]] = []
        self._epoch_wall = time.time() * 1000
        self._epoch = time.perf_counter()

    def wall_ms(self, now: float) -> int:
        return int(self._epoch_wall + (now - self._epoch) * 1000)

    def schedule(self, player: Player, at: float) -> None:
        if at < player.wake_at or player.wake_at <= time.perf_counter():
            player.wake_at = at
            heapq.heappush(self._heap, (at, player.index))

    def run(self, until: float, playing: bool, done: Callable[[], bool] = lambda: False) -> None:
        heap, players = self._heap, self.players
        while (now := time.perf_counter()) < until and not done():
            while heap and heap[0][0] <= now:
                at, index = heapq.heappop(heap)
                player = players[index]
                if at != player.wake_at:
                    continue  # superseded by an earlier wake-up
                self.schedule(player, player.wake(now, self.wall_ms(now), playing))
            timeout = min(until, heap[0][0] if heap else until) - time.perf_counter()
            for fd, events in self.poller.poll(max(0.0, min(timeout, 0.01))):
                player = self.by_fd[fd]
                if events & select.EPOLLOUT:
                    player.link.writable()
                if events & (select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP):
                    self._receive(player)

    def _receive(self, player: Player) -> None:
        messages = player.link.receive()
        now = time.perf_counter()
        for data in messages:
            player.on_message(data, now)
        if player.started and messages:
            self.schedule(player, min(player.next_lock_at,
                                      player.schedule.next_due(player.made - player.ack)))


def run_step(
    players: list[Player], load: Load, tally: Tally, poller: select.epoll,
    probe: Callable[[], tuple[float, int]] = lambda: (0.0, 0),
) -> Tally:
    """Set up (game mode), warm up, measure the window, drain. Every phase is bounded.
    `probe()`: the server's CPU seconds and the kernel's receive-buffer drops, at both ends of
    the window."""
    loop = Loop(players, poller)
    start = time.perf_counter()
    joining = [player for player in players if not player.started]  # none against an echo
    for k, player in enumerate(joining):
        player.next_connect = start + k / SETUP_RATE
        loop.schedule(player, player.next_connect)
    if joining:
        loop.run(start + load.setup_seconds, playing=False,
                 done=lambda: tally.started >= len(joining))
    begin = time.perf_counter()
    rng = random.Random(len(players))
    for player in players:
        player.lock_interval = 1 / load.locks_per_second
        player.next_lock_at = begin + rng.uniform(0, 1 / load.locks_per_second)
        player.wake_at = begin
        heapq.heappush(loop._heap, (begin, player.index))
    tally.window = (begin + load.warmup, begin + load.warmup + load.window)
    loop.run(tally.window[0], playing=True)
    cpu, (server_cpu, drops) = _own_cpu(), probe()
    loop.run(tally.window[1], playing=True)
    tally.generator_cpu = _own_cpu() - cpu
    server_after, drops_after = probe()
    tally.server_cpu, tally.rcvbuf_errors = server_after - server_cpu, drops_after - drops
    loop.run(tally.window[1] + load.drain, playing=False)
    tally.closed = sum(bool(getattr(p.link, "closed", False)) for p in players)
    tally.send_failures = sum(getattr(p.link, "send_failures", 0) for p in players)
    return tally


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
