"""`make bench` (`python -m bench`), `make bench-short` (`python -m bench --short`): what the server
holds and costs, each figure against a baseline measured seconds apart in the same run.

The machines are shared and noisy, so absolute figures mean little; every server runs on core 0
under the same load generator on core 1 (bench/loadgen.py; a cluster's second node excepted, see
bench/cluster.py), and docs/performance.md explains each line. Never a test: nothing here asserts
a speed.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench import attack, bot_cost, micro, processes
from bench.capacity import (
    Ladder,
    Target,
    bare_round_trip,
    climb_together,
    measure,
    raise_fd_limit,
    watched_round_trip,
)
from bench.cluster import cluster_section
from bench.loadgen import Load, Mode
from bench.results import median_of, ms, ratio, us
from bench.script import build_script

SEED = 2  # its attack-free script runs ~290 locks before the stack fills; a step needs ~25


@dataclass(frozen=True)
class Plan:
    load: Load
    udp_steps: tuple[int, ...]
    bridge_steps: tuple[int, ...]
    repeats: int  # runs of a decisive step (an unclean one, and the capacity step)


FULL = Plan(Load(0, warmup=1.0, window=8.0, drain=0.5),
            (125, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 3000, 4000),
            (50, 125, 250, 500, 750, 1000, 1500, 2000, 2500), repeats=3)
ATTACK_REQUESTS = {False: 500, True: 100}  # per player of the pair: full, short
SHORT = Plan(Load(0, warmup=0.5, window=1.5, drain=0.3), (250, 1000, 2000), (50, 200), repeats=1)
ATTACK_REQUESTS = {False: 500, True: 100}  # per player of the pair: full, short


def say(line: str = "") -> None:
    print(line, flush=True)


def udp_targets(seed: int) -> list[Target]:
    targets = [Target("block-attack server", lambda: processes.game_server(seed).start(),
                      Mode.GAME)]
    if "--workers" in processes.server_flags():  # the reading thread serves, or a pool does
        targets.append(Target("block-attack server --workers 2", lambda: processes.game_server(
            seed, added=("--workers", "2")).start(), Mode.GAME))
    if "--thread-per-datagram" in processes.server_flags():
        targets.append(Target("block-attack server --thread-per-datagram",
                              lambda: processes.game_server(seed, True).start(), Mode.GAME))
    targets += [
        Target("ThreadingUDPServer JSON echo",
               lambda: processes.echo_server("udp-threaded").start(), Mode.ECHO),
        Target("UDPServer echo", lambda: processes.echo_server("udp-plain").start(), Mode.ECHO),
    ]
    return targets


def bridge_targets(seed: int) -> list[Target]:
    return [
        Target("block-attack bridge + server",
               lambda: processes.bridge(processes.game_server(seed).start()).start(),
               Mode.GAME, websocket=True, split_cpu=True),
        Target("aiohttp WebSocket echo", lambda: processes.echo_server("ws").start(),
               Mode.ECHO, websocket=True),
    ]


def capacity_section(plan: Plan, seed: int, script, bare: tuple[float, float]) -> Ladder:
    say("\n== UDP capacity: matches held clean (<0.5% unanswered, p99 < 20 ms, no backlog) ==")
    # Each step is run for every server in turn, seconds apart: a change in the machine's load
    # between ladders cannot pass for a difference between the servers.
    ladders = climb_together(udp_targets(seed), list(plan.udp_steps), plan.load, script,
                             plan.repeats, say)
    ours, threaded = ladders[0], next(x for x in ladders if "Threading" in x.target.name)
    say()
    for ladder in ladders:
        at = ladder.at_capacity
        cpu = us(median_of(at, "cpu_per_request")) if at else "   n/a"
        say(f"  {ladder.target.name:42} largest clean N {ladder.label():>7}   "
            f"cpu/request there {cpu}")
    say(f"  ratio ours / threaded echo: {ratio(ours.capacity, threaded.capacity)}"
        f"{' (a bound: a ladder hit its top or the generator)' if threaded.capped else ''}"
        "   [bar >= 1.0, aim 3]")
    if not ours.capacity:
        return ours
    half = max(1, ours.capacity // 2)
    say(f"\n== Opponent view at half our capacity (N={half}) ==")
    view = measure(ladders[0].target, half, plan.load, script, plan.repeats, say)
    plain = measure(ladders[-1].target, half, plan.load, script, plan.repeats, say)
    v50, v99 = median_of(view, "view_p50"), median_of(view, "view_p99")
    e50, e99 = median_of(plain, "p50"), median_of(plain, "p99")
    say(f"  A's lock sent -> B has it: p50 {ms(v50)}, p99 {ms(v99)}")
    say(f"  plain UDPServer echo round trip, same N: p50 {ms(e50)}, p99 {ms(e99)}; "
        f"idle: p50 {ms(bare[0])}, p99 {ms(bare[1])}")
    say(f"  view p50 minus same-load echo p50: {ms(v50 - e50)}   [bar <= 0.50 ms]")
    say(f"\n== Goodput at twice our capacity (N={2 * ours.capacity}) ==")
    over = measure(ours.target, 2 * ours.capacity, plan.load, script, plan.repeats, say)
    at, over_goodput = median_of(ours.at_capacity, "goodput"), median_of(over, "goodput")
    say(f"  answered {over_goodput:.0f}/s at 2x against {at:.0f}/s at capacity: "
        f"{ratio(over_goodput, at)}   [bar >= 0.90]")
    return ours


def bridge_section(plan: Plan, seed: int, script, alone: Ladder | None) -> None:
    say("\n== Bridge capacity: WebSocket clients, same generator ==")
    targets = bridge_targets(seed)
    ladders = climb_together(targets, list(plan.bridge_steps), plan.load, script,
                             plan.repeats, say)
    bridged, echo = ladders
    say()
    for ladder in ladders:
        say(f"  {ladder.target.name:42} largest clean N {ladder.label():>7}")
    say(f"  ratio bridge / aiohttp echo: {ratio(bridged.capacity, echo.capacity)}   [bar >= 0.80]")
    if not bridged.capacity:
        return
    _one_core_bound(bridged, echo, alone)
    half = max(1, bridged.capacity // 2)
    direct = Target("block-attack server", lambda: processes.game_server(seed).start(),
                    Mode.GAME)
    hop = measure(bridged.target, half, plan.load, script, plan.repeats, say)
    udp = measure(direct, half, plan.load, script, plan.repeats, say)
    say(f"  the hop at N={half}: adds p50 "
        f"{ms(median_of(hop, 'p50') - median_of(udp, 'p50'))}, p99 "
        f"{ms(median_of(hop, 'p99') - median_of(udp, 'p99'))} to a round trip   "
        "[bar p50 <= 0.50 ms]")
    over = measure(bridged.target, 2 * bridged.capacity, plan.load, script, plan.repeats, say)
    at, over_goodput = median_of(bridged.at_capacity, "goodput"), median_of(over, "goodput")
    say(f"  goodput at twice its capacity (N={2 * bridged.capacity}): answered "
        f"{over_goodput:.0f}/s against {at:.0f}/s at capacity: {ratio(over_goodput, at)}")


def _one_core_bound(bridged: Ladder, echo: Ladder, alone: Ladder | None) -> None:
    """Where the bridge's CPU goes, and why one shared core bounds the ratio: the bridge and the
    server each spend CPU on every request, where the echo is one process doing one read and
    one write (docs/performance.md "The bridge")."""
    at = bridged.at_capacity
    bridge_us = median_of(at, "bridge_cpu_per_request")
    server_us = median_of(at, "server_only_cpu_per_request")
    echo_us = median_of(echo.at_capacity, "cpu_per_request") if echo.capacity else math.nan
    say(f"  CPU per request at N={bridged.capacity}: bridge {us(bridge_us)}, server "
        f"{us(server_us)}; the echo at N={echo.capacity} {us(echo_us)}")
    if alone is not None and alone.capacity and echo.capacity:
        say(f"  the server alone holds {alone.label()} on a whole core (UDP ladder above): "
            f"{ratio(alone.capacity, echo.capacity)} of the echo's {echo.label()} before the "
            "bridge spends anything; sharing that core, bridge + server hold less")


def watchers_section(script) -> None:
    """What spectators cost the players: the same matches, none watched, then 16 each."""
    say("\n== Spectators: the players' round trip, 8 matches, a lock every 25 ms each ==")
    alone = watched_round_trip(SEED, script, watchers=0)
    watched = watched_round_trip(SEED, script, watchers=16)
    say(f"  no watchers:          p50 {ms(alone[0])}, p99 {ms(alone[1])}")
    say(f"  16 watchers a match:  p50 {ms(watched[0])}, p99 {ms(watched[1])}   "
        f"p50 ratio {ratio(watched[0], alone[0])}")


def attack_section(plan: Plan) -> None:
    """A real pair while one address floods the server with junk, against the same pair alone."""
    say(f"\n== Under attack: a real pair while {attack.JUNK_RATE:,} junk datagrams a second "
        "arrive from one address ==")
    line = attack.run(ATTACK_REQUESTS[plan is SHORT], SEED)
    say(f"  no attack:            {attack.describe(line.quiet)}")
    say(f"  {line.rate:,} junk/s:  {attack.describe(line.attacked)}")
    say(f"  shed by the rate check: {line.shed:,}; p50 ratio "
        f"{ratio(line.attacked.median, line.quiet.median)}   [bar: loss < 2%, p50 < 10 ms]")


def micro_section(short: bool) -> None:
    say("\n== Rules and memory ==")
    judge, codec = micro.bench_lock()
    say(f"  judging one lock: {judge * 1e6:8.1f} µs, json decode+encode of a state "
        f"{codec * 1e6:6.1f} µs: ratio {judge / codec:5.2f}")
    memory, reply = micro.bench_memory()
    against = (f"one encoded reply {reply / 1024:6.2f} KiB: ratio {memory / reply:5.1f}"
               if reply else "one encoded reply: n/a")
    say(f"  memory per match: {memory / 1024:8.1f} KiB, {against}   [bar < 16 KiB]")
    plain, mixed = bot_cost.bench_bot_cost(rounds=1 if short else 3)
    say(f"  server CPU per human request, {plain.matches} matches: none against the computer "
        f"{us(plain.per_request_s)}, {mixed.bot_share:.0%} against CPU Hard "
        f"{us(mixed.per_request_s)}: ratio {mixed.per_request_s / plain.per_request_s:5.2f}; "
        f"a bot's search {mixed.search_ms:.2f} ms, at most {mixed.most_tick_ms:.2f} ms of "
        "search in a 50 ms tick   [budget 2 ms a tick]")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--short", action="store_true", help="a quick pass, within a minute")
    parser.add_argument("--only", choices=("udp", "bridge", "cluster", "attack", "micro"),
                        action="append", help="run only these sections (repeatable)")
    args = parser.parse_args(argv)
    plan = SHORT if args.short else FULL
    sections = set(args.only or ("udp", "bridge", "cluster", "attack", "micro"))
    started = time.monotonic()
    raise_fd_limit()
    processes.pin_self()
    script = build_script(SEED, math.ceil((plan.load.warmup + plan.load.window) * 2) + 10)
    flags = sorted(processes.server_flags() & {"--seed", "--workers", "--thread-per-datagram",
                                               "--trusted-networks"})
    say(f"block-attack bench ({'short' if args.short else 'full'}): servers on core "
        f"{processes.SERVER_CORE}, generator on core {processes.GENERATOR_CORE}; "
        f"{plan.load.window:g} s windows, 2 locks/s a player; server flags seen: "
        f"{', '.join(flags) or 'none of the new ones'}")
    bare = bare_round_trip()
    say(f"bare loopback round trip (plain UDPServer echo, one socket, idle): p50 {ms(bare[0])}, "
        f"p99 {ms(bare[1])}")
    alone = None
    if "udp" in sections:
        alone = capacity_section(plan, SEED, script, bare)
        watchers_section(script)
    if "bridge" in sections:
        bridge_section(plan, SEED, script, alone)
    if "cluster" in sections:  # the UDP ladder again: one node, two, and the embedded server
        cluster_section(list(plan.udp_steps), plan.load, SEED, script, plan.repeats, say)
    if "attack" in sections:
        attack_section(plan)
    if "micro" in sections:
        micro_section(args.short)
    say(f"\n({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
