"""The computer opponent: a seat like any other, played by the server (docs/protocol.md "Playing
the computer").

The bot holds a seat of an ordinary match at an address no socket has (`BOT_HOST`); what the
match sends it is dropped unsent (service `_leave`). It plays through the service's own datagram
path: every lock is a `game_flux` dispatched as any player's, so the match judges it with
Board.apply_lock, records it in the replay and sends its garbage. Like a client it takes the
effects pending at each lock (`fx`), uses its powers, and tops out when the rules say so.

It costs little. The service's timer thread calls `turns` every tick; a bot's placement search
(server/bot_search.py) runs there, outside every lock, and all bots together search at most
`search_ms` per tick: a search starts only while the time spent plus the estimate of one (the
largest recent search) fits, and the bots not served wait for the next tick (the oldest due
first). The first search of a tick always runs, so every bot moves however small the budget.
The clock is injected (time.perf_counter in the shell), so tests can hold the budget to the
microsecond. The number of matches against bots is bounded (`max_matches`): over it, a connect
gets `too_many_bots`.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from server.bot_level import BotLevel, Quality
from server.bot_search import Candidate, Shape, candidates, shape
from server.errors import ProtocolError
from server.match import Address, Match, MatchState, Outgoing
from server.protocol import Connect, Flux, Message, Rematch, RematchAnswer
from server.rematch import RematchState
from server.rules.board import Lock
from server.rules.effects import MAX_POWERS, EffectKind, apply_effect
from server.rules.field import Field
from server.rules.movement import LastTurn, can_spawn
from server.rules.pieces import SPAWN_X, SPAWN_Y, Piece, PieceState
from server.wire import BOT_SEARCH_MS, MAX_BOT_MATCHES, Reason

if TYPE_CHECKING:
    from server.service import Datagram, GameService
    from server.service import Lock as ServiceLock

log = logging.getLogger(__name__)

BOT_HOST: Final = "bot"  # a bot seat's address is (BOT_HOST, n): no socket reports that host
BEAT_MS: Final = 1_000  # an empty game_flux this often keeps the seat heard (away after 2 s)
ENDED_LOOK_MS: Final = 250  # after the end: how often the bot looks for a rematch asked
JITTER: Final = 0.25  # think times vary by this much either way: a human pace, not a metronome
FIRST_ESTIMATE_MS: Final = 0.5  # one search's cost until one has been measured
ESTIMATE_DECAY: Final = 0.95  # per search, of the estimate (the largest recent search)
# Mistakes: how often a level picks at random among its TOP_K best placements rather than the
# best (Easy at 0.3 clears about a third fewer lines and tops out alone after ~200 pieces).
SLIP: Final = {Quality.EASY: 0.3, Quality.MEDIUM: 0.1, Quality.HARD: 0.0}
TOP_K: Final = {Quality.EASY: 4, Quality.MEDIUM: 2, Quality.HARD: 1}
HIGH_ROWS: Final = 12  # a stack this high calls for a helpful power
SWITCH_GAP: Final = 5  # rows higher than the opponent before a switch pays
ATTACK_EVERY: Final = {Quality.EASY: 8, Quality.MEDIUM: 4, Quality.HARD: 2}  # locks between uses
HELPERS: Final = (EffectKind.NUKE, EffectKind.CLEAR_LINE, EffectKind.GRAVITY)  # best first
ATTACKS: Final = (EffectKind.ADD_LINE, EffectKind.QUAKE)
GRAVITY_HOLES: Final = 4  # gravity before clear_line when the stack has this many holes


def is_bot_address(address: Address) -> bool:
    return address[0] == BOT_HOST


@dataclass(frozen=True)
class BotSettings:
    max_matches: int = MAX_BOT_MATCHES  # running matches against bots (0: no bots)
    search_ms: float = BOT_SEARCH_MS  # all bots' placement search per timer tick


@dataclass
class BotPlayer:
    level: BotLevel
    match: Match
    name: str
    address: Address
    rng: random.Random
    move_at: int  # when it next locks (after the countdown)
    beat_at: int  # when it next says it is here, if it has not locked by then
    stamp: int = 0  # its own timestamps: strictly increasing, like a client's
    since_power: int = 0  # locks since it last used an attack power
    followed: bool = False  # it went on to the rematch this match started

    @property
    def due(self) -> int:
        return min(self.move_at, self.beat_at)

    def timestamp(self, now: int) -> int:
        self.stamp = max(now, self.stamp + 1)
        return self.stamp

    def think_ms(self) -> int:
        base = 1000 / self.level.pps
        return round(base * (1 + self.rng.uniform(-JITTER, JITTER)))


@dataclass(frozen=True)
class Turn:
    """What the bot saw of its seat under the match lock, for a search outside it."""

    n: int  # the lock number to send
    fx: int  # the newest effect it takes at this lock
    field: Field | None  # its field with those effects in; None: they top it out
    options: tuple[tuple[int, Piece], ...]  # (sequence index, piece) it may lock, in hand first
    combo: int
    b2b: bool
    lines: int
    power: EffectKind | None  # the power it uses with this lock
    power_n: int


@dataclass
class BotStats:
    searches: int = 0
    deferred: int = 0  # due searches left for a later tick by the budget
    refused: int = 0  # locks the match refused (none expected: a test watches it)
    last_tick_ms: float = 0.0  # search time of the last tick that searched
    most_tick_ms: float = 0.0
    total_ms: float = 0.0  # all searches' time


class BotSeats:
    """The bots of the service's matches: seated by `seat`, played by `turns`."""

    def __init__(self, settings: BotSettings, lock: ServiceLock,
                 clock: Callable[[], float]) -> None:
        self.settings = settings
        self._lock = lock  # a leaf: the players' book only
        self._clock = clock
        self._players: dict[str, list[BotPlayer]] = {}  # game_name -> its bots
        self._serial = itertools.count()
        self._estimate_ms = FIRST_ESTIMATE_MS
        self.stats = BotStats()

    # -- seating -------------------------------------------------------------------------------

    def playing(self) -> int:
        """Matches with a bot that have not ended (each read is one attribute, no lock)."""
        with self._lock:
            matches = [players[0].match for players in self._players.values()]
        return sum(1 for match in matches if match.state != MatchState.ENDED)

    def check_room(self) -> None:
        """Before a connect makes a match against a bot: refused when there are enough."""
        limit = self.settings.max_matches
        if self.playing() >= limit:
            detail = ("this server plays no matches against the computer" if limit == 0 else
                      f"the computer is playing {limit} matches already; try again shortly")
            raise ProtocolError(Reason.TOO_MANY_BOTS, detail)

    def seat(self, match: Match, connect: Connect, token: str, now: int) -> list[Outgoing]:
        """Take the second seat of the match `connect` just made against a bot (lobby lock and
        match lock held): the game_start both seats get. [] for any other match."""
        level = connect.bot
        if (level is None or connect.game_name is not None or match.state != MatchState.WAITING
                or len(match.seats) != 1
                or match.invited != level.seat_name_against(connect.name)):
            return []
        return self._sit(match, level, match.invited, token, now)

    def _sit(self, match: Match, level: BotLevel, name: str, token: str, now: int
             ) -> list[Outgoing]:
        address = (BOT_HOST, next(self._serial))
        out = match.connect(name, address, None, token, now)
        self._add(match, level, name, address, now)
        return out

    def _add(self, match: Match, level: BotLevel, name: str, address: Address, now: int,
             stamp: int = 0) -> BotPlayer:
        # Seeded by the match: with --seed, the same pieces and the same bot (practice).
        rng = random.Random(match.seed * 4 + len(match.seats))
        player = BotPlayer(level, match, name, address, rng, move_at=now, beat_at=now + BEAT_MS,
                           stamp=stamp)
        # Its first think starts when the pieces fall (after the countdown), as a player's does.
        player.move_at = max(now, match.started_at or now) + player.think_ms()
        with self._lock:
            self._players.setdefault(match.game_name, []).append(player)
        return player

    # -- playing -------------------------------------------------------------------------------

    def turns(self, now: int, dispatch: Callable[[Message, Address, int], list[Datagram]]
              ) -> list[Datagram]:
        """Every bot due at `now` moves, within the tick's search budget; `dispatch` is the
        service's datagram path. Called with no lock held."""
        with self._lock:
            due = [p for players in self._players.values() for p in players if p.due <= now]
        due.sort(key=lambda player: player.due)
        budget, spent, searched = self.settings.search_ms, 0.0, 0
        out: list[Datagram] = []
        for player in due:
            action = self._look(player, now)
            if isinstance(action, Turn):
                if searched and spent + self._estimate_ms > budget:
                    self.stats.deferred += 1
                    continue  # the next tick; beats and ends still go on below
                started = self._clock()
                lock = _choose(action, player)
                took = (self._clock() - started) * 1000
                spent += took
                searched += 1
                # A decaying maximum: after a slow search, the next ones are expected slow too.
                self._estimate_ms = max(took, self._estimate_ms * ESTIMATE_DECAY)
                out += self._play(player, action, lock, now, dispatch)
            elif action is not None:
                out += self._send(player, action, now, dispatch)
        if searched:
            self.stats.searches += searched
            self.stats.total_ms += spent
            self.stats.last_tick_ms = spent
            self.stats.most_tick_ms = max(self.stats.most_tick_ms, spent)
        return out

    def _look(self, player: BotPlayer, now: int) -> Turn | Message | None:
        """Under the match lock: what the bot does now, and when it next looks."""
        match = player.match
        with match.lock:
            seat = match.find_seat(player.name)
            if match.state == MatchState.ENDED or seat is None:
                return self._after_end(player, now)
            if match.state == MatchState.WAITING:
                player.beat_at = now + BEAT_MS
                return None
            if now < player.move_at or match.countdown_ms(now) > 0:
                if now < player.beat_at:
                    return None
                player.beat_at = now + BEAT_MS
                return Flux(player.timestamp(now), match.game_name, seat.token, (), None, None)
            board = seat.board
            field: Field | None = board.field
            for effect in board.incoming:  # taken at this lock, as a client takes them
                assert field is not None
                result = apply_effect(field, effect)
                field = None if result.topped_out else result.field
                if field is None:
                    break
            current = board.current_piece(match.sequence)
            if field is not None and board.incoming and not can_spawn(field, current):
                field = None  # a block out: the lock is moot
            options = [(board.next_index, current)]
            if player.level.quality is Quality.HARD:
                if board.hold is None:
                    index = board.next_index + 1
                    options.append((index, match.sequence[index]))
                else:
                    options.append(board.hold)
            opponent = match.opponent_of(seat)
            power = None
            if field is not None and opponent is not None:
                power = _power(player, seat.powers, shape(field), shape(opponent.board.field))
            return Turn(board.locks_applied, board.last_effect_id, field, tuple(options),
                        board.combo, board.b2b, board.lines, power, seat.power_uses)

    def _after_end(self, player: BotPlayer, now: int) -> Message | None:
        """An ended match: follow its rematch, accept one the opponent asks for, or go."""
        match = player.match
        book = match.rematch
        if match.result is None or match.expired(now) or player.followed:
            self._drop(player)
            return None
        player.move_at = now + ENDED_LOOK_MS
        if book.next_match is not None:
            new = book.next_match
            player.followed = True
            if new.find_seat(player.name) is not None:
                self._add(new, player.level, player.name, player.address, now, player.stamp)
            return None
        seat = match.find_seat(player.name)
        if seat is None:
            return None
        asked = [name for name in book.wanted if name != player.name]
        if asked and player.name not in book.wanted and book.state is not RematchState.STARTED:
            room = self.playing() < self.settings.max_matches
            answer = RematchAnswer.ACCEPT if room else RematchAnswer.DECLINE
            return Rematch(player.timestamp(now), match.game_name, seat.token, answer)
        if now < player.beat_at:
            return None
        # Still here, as the end screen's keep-alive says of a page: a rematch needs both seats
        # heard within --disconnect-seconds.
        player.beat_at = now + BEAT_MS
        return Flux(player.timestamp(now), match.game_name, seat.token, (), None, None)

    def _play(self, player: BotPlayer, turn: Turn, lock: Lock, now: int,
              dispatch: Callable[[Message, Address, int], list[Datagram]]) -> list[Datagram]:
        match = player.match
        with match.lock:
            seat = match.find_seat(player.name)
            token = seat.token if seat is not None else None
        flux = Flux(player.timestamp(now), match.game_name, token, (lock,), turn.power,
                    turn.power_n if turn.power is not None else None)
        out = self._send(player, flux, now, dispatch)
        with match.lock:
            accepted = seat is not None and (seat.board.locks_applied > turn.n
                                             or match.state != MatchState.PLAYING)
        if not accepted:
            self.stats.refused += 1
            log.warning("a bot's lock %d in %s was refused", turn.n, match.game_name)
        player.move_at = now + player.think_ms()
        player.beat_at = now + BEAT_MS
        if turn.power in ATTACKS:
            player.since_power = 0
        else:
            player.since_power += 1
        return out

    def _send(self, player: BotPlayer, message: Message, now: int,
              dispatch: Callable[[Message, Address, int], list[Datagram]]) -> list[Datagram]:
        try:
            return dispatch(message, player.address, now)
        except ProtocolError as exc:  # the match is gone, or ended meanwhile: nothing to send
            log.debug("a bot's %s was refused: %s", type(message).__name__, exc)
            return []

    def _drop(self, player: BotPlayer) -> None:
        with self._lock:
            players = self._players.get(player.match.game_name, [])
            if player in players:
                players.remove(player)
            if not players:
                self._players.pop(player.match.game_name, None)

    # -- tests and benches ---------------------------------------------------------------------

    def start_match(self, service: GameService, first: BotLevel, second: BotLevel, now: int
                    ) -> Match:
        """Tests and benches only: a match of two bots, made by the lobby like any (so the
        lobby's caps apply, the per-address one included: the bots share one host)."""
        name = first.seat_name
        connect = Connect(name=name, opponent=second.opponent, game_name=None, token=None,
                          timestamp=None, bot=second)
        address = (BOT_HOST, next(self._serial))
        with service.registry_lock:
            self.check_room()
            match = service.lobby.route(connect, address, now)
            with match.lock:
                match.connect(name, address, None, service.lobby.new_token(), now)
                self._add(match, first, name, address, now)
                out = self.seat(match, connect, service.lobby.new_token(), now)
                service._schedule(match, now)
                service._leave(match, out, now)
        return match


