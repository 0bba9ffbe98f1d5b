"""Every match the server knows: pairing, lookup by game_name, expiry.

Pure like the match: randomness comes from the `random.Random` it is given (the shell gives it a
`random.SystemRandom`, tests a seeded one) and time from the `now` arguments. The service holds
its registry lock around every call here, and its deadline heap says when to `forget` a match.
"""

from __future__ import annotations

import base64
import ipaddress
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from server.errors import ProtocolError
from server.guard import Network, in_networks
from server.match import Address, Match, MatchSettings, MatchState
from server.protocol import Connect
from server.quick import QuickQueue
from server.wire import (
    MAX_CHALLENGERS,
    MAX_MATCHES,
    MAX_MATCHES_PER_ADDRESS,
    MAX_WAITING_PER_ADDRESS,
    Reason,
)


@dataclass(frozen=True)
class LobbySettings:
    match: MatchSettings = field(default_factory=MatchSettings)
    max_matches: int = MAX_MATCHES  # waiting and running together; memory stays bounded
    # so one source cannot fill the server with waiting matches
    max_waiting_per_address: int = MAX_WAITING_PER_ADDRESS
    # Matches one holder (an IP, or an IPv6 /64) may hold in any state, lingering included, so
    # one address seating both players cannot fill the server either.
    max_matches_per_address: int = MAX_MATCHES_PER_ADDRESS
    # Sources the cap above does not apply to: the trusted networks, where the bridge's sockets
    # are (all its browsers share its address; it keeps per-client limits of its own).
    uncapped: tuple[Network, ...] = ()
    match_seed: int | None = None  # every match the same pieces and draws: tests, replays only


OpenKey = tuple[str, Any]  # (name, key) for a client that sent a key, else (name, address)


