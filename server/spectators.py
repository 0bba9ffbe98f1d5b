"""A match's spectators: who watches, when each was last heard, and when the feed is due.

Pure like the match (time comes in as `now`), and held under the match's lock: each match has
one `Audience`. The service counts the watchers of all matches against `--max-watchers`.

A spectator is only an address: nothing here can reach a seat, so its datagrams cannot act on
one. Pushes are one feed per match, not per watcher: a board that changes marks the feed dirty,
and the service's timers send one `spectate` (encoded once) to every watcher at most every
`interval_ms`, after the players' own replies have left. Its timestamps come from the feed, so
they increase strictly for every watcher of the match.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from server.wire import BATTLE_LOG

Address = tuple[Any, ...]


@dataclass
class Watcher:
    address: Address
    last_heard: int
    feed: Feed

    def stamp(self, now: int) -> int:
        """The feed's stamp: one clock for every watcher of the match."""
        return self.feed.stamp(now)


@dataclass
class Feed:
    last_sent_ts: int = 0
    last_push: int | None = None  # when the last spectate push left
    dirty: bool = False  # a board changed since

    def stamp(self, now: int) -> int:
        self.last_sent_ts = max(now, self.last_sent_ts + 1)
        return self.last_sent_ts


@dataclass
class Audience:
    limit: int  # watchers of this match at most
    idle_ms: int  # a watcher silent this long is dropped
    interval_ms: int  # pushes at most this often
    watchers: dict[Address, Watcher] = field(default_factory=dict)
    feed: Feed = field(default_factory=Feed)
    # The last battle events, oldest first: {"from", "to", "garbage": n} or {..., "power": p}.
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=BATTLE_LOG))

    def __len__(self) -> int:
        return len(self.watchers)

    def hear(self, address: Address, now: int) -> Watcher | None:
        """A `watch` from `address`: the watcher, added if there is room (None: no room)."""
        watcher = self.watchers.get(address)
        if watcher is None:
            if len(self.watchers) >= self.limit:
                return None
            watcher = self.watchers[address] = Watcher(address, now, self.feed)
        watcher.last_heard = now
        return watcher

    def changed(self) -> None:
        if self.watchers:
            self.feed.dirty = True

    def battle(self, event: dict[str, Any]) -> None:
        self.log.append(event)

    def drop_idle(self, now: int) -> int:
        """Forget watchers silent for `idle_ms`; how many went."""
        gone = [a for a, w in self.watchers.items() if now - w.last_heard >= self.idle_ms]
        for address in gone:
            del self.watchers[address]
        return len(gone)

    def clear(self) -> int:
        count = len(self.watchers)
        self.watchers.clear()
        return count

    def due(self, now: int) -> bool:
        """Whether a push is due now (a change waits out the interval since the last push)."""
        last = self.feed.last_push
        return self.feed.dirty and bool(self.watchers) and (
            last is None or now - last >= self.interval_ms)

    def pushed(self, now: int) -> None:
        self.feed.dirty = False
        self.feed.last_push = now

    def next_deadline(self) -> int | None:
        """When `tick` has something to do for the audience: a push, or a watcher to drop."""
        if not self.watchers:
            return None
        due = [min(w.last_heard for w in self.watchers.values()) + self.idle_ms]
        if self.feed.dirty:
            last = self.feed.last_push
            due.append(0 if last is None else last + self.interval_ms)
        return min(due)
