"""The cluster line (`python -m bench --only cluster`): two nodes sharing one Redis directory,
against one node with that directory and against the embedded server (no directory), climbing
the UDP ladder together (each step run for the three, seconds apart) under the same generator,
script and clean verdict.

What two cores can show. The embedded server and node n1 run on core 0, as every server in the
bench does; node n2 gets a core of its own only on a machine with more than two, else core 1,
the generator's. So on two cores the two-node ladder shows
- whether the cluster path costs anything per request: a node asks Redis only when it creates a
  match (before the measured window) and refreshes its key once a second from a thread of its
  own; one node against the embedded server, and the CPU per request, say whether that shows;
- whether a second process adds capacity when a core is partly free: n2 has only what the
  generator leaves of core 1.
It cannot show linear scaling: that needs a core per node besides the generator's.

Match m's players are given node m mod 2's address (capacity.node_of), once the directory lists
both nodes at the addresses they printed, as a bridge sending each new match to the least-loaded
node would spread them; a `redirect` counts as an error. Every step gets fresh nodes and an
emptied directory: a pair key left by the step before would send that pair to a node of its own.
The redis-server is ours, on a loopback port, saves nothing and is stopped when the section ends.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
from collections.abc import Callable

from bench import processes
from bench.capacity import Ladder, Target, climb_together, measure, node_of
from bench.loadgen import Load, Mode
from bench.processes import GENERATOR_CORE, SERVER_CORE, Process
from bench.results import StepResult, median_of, ms, ratio, us
from bench.script import LockScript
from server.directory import parse_address, read_nodes
from tests.cluster import directory, start_redis

NODE_IDS = ("n1", "n2")
EMBEDDED = "embedded server, no directory"
ONE_NODE = "one node + directory"
TWO_NODES = "two nodes + directory"


def second_core() -> int:
    """Where node n2 runs: a core of its own if there is one, else the generator's."""
    return 2 if (os.cpu_count() or 1) > 2 else GENERATOR_CORE


def node_group(seed: int, url: str, count: int) -> Process:
    """`count` fresh nodes on an emptied directory, checked to be listed there at the addresses
    they printed; the first holds the others as its `extra` (stopped with it)."""
    client = directory(url)
    nodes: list[Process] = []
    try:
        client.flushdb()
        for node_id, core in zip(NODE_IDS[:count], (SERVER_CORE, second_core()), strict=False):
            nodes.append(processes.game_server(
                seed, added=("--directory", url, "--node-id", node_id), core=core).start())
        listed = {node_id: parse_address(node.address)
                  for node_id, node in read_nodes(client).items()}
        started = dict(zip(NODE_IDS, (node.address for node in nodes), strict=False))
        if listed != started:
            raise RuntimeError(f"the directory lists {listed}, not the nodes started {started}")
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    finally:
        client.close()
    nodes[0].extra.extend(nodes[1:])
    return nodes[0]


def per_node(results: list[StepResult]) -> list[tuple[float, float]]:
    """Each node's (CPU per request, share of its core busy), medians over `results`. A node's
    requests are the answered ones times its share of the matches: exact to the 0.5% a clean
    step may leave unanswered, since every player sends alike."""
    rows = []
    for node in range(len(results[0].node_cpu)):
        cost, busy = [], []
        for result in results:
            nodes = len(result.node_cpu)
            share = sum(node_of(m, nodes) == node for m in range(result.matches)) / result.matches
            answered = result.answered * share
            cost.append(result.node_cpu[node] / answered if answered else math.nan)
            busy.append(result.node_cpu[node] / result.window)
        rows.append((statistics.median(cost), statistics.median(busy)))
    return rows


def _cores(ladder: Ladder) -> str:
    """What each node cost at capacity (with no clean step: at the lowest, said so), and how
    busy its core was (and the generator)."""
    at = ladder.at_capacity or ladder.steps.get(min(ladder.steps, default=0), [])
    if not at:
        return "n/a"
    where = "" if ladder.at_capacity else f" [at N={at[0].matches}, unclean]"
    if not at[0].node_cpu:
        return f"{us(median_of(at, 'cpu_per_request'))}{where}"
    cores = (SERVER_CORE, second_core())
    parts = [f"{NODE_IDS[k]} {us(cost)} (core {cores[k]} {100 * busy:3.0f}% busy)"
             for k, (cost, busy) in enumerate(per_node(at))]
    return (", ".join(parts) + f"; generator {100 * median_of(at, 'generator_busy'):.0f}%"
            + where)


def cluster_section(steps: list[int], load: Load, seed: int, script: LockScript, repeats: int,
                    say: Callable[[str], None]) -> None:
    say("\n== Cluster: two nodes, one Redis directory; one node; the embedded server ==")
    if shutil.which("redis-server") is None:
        say("  no redis-server here (make test installs it): no cluster line")
        return
    shared = second_core() == GENERATOR_CORE
    say(f"  the embedded server and node n1 on core {SERVER_CORE}; n2 on core {second_core()}"
        + (", the generator's: n2 has what the generator leaves of it, so this shows the "
           "cluster's cost and what a partly free core adds, not linear scaling"
           if shared else ", a core of its own")
        + "; redis-server unpinned (idle but for a refresh a second per node)")
    redis_server, url = start_redis()
    try:
        targets = [
            Target(EMBEDDED, lambda: processes.game_server(seed).start(), Mode.GAME),
            Target(ONE_NODE, lambda: node_group(seed, url, 1), Mode.GAME, spread=True),
            Target(TWO_NODES, lambda: node_group(seed, url, 2), Mode.GAME, spread=True),
        ]
        embedded, one, two = climb_together(targets, steps, load, script, repeats, say)
        say()
        for ladder in (embedded, one, two):
            say(f"  {ladder.target.name:32} largest clean N {ladder.label():>7}   "
                f"cpu/request {_cores(ladder)}")
        capped = " (a bound: a ladder hit its top or the generator)"
        say(f"  ratio two nodes / one node: {ratio(two.capacity, one.capacity)}"
            f"{capped if two.capped or one.capped else ''}")
        say(f"  ratio one node with directory / embedded: {ratio(one.capacity, embedded.capacity)}"
            f"{capped if one.capped or embedded.capped else ''}")
        if repeats > 1 and two.capacity:
            _view(two, one.target, repeats, load, script, say)
    finally:
        redis_server.stop()


def _view(two: Ladder, one: Target, repeats: int, load: Load, script: LockScript,
          say: Callable[[str], None]) -> None:
    half = max(1, two.capacity // 2)
    say(f"\n  opponent view at half the two nodes' capacity (N={half}):")
    spread = measure(two.target, half, load, script, repeats, say)
    alone = measure(one, half, load, script, repeats, say)
    for name, results in ((TWO_NODES, spread), (ONE_NODE, alone)):
        say(f"  {name:32} A's lock sent -> B has it: p50 {ms(median_of(results, 'view_p50'))}, "
            f"p99 {ms(median_of(results, 'view_p99'))}")