def holder(address: Address) -> str:
    """Who an address is for the per-address cap: its IP, an IPv6 one cut to its /64 (the usual
    share of one site), an IPv4-mapped one as IPv4; ports are free, so they do not count."""
    host = str(address[0])
    try:
        ip = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


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
        # The open match a repeated connect finds again: by the host's name and its client key,
        # or (a client without a key) by name and address. A new socket on a reused port that
        # sends another key, or none, never lands in a keyed client's match.
        self._open: dict[OpenKey, str] = {}
        # address -> game_names of the waiting matches it opened
        self._hosting: dict[Address, set[str]] = {}
        # holder (see `holder`) -> game_names of every match it opened or took a seat in
        self._held: dict[str, set[str]] = {}
        self._holders: dict[str, set[str]] = {}  # game_name -> its holders
        # game_name -> the keys above that lead to it, so forgetting it touches only those
        self._keys: dict[str, tuple[Address, OpenKey | None, tuple[str, str] | None]] = {}
        # invited name, casefolded -> game_names of the challenges to it, oldest first
        self._challenged: dict[str, dict[str, None]] = {}
        self.quick = QuickQueue()  # "play anyone" (server/quick.py)

    def find(self, game_name: str) -> Match:
        match = self.matches.get(game_name)
        if match is None:
            raise ProtocolError(Reason.UNKNOWN_GAME)
        return match

    def route(
        self, msg: Connect, address: Address, now: int, game_name: str | None = None
    ) -> Match:
        """The match a `connect` is for: the one it names, the challenge it answers, the one it
        already made, or a new one (named `game_name` when given: a cluster node claims the
        name first). The caller then seats the player with `match.connect`."""
        if msg.game_name is not None:
            return self.find(msg.game_name)
        if msg.queue is not None:
            if msg.token is not None and self.existing(msg, address) is None:
                # A token is for a seat the queue already gave this player. Refused here, not
                # by match.connect, or the queued player it paired with would leave the queue.
                raise ProtocolError(Reason.BAD_TOKEN, "no seat of yours in the queue")
            return self.quick.route(msg.name, self._open_key(msg, address), self.matches,
                                    lambda: self._create(None, address, now, game_name=game_name))
        match = self.existing(msg, address)
        if match is not None:
            return match
        name = msg.name.casefold()
        if msg.opponent is None:
            return self._create(None, address, now, open_key=self._open_key(msg, address),
                                game_name=game_name)
        # Against the computer (server/bot.py), the match invites the bot's seat name; the
        # challenge key stays "bot:<level>", which no player can be called.
        invited = msg.opponent if msg.bot is None else msg.bot.seat_name_against(msg.name)
        return self._create(invited, address, now,
                            challenge_key=(name, msg.opponent.casefold()), game_name=game_name)

    def existing(self, msg: Connect, address: Address) -> Match | None:
        """The live match a `connect` without `game_name` finds, or None: it would make one
        (a quick one may still find a partner waiting: see QuickQueue.route)."""
        if msg.queue is not None:
            return self.quick.placed(self._open_key(msg, address), self.matches)
        name = msg.name.casefold()
        if msg.opponent is None:
            return self._live(self._open.get(self._open_key(msg, address)))
        rival = msg.opponent.casefold()
        mine = self._live(self._challenges.get((name, rival)))
        if mine is not None:
            return mine
        theirs = self._live(self._challenges.get((rival, name)))
        if theirs is not None and (
            theirs.state == MatchState.WAITING or theirs.find_seat(msg.name) is not None
        ):
            return theirs
        return None

    @staticmethod
    def _open_key(msg: Connect, address: Address) -> OpenKey:
        return (msg.name.casefold(), msg.key if msg.key is not None else address)

    def new_token(self) -> str:
        return _token(self._rng)

    def challengers(self, name: str) -> list[str]:
        """Who is challenging `name` in a match still waiting for them, oldest first, at most
        MAX_CHALLENGERS (names are not accounts: anyone may ask this of any name)."""
        found: list[str] = []
        for game_name in self._challenged.get(name.casefold(), ()):
            match = self.matches.get(game_name)
            if match is None or match.state != MatchState.WAITING or not match.seats:
                continue
            host = match.seats[0].name
            if host.casefold() not in {n.casefold() for n in found}:
                found.append(host)
            if len(found) == MAX_CHALLENGERS:
                break
        return found

    def rematch_of(self, old: Match, now: int) -> Match:
        """A new match for the players of `old`, with its settings and invited pairing; the
        caller seats them. The usual caps apply (SERVER_FULL, TOO_MANY_MATCHES)."""
        return self._create(old.invited, old.seats[0].address, now)

    def seated(self, match: Match, address: Address) -> None:
        """`address` took (or holds) a seat of `match`: it counts against its holder's cap."""
        who = holder(address)
        self._held.setdefault(who, set()).add(match.game_name)
        self._holders.setdefault(match.game_name, set()).add(who)

    def forget(self, game_names: Iterable[str]) -> None:
        """Drop these matches (the service's timers found them expired) and every key to them."""
        for game_name in game_names:
            if self.matches.pop(game_name, None) is None:
                continue
            self.quick.forget((game_name,))
            host, open_key, challenge_key = self._keys.pop(game_name)
            if open_key is not None and self._open.get(open_key) == game_name:
                del self._open[open_key]
            if challenge_key is not None and self._challenges.get(challenge_key) == game_name:
                del self._challenges[challenge_key]
            if challenge_key is not None:
                challenged = self._challenged.get(challenge_key[1], {})
                challenged.pop(game_name, None)
                if not challenged:
                    self._challenged.pop(challenge_key[1], None)
            hosting = self._hosting.get(host)
            if hosting is not None:
                hosting.discard(game_name)
                if not hosting:
                    del self._hosting[host]
            for who in self._holders.pop(game_name, ()):
                held = self._held[who]
                held.discard(game_name)
                if not held:
                    del self._held[who]

    def _live(self, game_name: str | None) -> Match | None:
        match = self.matches.get(game_name) if game_name else None
        return match if match is not None and match.state != MatchState.ENDED else None

    def _create(
        self,
        invited: str | None,
        host: Address,
        now: int,
        *,
        open_key: OpenKey | None = None,
        challenge_key: tuple[str, str] | None = None,
        game_name: str | None = None,
    ) -> Match:
        if len(self.matches) >= self.settings.max_matches:
            raise ProtocolError(Reason.SERVER_FULL, "too many matches; try again later")
        cap = self.settings.max_matches_per_address
        if (len(self._held.get(holder(host), ())) >= cap
                and not in_networks(host, self.settings.uncapped)):
            raise ProtocolError(Reason.TOO_MANY_MATCHES,
                                f"this address already holds {cap} matches")
        hosting = {
            name for name in self._hosting.get(host, ())
            if name in self.matches and self.matches[name].state == MatchState.WAITING
        }
        if len(hosting) >= self.settings.max_waiting_per_address:
            raise ProtocolError(Reason.TOO_MANY_WAITING,
                                "this address already waits in other matches")
        game_name = game_name or _token(self._rng)
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
        self.seated(match, host)
        self._hosting[host] = hosting | {game_name}
        self._keys[game_name] = (host, open_key, challenge_key)
        if open_key is not None:
            self._open[open_key] = game_name
        if challenge_key is not None:
            self._challenges[challenge_key] = game_name
            self._challenged.setdefault(challenge_key[1], {})[game_name] = None
        return match
