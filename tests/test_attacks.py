"""Issue 9's attacks against real processes on loopback, each with a real player measuring what
it lives through: a pair of seed clients that echo their cookie (on 127.0.0.2-3) and a pair of
browser-like WebSocket clients through the bridge (127.0.0.4-5), while the attacker (a process of
its own, tests/attackers.py) sends from other addresses. The bar (tests/real_players.py): both
pairs get into a match within 3 s, lose under 2% of their requests and keep a median round trip
under 10 ms. Each attack lasts a few seconds; the figures are printed (pytest -s shows them)
beside a no-attack baseline measured the same way.

The servers run with `--trusted-networks 127.0.0.1/32`: the bridge's UDP sockets (on 127.0.0.1)
are trusted, as next to a real server, and every other loopback address is a stranger that must
prove itself with its cookie.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.processes import Process, python
from tests.real_players import (
    JOIN_BAR,
    BrowserPlayer,
    Experience,
    SeedPlayer,
    browser_pair,
    seed_pair,
)

REPO = Path(__file__).resolve().parent.parent
SEED_SOURCES = ("127.0.0.2", "127.0.0.3")
BROWSER_SOURCES = ("127.0.0.4", "127.0.0.5")
PAGE_SOURCE = "127.0.0.6"
ATTACKER = "127.0.0.9"  # the one-address attacks
WARMUP = 0.8  # seconds an attack runs before the players start measuring
SERVER_FLAGS = ("--countdown-seconds", "0", "--trusted-networks", "127.0.0.1/32",
                "--max-matches", "200", "--metrics-port", "0", "--drain-seconds", "0.1")
FD_LIMIT = 1024  # the bridge's open-file limit in the file-descriptor attacks: a common default


@dataclass
class Server:
    process: Process
    metrics_url: str

    @property
    def address(self) -> tuple[str, int]:
        return self.process.address

    @property
    def target(self) -> str:
        return f"{self.address[0]}:{self.address[1]}"

    def metrics(self) -> dict[str, float]:
        """The server's Prometheus figures, `name{labels}` -> value."""
        with urllib.request.urlopen(self.metrics_url, timeout=5) as response:
            text = response.read().decode()
        figures = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                figures[name] = float(value)
        return figures

    def matches(self) -> int:
        return round(sum(value for name, value in self.metrics().items()
                         if name.startswith("block_attack_server_matches{")))


@contextmanager
def game_server(*flags: str) -> Iterator[Server]:
    process = Process("block-attack server",
                      python("-m", "block_attack", "server", "--port", "0", *SERVER_FLAGS,
                             *flags)).start()
    try:
        assert process.popen is not None and process.popen.stdout is not None
        line = process.popen.stdout.readline()
        found = re.search(r"metrics on (http://\S+)", line)
        assert found, f"no metrics address in {line!r}"
        yield Server(process, found.group(1))
    finally:
        process.stop()


@dataclass
class Bridge:
    process: Process

    def log_lines(self) -> int:
        """Lines the bridge has logged so far (its stderr)."""
        return len(self.process.said().splitlines())

    @property
    def site(self) -> str:
        host, port = self.process.address
        return f"http://{host}:{port}/"

    @property
    def target(self) -> str:
        host, port = self.process.address
        return f"{host}:{port}"


@contextmanager
def bridge(server: Server, *flags: str, fd_limit: int | None = None) -> Iterator[Bridge]:
    """`block-attack bridge` in front of `server`; under `fd_limit` open files when given
    (prlimit, as a service manager would set it)."""
    command = python("-m", "block_attack", "bridge", "--port", "0", "--server", server.target,
                     *flags)
    if fd_limit is not None:
        command = ["prlimit", f"--nofile={fd_limit}:{fd_limit}", *command]
    process = Process("block-attack bridge", command).start()
    try:
        yield Bridge(process)
    finally:
        process.stop()


