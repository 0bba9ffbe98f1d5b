"""The messages a match sends, built from its state for one recipient (docs/protocol.md).

Every field comes from the server's own books; nothing a client claimed is echoed back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from server.rules.board import Board
from server.rules.effects import EffectKind

if TYPE_CHECKING:
    from server.match import Match, Payload, Seat


def state_fields(match: Match, seat: Seat, now: int) -> Payload:
    board = seat.board
    opponent = match.opponent_of(seat)
    other = opponent.board if opponent else Board()
    preview = match.sequence.preview(board.next_index, match.settings.preview)
    return {
        "user_blocks": board.field.to_rows(),
        "opponent_blocks": other.field.to_rows(),
        "next_block": [str(piece) for piece in preview],
        "time_left": match.time_left(now),
        "user_score": board.score,
        "opponent_score": other.score,
        "powers_available": [str(power) for power in seat.powers],
        "ack": board.locks_applied,
        "piece_index": board.next_index,
        "hold": str(board.hold[1]) if board.hold else None,
        "hold_index": board.hold[0] if board.hold else None,
        "combo": board.combo,
        "b2b": board.b2b,
        "lines": board.lines,
        "opponent_lines": other.lines,
        "opponent_pieces": other.locks_applied,
        "opponent_away": bool(opponent and opponent.is_away(now, match.settings)),
        "fx": board.fx,
        "effects": [effect.to_wire() for effect in board.incoming],
        "power_ack": seat.power_uses,
        "power_applied": power_applied(match, seat, now),
        "garbage_sent": seat.garbage_sent,
    }


def power_applied(match: Match, seat: Seat, now: int) -> list[Payload]:
    """Powers that hit this seat: pending ones, and those applied in the last seconds."""
    recent = [e for t, e in seat.hits if now - t < match.settings.hit_memory_ms]
    pending = [e for e in seat.board.incoming if e.kind is not EffectKind.GARBAGE]
    return [{"id": e.id, "power": str(e.kind), "from": e.source} for e in recent + pending]


def waiting(match: Match, seat: Seat, now: int) -> Payload:
    return {
        "timestamp": match.stamp(seat, now),
        "command": "waiting",
        "game_name": match.game_name,
        "self": seat.name,
        "opponent": match.invited,
        "token": seat.token,
    }


def game_start(match: Match, seat: Seat, now: int) -> Payload:
    opponent = match.opponent_of(seat)
    return {
        "timestamp": match.stamp(seat, now),
        "command": "game_start",
        "game_name": match.game_name,
        "self": seat.name,
        "opponent": opponent.name if opponent else None,
        **state_fields(match, seat, now),
        "token": seat.token,
    }


def game_flux(match: Match, seat: Seat, now: int) -> Payload:
    return {
        "timestamp": match.stamp(seat, now),
        "command": "game_flux",
        "game_name": match.game_name,
        **state_fields(match, seat, now),
        "power_used": None,
        "power_rejected": None,
        "rejected": None,
    }


def game_end(match: Match, seat: Seat, now: int) -> Payload:
    assert match.result is not None
    opponent = match.opponent_of(seat)
    return {
        "timestamp": match.stamp(seat, now),
        "command": "game_end",
        "game_name": match.game_name,
        "winner": match.result.winner,
        "score": {s.name: s.board.score for s in match.seats},
        "reason": str(match.result.reason),
        "user_score": seat.board.score,
        "opponent_score": opponent.board.score if opponent else 0,
    }
