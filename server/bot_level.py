"""The computer opponent's levels, and the `bot:` names that pick one (docs/protocol.md "Playing
the computer"): `connect {self, opponent: "bot:medium"}`, or `"bot:1.5"` for a pace in pieces per
second. Pure and small, so the parser (server/protocol.py) can name a level without the player.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from server.errors import ProtocolError
from server.wire import BOT_PREFIX, MAX_BOT_PPS, MIN_BOT_PPS, Reason


class Quality(enum.IntEnum):
    """How well the bot places: Easy errs (random among its top few), Medium plays the best
    placement it sees, Hard also holds and weighs the attack (tetrises, T-spins)."""

    EASY = 0
    MEDIUM = 1
    HARD = 2


@dataclass(frozen=True, slots=True)
class BotLevel:
    label: str  # "easy", "medium", "hard", or a pace such as "1.5"
    pps: float  # pieces per second: its think time is 1/pps per piece
    quality: Quality

    @property
    def opponent(self) -> str:
        """The connect's `opponent` for this level: also the key a repeated connect finds its
        match by (no player can take it: ':' is not a name character)."""
        return BOT_PREFIX + self.label

    @property
    def seat_name(self) -> str:
        """The name the bot plays under: an ordinary name, so replays and pages show it."""
        return f"CPU {self.label.capitalize()}" if self.label in LEVELS else f"CPU {self.label} pps"

    def seat_name_against(self, player: str) -> str:
        """The bot's name in a match against `player`: never the player's own."""
        name = self.seat_name
        return name if name.casefold() != player.casefold() else f"{name[:14]} 2"


LEVELS: Final = {
    "easy": BotLevel("easy", 1.0, Quality.EASY),
    "medium": BotLevel("medium", 2.0, Quality.MEDIUM),
    "hard": BotLevel("hard", 3.0, Quality.HARD),
}
_PACE = re.compile(r"\d{1,2}(?:\.\d{1,2})?")
_EXPECTED = (f"connect.opponent: {BOT_PREFIX}easy, {BOT_PREFIX}medium, {BOT_PREFIX}hard or "
             f"{BOT_PREFIX}<pieces per second, {MIN_BOT_PPS:g} to {MAX_BOT_PPS:g}>")


def is_bot_name(opponent: object) -> bool:
    return isinstance(opponent, str) and opponent.strip(" ").lower().startswith(BOT_PREFIX)


def parse_bot(opponent: str) -> BotLevel:
    """The level a `bot:` opponent names; ProtocolError (bad_field) saying what is accepted."""
    text = opponent.strip(" ").lower()
    if not text.startswith(BOT_PREFIX):
        raise ProtocolError(Reason.BAD_FIELD, _EXPECTED)
    word = text[len(BOT_PREFIX):]
    if word in LEVELS:
        return LEVELS[word]
    if not _PACE.fullmatch(word) or not MIN_BOT_PPS <= float(word) <= MAX_BOT_PPS:
        raise ProtocolError(Reason.BAD_FIELD, _EXPECTED)
    pps = float(word)
    # A pace alone: the placement quality of the named level nearest in pace.
    quality = min(LEVELS.values(), key=lambda level: (abs(level.pps - pps), -level.pps)).quality
    return BotLevel(f"{pps:g}", pps, quality)
