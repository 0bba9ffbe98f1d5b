"""Moves, SRS turns with kicks, and reachability, against docs/rules.md."""


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import IllegalLock
from server.rules.board import place_piece
from server.rules.field import HEIGHT, Field
from server.rules.movement import (
    LastTurn,
    claim_for,
    drop,
    is_resting,
    move,
    reach_map,
    reachable,
    reaches_by_drop,
    rotate,
    rotation_kick,
    spawn,
)
from server.rules.pieces import Piece, PieceState
from server.rules.scoring import Spin
from tests.helpers import naive_reachable

EMPTY = "." * 10
TSD = ("GG........", "G...GGGGGG", "GG.GGGGGGG")
TST = ("GG........", "G.........", "G.GGGGGGGG", "G..GGGGGGG", "G.GGGGGGGG")


def bottom(*rows: str) -> Field:
    return Field.from_rows([EMPTY] * (HEIGHT - len(rows)) + list(rows))


def test_moves_stop_at_walls_floor_and_blocks() -> None:
    field = bottom("G.........")
    t = PieceState(Piece.T, 0, 0, 5)
    assert move(field, t, 1, 0) == PieceState(Piece.T, 0, 1, 5)
    assert move(field, t, -1, 0) is None
    assert move(field, PieceState(Piece.T, 0, 7, 5), 1, 0) is None
    assert move(field, PieceState(Piece.T, 0, 0, 17), 0, 1) is None  # (0, 19) is taken
    assert drop(field, PieceState(Piece.T, 0, 1, -2)) == PieceState(Piece.T, 0, 1, 18)


def test_spawn_state() -> None:
    assert spawn(Piece.L) == PieceState(Piece.L, 0, 3, -2)


def test_turn_in_the_open_uses_the_first_test() -> None:
    state = PieceState(Piece.T, 0, 4, 8)
    assert rotation_kick(Field.empty(), state, 1) == (PieceState(Piece.T, 1, 4, 8), 0)
    assert rotate(Field.empty(), state, -1) == PieceState(Piece.T, 3, 4, 8)
    assert rotate(Field.empty(), PieceState(Piece.T, 3, 4, 8), 1) == state


def test_wall_kick_off_the_left_wall() -> None:
    # T pointing right against the left wall; turning to state 2 needs one column: test 2 (+1, 0).
    state = PieceState(Piece.T, 1, -1, 8)
    assert rotation_kick(Field.empty(), state, 1) == (PieceState(Piece.T, 2, 0, 8), 1)


def test_wall_kick_off_the_right_wall() -> None:
    # T pointing left against the right wall; 3->2 tries (0,0) then (-1,0).
    state = PieceState(Piece.T, 3, 8, 8)
    assert rotation_kick(Field.empty(), state, -1) == (PieceState(Piece.T, 2, 7, 8), 1)


def test_i_kicks_off_the_left_wall() -> None:
    # Vertical I in column 0; 1->2 tests (0,0) and (-1,0) hit the wall, (+2,0) fits.
    state = PieceState(Piece.I, 1, -2, 8)
    assert rotation_kick(Field.empty(), state, 1) == (PieceState(Piece.I, 2, 0, 8), 2)


def test_i_kicks_off_the_right_wall() -> None:
    # Vertical I in column 9 (state 3, x = 8); 3->0 tests (0,0) hits the wall, (+1,0) too,
    # then (-2,0) fits.
    state = PieceState(Piece.I, 3, 8, 8)
    assert rotation_kick(Field.empty(), state, 1) == (PieceState(Piece.I, 0, 6, 8), 2)


def test_floor_kick_lifts_the_piece() -> None:
    # Flat T on the floor turning clockwise: test 3 is wiki (-1,+1), one left and one up.
    state = PieceState(Piece.T, 0, 4, 18)
    assert rotation_kick(Field.empty(), state, 1) == (PieceState(Piece.T, 1, 3, 17), 2)


