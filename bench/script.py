"""The locks every bench player replays: real placements the server judges in full.

The server runs with `--seed S`, so every match deals the same pieces, and one script of locks
serves both players of every match. Only placements that send no attack are chosen (no doubles or
better, no combo of 2 or more), so no garbage or effect ever changes a field the script assumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from server.rules.bag import PieceSequence
from tests.bots import Bot


@dataclass(frozen=True)
class ScriptLock:
    wire: dict  # the lock as game_flux.locks carries it (tests/bots.py Bot.next_lock)
    rows: list[str]  # the player's field after it (the request's seed field `user_blocks`)
    score: int  # the player's score after it (`user_score`)
    wire_json: str  # `wire`, encoded once


@dataclass(frozen=True)
class LockScript:
    seed: int
    locks: tuple[ScriptLock, ...]
    pieces: tuple[str, ...]  # the sequence's first letters: a server's game_start must agree

    def __len__(self) -> int:
        return len(self.locks)


def build_script(seed: int, count: int) -> LockScript:
    sequence = PieceSequence(seed)
    bot = Bot(strategy="peaceful", known={i: str(sequence[i]) for i in range(count + 14)})
    locks = []
    for _ in range(count):
        wire = bot.next_lock()
        if wire is None:
            raise RuntimeError(f"seed {seed}: the scripted player topped out after {len(locks)}")
        locks.append(ScriptLock(wire, bot.board.field.to_rows(), bot.board.score,
                                json.dumps(wire, separators=(",", ":"))))
    return LockScript(seed, tuple(locks), tuple(str(sequence[i]) for i in range(14)))
