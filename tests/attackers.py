"""The attacks of issue 9, each a process of its own (so it shares no lock or loop with the real
players that measure it): `python -m tests.attackers KIND ...`. Every attack sends only to the
loopback target it is given, is bounded in time (`--seconds`, or sooner on SIGTERM) and prints
one JSON line of what it did when it stops.

- junk: tiny datagrams from one address at a paced rate.
- fill: bare `connect`s (a new name each) from thousands of source ports, never reading.
- both-seats: one IP that proves its ports and opens and seats matches as both players.
- ws-cycle: one client IP cycling WebSockets through the bridge: open, create, close, repeat.
- stall: TCP connections from one IP that send half a request header and stall.
- flood: from many IPs, junk over TCP, half headers, and WebSockets sending junk frames.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import aiohttp

HALF_HEADER = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: stall"  # no blank line
PAD = "." * 400


def host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def address_range(text: str) -> list[str]:
    """`127.0.0.10-127.0.0.254` (inclusive), or one address."""
    first, _, last = text.partition("-")
    start = int(ipaddress.IPv4Address(first))
    end = int(ipaddress.IPv4Address(last or first))
    return [str(ipaddress.IPv4Address(k)) for k in range(start, end + 1)]


class Stop:
    """Set by SIGTERM or when `seconds` have passed."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self._event = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: self._event.set())

    def __bool__(self) -> bool:
        return self._event.is_set() or time.monotonic() >= self.deadline


def report(**figures: Any) -> None:
    print(json.dumps(figures), flush=True)


# -- UDP ---------------------------------------------------------------------------------------


def paced(stop: Stop, rate: float, send_one: Any) -> tuple[int, float]:
    """Call `send_one(k)` `rate` times a second until `stop`: (sent, seconds)."""
    started = time.monotonic()
    sent = 0
    while not stop:
        due = int((time.monotonic() - started) * rate)
        while sent < due:
            send_one(sent)
            sent += 1
        time.sleep(0.0005)
    return sent, time.monotonic() - started


def junk(args: argparse.Namespace) -> None:
    stop = Stop(args.seconds)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.source, 0))
    sock.setblocking(False)
    target = host_port(args.target)
    payloads = [b"x", b"{}", b"\x00\xff", b"[1]", b'{"command":"game_flux"}']
    failed = 0

    def send_one(k: int) -> None:
        nonlocal failed
        try:
            sock.sendto(payloads[k % len(payloads)], target)
        except OSError:
            failed += 1  # our own send buffer: not sent

    sent, seconds = paced(stop, args.rate, send_one)
    report(kind="junk", sent=sent - failed, seconds=round(seconds, 3),
           rate=round((sent - failed) / seconds))


def fill(args: argparse.Namespace) -> None:
    stop = Stop(args.seconds)
    target = host_port(args.target)
    socks = []
    for source in address_range(args.sources):
        for _ in range(args.ports_per_source):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((source, 0))
            sock.setblocking(False)
            socks.append(sock)

    def send_one(k: int) -> None:
        # A bare 33-byte connect, a new name each time: every one would be a match of its own.
        name = f"f{k % 10**8:08d}"
        data = json.dumps({"command": "connect", "self": name}).encode()
        with contextlib.suppress(OSError):  # our own send buffer full: not sent
            socks[k % len(socks)].sendto(data, target)

    sent, seconds = paced(stop, args.rate, send_one)
    report(kind="fill", sources=len(socks), sent=sent, seconds=round(seconds, 3),
           rate=round(sent / seconds))


class ProvenPort:
    """One port of the both-seats attacker: it reads its answers and echoes its cookie."""

    def __init__(self, source: str, target: tuple[str, int]) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.sock.settimeout(0.2)
        self.target = target
        self.cookie: str | None = None
        self.ts = int(time.time() * 1000)

    def ask(self, message: dict[str, Any]) -> dict[str, Any] | None:
        self.sock.setblocking(False)  # what an earlier match pushed here is not an answer
        with contextlib.suppress(OSError):
            while self.sock.recv(2048):
                pass
        self.sock.settimeout(0.2)
        for _ in range(3):
            self.ts += 1
            body = {**message, "timestamp": self.ts}
            if self.cookie is not None:
                body["cookie"] = self.cookie
            self.sock.sendto(json.dumps(body).encode(), self.target)
            try:
                reply = json.loads(self.sock.recvfrom(2048)[0])
            except (TimeoutError, ValueError):
                continue
            self.cookie = reply.pop("cookie", self.cookie)
            if reply.get("command") != "verify":
                return reply
        return None