@dataclass
class Attack:
    popen: subprocess.Popen[str]
    result: dict[str, Any] = field(default_factory=dict)


@contextmanager
def attack(kind: str, *args: str, seconds: float = 8.0) -> Iterator[Attack]:
    """An attacker process (tests/attackers.py), stopped with SIGTERM when the block ends (or
    after `seconds`); its report is in `result` after the block."""
    popen = subprocess.Popen(python("-m", "tests.attackers", kind, "--seconds", str(seconds),
                                    *args), cwd=REPO, stdout=subprocess.PIPE, text=True)
    running = Attack(popen)
    try:
        time.sleep(WARMUP)
        assert popen.poll() is None, "the attacker stopped early"
        yield running
    finally:
        if popen.poll() is None:
            popen.send_signal(signal.SIGTERM)
        try:
            out, _ = popen.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            popen.kill()
            out, _ = popen.communicate(timeout=5)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"the attacker reported nothing (exit {popen.returncode})"
    running.result = json.loads(lines[-1])


def experience(server: Server, site: str | None) -> list[Experience]:
    """Both real pairs at once: the seed clients straight to the server, the browsers through
    the bridge at `site` (when there is one)."""

    async def both() -> list[Experience]:
        pairs = [seed_pair(server.address, SEED_SOURCES)]
        if site is not None:
            pairs.append(browser_pair(site, BROWSER_SOURCES))
        return list(await asyncio.gather(*pairs))

    return asyncio.run(both())


def page_load(site: str) -> float:
    """Seconds a new visitor (its own address) waits for the start page; AssertionError if it
    does not get it."""

    async def get() -> float:
        started = time.monotonic()
        connector = aiohttp.TCPConnector(local_addr=(PAGE_SOURCE, 0), force_close=True)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=10)) as session, \
                session.get(site) as response:
            assert response.status == 200, f"GET / answered {response.status}"
            await response.read()
        return time.monotonic() - started

    return asyncio.run(get())


def assert_bar(attack_name: str, experiences: list[Experience], **figures: Any) -> None:
    print(f"\n[{attack_name}] " + "; ".join(f"{k} {v}" for k, v in figures.items()))
    for lived in experiences:
        print(f"[{attack_name}]   {lived.line()}")
    problems = [problem for lived in experiences for problem in lived.problems()]
    assert not problems, f"{attack_name}: " + "; ".join(problems)


# -- the baseline ----------------------------------------------------------------------------


def test_with_no_attack_the_real_players_meet_the_bar():
    with game_server() as server, bridge(server) as front:
        lived = experience(server, front.site)
        loaded = page_load(front.site)
    assert_bar("no attack", lived, page_load=f"{loaded * 1000:.0f} ms")


# -- the server's side -----------------------------------------------------------------------


def test_thousands_of_unproven_ports_cannot_fill_the_match_table():
    with game_server() as server, bridge(server) as front, \
            attack("fill", "--target", server.target, "--sources", "127.0.0.10-127.0.0.254",
                   "--ports-per-source", "16", "--rate", "4000") as fill:
        lived = experience(server, front.site)
        held = server.matches()
        figures = server.metrics()
    assert_bar("match-table fill", lived, sources=fill.result["sources"],
               connects=fill.result["sent"], rate=f"{fill.result['rate']}/s",
               matches_held=held,
               admitted=figures.get("block_attack_server_datagrams_received_total"),
               queue_dropped=figures.get("block_attack_server_queue_dropped_total"))
    assert fill.result["sent"] > 5 * 200  # far more connects than --max-matches
    assert held <= 2  # the two real pairs' matches, nothing of the attacker's


def test_one_address_seating_both_players_holds_only_its_cap():
    with game_server("--max-matches-per-address", "16") as server, \
            bridge(server) as front, \
            attack("both-seats", "--target", server.target, "--source", ATTACKER) as seats:
        lived = experience(server, front.site)
        held = server.matches()
    outcomes = seats.result["outcomes"]
    assert_bar("both seats", lived, attempts=seats.result["attempts"], outcomes=outcomes,
               matches_held=held)
    assert seats.result["started"] <= 16  # running and lingering ones count
    assert outcomes.get("too_many_matches", 0) > 16  # it kept trying, and was refused
    assert held <= 16 + 2


