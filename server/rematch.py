"""Rematch: the book an ended match keeps of who wants to play again (docs/protocol.md
"Rematch").

Pure, under the ended match's lock. "ask" and "accept" both mean "I want a rematch"; when both
seats want it, the service makes the new match (it needs the lobby) and calls `started`. A want
not answered within `rematch_ms` expires; after a decline or an expiry either player may ask
again. The old match keeps `next` for its linger time, so its link says where the rematch went.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from server.protocol import RematchAnswer


class RematchState(enum.StrEnum):
    ASKED = "asked"
    DECLINED = "declined"
    EXPIRED = "expired"
    STARTED = "started"


@dataclass
class RematchBook:
    wanted: dict[str, int] = field(default_factory=dict)  # seat name -> when it asked
    state: RematchState | None = None  # the last one told
    last_from: str = ""  # who the last state came from
    next: str | None = None  # the new match's game_name, once started
    next_match: Any = None  # the new Match itself (no registry lookup under a match lock)

    def answer(self, name: str, answer: RematchAnswer, now: int, seats: int) -> bool:
        """Record `name`'s answer; True when every one of the `seats` wants a rematch now (the
        caller then starts it). Once started, nothing changes."""
        if self.state is RematchState.STARTED:
            return False
        if answer is RematchAnswer.DECLINE:
            self.wanted.clear()
            self.state, self.last_from = RematchState.DECLINED, name
            return False
        self.wanted.setdefault(name, now)
        if len(self.wanted) >= seats:
            return True
        self.state, self.last_from = RematchState.ASKED, name
        return False

    def started(self, name: str, game_name: str, match: Any) -> None:
        self.state, self.last_from = RematchState.STARTED, name
        self.next, self.next_match = game_name, match
        self.wanted.clear()

    def expiry(self, rematch_ms: int) -> int | None:
        """When the oldest unanswered want expires (None: nothing waits)."""
        if self.state is RematchState.STARTED or not self.wanted:
            return None
        return min(self.wanted.values()) + rematch_ms

    def expire(self, now: int, rematch_ms: int) -> bool:
        """Expire a want unanswered for `rematch_ms`; True if one did (the state to tell)."""
        due = self.expiry(rematch_ms)
        if due is None or now < due:
            return False
        self.last_from = min(self.wanted, key=self.wanted.__getitem__)
        self.wanted.clear()
        self.state = RematchState.EXPIRED
        return True
