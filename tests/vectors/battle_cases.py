"""The battle vectors: effects on fields, and locks with effects due and garbage to cancel.

Computed by the Python core (``server.rules.effects``, ``server.rules.board.Board``); only the
fields, the effects' parameters and the wanted outcomes are chosen here.
"""

from typing import Any

from server.rules.board import Board, Lock
from server.rules.effects import Effect, EffectKind, apply_effect, draw_quake_shifts, switch_rows
from server.rules.field import Field
from server.rules.movement import is_resting, reach_map
from server.rules.pieces import Piece, PieceState
from server.rules.rng import Mulberry32
from tests.vectors.lock_cases import stacked

Json = Any

STACK = stacked(
    "......G...",
    ".....GG..G",
    "G..GGGG.GG",
    "GG.GGGGGGG",
)
HOLEY = stacked(
    "GGG....GGG",
    "G.G.GG.G..",
    "G...GG.GG.",
    "GG.GG.GGGG",
)
TALL = Field.from_rows(["GGGG.GGGGG"] * 18 + ["IIII......", "G.GGGGGGGG"])  # reaches row 0
# A column 40 rows high, hidden ones too: any garbage pushes it past the buffer's top.
BRIM = Field.from_rows(["G........."] * 20, ["G........."] * 20)
NEXT = Piece.T  # the piece in hand after a battle vector's lock (for a block out)
TETRIS_READY = stacked("GG........", *["GGGGGGGGG."] * 4)


def _effect(id_: int, kind: EffectKind, **params: Any) -> Effect:
    return Effect(id=id_, kind=kind, source="bob", **params)


def _effect_case(name: str, field: Field, effect: Effect) -> Json:
    result = apply_effect(field, effect)
    return {
        "name": name,
        "field": field.to_rows(),
        "hidden": field.hidden_hex(),
        "effect": effect.to_wire(),
        "after": {"field": result.field.to_rows(), "hidden": result.field.hidden_hex(),
                  "topped_out": result.topped_out},
    }


def effect_vectors() -> list[Json]:
    rng = Mulberry32(2024)
    garbage = EffectKind.GARBAGE
    return [
        _effect_case("garbage 1 line under a stack", STACK, _effect(1, garbage, lines=1, hole=2)),
        _effect_case("garbage 3 lines, hole at the left wall", STACK,
                     _effect(1, garbage, lines=3, hole=0)),
        _effect_case("garbage 4 lines, hole at the right wall", HOLEY,
                     _effect(2, garbage, lines=4, hole=9)),
        _effect_case("garbage on an empty field", Field.empty(), _effect(1, garbage, lines=2,
                                                                          hole=5)),
        _effect_case("cancelled garbage changes nothing", STACK,
                     _effect(3, garbage, lines=0, hole=4)),
        _effect_case("garbage pushes a tall stack into the hidden rows: no top-out", TALL,
                     _effect(1, garbage, lines=2, hole=3)),
        _effect_case("garbage pushes a block past the 40-row buffer: garbage out", BRIM,
                     _effect(1, garbage, lines=1, hole=3)),
        _effect_case("add_line", HOLEY, _effect(1, EffectKind.ADD_LINE, hole=6)),
        _effect_case("add_line onto a full-height stack lifts it into the hidden rows", TALL,
                     _effect(1, EffectKind.ADD_LINE, hole=1)),
        _effect_case("add_line onto a 40-row column: garbage out", BRIM,
                     _effect(1, EffectKind.ADD_LINE, hole=1)),
        _effect_case("clear_line brings a hidden block down", BRIM,
                     _effect(1, EffectKind.CLEAR_LINE)),
        _effect_case("gravity acts on the hidden rows too", Field.from_rows(
            ["." * 10] * 20, ["..G.......", "GG........"]), _effect(1, EffectKind.GRAVITY)),
        _effect_case("clear_line", STACK, _effect(1, EffectKind.CLEAR_LINE)),
        _effect_case("clear_line on an empty field", Field.empty(),
                     _effect(1, EffectKind.CLEAR_LINE)),
        _effect_case("nuke", TALL, _effect(1, EffectKind.NUKE)),
        _effect_case("gravity fills holes", HOLEY, _effect(1, EffectKind.GRAVITY)),
        _effect_case("gravity completes and removes rows", stacked(
            "GGGGG.GGGG", "GGGGGG.GGG", "GGGG.GGGGG", "GGGGGGGGG.", ".GGGGGGGGG",
        ), _effect(1, EffectKind.GRAVITY)),
        _effect_case("quake", HOLEY, _effect(1, EffectKind.QUAKE, shifts=draw_quake_shifts(rng))),
        _effect_case("quake wraps rows around", stacked("GG......II", "ZZ.....LLL"),
                     _effect(1, EffectKind.QUAKE, shifts=(0,) * 18 + (3, -3))),
        _effect_case("switch to a low field", STACK,
                     _effect(1, EffectKind.SWITCH, rows=switch_rows(HOLEY))),
        _effect_case("switch to a tall field moved down 6 rows", HOLEY,
                     _effect(1, EffectKind.SWITCH, rows=switch_rows(TALL))),
        _effect_case("switch to an empty field", STACK,
                     _effect(1, EffectKind.SWITCH, rows=switch_rows(Field.empty()))),
    ]


