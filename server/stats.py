"""A seat's statistics, from the server's own books: what game_end's `stats` reports
(docs/protocol.md "game_end"). Both pages show these same figures, so neither guesses.

A leaf like server/replies.py: it imports only the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.rules.effects import Effect, EffectKind
from server.rules.scoring import LockOutcome, Spin

TETRIS_LINES = 4


@dataclass
class SeatStats:
    """The counters the board does not keep itself (pieces and lines are the board's)."""

    attack: int = 0  # lines the attacks were worth, before cancelling incoming garbage
    received: int = 0  # garbage lines that landed in this field
    powers: int = 0  # power uses the server honoured
    max_combo: int = 0  # the highest combo counter reached (0: no two clears in a row)
    tspins: int = 0  # T-spins (minis included) that cleared lines
    tetrises: int = 0

    def locked(self, outcome: LockOutcome) -> None:
        self.attack += outcome.attack
        self.max_combo = max(self.max_combo, outcome.combo)
        if outcome.lines and outcome.spin is not Spin.NONE:
            self.tspins += 1
        if outcome.lines == TETRIS_LINES:
            self.tetrises += 1

    def landed(self, effects: tuple[Effect, ...]) -> None:
        self.received += sum(e.lines for e in effects if e.kind is EffectKind.GARBAGE)


def to_wire(stats: SeatStats, pieces: int, lines: int, sent: int, played_ms: int) -> dict[str, Any]:
    """One player's `stats` entry: pps = pieces a second played, apm = attack lines a minute,
    both rounded to 2 decimals (0 when nothing was played)."""
    seconds = played_ms / 1000
    return {
        "pieces": pieces,
        "pps": round(pieces / seconds, 2) if seconds > 0 else 0,
        "apm": round(stats.attack * 60 / seconds, 2) if seconds > 0 else 0,
        "lines": lines,
        "sent": sent,
        "received": stats.received,
        "powers": stats.powers,
        "max_combo": stats.max_combo,
    }
