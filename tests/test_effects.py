"""Each effect on hand-made fields, with expectations worked out by hand (docs/rules.md)."""

from collections import Counter

import pytest

from server.errors import IllegalLock, InvalidState
from server.rules.board import Board, Lock
from server.rules.effects import (
    MAX_POWERS,
    POWER_WEIGHTS,
    Effect,
    EffectKind,
    apply_effect,
    cancel_garbage,
    draw_power,
    draw_quake_shifts,
    switch_rows,
)
from server.rules.field import Field
from server.rules.pieces import Piece
from server.rules.rng import Mulberry32
from tests.vectors.lock_cases import stacked

E = "." * 10


def fx(kind: EffectKind, id_: int = 1, **params) -> Effect:
    return Effect(id=id_, kind=kind, source="bob", **params)


def test_garbage_rises_from_the_bottom_with_one_hole():
    field = stacked("T.........", "TTT.......")
    after = apply_effect(field, fx(EffectKind.GARBAGE, lines=2, hole=3))
    assert after.field.to_rows()[-4:] == ["T.........", "TTT.......", "GGG.GGGGGG", "GGG.GGGGGG"]
    assert not after.topped_out


def test_garbage_into_the_hidden_rows_plays_on_and_past_the_buffer_tops_out():
    field = Field.from_rows(["I........."] + [E] * 19)
    lifted = apply_effect(field, fx(EffectKind.ADD_LINE, hole=0))
    assert not lifted.topped_out and lifted.field.cell(0, -1) == "I"
    brim = Field.from_rows([E] * 20, ["I........."] + [E] * 19)  # a block in row 40
    assert apply_effect(brim, fx(EffectKind.ADD_LINE, hole=0)).topped_out


def test_clear_line_removes_the_bottom_row():
    field = stacked("..O.......", "ZZ........", "GGGG.GGGGG")
    assert apply_effect(field, fx(EffectKind.CLEAR_LINE)).field == stacked("..O.......",
                                                                           "ZZ........")


def test_nuke_empties_everything():
    assert apply_effect(stacked("GGGG.GGGGG"), fx(EffectKind.NUKE)).field.is_empty()


def test_gravity_compacts_columns_keeping_order_and_clears_full_rows():
    field = stacked("I.J.......", E, ".L........", "GGGGGGGGG.", "GGGGGGGG.G")
    # Each column's blocks fall in order; columns 8 and 9 then fill the bottom row, which goes.
    assert apply_effect(field, fx(EffectKind.GRAVITY)).field == stacked("ILJ.......",
                                                                         "GGGGGGGG..")


def test_quake_rotates_rows_with_wraparound():
    field = stacked("GG......II", "ZZ.....LLL")
    shifts = (0,) * 18 + (3, -1)
    assert apply_effect(field, fx(EffectKind.QUAKE, shifts=shifts)).field == stacked(
        ".IIGG.....", "Z.....LLLZ"
    )


def test_switch_rows_moves_a_tall_field_down_and_bottom_aligns():
    tall = Field.from_rows(["..G......."] * 3 + [E] * 15 + ["GGGGG.GGGG", "G........."])
    rows = switch_rows(tall)
    # The top block sat in row 0: the field moves down 6 rows, losing its bottom 6 rows.
    assert rows == ("..G.......",) * 3 + (E,) * 11
    after = apply_effect(stacked("GGGG.GGGGG"), fx(EffectKind.SWITCH, rows=rows)).field
    assert after.to_rows()[6:9] == ["..G......."] * 3 and after.to_rows()[9:] == [E] * 11
    assert switch_rows(stacked("GGGG.GGGGG")) == ("GGGG.GGGGG",)
    assert switch_rows(Field.empty()) == ()


def test_cancel_garbage_oldest_first_keeps_ids():
    pending = (fx(EffectKind.GARBAGE, 1, lines=2), fx(EffectKind.QUAKE, 2, shifts=(0,) * 20),
               fx(EffectKind.GARBAGE, 3, lines=3))
    after, left = cancel_garbage(pending, 4)
    assert [(e.id, e.lines) for e in after] == [(1, 0), (2, 0), (3, 1)] and left == 0
    after, left = cancel_garbage(pending, 9)
    assert [e.lines for e in after] == [0, 0, 0] and left == 4
    assert cancel_garbage(pending, 0) == (pending, 0)


def test_power_draws_follow_the_weights_and_the_seed():
    rng = Mulberry32(99)
    counts = Counter(draw_power(rng) for _ in range(20_000))
    for power, weight in POWER_WEIGHTS.items():
        assert abs(counts[power] / 20_000 - weight / 100) < 0.015
    first = [draw_power(Mulberry32(5)) for _ in range(1)]
    assert first == [draw_power(Mulberry32(5))]


def test_quake_shifts_are_small_and_mostly_zero():
    shifts = [s for _ in range(200) for s in draw_quake_shifts(Mulberry32(_))]
    assert set(shifts) <= set(range(-3, 4))
    assert 0.4 < shifts.count(0) / len(shifts) < 0.6
    assert (shifts.count(3) + shifts.count(-3)) / len(shifts) < 0.1


def _one(piece: Piece):
    class Sequence:
        def __getitem__(self, index: int) -> Piece:
            return piece

    return Sequence()


def test_lock_applies_effects_up_to_its_fx_then_cancels_the_rest():
    board = Board(field=stacked("GGGGGGGG..", "GGGGGGGG.."))
    board.receive(fx(EffectKind.ADD_LINE, 1, hole=0))
    board.receive(fx(EffectKind.GARBAGE, 2, lines=3, hole=5))
    # The client took effect 1 (add_line) before locking: the O now lands one row higher.
    result = board.apply_lock(Lock(0, 0, Piece.O, 0, 7, 17, fx=1), _one(Piece.O))
    assert result.outcome.lines == 2 and [e.id for e in result.applied] == [1]
    assert board.fx == 1 and [(e.id, e.lines) for e in board.incoming] == [(2, 2)]
    assert result.sent == 0  # a double's 1 line went into cancelling effect 2
    assert board.field == stacked(".GGGGGGGGG")


def test_lock_naming_an_unknown_effect_is_refused_and_changes_nothing():
    board = Board(field=stacked("GGGGGGGG.."))
    board.receive(fx(EffectKind.NUKE, 1))
    with pytest.raises(IllegalLock) as info:
        board.apply_lock(Lock(0, 0, Piece.O, 0, 7, 17, fx=2), _one(Piece.O))
    assert info.value.reason == "unknown_effect"
    assert board.fx == 0 and len(board.incoming) == 1 and board.locks_applied == 0


def test_effects_arrive_in_order_only():
    board = Board()
    with pytest.raises(InvalidState):
        board.receive(fx(EffectKind.NUKE, 2))


def test_inventory_limit_constant():
    assert MAX_POWERS == 6
