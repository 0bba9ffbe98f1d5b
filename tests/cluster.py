"""Real processes for the cluster tests: a throwaway redis-server on a loopback port, `block-attack
server` nodes and `block-attack bridge`s in front of them, and small clients (plain UDP, and
WebSocket through a bridge). Everything listens on 127.0.0.1 and is stopped by its PID."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

REPO_DIR = Path(__file__).resolve().parent.parent
START_SECONDS = 20.0  # a process that is not ready by then failed


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Process:
    popen: subprocess.Popen[str]
    ready: str  # what it printed when ready: a URL, or udp://host:port
    lines: queue.SimpleQueue[str | None]  # its output, merged, line by line; None at the end
    reader: threading.Thread

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self.reader.join(5)
        if self.popen.stdout is not None:
            self.popen.stdout.close()

    def log(self) -> str:
        """What it wrote after it was ready (stdout and stderr), once it has been stopped."""
        lines = []
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                break
            lines.append(line)
        return "".join(lines)


def _pump(stream: Any, lines: queue.SimpleQueue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _start(args: list[str], ready: re.Pattern[str]) -> Process:
    popen = subprocess.Popen(args, cwd=REPO_DIR, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    reader = threading.Thread(target=_pump, args=(popen.stdout, lines), daemon=True)
    reader.start()
    output: list[str] = []
    deadline = time.monotonic() + START_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        output.append(line)
        found = ready.search(line)
        if found:
            return Process(popen, found.group(1), lines, reader)
    popen.kill()
    popen.wait(5)
    reader.join(5)
    if popen.stdout is not None:
        popen.stdout.close()
    raise AssertionError(f"{args[3:5]} did not start:\n{''.join(output)}")


def start_redis() -> tuple[Process, str]:
    """A redis-server of our own, nothing saved; and its URL."""
    port = free_port()
    process = _start(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                      "--appendonly", "no"], re.compile(r"()Ready to accept connections"))
    return process, f"redis://127.0.0.1:{port}/0"


def start_server(*extra: str) -> Process:
    return _start([sys.executable, "-m", "block_attack", "server", "--host", "127.0.0.1",
                   "--port", "0", *extra], re.compile(r"listening on udp://(\S+)"))


def start_node(url: str, node_id: str, *extra: str) -> Process:
    return start_server("--directory", url, "--node-id", node_id, *extra)


def start_bridge(*extra: str) -> Process:
    return _start([sys.executable, "-m", "block_attack", "bridge", "--host", "127.0.0.1",
                   "--port", "0", *extra], re.compile(r"bridge ready: (http://\S+)"))


def host_port(ready: str) -> tuple[str, int]:
    host, _, port = ready.rpartition(":")
    return host, int(port)


@contextmanager
def running(*processes: Process):
    try:
        yield processes
    finally:
        for process in processes:  # all at once: each takes a moment to end
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGINT)
        for process in processes:
            process.stop()


def directory(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=2)


def wait_for(predicate, timeout: float = 10.0, step: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy (and return it); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout}s: {predicate}")


# -- clients ---------------------------------------------------------------------------------


class UdpClient:
    """A plain UDP client that knows one node, as a seed client does."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.ts = int(time.time() * 1000)

    def stamp(self) -> int:
        self.ts += 1
        return self.ts

    def send(self, to: tuple[str, int], msg: dict[str, Any]) -> None:
        self.sock.sendto(json.dumps({"timestamp": self.stamp(), **msg}).encode(), to)

    def receive(self, command: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        """The next datagram (with that command, skipping others)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(2048)
            except TimeoutError:
                break
            msg = json.loads(data)
            if command is None or msg.get("command") == command:
                return msg
        raise AssertionError(f"no {command or 'datagram'} within {timeout}s")

    def ask(self, to: tuple[str, int], msg: dict[str, Any], command: str | None = None,
            timeout: float = 5.0) -> dict[str, Any]:
        self.send(to, msg)
        return self.receive(command, timeout)

    def close(self) -> None:
        self.sock.close()


class Browser:
    """What a page does over a bridge's WebSocket: connect, keep-alive game_flux, read frames."""

    def __init__(self, bridge_url: str) -> None:
        origin = re.match(r"http://[^/]+", bridge_url)
        assert origin is not None
        self._stack = ExitStack()  # websockets wants connect() used as a context manager
        self.ws: ClientConnection = self._stack.enter_context(ws_connect(
            "ws" + bridge_url.removeprefix("http") + "ws", origin=origin.group(0),
            open_timeout=5))
        self.ts = int(time.time() * 1000)
        self.game: dict[str, Any] | None = None

    def send(self, msg: dict[str, Any]) -> None:
        self.ts += 1
        self.ws.send(json.dumps({"timestamp": self.ts, **msg}))

    def receive(self, command: str, timeout: float = 5.0, keep_alive: bool = False) -> dict:
        """The next frame with `command`; with `keep_alive`, a game_flux every 0.3 s meanwhile
        (as the page does), so a server that stops answering is noticed."""
        deadline = time.monotonic() + timeout
        next_ping = time.monotonic()
        while (left := deadline - time.monotonic()) > 0:
            if keep_alive and self.game is not None and time.monotonic() >= next_ping:
                self.flux()
                next_ping = time.monotonic() + 0.3
            try:
                frame = self.ws.recv(timeout=min(left, 0.3) if keep_alive else left)
            except TimeoutError:
                continue
            msg = json.loads(frame)
            if msg.get("command") in ("waiting", "game_start"):
                self.game = msg
            if msg.get("command") == command:
                return msg
        raise AssertionError(f"no {command} within {timeout}s")

    def flux(self) -> None:
        assert self.game is not None
        self.send({"command": "game_flux", "game_name": self.game["game_name"],
                   "token": self.game["token"], "locks": []})

    def close(self) -> None:
        self._stack.close()