def outcome(reply: dict[str, Any] | None) -> str:
    """An answer as the attacker tallies it: its error reason, else its command."""
    if reply is None:
        return "no answer"
    return str(reply.get("reason") or reply.get("command"))


def both_seats(args: argparse.Namespace) -> None:
    stop = Stop(args.seconds)
    target = host_port(args.target)
    ports = [ProvenPort(args.source, target) for _ in range(args.ports)]
    outcomes: Counter[str] = Counter()
    k = 0
    while not stop:
        host, guest = ports[k % len(ports)], ports[(k + 1) % len(ports)]
        k += 1
        waiting = host.ask({"command": "connect", "self": f"h{k}", "pad": PAD})
        if waiting is None or waiting.get("command") != "waiting":
            outcomes[outcome(waiting)] += 1
            continue
        start = guest.ask({"command": "connect", "self": f"g{k}", "pad": PAD,
                           "game_name": waiting["game_name"]})
        outcomes[outcome(start)] += 1
        if start is not None and start.get("command") == "game_start":
            # End it at once: an ended match lingers, and must still count.
            host.ask({"command": "leave", "game_name": waiting["game_name"],
                      "token": waiting["token"]})
    report(kind="both-seats", attempts=k, outcomes=dict(outcomes),
           started=outcomes.get("game_start", 0))


# -- the bridge --------------------------------------------------------------------------------


def _session(source: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(local_addr=(source, 0), force_close=True, limit=0),
        timeout=aiohttp.ClientTimeout(total=5))


async def _ws_cycle(args: argparse.Namespace) -> dict[str, Any]:
    stop = Stop(args.seconds)
    origin = args.site.rstrip("/")
    outcomes: Counter[str] = Counter()
    tokens: list[str] = []
    counter = iter(range(10**9))

    async def cycle(session: aiohttp.ClientSession) -> None:
        while not stop:
            k = next(counter)
            try:
                ws = await session.ws_connect(args.site + "ws", origin=origin)
            except aiohttp.WSServerHandshakeError as exc:
                outcomes[f"handshake {exc.status}"] += 1
                await asyncio.sleep(0.01)
                continue
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                outcomes[type(exc).__name__] += 1
                continue
            try:
                await ws.send_str(json.dumps({"command": "connect", "self": f"c{k}",
                                              "timestamp": k + 1, "pad": PAD}))
                msg = await ws.receive(1.0)
                if msg.type == aiohttp.WSMsgType.TEXT:
                    reply = json.loads(msg.data)
                    outcomes[reply.get("reason") or reply.get("command")] += 1
                    if "token" in reply:
                        tokens.append(reply["token"])
                else:
                    outcomes[f"closed {ws.close_code}"] += 1
            except (TimeoutError, aiohttp.ClientError, OSError):
                outcomes["no answer"] += 1
            finally:
                await ws.close()

    async with _session(args.source) as session:
        await asyncio.gather(*(cycle(session) for _ in range(args.concurrency)))
    return {"kind": "ws-cycle", "outcomes": dict(outcomes), "tokens": tokens}


def ws_cycle(args: argparse.Namespace) -> None:
    report(**asyncio.run(_ws_cycle(args)))


async def _stall(args: argparse.Namespace) -> dict[str, Any]:
    stop = Stop(args.seconds)
    host, port = host_port(args.target)
    held: set[asyncio.StreamWriter] = set()
    counts: Counter[str] = Counter()

    async def one() -> None:
        """Keep one stalled connection open; when the bridge closes it, open another."""
        while not stop:
            try:
                reader, writer = await asyncio.open_connection(host, port,
                                                               local_addr=(args.source, 0))
            except OSError as exc:
                counts[f"connect {exc.errno}"] += 1
                await asyncio.sleep(0.05)
                continue
            counts["opened"] += 1
            writer.write(HALF_HEADER)
            held.add(writer)
            try:
                first = await reader.read(64)  # a refusal, or the close
                counts["answered" if first else "closed unanswered"] += 1
            except OSError:
                counts["reset"] += 1
            finally:
                held.discard(writer)
                writer.close()

    tasks = [asyncio.create_task(one()) for _ in range(args.connections)]
    peak = 0
    while not stop:
        await asyncio.sleep(0.1)
        peak = max(peak, len(held))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"kind": "stall", "peak_open": peak, **counts}


