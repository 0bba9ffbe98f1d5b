"""Every match the server knows: pairing, lookup by game_name, expiry.

Pure like the match: randomness comes from the `random.Random` it is given (the shell gives it a
`random.SystemRandom`, tests a seeded one) and time from the `now` arguments. The service holds
its registry lock around every call here, and its deadline heap says when to `forget` a match.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from server.errors import ProtocolError
from server.match import Address, Match, MatchSettings, MatchState
from server.protocol import Connect
from server.wire import MAX_MATCHES, MAX_WAITING_PER_ADDRESS, Reason


@dataclass(frozen=True)
class LobbySettings:
    match: MatchSettings = field(default_factory=MatchSettings)
    max_matches: int = MAX_MATCHES  # waiting and running together; memory stays bounded
    # so one source cannot fill the server with waiting matches
    max_waiting_per_address: int = MAX_WAITING_PER_ADDRESS
    match_seed: int | None = None  # every match the same pieces and draws: tests, replays only


def _token(rng: random.Random) -> str:
    """128 random bits, URL-safe: a game_name or a seat token nobody can guess."""
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode().rstrip("=")


class Lobby:
    def __init__(
        self,
        settings: LobbySettings,
        rng: random.Random,
        lock_factory: Callable[[], Any] = lambda: None,
    ) -> None:
        self.settings = settings
        self._rng = rng
        self._lock_factory = lock_factory
        self.matches: dict[str, Match] = {}
        # (host, invited) names, casefolded -> game_name: how a challenge finds its answer
        self._challenges: dict[tuple[str, str], str] = {}
        # (address, host) -> game_name of an open match: a repeated connect finds the same one
        self._open: dict[tuple[Address, str], str] = {}
        # address -> game_names of the waiting matches it opened
        self._hosting: dict[Address, set[str]] = {}
        # game_name -> the keys above that lead to it, so forgetting it touches only those
        self._keys: dict[str, tuple[Address, tuple[Address, str] | None, tuple[str, str] | None]]
        self._keys = {}

    def find(self, game_name: str) -> Match:
        match = self.matches.get(game_name)
        if match is None:
            raise ProtocolError(Reason.UNKNOWN_GAME)
        return match

    def route(self, msg: Connect, address: Address, now: int) -> Match:
        """The match a `connect` is for: the one it names, the challenge it answers, the one it
        already made, or a new one. The caller then seats the player with `match.connect`."""
        if msg.game_name is not None:
            return self.find(msg.game_name)
        name = msg.name.casefold()
        if msg.opponent is None:
            return self._live(self._open.get((address, name))) or self._create(
                None, address, now, open_key=(address, name)
            )
        rival = msg.opponent.casefold()
        mine = self._live(self._challenges.get((name, rival)))
        if mine is not None:
            return mine
        theirs = self._live(self._challenges.get((rival, name)))
        if theirs is not None and (
            theirs.state == MatchState.WAITING or theirs.find_seat(msg.name) is not None
        ):
            return theirs
        return self._create(msg.opponent, address, now, challenge_key=(name, rival))

    def new_token(self) -> str:
        return _token(self._rng)

    def forget(self, game_names: Iterable[str]) -> None:
        """Drop these matches (the service's timers found them expired) and every key to them."""
        for game_name in game_names:
            if self.matches.pop(game_name, None) is None:
                continue
            host, open_key, challenge_key = self._keys.pop(game_name)
            if open_key is not None and self._open.get(open_key) == game_name:
                del self._open[open_key]
            if challenge_key is not None and self._challenges.get(challenge_key) == game_name:
                del self._challenges[challenge_key]
            hosting = self._hosting.get(host)
            if hosting is not None:
                hosting.discard(game_name)
                if not hosting:
                    del self._hosting[host]

    def _live(self, game_name: str | None) -> Match | None:
        match = self.matches.get(game_name) if game_name else None
        return match if match is not None and match.state != MatchState.ENDED else None

    def _create(
        self,
        invited: str | None,
        host: Address,
        now: int,
        *,
        open_key: tuple[Address, str] | None = None,
        challenge_key: tuple[str, str] | None = None,
    ) -> Match:
        if len(self.matches) >= self.settings.max_matches:
            raise ProtocolError(Reason.SERVER_FULL, "too many matches; try again later")
        hosting = {
            name for name in self._hosting.get(host, ())
            if name in self.matches and self.matches[name].state == MatchState.WAITING
        }
        if len(hosting) >= self.settings.max_waiting_per_address:
            raise ProtocolError(Reason.TOO_MANY_WAITING,
                                "this address already waits in other matches")
        game_name = _token(self._rng)
        match = Match(
            game_name=game_name,
            seed=self._rng.getrandbits(32) if self.settings.match_seed is None
            else self.settings.match_seed,
            invited=invited,
            settings=self.settings.match,
            now=now,
            lock=self._lock_factory(),
        )
        self.matches[game_name] = match
        self._hosting[host] = hosting | {game_name}
        self._keys[game_name] = (host, open_key, challenge_key)
        if open_key is not None:
            self._open[open_key] = game_name
        if challenge_key is not None:
            self._challenges[challenge_key] = game_name
        return match
