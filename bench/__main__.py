"""`make bench`: what the server costs, as ratios against baselines measured in the same run.

The machines are shared and noisy, so absolute times mean little; each figure is compared with a
baseline taken seconds apart on the same machine, and every measurement is a median of rounds.

- datagram: one game_flux round trip through the threaded server (decode, match lock, a lock
  judged, reply encoded, plus the push to the opponent) against a bare ThreadingUDPServer JSON echo.
- lock: judging one lock (reachability search included) against one stdlib json decode+encode of
  a 1 KB game state, the cost NETWORK-NOTES puts at ~64 µs.
- memory: a running match (two played boards, history and all) against the bytes of one encoded
  game_flux reply.
"""

from __future__ import annotations

import json
import random
import socket
import socketserver
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable

from server import replies
from server.lobby import Lobby, LobbySettings
from server.rules.bag import PieceSequence
from server.rules.board import Board, Lock
from server.udp import ServerSettings, start_server
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


# -- datagram round trips ----------------------------------------------------------------------


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(json.dumps(json.loads(data)).encode(), self.client_address)


class _EchoServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


def _round_trips(
    address: tuple[str, int], make: Callable[[tuple[str, int]], bytes], count: int
) -> float:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    own = sock.getsockname()

    def once() -> None:
        sock.sendto(make(own), address)
        sock.recvfrom(65536)

    try:
        return median_seconds(once, count)
    finally:
        sock.close()


def bench_datagram() -> tuple[float, float]:
    echo = _EchoServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    payload = json.dumps({"command": "game_flux", "timestamp": 1, "pad": "x" * 300}).encode()
    try:
        baseline = _round_trips(echo.server_address, lambda _own: payload, 300)
    finally:
        echo.shutdown()
        echo.server_close()

    running = start_server(ServerSettings(port=0, datagrams_per_second=1e6))
    try:
        game = _start_match(running.address)
        lock = {"n": 0, "i": 0, "piece": game["next_block"][0], "r": 0, "x": 3, "y": 18}
        stamp = [1]

        service = running.server.service

        def flux(own: tuple[str, int]) -> bytes:  # its lock is judged once, then a repeat
            stamp[0] += 1
            return json.dumps({"command": "game_flux", "timestamp": stamp[0],
                               "game_name": game["game_name"], "token": game["token"],
                               "locks": [lock], "cookie": service.cookie_for(own)}).encode()

        ours = _round_trips(running.address, flux, 300)
    finally:
        running.stop()
    return ours, baseline


def _start_match(address: tuple[str, int]) -> dict:
    socks = []
    for name, rival in (("alice", "bob"), ("bob", "alice")):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2)
        sock.sendto(json.dumps({"command": "connect", "self": name, "opponent": rival,
                                "pad": "." * 400}).encode(), address)
        socks.append(sock)
    starts = []
    for sock in socks:
        while (reply := json.loads(sock.recvfrom(65536)[0]))["command"] != "game_start":
            pass
        starts.append(reply)
        sock.close()
    return starts[0]


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
        bot = Bot(known={i: str(sequence[i]) for i in range(pieces)})
        plays.append([bot.next_lock() for _ in range(pieces)])
    lobby = Lobby(LobbySettings(), random.Random(1))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for k, play in enumerate(plays):
        match = lobby._create(None, ("127.0.0.1", k), 0)
        match.sequence = PieceSequence(k)
        match.connect("alice", ("127.0.0.1", k), None, lobby.new_token(), 0)
        match.connect("bob", ("127.0.0.1", k + 10_000), None, lobby.new_token(), 0)
        for seat in match.seats:
            for wire in play:
                seat.board.apply_lock(Lock(wire["n"], wire["i"], match.sequence[wire["i"]],
                                           wire["r"], wire["x"], wire["y"]), match.sequence)
    per_match = (tracemalloc.get_traced_memory()[0] - before) / count
    tracemalloc.stop()
    reply = replies.game_flux(match, match.seats[0], 0)
    return per_match, len(json.dumps(reply, separators=(",", ":")))


def main() -> None:
    ours, echo = bench_datagram()
    print(f"datagram round trip: {ours * 1e6:8.0f} µs, bare threaded JSON echo "
          f"{echo * 1e6:6.0f} µs: ratio {ours / echo:5.2f}")
    judge, codec = bench_lock()
    print(f"judging one lock:    {judge * 1e6:8.1f} µs, json decode+encode of a state "
          f"{codec * 1e6:6.1f} µs: ratio {judge / codec:5.2f}")
    memory, reply = bench_memory()
    print(f"memory per match:    {memory / 1024:8.1f} KiB, one encoded reply "
          f"{reply / 1024:6.2f} KiB: ratio {memory / reply:5.1f}")


if __name__ == "__main__":
    main()