def test_twenty_thousand_junk_datagrams_a_second_are_shed():
    with game_server() as server, bridge(server) as front, \
            attack("junk", "--target", server.target, "--source", ATTACKER,
                   "--rate", "20000") as flood:
        lived = experience(server, front.site)
        dropped = server.metrics().get("block_attack_server_rate_limited_total", 0)
    assert_bar("junk flood", lived, rate=f"{flood.result['rate']}/s",
               sent=flood.result["sent"], over_the_rate=dropped)
    assert flood.result["rate"] >= 18_000  # the attack really ran at (about) its rate
    assert dropped >= 0.9 * flood.result["sent"]  # shed by the rate check, unread


# -- the bridge's side -----------------------------------------------------------------------


def test_one_ip_cycling_websockets_creates_only_its_allowance():
    with game_server() as server, bridge(server) as front, \
            attack("ws-cycle", "--site", front.site, "--source", ATTACKER) as cycling:
        lived = experience(server, front.site)
        held = server.matches()
    outcomes = cycling.result["outcomes"]
    created = outcomes.get("waiting", 0)
    assert_bar("WebSocket cycling", lived, outcomes=outcomes, matches_held=held)
    assert created <= 10  # --matches-per-minute
    assert sum(outcomes.values()) > 30  # it tried far more often than it was let


def test_stalled_half_open_connections_do_not_exhaust_the_bridge():
    with game_server() as server, bridge(server, fd_limit=FD_LIMIT) as front, \
            attack("stall", "--target", front.target, "--source", ATTACKER,
                   "--connections", "1100") as stalled:
        loaded = page_load(front.site)
        lived = experience(server, front.site)
    assert_bar("stalled connections", lived, page_load=f"{loaded * 1000:.0f} ms",
               **stalled.result)
    assert loaded < JOIN_BAR
    assert stalled.result["opened"] >= 1100  # every one of them was tried


def test_a_junk_and_websocket_flood_from_64_ips_leaves_room():
    with game_server() as server, bridge(server) as front, \
            attack("flood", "--target", front.target,
                   "--sources", "127.0.1.1-127.0.1.64") as flood:
        loaded = page_load(front.site)
        lived = experience(server, front.site)
    assert_bar("64-IP flood", lived, page_load=f"{loaded * 1000:.0f} ms", **flood.result)
    assert loaded < JOIN_BAR
    assert flood.result["ws opened"] >= 64


# -- token theft -----------------------------------------------------------------------------


def _sockets_to(port: int) -> set[int]:
    """Local ports of this host's IPv4 UDP sockets connected to `port` (/proc/net/udp)."""
    found = set()
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        local, remote = line.split()[1:3]
        if int(remote.split(":")[1], 16) == port:
            found.add(int(local.split(":")[1], 16))
    return found


async def _ask(player: SeedPlayer, message: dict[str, Any], wanted: float = 0.6
               ) -> list[dict[str, Any]]:
    """Send `message` (again after a `verify`, with the cookie) and collect the answers."""
    await player.send({**message, "timestamp": player.stamp()})
    answers = []
    deadline = time.monotonic() + wanted
    while (left := deadline - time.monotonic()) > 0:
        answer = await player.next(left)
        if answer is None:
            break
        if answer.get("command") == "verify":
            await player.send({**message, "timestamp": player.stamp()})
            continue
        answers.append(answer)
    return answers


def _thief_connects(name: str, game_name: str) -> list[dict[str, Any]]:
    """What a socket on a victim's old port may try: its name, its link, with no key or its own."""
    bare = {"command": "connect", "self": name, "pad": "." * 400}
    return [bare, {**bare, "key": "t" * 22}, {**bare, "game_name": game_name},
            {**bare, "game_name": game_name, "key": "t" * 22}]


