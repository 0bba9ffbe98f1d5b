"""Helpers shared by several test files: the match harness (the service without sockets), the
plain reachability search, a matched pair of seed clients behind impaired links, and a child
process run as it is deployed."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from server.protocol import MAX_DATAGRAM
from server.rules.field import Field
from server.rules.movement import move, rotate, spawn
from server.rules.pieces import Piece, PieceState
from server.service import GameService, SingleThreadLock
from server.udp import RunningServer, ServerSettings, start_server
from tests.impairment import ImpairedLink, Impairment
from tests.seed_client import SeedClient, pair

# -- the match harness: GameService driven by hand, with a clock the test moves ----------------

ALICE = ("127.0.0.1", 40001)
BOB = ("127.0.0.1", 40002)
CAROL = ("127.0.0.1", 40003)
PAD = "." * 400


class FakeClock:
    def __init__(self) -> None:
        self.ms = 1_764_000_000_000

    def now(self) -> int:
        return self.ms


class Harness:
    def __init__(self, **settings: float) -> None:
        self.clock = FakeClock()
        self.service = GameService(ServerSettings(**settings), secret=b"harness",
                                   rng=random.Random(1), lock_factory=SingleThreadLock)
        self.ts = {ALICE: 1000, BOB: 1000, CAROL: 1000}
        self.cookies: dict[tuple, str] = {}

    def send(self, address, msg: dict) -> list[tuple[tuple, dict]]:
        """One datagram from `address`, as a client sends it: a connect padded, and the address
        cookie echoed once the server gave one (docs/protocol.md "Handshake")."""
        if msg.get("command") == "connect":
            msg = {**msg, "pad": PAD}
        if address in self.cookies and "cookie" not in msg:
            msg = {**msg, "cookie": self.cookies[address]}
        return self.received(self.datagram(json.dumps(msg).encode(), address))

    def datagram(self, data: bytes, address) -> list[tuple[bytes, tuple]]:
        """Raw bytes through the service as the shell passes them: admitted, then handled."""
        if not self.service.admit(address, len(data), self.clock.ms):
            return []
        return self.service.handle(data, address, self.clock.ms)

    def received(self, replies: list[tuple[bytes, tuple]]) -> list[tuple[tuple, dict]]:
        decoded = []
        for data, to in replies:
            assert len(data) <= MAX_DATAGRAM
            reply = json.loads(data)
            if "cookie" in reply:
                self.cookies[to] = reply.pop("cookie")
            decoded.append((to, reply))
        return decoded

    def only(self, address, msg: dict) -> dict:
        replies = self.send(address, msg)
        mine = [m for to, m in replies if to == address]
        assert len(mine) == 1, replies
        return mine[0]

    def stamp(self, address) -> int:
        self.ts[address] += 1
        return self.ts[address]

    def flux(self, address, game: dict, **extra) -> list[tuple[tuple, dict]]:
        msg = {"timestamp": self.stamp(address), "command": "game_flux",
               "game_name": game["game_name"], "user_blocks": [], "opponent_blocks": [],
               "power_used": None, "user_score": 0, "powers_available": [],
               "token": game["token"], **extra}
        return self.send(address, msg)

    def tick(self, ms: int) -> list[tuple[tuple, dict]]:
        self.clock.ms += ms
        return self.received(self.service.tick(self.clock.ms))

    def start(self) -> tuple[dict, dict]:
        waiting = self.only(ALICE, {"command": "connect", "self": "alice", "opponent": "bob"})
        assert waiting["command"] == "waiting"
        replies = dict(self.send(BOB, {"command": "connect", "self": "bob", "opponent": "alice"}))
        for address in (ALICE, BOB):  # a first request echoing the cookie proves each address
            self.flux(address, replies[address])
        return replies[ALICE], replies[BOB]


# -- reachability, the slow and obvious way ------------------------------------------------


def naive_reachable(field: Field, piece: Piece) -> frozenset[PieceState]:
    """Breadth-first search one state at a time: the slow, obvious version of reachable()."""
    start = spawn(piece)
    if not field.fits(start):
        return frozenset()
    seen, queue = {start}, deque([start])
    while queue:
        state = queue.popleft()
        for step in (
            move(field, state, -1, 0),
            move(field, state, 1, 0),
            move(field, state, 0, 1),
            rotate(field, state, 1),
            rotate(field, state, -1),
            rotate(field, state, 2),
        ):
            if step is not None and step not in seen:
                seen.add(step)
                queue.append(step)
    return frozenset(seen)


# -- two seed clients behind impaired links ---------------------------------------------------


@contextmanager
def impaired_pair(
    settings: ServerSettings, impairment: Impairment, seed: int = 1, use_powers: bool = False
) -> Iterator[tuple[RunningServer, SeedClient, SeedClient, list[ImpairedLink]]]:
    """A server, Alice and Bob each behind an impaired link of their own, paired in a match;
    all of it stopped on exit, however the test ended."""
    running = start_server(settings)
    links = [ImpairedLink(running.address, impairment, impairment, seed=seed + k)
             for k in range(2)]
    alice = SeedClient(links[0].address, "alice", use_powers=use_powers)
    bob = SeedClient(links[1].address, "bob", use_powers=use_powers)
    try:
        pair(alice, bob)
        yield running, alice, bob, links
    finally:
        alice.close()
        bob.close()
        for link in links:
            link.close()
        running.stop()


# -- a child process: the command line, run as it is deployed ---------------------------------

CLI = (sys.executable, "-m", "block_attack.cli")


@contextmanager
def child(argv: Sequence[str | Path], **popen: Any) -> Iterator[subprocess.Popen[str]]:
    """`argv` run unbuffered with its stdout piped (and whatever else `popen` asks); killed if it
    still runs on exit, and its pipes closed, however the test ended."""
    env = {**popen.pop("env", os.environ), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([str(arg) for arg in argv], stdout=subprocess.PIPE, text=True,
                            env=env, **popen)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
