"""The hand-written guideline cases of tests/vectors/guideline.json, played on the Python rules.

Those cases were written from public sources (each cites its own), not from this code: a field,
the inputs each piece gets from its spawn, and what the guideline says the lock scores, sends and
leaves. tests/js/rules/guideline.test.js plays the same file on the browser's rules.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from server.rules.board import Board, Lock
from server.rules.effects import Effect, EffectKind
from server.rules.field import EMPTY, HEIGHT, WIDTH, Field
from server.rules.movement import LastTurn, drop, is_resting, move, rotation_kick, spawn
from server.rules.pieces import Piece, PieceState

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "guideline.json").read_text()
)
MOVES = {"left": (-1, 0), "right": (1, 0), "down": (0, 1)}
TURNS = {"cw": 1, "ccw": -1, "180": 2}
_EMPTY_ROW = EMPTY * WIDTH


def field_of(rows: list[str]) -> Field:
    """The case's bottom rows ('X' filled, top first); more than 20 reach into the hidden rows."""
    letters = [row.replace("X", "G") for row in rows]
    padded = [_EMPTY_ROW] * max(0, HEIGHT - len(letters)) + letters
    return Field.from_rows(padded[-HEIGHT:], padded[:-HEIGHT])


def occupancy(field: Field) -> list[str]:
    """All 40 rows as 'X'/'.', without the empty rows on top (the form of `field_after`)."""
    rows = ["".join("." if cell == EMPTY else "X" for cell in row) for row in field.all_rows()]
    while rows and rows[0] == _EMPTY_ROW:
        rows.pop(0)
    return rows


def play(state: PieceState, field: Field, inputs: list[str]) -> tuple[PieceState, LastTurn | None,
                                                                      int | None]:
    """The piece after ``inputs`` from its spawn: its state, the lock's `last` claim (the last
    action, when it was a turn) and the kick of its last turn (even if moves followed)."""
    last: LastTurn | None = None
    kick = None
    for name in inputs:
        if name in TURNS:
            kicked = rotation_kick(field, state, TURNS[name])
            assert kicked is not None, f"{name} fails at {state}"
            state, kick = kicked
            last = LastTurn(TURNS[name], kick)
        elif name == "soft_drop":
            dropped = drop(field, state)
            if dropped != state:
                state, last = dropped, None
        else:
            moved = move(field, state, *MOVES[name])
            assert moved is not None, f"{name} fails at {state}"
            state, last = moved, None
    assert is_resting(field, state), f"the piece does not rest at {state}"
    return state, last, kick


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_guideline_case(case: dict[str, Any]) -> None:
    pieces = [Piece(p["piece"]) for p in case["pieces"]]
    sequence = [*pieces, Piece(case.get("next", "T"))]
    before = case.get("before", {})
    board = Board(field=field_of(case["field"]), combo=before.get("combo", -1),
                  b2b=before.get("b2b", False), lines=before.get("lines", 0))
    if "garbage" in case:
        board.receive(Effect(1, EffectKind.GARBAGE, "opponent", **case["garbage"]))
        board.apply_effects(1, sequence)  # type: ignore[arg-type]  # a list serves as sequence
    got: list[dict[str, object]] = []
    for n, (piece, spec) in enumerate(zip(pieces, case["pieces"], strict=True)):
        assert not board.topped_out
        state, last, kick = play(spawn(piece), board.field, spec["inputs"])
        lock = Lock(n, n, piece, state.r, state.x, state.y, last, board.fx)
        result = board.apply_lock(lock, sequence)  # type: ignore[arg-type]
        assert result.outcome is not None
        outcome = result.outcome
        row = {"spin": str(outcome.spin), "lines": outcome.lines, "score": outcome.score,
               "attack": outcome.attack, "combo": outcome.combo, "b2b": outcome.b2b}
        if "kick" in case["expect"][n]:  # a case names the kick where it is the point
            row["kick"] = kick
        got.append(row)
    assert got == case["expect"]
    assert (board.top_out and str(board.top_out)) == case.get("top_out")
    if "field_after" in case:
        assert occupancy(board.field) == case["field_after"]


def test_the_cases_cover_the_issue() -> None:
    """Issue 13's three differences each have a named case, and every top-out kind one."""
    names = " ".join(case["name"] for case in CASES)
    for part in ("case 1", "case 2", "case 3"):
        assert part in names
    assert {case.get("top_out") for case in CASES} == {None, "lock_out", "block_out", "garbage"}
    assert all(case["source"] for case in CASES)