def test_tst_kick_moves_two_rows_down() -> None:
    # Wiki test 5 of 0->1 is (-1,-2): left one, down two, into the T-spin triple slot.
    field = bottom(*TST)
    assert rotation_kick(field, PieceState(Piece.T, 0, 1, 15), 1) == (
        PieceState(Piece.T, 1, 0, 17),
        4,
    )


def test_failed_turn_and_o_turn() -> None:
    field = bottom(*["G.GGGGGGGG"] * 5)
    vertical_i = PieceState(Piece.I, 1, -1, 15)  # a vertical I in a 1-wide well
    assert field.fits(vertical_i)
    assert rotate(field, vertical_i, 1) is None
    assert rotate(field, vertical_i, -1) is None
    o = PieceState(Piece.O, 0, 3, 5)
    assert rotation_kick(Field.empty(), o, 1) == (PieceState(Piece.O, 1, 3, 5), 0)


def test_bad_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="direction"):
        rotate(Field.empty(), spawn(Piece.T), 3)


def test_resting() -> None:
    field = bottom("GGGG......")
    assert is_resting(field, PieceState(Piece.O, 0, 0, 17))
    assert not is_resting(field, PieceState(Piece.O, 0, 0, 16))
    assert is_resting(field, PieceState(Piece.O, 0, 3, 18))
    assert not is_resting(field, PieceState(Piece.O, 0, 1, 18))  # does not fit at all


def test_everything_open_is_reachable_on_an_empty_field() -> None:
    states = reachable(Field.empty(), Piece.O)
    # O never kicks, so it never rises: 4 rotation labels × 9 columns × y = -2..18.
    assert len(states) == 4 * 9 * 21
    assert PieceState(Piece.O, 2, -1, 18) in states


def test_blocked_spawn_reaches_nothing() -> None:
    field = Field.from_rows(["....G....."] + [EMPTY] * 19)
    placed, _ = field.place(PieceState(Piece.T, 0, 3, -2))  # blocks in the hidden rows
    assert reachable(placed, Piece.T) == frozenset()
    assert not reach_map(placed, Piece.T)


def test_tsd_slot_is_reachable_only_through_a_turn() -> None:
    field = bottom(*TSD)
    slot = PieceState(Piece.T, 2, 1, 17)
    reach = reach_map(field, Piece.T)
    assert slot in reach
    last = claim_for(field, slot, reach)
    assert last is not None
    # Straight from above the slot is blocked by the overhang at (1, 17).
    assert not field.fits(PieceState(Piece.T, 2, 1, 16))
    placement = place_piece(field, slot, last, -1, False, 0)
    assert (placement.outcome.spin, placement.outcome.lines) == (Spin.TSPIN, 2)
    assert placement.outcome.score == 1200


def test_tst_slot_is_accepted_as_a_t_spin_triple() -> None:
    field = bottom(*TST)
    placement = place_piece(field, PieceState(Piece.T, 1, 0, 17), LastTurn(1, 4), -1, False, 0)
    assert (placement.outcome.spin, placement.outcome.lines) == (Spin.TSPIN, 3)
    assert placement.outcome.score == 1600 and placement.outcome.attack == 6


def test_a_sealed_cavity_is_unreachable() -> None:
    field = bottom("GGGGGGGGG.", "G....GGGGG")  # the cavity under row 18 has no way in
    cavity = PieceState(Piece.I, 0, 1, 18)
    assert field.fits(cavity) and is_resting(field, cavity)
    assert cavity not in reachable(field, Piece.I)
    with pytest.raises(IllegalLock) as caught:
        place_piece(field, cavity, None, -1, False, 0)
    assert caught.value.reason == "unreachable"


