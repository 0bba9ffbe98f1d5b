"""Readiness: whether a load balancer should send this bridge new players.

Ready means not shutting down and the game server answering. UDP has no connection to look at, so
the bridge asks: one small datagram, `{"command": "readiness_probe", ...}`, that any server
answers with an `unknown_command` error (it shows there among the refusals). The answer is kept
for a second, so however often `/readyz` is asked, the server sees at most one probe a second.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Protocol

PROBE_SECONDS = 0.5  # how long to wait for the server's answer
KEEP_SECONDS = 1.0  # how long an answer stands
# Padded, because the server never answers with more bytes than it received.
PROBE = json.dumps({"command": "readiness_probe", "padding": "." * 96}).encode()


class _Answer(asyncio.DatagramProtocol):
    def __init__(self, future: asyncio.Future[bool]) -> None:
        self._future = future

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self._future.done():
            self._future.set_result(True)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable: nobody there
        if not self._future.done():
            self._future.set_result(False)


class ServerProbe:
    """`await probe.unready()`: None when the server answers, else why not."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self._checked = -KEEP_SECONDS
        self._reason: str | None = None
        self._lock = asyncio.Lock()

    async def unready(self) -> str | None:
        async with self._lock:  # concurrent checks share one probe
            if time.monotonic() - self._checked >= KEEP_SECONDS:
                self._reason = await self._probe()
                self._checked = time.monotonic()
            return self._reason

    async def _probe(self) -> str | None:
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[bool] = loop.create_future()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Answer(answered), remote_addr=self.server)
        except OSError as exc:
            return f"cannot reach the game server {self.server}: {exc}"
        try:
            transport.sendto(PROBE)
            if await asyncio.wait_for(answered, PROBE_SECONDS):
                return None
            return f"the game server {self.server} refused the probe (port closed)"
        except TimeoutError:
            return f"no answer from the game server {self.server} in {PROBE_SECONDS:g} s"
        finally:
            transport.close()



class Check(Protocol):
    async def unready(self) -> str | None: ...


@dataclass
class Readiness:
    """What `/readyz` answers: shutting down, else what `check` says (the server probe; a
    bridge that routes through a directory can check that instead)."""

    check: Check
    shutting_down: bool = False

    async def unready(self) -> str | None:
        return "shutting down" if self.shutting_down else await self.check.unready()
