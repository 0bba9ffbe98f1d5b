"""The Field value: parsing, cells, fitting, placing and clearing lines."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.rules.field import HEIGHT, HIDDEN, WIDTH, X_BIAS, Y_BIAS, Field, box_mask, settled
from server.rules.pieces import Piece, PieceState

EMPTY = "." * 10


def bottom(*rows: str) -> Field:
    return Field.from_rows([EMPTY] * (HEIGHT - len(rows)) + list(rows))


def test_empty_field_round_trips() -> None:
    assert Field.empty().to_rows() == [EMPTY] * 20
    assert Field.from_rows([EMPTY] * 20) == Field.empty()
    assert Field.empty().is_empty() and not Field.empty().hidden_occupied()


def test_rows_round_trip_with_every_cell_kind() -> None:
    rows = [EMPTY] * 18 + ["IJLOSTZG..", "..GZTSOLJI"]
    assert Field.from_rows(rows).to_rows() == rows
    assert not Field.from_rows(rows).is_empty()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([EMPTY] * 19, "expected 20 rows, got 19"),
        ([EMPTY] * 21, "expected 20 rows, got 21"),
        ([EMPTY] * 19 + ["." * 9], "row 19: expected a string of 10"),
        ([EMPTY] * 19 + ["." * 11], "row 19: expected a string of 10"),
        ([EMPTY] * 5 + ["....x....."] + [EMPTY] * 14, "row 5: unexpected characters 'x'"),
        ([EMPTY] * 19 + [10], "row 19: expected a string"),
        ("." * 200, "expected a list of 20 strings"),
        (None, "expected a list of 20 strings"),
    ],
)
def test_bad_rows_are_refused_clearly(rows: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Field.from_rows(rows)  # type: ignore[arg-type]


def test_cells_and_walls() -> None:
    field = bottom("G........T")
    assert field.cell(0, 19) == "G" and field.cell(9, 19) == "T" and field.cell(5, -20) == "."
    assert field.is_wall_or_filled(0, 19) and not field.is_wall_or_filled(1, 19)
    for x, y in [(-1, 0), (10, 0), (0, 20), (0, -21)]:
        assert field.is_wall_or_filled(x, y)
        with pytest.raises(IndexError):
            field.cell(x, y)


def test_fits_checks_walls_floor_and_blocks() -> None:
    field = bottom("....G.....")
    assert field.fits(PieceState(Piece.T, 0, 3, 17))
    assert not field.fits(PieceState(Piece.T, 0, 3, 18))  # (4, 19) is taken
    assert not field.fits(PieceState(Piece.T, 0, 0, 19))  # below the floor
    assert not field.fits(PieceState(Piece.I, 0, 7, 5))  # past the right wall
    assert field.fits(PieceState(Piece.I, 1, -2, 5))  # box outside, cells inside
    assert field.fits(PieceState(Piece.I, 0, 0, -21))  # row -20 is a hidden row
    assert not field.fits(PieceState(Piece.I, 1, 0, -21))  # row -21 is a wall


def test_place_writes_letters_and_leaves_the_original_alone() -> None:
    field = Field.empty()
    placed, cleared = field.place(PieceState(Piece.S, 0, 0, 18))
    assert cleared == 0
    assert placed.to_rows()[-2:] == [".SS.......", "SS........"]
    assert field == Field.empty()


def test_place_clears_full_rows_and_drops_the_rest() -> None:
    field = bottom("...T......", "GGGGGGGG..", "GGGGGGGG..", "Z.........")
    placed, cleared = field.place(PieceState(Piece.O, 0, 7, 17))
    assert cleared == 2
    assert placed.to_rows()[-3:] == [EMPTY, "...T......", "Z........."]


def test_place_refuses_a_piece_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        bottom("GGGGGGGGGG").place(PieceState(Piece.O, 0, 3, 18))


def test_hidden_rows_show_after_a_high_lock() -> None:
    placed, _ = Field.empty().place(PieceState(Piece.T, 0, 3, -2))
    assert placed.hidden_occupied()
    assert placed.to_rows() == [EMPTY] * 20  # the wire form never shows hidden rows
    assert not placed.is_empty()


def test_fields_are_values() -> None:
    a, b = bottom("G........."), bottom("G.........")
    assert a == b and hash(a) == hash(b) and len({a, b, Field.empty()}) == 2
    assert a != bottom(".G........")
    with pytest.raises(AttributeError):
        a.rows = ()  # type: ignore[attr-defined]


def test_place_clears_every_full_row_even_one_it_did_not_touch() -> None:
    field = bottom("GGGGGGGGGG", "G.........")  # from_rows takes a full row as it is
    placed, cleared = field.place(PieceState(Piece.O, 0, 3, 10))
    assert cleared == 1
    assert placed.to_rows()[10:] == [EMPTY] + ["....OO...."] * 2 + [EMPTY] * 6 + ["G........."]


def test_settled_removes_full_rows_hidden_ones_included() -> None:
    rows = ["IIIIIIIIII", "...T......"] + [EMPTY] * 36 + ["GGGGGGGGGG", "Z........."]
    field, cleared = settled(rows)
    assert cleared == 2
    assert field.all_rows() == (EMPTY,) * 2 + ("...T......",) + (EMPTY,) * 36 + ("Z.........",)
    assert field == Field(field.all_rows()) and field.hidden_occupied()


def test_blocked_reports_the_cells_of_a_box_that_are_walls_or_filled() -> None:
    field = bottom(".G........")
    corners = box_mask([(0, 0), (2, 0), (0, 2), (2, 2)])
    assert field.blocked(-1, 17, corners) == box_mask([(0, 0), (0, 2), (2, 2)])
    assert field.blocked(3, 5, corners) == 0
    # Every cell of a box past the positions a piece can take is outside the field.
    assert field.blocked(-X_BIAS - 1, 5, corners) == corners
    assert field.blocked(3, HEIGHT, corners) == corners


# Random rows, rows one cell short of full and full rows, so that locks clear lines often.
row = st.one_of(
    st.text(st.sampled_from("......GIJLOSTZ"), min_size=WIDTH, max_size=WIDTH),
    st.integers(0, WIDTH - 1).map(lambda hole: "G" * hole + "." + "Z" * (WIDTH - 1 - hole)),
    st.just("G" * WIDTH),
)
rows = st.lists(row, min_size=HEIGHT, max_size=HEIGHT)


@settings(max_examples=300, deadline=None)
@given(rows, st.sampled_from(list(Piece)), st.integers(0, 3), st.integers(-5, 12),
       st.integers(-10, 22))
def test_the_masks_agree_with_the_cells(
    visible: list[str], piece: Piece, r: int, x: int, y: int
) -> None:
    # The collision bits against the letters, cell by cell: the plain model of every rule here.
    field = Field.from_rows(visible)

    def taken(cx: int, cy: int) -> bool:
        return not (0 <= cx < WIDTH and -HIDDEN <= cy < HEIGHT) or field.cell(cx, cy) != "."

    columns = field.collision_columns()
    for cy in range(-Y_BIAS, HEIGHT + 3):
        for cx in range(-X_BIAS, WIDTH + X_BIAS):
            assert field.is_wall_or_filled(cx, cy) == taken(cx, cy)
            assert bool(columns[cx + X_BIAS] >> cy + Y_BIAS & 1) == taken(cx, cy)
    state = PieceState(piece, r, x, y)
    fits = not any(taken(cx, cy) for cx, cy in state.cells())
    assert field.fits(state) == field.fits_at(piece, r, x, y) == fits
    if not fits:
        return
    letters = [list(row) for row in field.all_rows()]
    for cx, cy in state.cells():
        letters[cy + HIDDEN][cx] = piece.value
    kept = ["".join(row) for row in letters if "." in row]
    expected = (EMPTY,) * (HIDDEN + HEIGHT - len(kept)) + tuple(kept)
    placed, cleared = field.place(state)
    assert (placed.all_rows(), cleared) == (expected, HIDDEN + HEIGHT - len(kept))
    assert placed == Field(expected) and hash(placed) == hash(Field(expected))
    assert placed.hidden_occupied() == any(row != EMPTY for row in expected[:HIDDEN])
    assert placed.is_empty() == all(row == EMPTY for row in expected)
