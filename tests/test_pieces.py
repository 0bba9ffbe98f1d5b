"""Piece shapes, rotation states and the SRS kick tables, against docs/rules.md."""

import pytest

from server.rules.pieces import BOX_SIZE, CELLS, KICKS, SPAWN_X, SPAWN_Y, Piece, PieceState

TURNS = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2), (3, 0), (0, 3)]


def picture(piece: Piece, r: int) -> list[str]:
    size = BOX_SIZE[piece]
    cells = set(CELLS[piece][r])
    return ["".join("#" if (x, y) in cells else "." for x in range(size)) for y in range(size)]


def test_the_seven_pieces_in_order() -> None:
    assert [str(p) for p in Piece] == list("IJLOSTZ")
    assert Piece("T") is Piece.T


def test_state_zero_matches_the_rules_table() -> None:
    assert picture(Piece.I, 0) == ["....", "####", "....", "...."]
    assert picture(Piece.J, 0) == ["#..", "###", "..."]
    assert picture(Piece.L, 0) == ["..#", "###", "..."]
    assert picture(Piece.O, 0) == [".##", ".##", "..."]
    assert picture(Piece.S, 0) == [".##", "##.", "..."]
    assert picture(Piece.T, 0) == [".#.", "###", "..."]
    assert picture(Piece.Z, 0) == ["##.", ".##", "..."]


def test_clockwise_turns_follow_srs() -> None:
    assert [picture(Piece.T, r) for r in range(4)] == [
        [".#.", "###", "..."],
        [".#.", ".##", ".#."],
        ["...", "###", ".#."],
        [".#.", "##.", ".#."],
    ]
    assert [picture(Piece.I, r) for r in range(4)] == [
        ["....", "####", "....", "...."],
        ["..#.", "..#.", "..#.", "..#."],
        ["....", "....", "####", "...."],
        [".#..", ".#..", ".#..", ".#.."],
    ]
    assert picture(Piece.L, 1) == [".#.", ".#.", ".##"]
    assert picture(Piece.J, 3) == [".#.", ".#.", "##."]
    assert picture(Piece.S, 1) == [".#.", ".##", "..#"]
    assert picture(Piece.Z, 2) == ["...", "##.", ".##"]


def test_o_is_the_same_in_every_state() -> None:
    assert len(set(CELLS[Piece.O])) == 1


@pytest.mark.parametrize("piece", list(Piece))
def test_every_state_has_four_cells_inside_the_box(piece: Piece) -> None:
    for cells in CELLS[piece]:
        assert len(set(cells)) == 4
        assert all(0 <= c < BOX_SIZE[piece] for cell in cells for c in cell)


def test_spawn_rows_as_the_rules_say() -> None:
    def rows(piece: Piece) -> set[int]:
        return {y for _, y in PieceState(piece, 0, SPAWN_X, SPAWN_Y).cells()}

    assert (SPAWN_X, SPAWN_Y) == (3, -2)
    for piece in "JLSTZ":
        assert rows(Piece(piece)) == {-2, -1}
    assert rows(Piece.I) == {-1}
    assert {x for x, _ in PieceState(Piece.O, 0, 3, -2).cells()} == {4, 5}


def test_kicks_are_the_wiki_tables_with_y_flipped() -> None:
    # Wiki 0->1 (y up): (0,0) (-1,0) (-1,+1) (0,-2) (-1,-2).
    assert KICKS[Piece.T][(0, 1)] == ((0, 0), (-1, 0), (-1, -1), (0, 2), (-1, 2))
    assert KICKS[Piece.J][(3, 0)] == ((0, 0), (-1, 0), (-1, 1), (0, -2), (-1, -2))
    # Wiki I 0->1: (0,0) (-2,0) (+1,0) (-2,-1) (+1,+2).
    assert KICKS[Piece.I][(0, 1)] == ((0, 0), (-2, 0), (1, 0), (-2, 1), (1, -2))
    assert KICKS[Piece.I][(2, 3)] == ((0, 0), (2, 0), (-1, 0), (2, -1), (-1, 2))
    assert all(tests == ((0, 0),) for tests in KICKS[Piece.O].values())


@pytest.mark.parametrize("piece", [Piece.I, Piece.T])
def test_turning_back_undoes_each_kick(piece: Piece) -> None:
    # An SRS property: the kicks of b->a are those of a->b negated.
    for a, b in TURNS:
        back = tuple((-kx, -ky) for kx, ky in KICKS[piece][(a, b)])
        assert KICKS[piece][(b, a)] == back


def test_jlstz_share_one_table() -> None:
    assert all(KICKS[Piece(p)] == KICKS[Piece.T] for p in "JLSZ")
    assert set(KICKS[Piece.T]) == set(TURNS) | {(0, 2), (2, 0), (1, 3), (3, 1)}


def test_180_tables_follow_tetrio_srs_plus() -> None:
    # TETR.IO SRS+ (docs/rules.md "180° turns"), y up there: 0->2 test 2 is (0, +1), one row up.
    assert KICKS[Piece.T][(0, 2)][:2] == ((0, 0), (0, -1))
    assert KICKS[Piece.T][(1, 3)][2] == (1, -2)
    assert KICKS[Piece.I][(0, 2)] == KICKS[Piece.O][(1, 3)] == ((0, 0),)


def test_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        CELLS[Piece.T] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        KICKS[Piece.T][(0, 1)] = ()  # type: ignore[index]


def test_piece_state_cells_are_absolute() -> None:
    assert PieceState(Piece.T, 2, 4, 10).cells() == ((4, 11), (5, 11), (5, 12), (6, 11))
    assert sorted(PieceState(Piece.I, 1, -2, 0).cells()) == [(0, 0), (0, 1), (0, 2), (0, 3)]


@pytest.mark.parametrize("r", [-1, 4, 1.0, "1"])
def test_piece_state_rejects_a_bad_rotation(r: object) -> None:
    with pytest.raises(ValueError, match=r"r: expected 0\.\.3"):
        PieceState(Piece.T, r, 0, 0)  # type: ignore[arg-type]


def test_piece_state_rejects_a_bad_piece() -> None:
    with pytest.raises(ValueError, match="piece"):
        PieceState("T", 0, 0, 0)  # type: ignore[arg-type]