def stall(args: argparse.Namespace) -> None:
    report(**asyncio.run(_stall(args)))


async def _flood(args: argparse.Namespace) -> dict[str, Any]:
    stop = Stop(args.seconds)
    host, port = host_port(args.target)
    site = f"http://{host}:{port}/"
    counts: Counter[str] = Counter()

    async def junk_tcp(source: str) -> None:
        while not stop:
            try:
                _reader, writer = await asyncio.open_connection(host, port,
                                                                local_addr=(source, 0))
            except OSError:
                counts["tcp refused"] += 1
                await asyncio.sleep(0.05)
                continue
            counts["tcp opened"] += 1
            writer.write(b"\x16\x03\x01junk that is no request\r\n\r\n" if counts["tcp opened"]
                         % 2 else HALF_HEADER)
            await asyncio.sleep(0.5)
            writer.close()

    async def websocket(session: aiohttp.ClientSession, k: int) -> None:
        while not stop:
            try:
                ws = await session.ws_connect(site + "ws", origin=site.rstrip("/"))
            except aiohttp.WSServerHandshakeError as exc:
                counts[f"ws handshake {exc.status}"] += 1
                await asyncio.sleep(0.2)
                continue
            except (aiohttp.ClientError, OSError, TimeoutError):
                counts["ws failed"] += 1
                await asyncio.sleep(0.2)
                continue
            counts["ws opened"] += 1
            try:
                while not stop and not ws.closed:
                    await ws.send_str("not json" if k % 2 else '{"command":"nope"}')
                    counts["frames"] += 1
                    await asyncio.sleep(0.005)
            except (aiohttp.ClientError, OSError, ConnectionError):
                counts["ws broken"] += 1
            finally:
                # The bridge may have stopped reading us: a close (its frame queued behind
                # ours) must not outlast the attack.
                with contextlib.suppress(TimeoutError, aiohttp.ClientError, OSError):
                    await asyncio.wait_for(ws.close(), 0.5)

    sources = address_range(args.sources)
    sessions = [_session(source) for source in sources]
    try:
        work = []
        for k, (source, session) in enumerate(zip(sources, sessions, strict=True)):
            work += [websocket(session, k * args.websockets + j) for j in range(args.websockets)]
            work += [junk_tcp(source) for _ in range(args.tcp)]
        tasks = [asyncio.create_task(one) for one in work]
        # A send the bridge holds back (backpressure) blocks its task: stop them all on time.
        while not stop:
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await asyncio.gather(*(session.close() for session in sessions))
    return {"kind": "flood", "sources": len(sessions), **counts}


def flood(args: argparse.Namespace) -> None:
    report(**asyncio.run(_flood(args)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.attackers", description=__doc__)
    kinds = parser.add_subparsers(dest="kind", required=True)
    for name, run in (("junk", junk), ("fill", fill), ("both-seats", both_seats),
                      ("ws-cycle", ws_cycle), ("stall", stall), ("flood", flood)):
        kind = kinds.add_parser(name)
        kind.set_defaults(run=run)
        kind.add_argument("--seconds", type=float, default=5.0)
        if name in ("ws-cycle",):
            kind.add_argument("--site", required=True)
        else:
            kind.add_argument("--target", required=True)
    kinds.choices["junk"].add_argument("--source", default="127.0.0.9")
    kinds.choices["junk"].add_argument("--rate", type=float, default=20_000)
    kinds.choices["fill"].add_argument("--sources", default="127.0.0.10-127.0.0.254")
    kinds.choices["fill"].add_argument("--ports-per-source", type=int, default=16)
    kinds.choices["fill"].add_argument("--rate", type=float, default=4_000)
    kinds.choices["both-seats"].add_argument("--source", default="127.0.0.9")
    kinds.choices["both-seats"].add_argument("--ports", type=int, default=32)
    kinds.choices["ws-cycle"].add_argument("--source", default="127.0.0.9")
    kinds.choices["ws-cycle"].add_argument("--concurrency", type=int, default=8)
    kinds.choices["stall"].add_argument("--source", default="127.0.0.9")
    kinds.choices["stall"].add_argument("--connections", type=int, default=1100)
    kinds.choices["flood"].add_argument("--sources", default="127.0.1.1-127.0.1.64")
    kinds.choices["flood"].add_argument("--websockets", type=int, default=8)
    kinds.choices["flood"].add_argument("--tcp", type=int, default=4)
    args = parser.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
