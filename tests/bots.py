"""Scripted players for tests: they choose legal locks with the canonical rules, as a client
would after playing its moves, and keep the bookkeeping a real client keeps."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from server.errors import IllegalLock, InvalidState
from server.rules.bag import PieceSequence
from server.rules.board import Board, Lock, place_piece
from server.rules.effects import Effect
from server.rules.field import Field
from server.rules.movement import drop, is_resting, reachable, spawn
from server.rules.pieces import Piece, PieceState


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


def best_state(board: Board, piece: Piece, attack_free: bool = False) -> PieceState:
    """A sensible placement: clear lines, keep the stack low, flat and without holes.
    `attack_free`: only placements that send nothing (and do not top out), so a script of them
    never changes the opponent's field (the capacity bench replays one in every match)."""
    best: tuple[float, PieceState] | None = None
    for state in sorted(reachable(board.field, piece), key=lambda s: (s.r, s.x, s.y)):
        if not is_resting(board.field, state):
            continue
        if attack_free:
            placed = place_piece(board.field, state, None, board.combo, board.b2b, board.lines)
            if placed.outcome.attack > 0 or placed.topped_out:
                continue
        field_after, lines = board.field.place(state)
        value = _evaluate(field_after.to_rows(), lines)
        if best is None or value > best[0]:
            best = (value, state)
    assert best is not None, "no legal placement"
    return best[1]


@dataclass
class Bot:
    """A scripted client: predicts its own field from the pieces the server announced
    (`next_block` at `piece_index`), takes effects at its lock boundaries, reconciles with every
    server state (authoritative board + replay of unacknowledged locks) and uses its powers."""

    strategy: str = "best"  # or "tower", or "peaceful" (best among those that send nothing)
    use_powers: bool = False
    known: dict[int, str] = field(default_factory=dict)
    board: Board = field(default_factory=Board)
    unacked: list[dict] = field(default_factory=list)
    scores: list[int] = field(default_factory=lambda: [0])  # score after each of our locks
    ack: int = 0
    taken_fx: int = 0  # the newest effect we applied at a lock boundary
    power_uses: int = 0  # uses made (the next power_n)
    pending_power: dict | None = None
    powers: list[str] = field(default_factory=list)
    rejections: list[dict] = field(default_factory=list)  # locks the server refused

    def score_matches(self, server_score: int) -> bool:
        """The server's score is ours after some prefix of our locks (later ones may not have
        reached it before the end)."""
        return server_score in self.scores

    def learn(self, msg: dict) -> None:
        """Take a game_start/game_flux that passed the `timestamp > now` filter."""
        for k, letter in enumerate(msg["next_block"]):
            self.known[msg["piece_index"] + k] = letter
        if msg["ack"] < self.ack:
            return  # an older state overtaken by a newer one: never roll back
        self.ack = msg["ack"]
        self.unacked = [lock for lock in self.unacked if lock["n"] >= self.ack]
        if msg.get("rejected"):
            self.rejections.append(msg["rejected"])
            self.unacked = []
        self.powers = list(msg.get("powers_available", []))
        if self.pending_power and msg.get("power_ack", 0) > self.pending_power["power_n"]:
            self.pending_power = None
        self._rebuild(msg)

    def _rebuild(self, msg: dict) -> None:
        hold = msg.get("hold")
        board = Board(
            field=Field.from_rows(msg["user_blocks"]), next_index=msg["piece_index"],
            hold=(msg["hold_index"], Piece(hold)) if hold else None, combo=msg["combo"],
            b2b=msg["b2b"], lines=msg["lines"], score=msg["user_score"],
            locks_applied=msg["ack"], fx=msg.get("fx", 0),
            incoming=tuple(Effect.from_wire(e) for e in msg.get("effects", ())),
        )
        for k, wire in enumerate(self.unacked):
            try:
                board.apply_lock(_lock(wire), _KnownSequence(self.known))
            except (IllegalLock, InvalidState, KeyError):
                self.unacked = self.unacked[:k]  # the server will refuse the rest
                break
        board.apply_effects(min(self.taken_fx, board.last_effect_id), _KnownSequence(self.known))
        self.board = board

    def next_lock(self) -> dict | None:
        """Lock the piece in hand (never holds); None once the bot ran out of known pieces."""
        # The lock boundary: every effect we know of enters our field before the next piece.
        index = self.board.next_index
        # The lock is judged with the piece after it (a block out): both must be known.
        if index not in self.known or index + 1 not in self.known or self.board.topped_out:
            return None
        self.board.apply_effects(self.board.last_effect_id, _KnownSequence(self.known))
        self.taken_fx = self.board.fx
        letter = self.known[index]
        if self.board.topped_out:
            return None
        piece = Piece(letter)
        if self.strategy == "tower":
            state = drop(self.board.field, spawn(piece))  # a tower that tops out fast
        else:
            state = best_state(self.board, piece, attack_free=self.strategy == "peaceful")
        wire = {"n": self.board.locks_applied, "i": index, "piece": letter, "r": state.r,
                "x": state.x, "y": state.y, "fx": self.board.fx}
        self.board.apply_lock(_lock(wire), _KnownSequence(self.known))
        self.scores.append(self.board.score)
        self.unacked.append(wire)
        return wire

    def power_fields(self) -> dict:
        """`power_used`/`power_n` for the next request: the pending use, or a new one."""
        if self.use_powers and self.pending_power is None and self.powers:
            self.pending_power = {"power_used": self.powers[0], "power_n": self.power_uses}
            self.power_uses += 1
        return self.pending_power or {}


def _lock(wire: dict) -> Lock:
    return Lock(wire["n"], wire["i"], Piece(wire["piece"]), wire["r"], wire["x"], wire["y"],
                None, wire.get("fx", 0))


class _KnownSequence(PieceSequence):
    """The pieces a client knows from `next_block`, shaped like the server's sequence."""

    def __init__(self, known: dict[int, str]) -> None:
        self._known = known

    def __getitem__(self, index: int) -> Piece:
        return Piece(self._known[index])
