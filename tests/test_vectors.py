"""The shared vectors: fresh (equal to what the generator writes now) and true of the core."""

import json
from pathlib import Path
from typing import Any

import pytest

from server.rules.bag import PieceSequence
from server.rules.board import Board, Lock, place_piece
from server.rules.effects import Effect, EffectKind, apply_effect
from server.rules.field import Field
from server.rules.movement import LastTurn, rotate
from server.rules.pieces import TURNS, Piece, PieceState
from server.rules.rng import Mulberry32
from tests.vectors.generate import VECTOR_FILES, render

VECTORS = Path(__file__).parent / "vectors"


def load(name: str) -> list[Any]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def state_of(obj: dict[str, Any]) -> PieceState:
    return PieceState(Piece(obj["piece"]), obj["r"], obj["x"], obj["y"])


def field_of(rows: list[str], hidden: str) -> Field:
    """A vector's field: 20 visible rows and its hidden rows as the wire's hex (their cells
    carry no letter there: garbage)."""
    hex_rows = [int(hidden[k : k + 3], 16) for k in range(0, len(hidden), 3)]
    letters = ["".join("G" if bits >> x & 1 else "." for x in range(10)) for bits in hex_rows]
    return Field.from_rows(rows, letters)


def last_of(obj: dict[str, Any] | None) -> LastTurn | None:
    return None if obj is None else LastTurn(TURNS[obj["rot"]], obj["kick"])


def test_hidden_rows_round_trip() -> None:
    field = field_of(["." * 10] * 20, "001200")
    assert field.hidden_hex() == "001200" and field.cell(0, -2) == "G"


@pytest.mark.parametrize("name", sorted(VECTOR_FILES))
def test_vector_file_is_fresh(name: str) -> None:
    # Regenerate with: python -m tests.vectors.generate
    assert (VECTORS / name).read_text(encoding="utf-8") == render(VECTOR_FILES[name]())


def test_minimum_coverage() -> None:
    rotations, locks = load("rotation.json"), load("locks.json")
    assert len(rotations) >= 60
    assert {case["state"]["piece"] for case in rotations} == set("IJLOSTZ")
    assert any(case["result"] is None for case in rotations)
    after = [case["after"] for case in locks]
    assert {a["lines_cleared"] for a in after} == {0, 1, 2, 3, 4}
    assert {(a["spin"], a["lines_cleared"]) for a in after} >= {
        ("tspin", 0), ("tspin", 1), ("tspin", 2), ("tspin", 3), ("mini", 0), ("mini", 1),
        ("mini", 2),
    }  # fmt: skip
    assert {case["dir"] for case in rotations} == {1, -1, 2}
    assert max(a["combo"] for a in after) >= 9
    assert any(a["perfect_clear"] for a in after) and any(a["topped_out"] for a in after)
    assert any(case["before"]["lines"] >= 10 for case in locks)


@pytest.mark.parametrize("case", load("rng.json"), ids=lambda case: str(case["seed"]))
def test_rng(case: dict[str, Any]) -> None:
    draws, below = Mulberry32(case["seed"]), Mulberry32(case["seed"])
    assert [draws.next_u32() for _ in case["u32"]] == case["u32"]
    n = case["below"]["n"]
    assert [below.below(n) for _ in case["below"]["values"]] == case["below"]["values"]


@pytest.mark.parametrize("case", load("bag.json"), ids=lambda case: str(case["seed"]))
def test_bag(case: dict[str, Any]) -> None:
    pieces = case["pieces"]
    assert "".join(PieceSequence(case["seed"]).preview(0, len(pieces))) == pieces


@pytest.mark.parametrize("case", load("rotation.json"), ids=lambda case: case["name"])
def test_rotation(case: dict[str, Any]) -> None:
    field = Field.from_rows(case["field"])
    turned = rotate(field, state_of(case["state"]), case["dir"])
    expected = case["result"]
    assert turned == (None if expected is None else state_of(expected))


@pytest.mark.parametrize("case", load("locks.json"), ids=lambda case: case["name"])
def test_lock(case: dict[str, Any]) -> None:
    before, lock, after = case["before"], case["lock"], case["after"]
    placement = place_piece(
        field_of(before["field"], before["hidden"]),
        state_of(lock),
        last_of(lock["last"]),
        before["combo"],
        before["b2b"],
        before["lines"],
    )
    outcome = placement.outcome
    assert {
        "field": placement.field.to_rows(),
        "hidden": placement.field.hidden_hex(),
        "combo": outcome.combo,
        "b2b": outcome.b2b,
        "lines": before["lines"] + outcome.lines,
        "score": before["score"] + outcome.score,
        "lines_cleared": outcome.lines,
        "spin": str(outcome.spin),
        "score_delta": outcome.score,
        "attack": outcome.attack,
        "perfect_clear": outcome.perfect_clear,
        "topped_out": placement.topped_out,
    } == after


@pytest.mark.parametrize("case", load("effects.json"), ids=lambda case: case["name"])
def test_effect(case: dict[str, Any]) -> None:
    field = field_of(case["field"], case["hidden"])
    result = apply_effect(field, Effect.from_wire(case["effect"]))
    assert {"field": result.field.to_rows(), "hidden": result.field.hidden_hex(),
            "topped_out": result.topped_out} == case["after"]


class _Hand:
    """The vector's piece in hand before the lock (index 0) and after it (index 1)."""

    def __init__(self, hand: dict[str, str]) -> None:
        self.pieces = (Piece(hand["before"]), Piece(hand["after"]))

    def __getitem__(self, index: int) -> Piece:
        return self.pieces[index]


@pytest.mark.parametrize("case", load("battle.json"), ids=lambda case: case["name"])
def test_battle(case: dict[str, Any]) -> None:
    before, lock, after = case["before"], case["lock"], case["after"]
    board = Board(
        field=field_of(before["field"], before["hidden"]), combo=before["combo"],
        b2b=before["b2b"],
        lines=before["lines"], score=before["score"], fx=before["fx"],
        incoming=tuple(Effect.from_wire(e) for e in before["incoming"]),
    )
    piece = Piece(lock["piece"])
    result = board.apply_lock(
        Lock(0, 0, piece, lock["r"], lock["x"], lock["y"], last_of(lock["last"]), lock["fx"]),
        _Hand(case["hand"]),  # type: ignore[arg-type]
    )
    outcome = result.outcome
    assert {
        "field": board.field.to_rows(), "hidden": board.field.hidden_hex(),
        "combo": board.combo, "b2b": board.b2b, "lines": board.lines, "score": board.score,
        "fx": board.fx,
        "incoming": [e.to_wire() for e in board.incoming], "sent": result.sent,
        "lines_cleared": outcome.lines if outcome else 0,
        "score_delta": outcome.score if outcome else 0,
        "attack": outcome.attack if outcome else 0,
        "topped_out": result.topped_out,
        "top_out": board.top_out and str(board.top_out),
    } == after


def test_battle_coverage() -> None:
    effects, battles = load("effects.json"), load("battle.json")
    assert {case["effect"]["kind"] for case in effects} == {k.value for k in EffectKind}
    assert any(case["after"]["topped_out"] for case in effects)
    sent = [case["after"]["sent"] for case in battles]
    assert any(s > 0 for s in sent) and any(
        case["after"]["attack"] > case["after"]["sent"] for case in battles
    )
    assert {case["after"]["top_out"] for case in battles} == {None, "block_out", "garbage"}