def _choose(turn: Turn, player: BotPlayer) -> Lock:
    """The lock for this turn: the search, then the level's pick among the best."""
    index, piece = turn.options[0]
    if turn.field is None:  # effects top the bot out first: any lock of the piece is moot
        return Lock(turn.n, index, piece, 0, SPAWN_X, SPAWN_Y, None, turn.fx)
    quality = player.level.quality
    found: list[tuple[Candidate, int, Piece]] = []
    for option_index, option in turn.options:
        found += [(candidate, option_index, option)
                  for candidate in candidates(turn.field, option, attack=quality is Quality.HARD,
                                              combo=turn.combo, b2b=turn.b2b, lines=turn.lines)]
    if not found:  # nothing fits: the piece cannot spawn, and the lock tops the bot out
        return Lock(turn.n, index, piece, 0, SPAWN_X, SPAWN_Y, None, turn.fx)
    found.sort(key=lambda item: -item[0].value)
    pick = 0
    if player.rng.random() < SLIP[quality]:
        pick = player.rng.randrange(min(TOP_K[quality], len(found)))
    candidate, index, piece = found[pick]
    state: PieceState = candidate.state
    last: LastTurn | None = candidate.last
    return Lock(turn.n, index, piece, state.r, state.x, state.y, last, turn.fx)


def _power(player: BotPlayer, powers: list[EffectKind], mine: Shape, theirs: Shape
           ) -> EffectKind | None:
    """Simple rules: helpful powers when the stack is high, a switch when far higher than the
    opponent, attack powers on the opponent every few locks, and never a full inventory idle."""
    if not powers:
        return None
    helpers = [power for power in HELPERS if power in powers]
    if mine.top >= HIGH_ROWS and helpers:
        if (EffectKind.GRAVITY in helpers and EffectKind.NUKE not in helpers
                and mine.holes >= GRAVITY_HOLES):
            return EffectKind.GRAVITY
        return helpers[0]
    if EffectKind.SWITCH in powers and mine.top >= theirs.top + SWITCH_GAP:
        return EffectKind.SWITCH
    attacks = [power for power in powers if power in ATTACKS]
    if attacks and player.since_power >= ATTACK_EVERY[player.level.quality]:
        return attacks[0]
    if len(powers) >= MAX_POWERS:  # full: every line cleared now earns nothing
        return next((power for power in powers if power is not EffectKind.SWITCH), None)
    return None

