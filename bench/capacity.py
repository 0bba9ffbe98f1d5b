"""Capacity: how many matches each server holds clean, stepping N up, under one generator.

Every step gets a fresh server process on core 0 (so a step measures exactly N matches) and the
generator, this process, on core 1. A server's ladder stops at its first unclean step; an unclean
step is run three times and counts clean on a majority (the machine is shared and noisy), and the
largest clean step is run three times for the medians reported.
"""

from __future__ import annotations

import json
import resource
import select
import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bench import processes
from bench.loadgen import Load, Mode, Player, Tally, make_players, run_step
from bench.processes import Process
from bench.results import StepResult, summarise
from bench.script import LockScript
from bench.transports import UdpTransport, WsTransport

WS_PER_SOURCE = 4  # WebSockets per client address: under the bridge's per-address cap
MAX_STOLEN = 0.05  # a run whose core lost more to the hypervisor is run again...
DISTURBED_RETRIES = 2  # ...at most this many times


@dataclass(frozen=True)
class Target:
    """A server under test: how to start it, and how players reach it."""

    name: str
    start: Callable[[], Process]
    mode: Mode
    websocket: bool = False
    spread: bool = False  # the process and its `extra` are cluster nodes: match k on node k mod n
    split_cpu: bool = False  # measure the process and each of its `extra` apart (node_cpu)


@dataclass
class Ladder:
    target: Target
    steps: dict[int, list[StepResult]] = field(default_factory=dict)
    capacity: int = 0  # the largest clean N
    capped: bool = False  # the top step was clean, or the generator ran out first: "at least"

    @property
    def at_capacity(self) -> list[StepResult]:
        return self.steps.get(self.capacity, [])

    def label(self) -> str:
        return f"{'≥ ' if self.capped else ''}{self.capacity}"


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _source(k: int) -> str:
    """Client address for WebSocket k: 127.1.x.y, WS_PER_SOURCE to each."""
    host = k // WS_PER_SOURCE
    return f"127.1.{host // 250}.{host % 250 + 1}"


def run_once(target: Target, matches: int, load: Load, script: LockScript) -> StepResult:
    tally = Tally()
    players = make_players(matches, script, target.mode, seed=matches, tally=tally)
    poller = select.epoll()
    process = target.start()
    nodes = [process, *process.extra] if target.spread or target.split_cpu else [process]
    own: list[list[float]] = []  # each process's own CPU seconds, at both ends of the window
    stolen: list[float] = []  # the servers' core's steal, at both ends

    def probe() -> tuple[float, int]:
        stolen.append(processes.stolen_seconds())
        if len(nodes) > 1:
            own.append([processes.cpu_seconds(node.pids[0]) for node in nodes])
        return process.cpu(), processes.rcvbuf_errors()

    try:
        _attach(players, target, nodes, poller)
        run_step(players, Load(**{**load.__dict__, "matches": matches}), tally, poller, probe)
    except (ConnectionError, OSError) as exc:
        tally.errors[f"{type(exc).__name__}: {exc}"] = 1
    finally:
        for player in players:
            if player.link is not None:
                player.link.close()
        poller.close()
        process.stop()
    result = summarise(target.name, matches, tally)
    if len(stolen) == 2 and result.window > 0:
        result = replace(result, stolen=(stolen[1] - stolen[0]) / result.window)
    if len(own) == 2:
        result = replace(result, node_cpu=tuple(b - a for a, b in zip(*own, strict=True)))
    return result


def node_of(match: int, nodes: int) -> int:
    """The node (index) whose address match `match`'s players are given: half the matches each
    with two nodes, as a bridge picking the least-loaded node would spread them."""
    return match % nodes