class _Sequence:
    """The one piece a battle vector locks, as piece 0 of a sequence, then NEXT."""

    def __init__(self, piece: Piece) -> None:
        self.piece = piece

    def __getitem__(self, index: int) -> Piece:
        assert index in (0, 1)
        return self.piece if index == 0 else NEXT


def _find_lock(board: Board, fx: int, piece: Piece, lines: int) -> PieceState:
    """A state the server accepts on the field after the effects due, clearing ``lines``."""
    probe = Board(field=board.field, fx=board.fx, incoming=board.incoming)
    probe.apply_effects(fx, _Sequence(piece))  # type: ignore[arg-type]
    reach = reach_map(probe.field, piece)
    for state in sorted(reach, key=lambda s: (s.r, s.x, s.y)):
        if is_resting(probe.field, state) and probe.field.place(state)[1] == lines:
            return state
    raise AssertionError(f"no {piece} lock clearing {lines} lines")


def _battle_case(name: str, board: Board, piece: Piece, fx: int, lines: int,
                 state: PieceState | None = None) -> Json:
    state = state or _find_lock(board, fx, piece, lines)
    before = {
        "field": board.field.to_rows(), "hidden": board.field.hidden_hex(),
        "combo": board.combo, "b2b": board.b2b, "lines": board.lines, "score": board.score,
        "fx": board.fx,
        "incoming": [effect.to_wire() for effect in board.incoming],
    }
    lock = Lock(n=0, index=0, piece=piece, r=state.r, x=state.x, y=state.y, fx=fx)
    after = Board(field=board.field, combo=board.combo, b2b=board.b2b, lines=board.lines,
                  score=board.score, fx=board.fx, incoming=board.incoming)
    result = after.apply_lock(lock, _Sequence(piece))  # type: ignore[arg-type]
    outcome = result.outcome
    return {
        "name": name,
        "before": before,
        "lock": {**state.to_json(), "last": None, "fx": fx},
        "hand": {"before": str(piece), "after": str(NEXT)},
        "after": {
            "field": after.field.to_rows(), "hidden": after.field.hidden_hex(),
            "combo": after.combo, "b2b": after.b2b,
            "lines": after.lines, "score": after.score, "fx": after.fx,
            "incoming": [effect.to_wire() for effect in after.incoming],
            "sent": result.sent,
            "lines_cleared": outcome.lines if outcome else 0,
            "score_delta": outcome.score if outcome else 0,
            "attack": outcome.attack if outcome else 0,
            "topped_out": result.topped_out,
            "top_out": after.top_out and str(after.top_out),
        },
    }


def battle_vectors() -> list[Json]:
    garbage = EffectKind.GARBAGE
    quake = _effect(1, EffectKind.QUAKE, shifts=draw_quake_shifts(Mulberry32(7)))
    cases = [
        _battle_case("garbage due before the lock", Board(
            field=STACK, incoming=(_effect(1, garbage, lines=2, hole=4),)), Piece.T, 1, 0),
        _battle_case("garbage not yet taken waits", Board(
            field=STACK, incoming=(_effect(1, garbage, lines=2, hole=4),)), Piece.O, 0, 0),
        _battle_case("a tetris cancels 3 lines of garbage and sends 1", Board(
            field=TETRIS_READY, incoming=(_effect(1, garbage, lines=3, hole=1),)),
            Piece.I, 0, 4),
        _battle_case("a double cancels part of one garbage", Board(
            field=stacked("G.........", "GGGGGGGG..", "GGGGGGGG.."), incoming=(
                _effect(1, garbage, lines=4, hole=1),)), Piece.O, 0, 2),
        _battle_case("a b2b tetris cancels 2 + 2 + 1 garbage lines, oldest first", Board(
            field=TETRIS_READY, b2b=True, fx=2, incoming=(
                _effect(3, garbage, lines=2, hole=0), _effect(4, garbage, lines=2, hole=9),
                _effect(5, garbage, lines=3, hole=3))), Piece.I, 2, 4),
        _battle_case("a quake due first, then garbage waits to be cancelled", Board(
            field=HOLEY, incoming=(quake, _effect(2, garbage, lines=1, hole=2))),
            Piece.I, 1, 0),
        _battle_case("a nuke then add_line before the lock", Board(
            field=TALL, fx=4, incoming=(_effect(5, EffectKind.NUKE),
                                        _effect(6, EffectKind.ADD_LINE, hole=3))),
            Piece.L, 6, 0),
        _battle_case("a switch before the lock", Board(
            field=STACK, incoming=(_effect(1, EffectKind.SWITCH, rows=switch_rows(HOLEY)),)),
            Piece.S, 1, 0),
        _battle_case("a perfect clear cancels everything and sends the rest", Board(
            field=stacked(*["GGGGGGGGG."] * 4), incoming=(_effect(1, garbage, lines=6, hole=1),)),
            Piece.I, 0, 4),
        _battle_case("garbage due before the lock pushes the stack into the spawn: block out",
                     Board(field=TALL, incoming=(_effect(1, garbage, lines=3, hole=4),)),
                     Piece.I, 1, 0, state=PieceState(Piece.I, 1, 2, -2)),
        _battle_case("garbage due before the lock: garbage out", Board(
            field=BRIM, incoming=(_effect(1, garbage, lines=1, hole=4),)), Piece.I, 1, 0,
            state=PieceState(Piece.I, 1, 2, -2)),
    ]
    return cases
