"""The attack line: a real pair's loss and round trip while 20,000 junk datagrams a second
arrive from one address, against the same pair with no attack, seconds apart in the same run.

The server runs on core 0, the attacker (tests/attackers.py `junk`, a process of its own) and
the pair (tests/real_players.py, in this process) on core 1.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from dataclasses import dataclass

from bench import processes
from tests.real_players import Experience, seed_pair

JUNK_RATE = 20_000
SOURCES = ("127.0.0.2", "127.0.0.3")
ATTACKER = "127.0.0.9"
WARMUP = 1.0  # seconds the flood runs before the pair starts


@dataclass(frozen=True)
class AttackLine:
    quiet: Experience
    attacked: Experience
    rate: int  # junk datagrams a second the attacker really sent
    shed: int  # of them, dropped by the server's rate check


def _p99(experience: Experience) -> float:
    rtts = sorted(experience.rtts)
    return rtts[min(len(rtts) - 1, int(0.99 * len(rtts)))] if rtts else float("inf")


def describe(experience: Experience) -> str:
    return (f"lost {experience.loss:6.2%} of {experience.sent}, round trip p50 "
            f"{experience.median * 1000:5.2f} ms, p99 {_p99(experience) * 1000:5.2f} ms, "
            f"in a match after {experience.joined * 1000:.0f} ms")


def run(requests: int, seed: int) -> AttackLine:
    """Both measurements, each on a fresh server."""
    with processes.game_server(seed).start() as server:
        quiet = asyncio.run(seed_pair(server.address, SOURCES, requests))
    with processes.game_server(seed).start() as server:
        command = processes.pinned(processes.python(
            "-m", "tests.attackers", "junk", "--target", f"{server.address[0]}:"
            f"{server.address[1]}", "--source", ATTACKER, "--rate", str(JUNK_RATE),
            "--seconds", "120"), core=processes.GENERATOR_CORE)
        flood = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            asyncio.run(asyncio.sleep(WARMUP))
            attacked = asyncio.run(seed_pair(server.address, SOURCES, requests))
        finally:
            flood.send_signal(signal.SIGTERM)
            out, _ = flood.communicate(timeout=10)
        assert server.popen is not None
        server.popen.send_signal(signal.SIGINT)  # at once: its summary counts what it shed
        server.popen.wait(timeout=10)
        said = server.said()
    report = json.loads(out.splitlines()[-1])
    shed = _shed(said)
    return AttackLine(quiet, attacked, int(report["rate"]), shed)


def _shed(log: str) -> int:
    """'N over the rate' from the server's summary at shutdown; -1 when it is not there."""
    for line in reversed(log.splitlines()):
        if " over the rate" in line:
            return int(line.split(" over the rate")[0].rsplit(" ", 1)[-1])
    return -1
