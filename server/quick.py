"""The quick-match queue: "play anyone" pairs a player with the one waiting longest
(docs/protocol.md "Quick match").

One node's queue, held by the lobby under the registry lock. Each queued player is a waiting
match of their own; the next quick connect takes its free seat (first in, first out, never a
player of the same name). The queue keeps the key (name and client key, or name and address)
of everyone it placed, so a repeated connect finds the same match: still waiting, or paired.
A queued player whose page stops repeating its connect leaves as an idle waiting host does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from server.match import Match, MatchState

QUICK = "quick"
OpenKey = tuple[str, Any]


class QuickQueue:
    def __init__(self) -> None:
        self._waiting: dict[str, None] = {}  # game_names of waiting quick matches, oldest first
        self._placed: dict[OpenKey, str] = {}  # a player's key -> the match it was put in
        self._keys: dict[str, list[OpenKey]] = {}  # game_name -> the keys placed in it

    def route(
        self,
        name: str,
        key: OpenKey,
        matches: dict[str, Match],
        create: Callable[[], Match],
    ) -> Match:
        """The match a quick connect from `name` (with `key`) is for."""
        known = self.placed(key, matches)
        if known is not None:
            return known
        folded = name.casefold()
        for game_name in list(self._waiting):
            match = matches.get(game_name)
            if match is None or match.state != MatchState.WAITING or not match.seats:
                del self._waiting[game_name]  # cancelled, expired or paired: not waiting now
                continue
            if match.seats[0].name.casefold() == folded:
                continue  # never with a same-name player; they stay in line
            del self._waiting[game_name]
            self._place(key, game_name)
            return match
        match = create()
        match.queue = QUICK
        self._waiting[match.game_name] = None
        self._place(key, match.game_name)
        return match

    def placed(self, key: OpenKey, matches: dict[str, Match]) -> Match | None:
        """The live match the queue already put this player in (a repeated connect), if any."""
        known = matches.get(self._placed.get(key, ""))
        return known if known is not None and known.state != MatchState.ENDED else None

    def waiting(self) -> int:
        return len(self._waiting)

    def forget(self, game_names: Iterable[str]) -> None:
        for game_name in game_names:
            self._waiting.pop(game_name, None)
            for key in self._keys.pop(game_name, ()):
                if self._placed.get(key) == game_name:
                    del self._placed[key]

    def _place(self, key: OpenKey, game_name: str) -> None:
        self._placed[key] = game_name
        self._keys.setdefault(game_name, []).append(key)
