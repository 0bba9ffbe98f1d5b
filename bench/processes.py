"""Servers under test as processes of their own, pinned to one core, and what they cost.

Every server prints one line once ready (`listening on udp://HOST:PORT`, `bridge ready: URL`);
its address is read from there. Each process is stopped by its own id when the step ends.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from types import TracebackType
from typing import IO

SERVER_CORE = 0  # the servers' core; the load generator takes the other one
GENERATOR_CORE = 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_ADDRESS = re.compile(r"(?:udp|http)://\[?([0-9a-fA-F.:]+)\]?:(\d+)")


@cache
def server_flags() -> frozenset[str]:
    """The flags `block-attack server` has (others are adding some while this runs)."""
    out = subprocess.run([sys.executable, "-m", "block_attack", "server", "--help"],
                         capture_output=True, text=True, check=True).stdout
    return frozenset(re.findall(r"(--[a-z][a-z-]+)", out))


def pinned(command: list[str], core: int = SERVER_CORE) -> list[str]:
    if shutil.which("taskset") is None or os.cpu_count() in (None, 1):
        return command
    return ["taskset", "-c", str(core), *command]


def pin_self(core: int = GENERATOR_CORE) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > core:
        os.sched_setaffinity(0, {core})


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # fields 14 and 15 of stat


def stolen_seconds(core: int = SERVER_CORE) -> float:
    """CPU time the hypervisor gave another guest while `core` wanted it (/proc/stat `steal`):
    on a shared machine a step can lose a third of its core this way without any sign in its
    own figures but worse ones."""
    with open("/proc/stat") as stat:
        for line in stat:
            if line.startswith(f"cpu{core} "):
                return int(line.split()[8]) / _CLOCK_TICKS
    return 0.0


def rcvbuf_errors() -> int:
    """The kernel's UDP receive-buffer drops, all sockets (/proc/net/snmp)."""
    with open("/proc/net/snmp") as snmp:
        rows = [line.split() for line in snmp if line.startswith("Udp:")]
    header, values = rows[0], rows[1]
    return int(values[header.index("RcvbufErrors")])


@dataclass
class Process:
    """One server process: started by `start`, stopped by `stop` (or leaving its `with`)."""

    name: str
    command: list[str]
    popen: subprocess.Popen[str] | None = None
    address: tuple[str, int] = ("", 0)
    banner: str = ""
    extra: list[Process] = field(default_factory=list)  # processes it depends on (the bridge's)
    _stderr: IO[str] | None = None

    def start(self, timeout: float = 15.0) -> Process:
        # Read back only if the process fails to start; closed in stop().
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self.popen = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                      stderr=self._stderr, text=True)
        assert self.popen.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.popen.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    break
                line = self.popen.stdout.readline()
                if not line:
                    break
                found = _ADDRESS.search(line)
                if found:
                    self.banner = line.strip()
                    self.address = (found.group(1), int(found.group(2)))
                    return self
        said = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            said = self._stderr.read()[-2000:]
        self.stop()
        raise RuntimeError(f"{self.name}: no address printed within {timeout:g} s "
                           f"({' '.join(self.command)}):\n{said}")

    @property
    def pids(self) -> list[int]:
        own = [self.popen.pid] if self.popen is not None else []
        return own + [pid for process in self.extra for pid in process.pids]

    def said(self) -> str:
        """Everything the process has written to stderr (its log) so far."""
        if self._stderr is None:
            return ""
        # pread: the child writes through the same file offset, so it must not move
        fd = self._stderr.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        if self.popen is not None and self.popen.stdout is not None:
            self.popen.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
        for process in self.extra:
            process.stop()

    def __enter__(self) -> Process:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def game_server(seed: int, thread_per_datagram: bool = False, *, added: Sequence[str] = (),
                core: int = SERVER_CORE) -> Process:
    """`block-attack server`, every match dealing the pieces of `seed`, with the flags `added`
    (a cluster node's `--directory ...`), pinned to `core`."""
    flags = server_flags()
    extra = ["--thread-per-datagram", *added] if thread_per_datagram else [*added]
    if "--countdown-seconds" in flags:  # the scripted players lock from the first reply on
        extra += ["--countdown-seconds", "0"]
    if "--seed" in flags:
        command = python("-m", "block_attack", "server", "--port", "0", "--seed", str(seed),
                         *extra)
    else:  # until the server has --seed: the same server, its settings given the seed
        command = python("-m", "bench.seeded_server", str(seed), "server", "--port", "0", *extra)
    name = "block-attack server" + (" --thread-per-datagram" if thread_per_datagram else "")
    return Process(name, pinned(command, core))


def echo_server(kind: str) -> Process:
    return Process(f"echo {kind}", pinned(python("-m", "bench.echo", kind, "--port", "0")))


def bridge(server: Process) -> Process:
    """`block-attack bridge` in front of a started `server` (stopped with it)."""
    host, port = server.address
    command = python("-m", "block_attack", "bridge", "--port", "0", "--server", f"{host}:{port}")
    return Process("block-attack bridge + server", pinned(command), extra=[server])
