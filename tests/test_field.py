"""The Field value: parsing, cells, fitting, placing and clearing lines."""

import pytest

from server.rules.field import HEIGHT, Field
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
    assert field.cell(0, 19) == "G" and field.cell(9, 19) == "T" and field.cell(5, -4) == "."
    assert field.is_wall_or_filled(0, 19) and not field.is_wall_or_filled(1, 19)
    for x, y in [(-1, 0), (10, 0), (0, 20), (0, -5)]:
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
    assert field.fits(PieceState(Piece.I, 0, 0, -5))  # row -4 is a hidden row
    assert not field.fits(PieceState(Piece.I, 1, 0, -5))  # row -5 is a wall


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