@pytest.mark.parametrize("shown", [False, True], ids=["keyed-unshown", "shown"])
def test_a_new_socket_on_a_closed_tabs_old_port_gets_no_token(shown):
    """The victim opened a match and went away (its token shown by a keep-alive or not); a new
    socket bound to its very address asks for the seat every way it can."""

    async def steal(server: Server) -> tuple[str, list[dict[str, Any]]]:
        victim = await SeedPlayer("victim", server.address, SEED_SOURCES[0]).open()
        key = "v" * 22
        waiting = (await _ask(victim, {"command": "connect", "self": "victim", "key": key,
                                       "pad": "." * 400}))[0]
        assert waiting["command"] == "waiting", waiting
        if shown:  # the waiting page's keep-alive carries the token
            await _ask(victim, {"command": "connect", "self": "victim", "key": key,
                                "game_name": waiting["game_name"], "token": waiting["token"]})
        address = victim.address
        await victim.close()
        answers = []
        thief = await SeedPlayer("thief", server.address, address[0]).open(address[1])
        try:
            for message in _thief_connects("victim", waiting["game_name"]):
                answers += await _ask(thief, message, wanted=0.3)
        finally:
            await thief.close()
        return waiting["token"], answers

    with game_server() as server:
        token, answers = asyncio.run(steal(server))
    assert answers, "the thief got no answer at all"
    assert all(answer.get("token") != token for answer in answers), answers
    print(f"\n[direct theft, {'shown' if shown else 'keyed, unshown'}] the thief's answers: "
          + ", ".join(a.get("reason") or a["command"] for a in answers))


def test_websockets_landing_on_a_victims_old_bridge_port_get_no_token():
    """A tab opens a match through the bridge and closes; the thief then cycles WebSockets
    through the same bridge asking for the victim's seat (bounded), and, to be sure a socket
    holds the victim's old port, binds that port itself, as the bridge's next socket would."""

    async def steal(server: Server, front: Bridge) -> dict[str, Any]:
        before = _sockets_to(server.address[1])
        victim = await BrowserPlayer("victim", front.site, BROWSER_SOURCES[0]).open()
        await victim.send(victim.connect_message(None))  # an open match, anyone's by its link
        waiting = await victim.next(2.0)
        assert waiting is not None and waiting["command"] == "waiting", waiting
        (port,) = _sockets_to(server.address[1]) - before
        await victim.close()
        answers, landed = [], 0
        for k in range(20):  # bounded; each its own WebSocket, as one cycling IP would
            thief = await BrowserPlayer("victim", front.site,
                                        f"127.0.2.{k % 4 + 1}").open()
            try:
                landed += port in _sockets_to(server.address[1])
                for message in _thief_connects("victim", waiting["game_name"]):
                    if k % 2:
                        message = {**message, "key": thief.key}
                    await thief.send({**message, "timestamp": thief.stamp()})
                    answer = await thief.next(0.5)
                    if answer is not None:
                        answers.append(answer)
            finally:
                await thief.close()
        forced = await SeedPlayer("thief", server.address, "127.0.0.1").open(port)
        try:
            for message in _thief_connects("victim", waiting["game_name"]):
                answers += await _ask(forced, message, wanted=0.3)
        finally:
            await forced.close()
        return {"token": waiting["token"], "answers": answers, "landed": landed}

    with game_server() as server, bridge(server) as front:
        stolen = asyncio.run(steal(server, front))
    answers = stolen["answers"]
    assert len(answers) >= 20
    assert all(answer.get("token") != stolen["token"] for answer in answers)
    print(f"\n[theft through the bridge] {len(answers)} answers, none with the victim's token; "
          f"{stolen['landed']} of 20 WebSockets landed on its old port by chance, then one "
          "socket bound there")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-s", "-q"]))
