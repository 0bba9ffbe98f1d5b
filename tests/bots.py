"""Scripted players for tests: they choose legal locks with the canonical rules, as a client
would after playing its moves, and keep the bookkeeping a real client keeps."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from server.bag import PieceSequence
from server.board import Board, Lock
from server.movement import is_resting, reachable
from server.pieces import Piece, PieceState


def _evaluate(rows: list[str], lines: int) -> float:
    """Yiyuan Lee's weights: low aggregate height, few holes, a flat surface, cleared lines."""
    heights, holes = [], 0
    for x in range(10):
        column = [rows[y][x] for y in range(20)]
        top = next((y for y, cell in enumerate(column) if cell != "."), 20)
        heights.append(20 - top)
        holes += sum(1 for cell in column[top:] if cell == ".")
    bumpiness = sum(abs(a - b) for a, b in itertools.pairwise(heights))
    return -0.51 * sum(heights) + 0.76 * lines - 0.36 * holes - 0.18 * bumpiness


def best_state(board: Board, piece: Piece) -> PieceState:
    """A sensible placement: clear lines, keep the stack low, flat and without holes."""
    best: tuple[float, PieceState] | None = None
    for state in sorted(reachable(board.field, piece), key=lambda s: (s.r, s.x, s.y)):
        if not is_resting(board.field, state):
            continue
        field_after, lines = board.field.place(state)
        value = _evaluate(field_after.to_rows(), lines)
        if best is None or value > best[0]:
            best = (value, state)
    assert best is not None, "no legal placement"
    return best[1]


def tower_state(board: Board, piece: Piece) -> PieceState:
    """The piece dropped straight down from its spawn: stacks a tower that tops out fast."""
    state = PieceState(piece, 0, 3, -2)
    while True:
        lower = PieceState(piece, state.r, state.x, state.y + 1)
        if not board.field.fits(lower):
            return state
        state = lower


@dataclass
class Bot:
    """Plays from the pieces the server announced (`next_block` at `piece_index`)."""

    strategy: str = "best"  # or "tower"
    known: dict[int, str] = field(default_factory=dict)
    board: Board = field(default_factory=Board)
    unacked: list[dict] = field(default_factory=list)
    scores: list[int] = field(default_factory=lambda: [0])  # score after each of our locks

    def score_matches(self, server_score: int) -> bool:
        """The server's score is ours after some prefix of our locks (later ones may not have
        reached it before the end)."""
        return server_score in self.scores

    def learn(self, msg: dict) -> None:
        for k, letter in enumerate(msg["next_block"]):
            self.known[msg["piece_index"] + k] = letter
        self.unacked = [lock for lock in self.unacked if lock["n"] >= msg["ack"]]

    def next_lock(self) -> dict | None:
        """Lock the piece in hand (never holds); None once the bot ran out of known pieces."""
        index = self.board.next_index
        letter = self.known.get(index)
        if letter is None or self.board.topped_out:
            return None
        piece = Piece(letter)
        choose = best_state if self.strategy == "best" else tower_state
        state = choose(self.board, piece)
        lock = Lock(self.board.locks_applied, index, piece, state.r, state.x, state.y)
        self.board.apply_lock(lock, _KnownSequence(self.known))
        self.scores.append(self.board.score)
        wire = {"n": lock.n, "i": index, "piece": letter, "r": state.r, "x": state.x,
                "y": state.y, "spin": False}
        self.unacked.append(wire)
        return wire


class _KnownSequence(PieceSequence):
    """The pieces a client knows from `next_block`, shaped like the server's sequence."""

    def __init__(self, known: dict[int, str]) -> None:
        self._known = known

    def __getitem__(self, index: int) -> Piece:
        return Piece(self._known[index])
