"""Invariants of random legal play (hypothesis), and the fast search against the plain one."""

from hypothesis import given, settings
from hypothesis import strategies as st

from server.rules.bag import PieceSequence
from server.rules.board import Board, Lock
from server.rules.field import CELL_CHARS, HEIGHT, WIDTH, Field
from server.rules.movement import can_spawn, claim_for, is_resting, reach_map, reachable
from server.rules.pieces import Piece, PieceState
from tests.helpers import naive_reachable

MAX_LOCKS = 40


def lowest_first(state: PieceState) -> tuple[int, int, int]:
    # Hypothesis shrinks towards the first choice: the lowest placement, like a plain drop.
    return (-state.y, state.x, state.r)


def check_field(board: Board, sequence: PieceSequence) -> None:
    rows = board.field.all_rows()
    assert all(len(row) == WIDTH and CELL_CHARS.issuperset(row) for row in rows)
    assert all("." in row for row in rows), "a full row survived a lock"
    assert board.topped_out or can_spawn(board.field, sequence[board.next_index])


@st.composite
def legal_games(draw: st.DrawFn) -> tuple[int, list[Lock], Board]:
    """A seed, the locks of a random legal game, and the board they leave."""
    seed = draw(st.integers(0, 2**32 - 1))
    sequence, board, locks = PieceSequence(seed), Board(), []
    for n in range(draw(st.integers(1, MAX_LOCKS))):
        if board.topped_out:
            break
        held = board.next_index + 1 if board.hold is None else board.hold[0]
        # The piece in hand always spawns (else the board had topped out: block out); a piece
        # swapped in by a hold may not, and then only the piece in hand can be locked.
        in_hand = [s for s in reachable(board.field, sequence[board.next_index])
                   if is_resting(board.field, s)]
        assert in_hand, "a board that has not topped out always has somewhere to lock"
        choices = [board.next_index]
        if can_spawn(board.field, sequence[held]):
            choices.append(held)
        index = draw(st.sampled_from(choices))
        piece = sequence[index]
        resting = [s for s in reachable(board.field, piece) if is_resting(board.field, s)]
        assert resting, "a piece that spawns always has somewhere to lock"
        state = draw(st.sampled_from(sorted(resting, key=lowest_first)))
        claim = claim_for(board.field, state, reach_map(board.field, piece))
        lock = Lock(n, index, piece, state.r, state.x, state.y, claim if draw(st.booleans())
                    else None)
        score = board.score
        result = board.apply_lock(lock, sequence)
        locks.append(lock)
        check_field(board, sequence)
        assert result.topped_out is board.topped_out
        assert board.score - score == result.outcome.score >= 0
    return seed, locks, board


@settings(max_examples=50, deadline=None)
@given(legal_games())
def test_random_legal_play_keeps_the_board_valid_and_replays_exactly(
    game: tuple[int, list[Lock], Board],
) -> None:
    seed, locks, board = game
    assert board.locks_applied == len(locks)
    replay = Board()
    for lock in locks:
        replay.apply_lock(lock, PieceSequence(seed))
    assert replay == board


cells = st.sampled_from(".......GIJLOSTZ")
rows = st.text(cells, min_size=WIDTH, max_size=WIDTH).filter(lambda row: "." in row)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, HEIGHT), st.data(), st.sampled_from(list(Piece)))
def test_fast_search_equals_the_plain_one_on_random_fields(
    height: int, data: st.DataObject, piece: Piece
) -> None:
    stack = data.draw(st.lists(rows, min_size=height, max_size=height))
    field = Field.from_rows(["." * WIDTH] * (HEIGHT - height) + stack)
    assert reachable(field, piece) == naive_reachable(field, piece)