def test_floating_and_colliding_locks_are_refused() -> None:
    with pytest.raises(IllegalLock) as caught:
        place_piece(Field.empty(), PieceState(Piece.O, 0, 3, 10), None, -1, False, 0)
    assert caught.value.reason == "floating"
    with pytest.raises(IllegalLock) as caught:
        place_piece(bottom("GGGGGGGGG."), PieceState(Piece.O, 0, 3, 18), None, -1, False, 0)
    assert caught.value.reason == "collision"


def test_a_spin_claim_that_no_turn_explains_is_ignored() -> None:
    # A T dropped against the wall: its corners would make a mini, but it never turned there.
    field = bottom("..G.......", ".G........")
    state = PieceState(Piece.T, 1, -1, 17)
    reach = reach_map(field, Piece.T)
    assert state in reach and claim_for(field, state, reach) is None
    assert place_piece(field, state, LastTurn(1, 0), -1, False, 0).outcome.spin is Spin.NONE


def test_a_claim_names_the_exact_kick() -> None:
    # The TST slot is entered by 0 -> R test 5; the same turn claimed with another test is not
    # the path (the earlier tests do not all fail, or land elsewhere), so it is ignored.
    field = bottom(*TST)
    state = PieceState(Piece.T, 1, 0, 17)
    reach = reach_map(field, Piece.T)
    assert claim_for(field, state, reach) == LastTurn(1, 4)
    for wrong in (LastTurn(1, 3), LastTurn(-1, 4), LastTurn(2, 0), LastTurn(1, 5)):
        assert place_piece(field, state, wrong, -1, False, 0).outcome.spin is Spin.NONE


def test_180_turns_use_tetrio_kicks() -> None:
    # tetris.wiki / TETR.IO SRS+: 0 -> 2 on the floor cannot stay (test 1), so test 2 lifts it.
    floor = drop(Field.empty(), spawn(Piece.T))
    assert rotation_kick(Field.empty(), floor, 2) == (PieceState(Piece.T, 2, 3, 17), 1)
    # I and O never kick on a 180.
    assert rotation_kick(Field.empty(), drop(Field.empty(), spawn(Piece.I)), 2) is None
    with pytest.raises(ValueError, match="direction"):
        rotation_kick(Field.empty(), floor, 3)


FIELDS = [
    Field.empty(),
    bottom(*TSD),
    bottom(*TST),
    bottom("GGGGGGGGG.", "G...GGGGGG"),
    bottom(*["G.GGGGGGG."] * 12),
    bottom("..GG..GG..", ".GG..GG..G", "G..GG..GG.", "GG..GG..GG"),
    Field.from_rows(["G.G.G.G.G."] + [EMPTY] * 18 + [".G.G.G.G.G"]),
]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("piece", list(Piece))
def test_fast_search_equals_the_plain_breadth_first_search(field: Field, piece: Piece) -> None:
    plain = naive_reachable(field, piece)
    assert reachable(field, piece) == plain
    reach = reach_map(field, piece)
    assert all(state in reach for state in plain)
    near = {PieceState(s.piece, s.r, s.x + dx, s.y + 1) for s in plain for dx in (-1, 0, 1)}
    assert not any(state in reach for state in near - plain)


@settings(max_examples=150, deadline=None)
@given(heights=st.lists(st.integers(0, 16), min_size=10, max_size=10),
       piece=st.sampled_from(list(Piece)))
def test_the_drop_shortcut_only_ever_proves_what_the_search_finds(heights, piece) -> None:
    # Ragged stacks with holes, so some resting states are reachable only by tucks or not at all.
    rows = ["".join("G" if 19 - y < heights[x] and (x * 7 + y) % 4 else "." for x in range(10))
            for y in range(20)]
    field = Field.from_rows(rows)
    reach = reach_map(field, piece)
    proven = 0
    for r in range(4):
        for x in range(-3, 11):
            for y in range(-4, 20):
                state = PieceState(piece, r, x, y)
                if is_resting(field, state) and reaches_by_drop(field, state):
                    assert state in reach
                    proven += 1
    assert proven > 0 or not field.fits(PieceState(piece, 0, 3, -2))
