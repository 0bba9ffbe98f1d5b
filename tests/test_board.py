"""The Board: hold deduction, lock checks, atomic rejection and top-out (docs/rules.md)."""

import dataclasses

import pytest

from server.errors import IllegalLock, InvalidState
from server.rules.bag import PieceSequence
from server.rules.board import Board, Lock
from server.rules.field import HEIGHT, Field
from server.rules.movement import drop, spawn
from server.rules.pieces import Piece, PieceState

SEED = 2024


@pytest.fixture
def sequence() -> PieceSequence:
    return PieceSequence(SEED)


def dropped(board: Board, n: int, index: int, piece: Piece, x: int = 3, r: int = 0) -> Lock:
    """A lock of ``piece`` dropped straight down from column ``x``."""
    start = dataclasses.replace(spawn(piece), r=r, x=x)
    state = drop(board.field, start)
    return Lock(n, index, piece, state.r, state.x, state.y)


def snapshot(board: Board) -> dict[str, object]:
    return dataclasses.asdict(board)


def refused(board: Board, lock: Lock, sequence: PieceSequence) -> str:
    before = snapshot(board)
    with pytest.raises(IllegalLock) as caught:
        board.apply_lock(lock, sequence)
    assert snapshot(board) == before, "a refused lock changed the board"
    return caught.value.reason


def test_case_1_the_piece_in_hand(sequence: PieceSequence) -> None:
    board = Board()
    result = board.apply_lock(dropped(board, 0, 0, sequence[0]), sequence)
    assert (board.next_index, board.hold, board.locks_applied) == (1, None, 1)
    assert not result.held and not result.topped_out


def test_case_2_hold_into_an_empty_slot(sequence: PieceSequence) -> None:
    board = Board()
    result = board.apply_lock(dropped(board, 0, 1, sequence[1]), sequence)
    assert result.held
    assert (board.next_index, board.hold) == (2, (0, sequence[0]))


def test_case_3_swap_with_the_held_piece(sequence: PieceSequence) -> None:
    board = Board()
    board.apply_lock(dropped(board, 0, 1, sequence[1]), sequence)  # holds piece 0
    result = board.apply_lock(dropped(board, 1, 0, sequence[0], x=0), sequence)
    assert result.held
    assert (board.next_index, board.hold) == (3, (2, sequence[2]))
    # Case 1 afterwards keeps the slot as it is.
    board.apply_lock(dropped(board, 2, 3, sequence[3], x=6), sequence)
    assert (board.next_index, board.hold) == (4, (2, sequence[2]))


def test_case_2_is_refused_when_the_slot_is_full(sequence: PieceSequence) -> None:
    board = Board()
    board.apply_lock(dropped(board, 0, 1, sequence[1]), sequence)  # slot: piece 0, next: 2
    assert refused(board, dropped(board, 1, 3, sequence[3]), sequence) == "out_of_order"


def test_case_3_is_refused_for_a_piece_that_is_not_held(sequence: PieceSequence) -> None:
    board = Board()
    board.apply_lock(dropped(board, 0, 0, sequence[0]), sequence)
    assert refused(board, dropped(board, 1, 0, sequence[0]), sequence) == "out_of_order"


@pytest.mark.parametrize("index", [2, 5, 1_000_000])
def test_indexes_past_the_hold_are_refused_without_drawing(index: int) -> None:
    sequence = PieceSequence(SEED)
    board = Board()
    assert refused(board, Lock(0, index, Piece.O, 0, 3, 18), sequence) == "out_of_order"
    assert sequence.drawn == 0


def test_lock_numbers_must_follow_on(sequence: PieceSequence) -> None:
    board = Board()
    assert refused(board, dropped(board, 1, 0, sequence[0]), sequence) == "out_of_order"
    board.apply_lock(dropped(board, 0, 0, sequence[0]), sequence)
    assert refused(board, dropped(board, 0, 1, sequence[1]), sequence) == "out_of_order"


def test_wrong_letter_is_refused(sequence: PieceSequence) -> None:
    board = Board()
    wrong = next(p for p in Piece if p is not sequence[0])
    assert refused(board, dropped(board, 0, 0, wrong), sequence) == "wrong_piece"


def test_collision_and_floating_are_refused(sequence: PieceSequence) -> None:
    piece = sequence[0]
    rows = ["." * 10] * (HEIGHT - 2) + ["GGGGGGGGG.", "G....GGGGG"]
    board = Board(field=Field.from_rows(rows))
    landing = dropped(board, 0, 0, piece)
    assert refused(board, dataclasses.replace(landing, y=landing.y + 1), sequence) == "collision"
    assert refused(board, dataclasses.replace(landing, y=landing.y - 1), sequence) == "floating"


def test_unreachable_is_refused_for_a_sealed_cavity() -> None:
    sequence = PieceSequence(SEED)
    first_i = next(i for i in range(7) if sequence[i] is Piece.I)
    rows = ["." * 10] * (HEIGHT - 2) + ["GGGGGGGGG.", "G....GGGGG"]
    board = Board(field=Field.from_rows(rows), next_index=first_i)
    sealed = Lock(0, first_i, Piece.I, 0, 1, 18)
    assert refused(board, sealed, sequence) == "unreachable"


def test_an_accepted_lock_updates_every_counter(sequence: PieceSequence) -> None:
    first_i = next(i for i in range(7) if sequence[i] is Piece.I)
    rows = ["." * 10] * (HEIGHT - 1) + ["GGGGGGGGG."]
    board = Board(
        field=Field.from_rows(rows), next_index=first_i, combo=2, b2b=True, lines=19, score=7
    )
    result = board.apply_lock(Lock(0, first_i, Piece.I, 1, 7, 16), sequence)  # column 9
    # A single at level 2 with combo 3: (100 + 50 * 3) * 2; it ends back-to-back.
    assert result.outcome.lines == 1 and result.outcome.score == 500
    assert result.outcome.attack == 1  # combo 3 sends one line
    assert (board.combo, board.b2b, board.lines, board.score) == (3, False, 20, 507)
    assert (board.next_index, board.hold, board.locks_applied) == (first_i + 1, None, 1)
    assert board.field.to_rows()[-3:] == [".........I", ".........I", ".........I"]
    assert not board.topped_out


def test_top_out_then_no_more_locks(sequence: PieceSequence) -> None:
    column = ["....G....."] * (HEIGHT - 1)
    board = Board(field=Field.from_rows(["....GG....", *column]))
    piece = sequence[0]
    state = drop(board.field, spawn(piece))
    assert any(y < 0 for _, y in state.cells())
    result = board.apply_lock(Lock(0, 0, piece, state.r, state.x, state.y), sequence)
    assert result.topped_out and board.topped_out
    with pytest.raises(InvalidState):
        board.apply_lock(dropped(board, 1, 1, sequence[1], x=0), sequence)
    assert board.locks_applied == 1


def test_current_piece(sequence: PieceSequence) -> None:
    board = Board(next_index=5)
    assert board.current_piece(sequence) is sequence[5]


def test_lock_state() -> None:
    assert Lock(0, 0, Piece.T, 2, 4, 5, True).state == PieceState(Piece.T, 2, 4, 5)


def test_lock_rejections_carry_a_known_reason() -> None:
    assert IllegalLock("floating", "detail").reason == "floating"
    assert str(IllegalLock("collision", "at (3, 4)")) == "collision: at (3, 4)"
    with pytest.raises(ValueError, match="unknown lock rejection"):
        IllegalLock("because")
