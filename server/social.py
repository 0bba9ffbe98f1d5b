"""The GameService's handlers for what issue 11 added around the play: `probe` (what a link
leads to), `watch` (spectators), `rematch`, `challenges`, and the spectators' feed
(docs/protocol.md). A mixin of GameService (server/service.py), kept apart so the datagram path
of the play stays short to read; it uses the service's locks in the service's order (registry,
then one match, then the guard lock as a leaf), and an older match's lock before its rematch's.

None of these acts on a seat's play. A spectator is only an address; `rematch` is the one here
that needs a seat's token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from server import replies
from server.errors import ProtocolError
from server.match import Address, Match, MatchState, Outgoing, Seat
from server.protocol import ChallengesQuery, Probe, Rematch, Watch, encode_reply
from server.replies import Reply
from server.wire import MAX_PEERS, Reason

if TYPE_CHECKING:
    from server.service import Datagram, GameService

_STATES = {MatchState.WAITING: "waiting", MatchState.PLAYING: "running",
           MatchState.ENDED: "ended"}


class _Stamps:
    """Our timestamps to addresses that hold no seat (probe, challenges): strictly increasing
    per address, in a bounded book (a forgotten address starts again from the clock)."""

    def __init__(self, bound: int) -> None:
        self._last: dict[Address, int] = {}
        self._bound = bound

    def stamp(self, address: Address, now: int) -> int:
        stamp = max(now, self._last.get(address, 0) + 1)
        if len(self._last) >= self._bound and address not in self._last:
            self._last.clear()
        self._last[address] = stamp
        return stamp


class SocialRequests:
    """Mixed into GameService: everything here runs on its attributes."""

    def _social_init(self: GameService) -> None:
        self._stamps = _Stamps(MAX_PEERS)  # under the guard lock
        self._watching = 0  # spectators of all matches; under the guard lock
        self._audiences: dict[str, int] = {}  # game_name -> its spectators as last counted

    def _social(self: GameService, message: Any, address: Address, now: int) -> list[Datagram]:
        handler: Callable[..., list[Datagram]] = {
            Probe: SocialRequests._probe, Watch: SocialRequests._watch,
            Rematch: SocialRequests._rematch, ChallengesQuery: SocialRequests._challenges,
        }[type(message)]
        return handler(self, message, address, now)

    # -- probe and challenges: one answer each, to an address that may hold no seat ----------

    def _probe(self: GameService, probe: Probe, address: Address, now: int) -> list[Datagram]:
        with self.registry_lock:
            match = self.lobby.matches.get(probe.game_name)
        if match is None:
            return self._answer(replies.match_info(None, probe.game_name, "unknown"), address, now)
        with match.lock:
            state = _STATES[match.state]
            if match.state == MatchState.ENDED and match.result is None:
                state = "unknown"  # cancelled before anyone joined
            info = replies.match_info(match, probe.game_name, state)
        return self._answer(info, address, now)

    def _challenges(
        self: GameService, query: ChallengesQuery, address: Address, now: int
    ) -> list[Datagram]:
        with self.registry_lock:
            names = self.lobby.challengers(query.name)
        return self._answer(replies.Challenges(self_name=query.name, from_names=tuple(names)),
                            address, now)

    def _answer(self: GameService, reply: Reply, address: Address, now: int) -> list[Datagram]:
        with self.guard_lock:
            timestamp = self._stamps.stamp(address, now)
        sent = self._send(reply, address, timestamp)
        return [] if sent is None else [sent]

    # -- spectators ------------------------------------------------------------------------

    def _watch(self: GameService, watch: Watch, address: Address, now: int) -> list[Datagram]:
        with self.guard_lock:
            proven = self.guard.is_verified(address)
        if not proven:
            # No spectator is kept for an address that may be forged: only the small `verify`.
            return self._challenge(address)
        with self.registry_lock:
            match = self.lobby.find(watch.game_name)
        with match.lock:
            if address not in match.audience.watchers and match.state != MatchState.ENDED:
                with self.guard_lock:
                    if self._watching >= self.settings.max_watchers:
                        raise ProtocolError(Reason.TOO_MANY_WATCHERS,
                                            "the server has as many spectators as it allows")
                    out = match.watch(address, now)
                    self._count_audience(match)
            else:
                out = match.watch(address, now)
            self._schedule(match, now)
            return self._leave(match, out, now)

    def _count_audience(self: GameService, match: Match) -> None:
        """Keep the total of spectators in step with `match`'s (guard lock held)."""
        count = len(match.audience)
        self._watching += count - self._audiences.get(match.game_name, 0)
        if count:
            self._audiences[match.game_name] = count
        else:
            self._audiences.pop(match.game_name, None)

    def _track_audience(self: GameService, match: Match) -> None:
        assert match.lock.locked()
        if len(match.audience) != self._audiences.get(match.game_name, 0):
            with self.guard_lock:
                self._count_audience(match)

    def _feed(self: GameService, match: Match, now: int) -> list[Datagram]:
        """The spectate push the match's feed owes (from the timers, after the players' own
        replies have left): encoded once for all its watchers."""
        assert match.lock.locked()
        due = match.spectator_push(now)
        self._track_audience(match)
        if due is None:
            return []
        view, watchers = due
        data = encode_reply(view, match.audience.feed.stamp(now))
        out = []
        with self.guard_lock:
            for watcher in watchers:  # all proven (see _watch): no cookie, no 3x budget
                if self.guard.may_send(watcher.address, len(data)):
                    self.counters.sent += 1
                    out.append((data, watcher.address))
        return out

    def _forget_audiences(self: GameService, game_names: Iterable[str]) -> None:
        with self.guard_lock:
            for game_name in game_names:
                self._watching -= self._audiences.pop(game_name, 0)

    # -- rematch -------------------------------------------------------------------------

    def _rematch(self: GameService, request: Rematch, address: Address, now: int
                 ) -> list[Datagram]:
        self._check_token(request.token)
        # The registry lock first: a rematch makes a match.
        with self.registry_lock:
            old = self.lobby.find(request.game_name)
            with old.lock:
                seat = old.seat_for(address, request.token)
                heard = old.hear(seat, request.timestamp, address, now)
                if heard is None:
                    return []  # an old request from elsewhere: a replay
                if not heard.fresh:
                    return self._leave(old, [*heard.moved, *old.rematch_state(seat)], now)
                start, out = old.want_rematch(seat, request.answer, now)
                if not start:
                    self._schedule(old, now)
                    return self._leave(old, [*heard.moved, *out], now)
                new = self.lobby.rematch_of(old, now)
                with new.lock:
                    starts: list[Outgoing] = []
                    for player in old.seats:
                        starts = new.connect(player.name, player.address, None,
                                             self.lobby.new_token(), now, key=player.key)
                        self.lobby.seated(new, player.address)
                    datagrams = self._leave(old, [*heard.moved, *old.rematch_started(seat, new)],
                                            now)
                    for player in old.seats:
                        _carry(player, new.find_seat(player.name))
                    datagrams += self._leave(new, starts, now)
                    self._schedule(new, now)
                self._schedule(old, now)
                return datagrams

    def _follow_rematch(self: GameService, old: Match, name: str, address: Address, now: int
                        ) -> list[Datagram]:
        """A request on a match whose rematch started, from the seat at `address`: the new
        match's state too (its game_start and token), in case the first one was lost. The seat
        there follows the player to this address, as a rejoin with the token would, unless the
        new match has heard newer requests of theirs (the timestamp rule)."""
        assert old.lock.locked()
        new, before = old.rematch.next_match, old.find_seat(name)
        if new is None or before is None or before.address != address:
            return []
        with new.lock:
            seat = new.find_seat(name)
            if seat is None or seat.last_ts > before.last_ts:
                return []  # the player went on there with newer requests: the newest wins
            _carry(before, seat)
            out = new.follow(seat, address, now)
            self._schedule(new, now)
            return self._leave(new, out, now)


def _carry(old: Seat, new: Seat | None) -> None:
    """A rematch seat goes on from the old one's clocks: our timestamps to the page keep
    increasing across the two matches, and its old datagrams cannot move the new seat."""
    if new is not None:
        new.last_sent_ts = max(new.last_sent_ts, old.last_sent_ts)
        new.last_ts = max(new.last_ts, old.last_ts)
