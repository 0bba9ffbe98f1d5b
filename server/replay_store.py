"""Keeping ended matches' replays: in memory for `replay_seconds`, bounded in total bytes, cut
into the parts a `replay_part` datagram carries (docs/protocol.md "Replays"); and the writer
thread that copies each one to `--replay-dir`, so no worker ever waits on a disk.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from server.protocol import encode
from server.wire import MAX_DATAGRAM, MAX_TIMESTAMP

log = logging.getLogger(__name__)

MAX_PARTS: Final = 99_999  # a replay of more parts than this is not kept (it would be ~100 MB)
_COOKIE_ROOM: Final = "x" * 64  # the longest cookie TOKEN_PATTERN allows


def part_reply(game_name: str, part: int, parts: int, data: str, timestamp: int,
               cookie: str | None = None) -> bytes:
    """The `replay_part` datagram; with a cookie, the cookie first (docs/protocol.md)."""
    head = {} if cookie is None else {"cookie": cookie}
    return encode({**head, "timestamp": timestamp, "command": "replay_part",
                   "game_name": game_name, "part": part, "parts": parts, "data": data})


def cut_parts(game_name: str, text: str) -> tuple[int, ...]:
    """Where each part starts: slices of `text` (ASCII JSON) whose escaped form fits, with the
    largest header, in one datagram. The same text always gives the same parts."""
    budget = MAX_DATAGRAM - len(part_reply(game_name, MAX_PARTS, MAX_PARTS, "", MAX_TIMESTAMP,
                                           _COOKIE_ROOM))
    starts, at = [], 0
    while at < len(text) or not starts:
        starts.append(at)
        size = budget
        while True:  # a quote or backslash takes two bytes in the datagram
            piece = text[at:at + size]
            over = len(piece) + piece.count('"') + piece.count("\\") - budget
            if over <= 0:
                break
            size -= (over + 1) // 2
        at += size
    return tuple(starts)


@dataclass(frozen=True)
class Kept:
    text: str
    starts: tuple[int, ...]
    until: int  # ms: forgotten then

    @property
    def parts(self) -> int:
        return len(self.starts)

    def part(self, k: int) -> str:
        end = self.starts[k + 1] if k + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[k]:end]


class ReplayStore:
    """game_name -> its replay, oldest first; thread-safe behind its own (leaf) lock."""

    def __init__(self, keep_ms: int, max_bytes: int,
                 lock: AbstractContextManager[Any] | None = None,
                 sink: Callable[[str, bytes], None] | None = None) -> None:
        self.keep_ms = keep_ms
        self.max_bytes = max_bytes
        self._lock = lock or threading.Lock()
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        self._bytes = 0
        self._sink = sink  # where a copy of each goes (the disk writer), if anywhere
        self.evicted = 0  # replays forgotten early to stay within max_bytes

    def keep(self, game_name: str, replay: bytes, now: int) -> None:
        if self._sink is not None:
            self._sink(game_name, replay)
        if len(replay) > self.max_bytes or self.keep_ms <= 0:
            return
        text = replay.decode("ascii")
        kept = Kept(text, cut_parts(game_name, text), now + self.keep_ms)
        if kept.parts > MAX_PARTS:
            return
        with self._lock:
            old = self._kept.pop(game_name, None)
            self._bytes -= len(old.text) if old else 0
            while self._kept and self._bytes + len(text) > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self._bytes -= len(dropped.text)
                self.evicted += 1
            self._kept[game_name] = kept
            self._bytes += len(text)

    def get(self, game_name: str, now: int) -> Kept | None:
        with self._lock:
            kept = self._kept.get(game_name)
        return kept if kept is not None and kept.until > now else None

    def expire(self, now: int) -> None:
        """Forget the replays whose time is up (the service's timer calls this)."""
        with self._lock:
            while self._kept:
                game_name, kept = next(iter(self._kept.items()))
                if kept.until > now:
                    break
                del self._kept[game_name]
                self._bytes -= len(kept.text)

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def bytes(self) -> int:
        return self._bytes


class ReplayWriter:
    """Writes each replay to `<directory>/<game_name>.json` from a thread of its own (written
    to a temporary name, then renamed: a reader never sees half a file). Bounded: past
    `queued` replays waiting, new ones are skipped. Each kind of failure is logged once, with
    the path, and counted."""

    def __init__(self, directory: Path, queued: int = 256) -> None:
        self.directory = Path(directory)
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(queued)
        self.written = 0
        self.failed = 0
        self._logged: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="replay-writer", daemon=True)
        self._thread.start()

    def put(self, game_name: str, replay: bytes) -> None:
        """Never blocks: a full queue skips the file (and says so once)."""
        try:
            self._queue.put_nowait((game_name, replay))
        except queue.Full:
            self.failed += 1
            self._once("full", "replay writer behind: %s.json not written", game_name)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            game_name, replay = item
            path = self.directory / f"{game_name}.json"
            temporary = path.with_suffix(".json.tmp")
            try:
                temporary.write_bytes(replay)
                temporary.replace(path)
                self.written += 1
            except OSError as exc:
                self.failed += 1
                self._once(type(exc).__name__, "cannot write replay %s: %s", path, exc)

    def _once(self, kind: str, message: str, *args: object) -> None:
        if kind not in self._logged:
            self._logged.add(kind)
            log.error(message + " (further such failures are only counted)", *args)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return  # stuck on a disk: the daemon thread goes with the process
        self._thread.join(timeout)
