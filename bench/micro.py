"""Micro figures, each a ratio against a baseline measured in the same run:

- lock: judging one lock (reachability search included) against one stdlib json decode+encode of
  a 1 KB game state, the cost NETWORK-NOTES puts at ~64 µs.
- memory: a running match (two played boards, its replay being recorded and all) against the
  bytes of one encoded game_flux reply; the bar is under 16 KiB a match.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable

from server import replies
from server.lobby import Lobby, LobbySettings
from server.protocol import Flux, encode_reply
from server.rules.bag import PieceSequence
from server.rules.board import Board, Lock
from tests.bots import Bot

ROUNDS = 5


def median_seconds(run: Callable[[], None], repeat: int) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(repeat):
            run()
        samples.append((time.perf_counter() - start) / repeat)
    return statistics.median(samples)


# -- rules ---------------------------------------------------------------------------------------


def bench_lock() -> tuple[float, float]:
    sequence = PieceSequence(7)
    player = Bot()
    player.known = {i: str(sequence[i]) for i in range(60)}
    for _ in range(25):  # a mid-game field
        player.next_lock()
    board = player.board
    probe = Board(field=board.field, next_index=board.next_index, locks_applied=board.locks_applied)
    wire = Bot(known=player.known, board=probe).next_lock()
    assert wire is not None
    lock = Lock(wire["n"], wire["i"], sequence[wire["i"]], wire["r"], wire["x"], wire["y"])

    def judge() -> None:
        fresh = Board(field=board.field, next_index=board.next_index,
                      locks_applied=board.locks_applied)
        fresh.apply_lock(lock, sequence)

    state = json.dumps({"user_blocks": board.field.to_rows(), "opponent_blocks":
                        board.field.to_rows(), "next_block": list("IJLOSTZIJLOSTZ"),
                        "pad": "x" * 300})

    def codec() -> None:
        json.dumps(json.loads(state))

    return median_seconds(judge, 2000), median_seconds(codec, 2000)


def bench_memory() -> tuple[float, float]:
    # The locks are chosen before tracing starts, so only what the server keeps is counted.
    count, pieces = 20, 60
    plays = []
    for seed in range(count):
        sequence = PieceSequence(seed)
        # the lock of piece i is judged with piece i + 1 (a block out): one more known
        bot = Bot(known={i: str(sequence[i]) for i in range(pieces + 1)})
        plays.append([bot.next_lock() for _ in range(pieces)])
    lobby = Lobby(LobbySettings(max_matches_per_address=count), random.Random(1))
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for k, play in enumerate(plays):
        match = lobby._create(None, ("127.0.0.1", k), 0)
        match.sequence = PieceSequence(k)
        match.connect("alice", ("127.0.0.1", k), None, lobby.new_token(), 0)
        match.connect("bob", ("127.0.0.1", k + 10_000), None, lobby.new_token(), 0)
        for seat in match.seats:  # through the match, so its replay records every lock
            for stamp, wire in enumerate(play):
                lock = Lock(wire["n"], wire["i"], match.sequence[wire["i"]], wire["r"],
                            wire["x"], wire["y"])
                match.handle_flux(seat, Flux(stamp, match.game_name, seat.token, (lock,), None,
                                             None), 0, seat.address)
            assert seat.board.locks_applied == pieces
    gc.collect()  # what the server keeps, not garbage that the collector has yet to free
    per_match = (tracemalloc.get_traced_memory()[0] - before) / count
    tracemalloc.stop()
    reply = replies.game_flux(match, match.seats[0], 0)
    return per_match, len(encode_reply(reply, 0))