def _attach(players: list[Player], target: Target, nodes: list[Process],
            poller: select.epoll) -> None:
    for k, player in enumerate(players):
        if target.websocket:
            player.link = WsTransport(nodes[0].address, "/ws", _source(k), poller)
        else:  # players 2m and 2m+1 play match m (loadgen.make_players)
            spread = nodes if target.spread else nodes[:1]
            player.link = UdpTransport(spread[node_of(k // 2, len(spread))].address, poller)


def measure(target: Target, matches: int, load: Load, script: LockScript, runs: int,
            report: Callable[[str], None]) -> list[StepResult]:
    """`runs` runs of a step. A run that lost more than MAX_STOLEN of the servers' core to the
    hypervisor measured the neighbours: it is run again (DISTURBED_RETRIES times at most) and
    the least disturbed of its tries counts."""
    results = []
    for _ in range(runs):
        tries = [run_once(target, matches, load, script)]
        report(tries[-1].row())
        while tries[-1].stolen > MAX_STOLEN and len(tries) <= DISTURBED_RETRIES:
            report(f"    (the hypervisor took {100 * tries[-1].stolen:.0f}% of the core: again)")
            tries.append(run_once(target, matches, load, script))
            report(tries[-1].row())
        results.append(min(tries, key=lambda result: result.stolen))
    return results


def majority_clean(results: list[StepResult]) -> bool:
    return sum(result.clean for result in results) * 2 > len(results)


def climb_together(targets: list[Target], ladder_steps: list[int], load: Load,
                   script: LockScript, repeats: int,
                   report: Callable[[str], None]) -> list[Ladder]:
    """Step N up for each target until its own first unclean step (repeated: a majority
    decides). Each step is run for one target after the other, seconds apart, so a change in
    the machine's load between ladders cannot pass for a difference between the targets."""
    ladders = [Ladder(target) for target in targets]
    climbing = list(ladders)
    for matches in ladder_steps:
        climbing = [ladder for ladder in climbing
                    if _step(ladder, matches, load, script, repeats, report)]
        if not climbing:
            break
    for ladder in ladders:
        if any(ladder is top for top in climbing):
            ladder.capped = True  # its top step was clean
        _confirm(ladder, load, script, repeats, report)
    return ladders


def _step(ladder: Ladder, matches: int, load: Load, script: LockScript, repeats: int,
          report: Callable[[str], None]) -> bool:
    """Run one step of `ladder`; whether it climbs on."""
    target = ladder.target
    results = measure(target, matches, load, script, 1, report)
    if not results[0].clean and repeats > 1:
        results += measure(target, matches, load, script, repeats - 1, report)
    ladder.steps[matches] = results
    if any(result.generator_bound for result in results):
        ladder.capped = True  # the generator, not the server, was the limit
        if majority_clean(results):
            ladder.capacity = matches
        return False
    if not majority_clean(results):
        return False
    ladder.capacity = matches
    return True


def _confirm(ladder: Ladder, load: Load, script: LockScript, repeats: int,
             report: Callable[[str], None]) -> None:
    """Run the capacity step `repeats` times in all; if a majority is unclean, the step below
    is the capacity."""
    if ladder.capacity and repeats > 1 and len(ladder.at_capacity) < repeats:
        runs = ladder.at_capacity + measure(ladder.target, ladder.capacity, load, script,
                                            repeats - len(ladder.at_capacity), report)
        ladder.steps[ladder.capacity] = runs
        if not majority_clean(runs):  # its repeats say no: the step below is the capacity
            below = [n for n in ladder.steps if n < ladder.capacity]
            ladder.capacity, ladder.capped = (max(below) if below else 0), False


def bare_round_trip(count: int = 500) -> tuple[float, float]:
    """p50 and p99 of one socket's ping-pong with the plain UDPServer echo, nothing else
    running: the loopback round trip every other figure is compared with."""
    with processes.echo_server("udp-plain").start() as echo:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect(echo.address)
        sock.settimeout(1)
        payload = b"x" * 700  # a game_flux request's size
        samples = []
        try:
            for _ in range(count):
                start = time.perf_counter()
                sock.send(payload)
                sock.recv(65536)
                samples.append(time.perf_counter() - start)
        finally:
            sock.close()
    samples.sort()
    return statistics.median(samples), samples[int(0.99 * len(samples))]


def watched_round_trip(seed: int, script: LockScript, watchers: int, matches: int = 8,
                       rounds: int = 60) -> tuple[float, float]:
    """p50 and p99 of the players' round trip (a lock sent -> its direct answer) in `matches`
    matches with `watchers` spectators each, on a fresh server (docs/protocol.md "Spectators").
    Every lock changes a field, so each match's feed pushes to its spectators at its full rate
    (about 10 a second) while the players are measured."""

    def channel() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect(server.address)
        sock.settimeout(2)
        return sock

    def ask(sock: socket.socket, message: dict, want: Callable[[dict], bool]) -> dict:
        sock.send(json.dumps(message).encode())
        while True:
            reply = json.loads(sock.recv(65536))
            if want(reply):
                return reply

    def drain(sock: socket.socket) -> None:
        sock.setblocking(False)
        try:
            while True:
                sock.recv(65536)
        except BlockingIOError:
            pass
        finally:
            sock.settimeout(2)

    rounds = min(rounds, len(script))
    with processes.game_server(seed).start() as server:
        players: list[tuple[socket.socket, dict]] = []
        others: list[socket.socket] = []
        for k in range(matches):
            alice, bob = channel(), channel()
            ask(alice, {"command": "connect", "self": f"a{k}", "opponent": f"b{k}"},
                lambda r: r["command"] == "waiting")
            ask(bob, {"command": "connect", "self": f"b{k}", "opponent": f"a{k}"},
                lambda r: r["command"] == "game_start")
            start = json.loads(alice.recv(65536))
            players.append((alice, start))
            others.append(bob)
            for _ in range(watchers):
                spectator = channel()
                ask(spectator, {"command": "watch", "timestamp": 1,
                                "game_name": start["game_name"]},
                    lambda r: r["command"] == "spectate")
                others.append(spectator)
        samples = []
        stamp = int(time.time() * 1000)
        try:
            for n in range(rounds):
                for alice, start in players:
                    stamp += 1
                    flux = {"command": "game_flux", "timestamp": stamp,
                            "game_name": start["game_name"], "token": start["token"],
                            "locks": [script.locks[n].wire]}
                    sent = time.perf_counter()
                    ask(alice, flux, lambda r, ts=stamp: r.get("echo") == ts)
                    samples.append(time.perf_counter() - sent)
                for sock in others:
                    drain(sock)
                time.sleep(0.025)
        finally:
            for sock in [p for p, _ in players] + others:
                sock.close()
    samples.sort()
    return statistics.median(samples), samples[int(0.99 * len(samples))]
