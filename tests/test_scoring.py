"""Scores and attacks, every row of both tables of docs/rules.md, checked by hand."""

import pytest

from server.rules.field import HEIGHT, Field
from server.rules.movement import LastTurn
from server.rules.pieces import Piece, PieceState
from server.rules.scoring import Spin, detect_spin, level_for, score_lock

EMPTY = "." * 10
NONE, MINI, TSPIN = Spin.NONE, Spin.MINI, Spin.TSPIN


def bottom(*rows: str) -> Field:
    return Field.from_rows([EMPTY] * (HEIGHT - len(rows)) + list(rows))


def plain(lines: int, spin: Spin = NONE, **kwargs: object) -> tuple[int, int]:
    """(score, attack) of a lock at level 1 with no combo, back-to-back or perfect clear."""
    options = {"combo_before": -1, "b2b_before": False, "lines_before": 0, "perfect_clear": False}
    options.update(kwargs)
    outcome = score_lock(lines, spin, **options)  # type: ignore[arg-type]
    return outcome.score, outcome.attack


@pytest.mark.parametrize(
    ("lines", "spin", "score", "attack"),
    [
        (0, NONE, 0, 0),
        (1, NONE, 100, 0),
        (2, NONE, 300, 1),
        (3, NONE, 500, 2),
        (4, NONE, 800, 4),
        (0, MINI, 100, 0),
        (1, MINI, 200, 0),
        (0, TSPIN, 400, 0),
        (1, TSPIN, 800, 2),
        (2, TSPIN, 1200, 4),
        (3, TSPIN, 1600, 6),
    ],
)
def test_every_row_of_the_tables(lines: int, spin: Spin, score: int, attack: int) -> None:
    assert plain(lines, spin) == (score, attack)


def test_a_mini_double_stays_a_mini() -> None:
    # tetris.wiki Scoring: mini T-spin double 400; TETR.IO: 1 line (no "2+ lines is full").
    outcome = score_lock(2, MINI, -1, False, 0, False)
    assert (outcome.spin, outcome.score, outcome.attack) == (MINI, 400, 1)


@pytest.mark.parametrize(("lines", "spin"), [(4, TSPIN), (5, NONE), (-1, NONE), (4, MINI)])
def test_impossible_clears_are_refused(lines: int, spin: Spin) -> None:
    with pytest.raises(ValueError, match="no score"):
        score_lock(lines, spin, -1, False, 0, False)


def test_a_perfect_clear_must_clear_lines() -> None:
    with pytest.raises(ValueError, match="perfect clear"):
        score_lock(0, NONE, -1, False, 0, True)


@pytest.mark.parametrize(
    ("lines_before", "level"), [(0, 1), (9, 1), (10, 2), (25, 3), (139, 14), (140, 15), (999, 15)]
)
def test_level(lines_before: int, level: int) -> None:
    assert level_for(lines_before) == level
    assert plain(1, lines_before=lines_before) == (100 * level, 0)


def test_back_to_back_multiplies_difficult_clears_only() -> None:
    assert plain(4, b2b_before=True) == (1200, 5)
    assert plain(2, TSPIN, b2b_before=True) == (1800, 5)
    assert plain(1, MINI, b2b_before=True) == (300, 1)
    assert plain(3, TSPIN, b2b_before=True, lines_before=30) == (2400 * 4, 7)
    assert plain(2, b2b_before=True) == (300, 1)  # not difficult: no bonus
    assert plain(0, TSPIN, b2b_before=True) == (400, 0)  # clears nothing: no bonus


@pytest.mark.parametrize(
    ("lines", "spin", "b2b_before", "b2b_after"),
    [
        (4, NONE, False, True),
        (1, TSPIN, False, True),
        (1, MINI, False, True),
        (3, NONE, True, False),
        (1, NONE, True, False),
        (0, NONE, True, True),
        (0, TSPIN, False, False),
        (0, MINI, True, True),
    ],
)
def test_back_to_back_flag(lines: int, spin: Spin, b2b_before: bool, b2b_after: bool) -> None:
    assert score_lock(lines, spin, -1, b2b_before, 0, False).b2b is b2b_after


def test_combo_counter_and_bonuses() -> None:
    assert score_lock(1, NONE, -1, False, 0, False).combo == 0
    assert score_lock(1, NONE, 0, False, 0, False).combo == 1
    assert score_lock(0, NONE, 5, False, 0, False).combo == -1
    assert plain(1, combo_before=0) == (150, 0)  # combo 1: +50
    assert plain(1, combo_before=1) == (200, 1)  # combo 2: +100, attack bonus 1
    assert plain(1, combo_before=1, lines_before=20) == (600, 1)  # × level 3
    bonuses = [plain(1, combo_before=c - 1)[1] for c in range(12)]
    assert bonuses == [0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    assert plain(0, combo_before=8) == (0, 0)


@pytest.mark.parametrize(("lines", "bonus"), [(1, 800), (2, 1200), (3, 1800), (4, 2000)])
def test_perfect_clear_bonus(lines: int, bonus: int) -> None:
    base = {1: 100, 2: 300, 3: 500, 4: 800}[lines]
    attack = {1: 0, 2: 1, 3: 2, 4: 4}[lines] + 10
    assert plain(lines, perfect_clear=True) == (base + bonus, attack)
    assert plain(lines, perfect_clear=True, lines_before=10) == (2 * (base + bonus), attack)


def test_everything_at_once() -> None:
    # Back-to-back T-spin double, combo 3, perfect clear, level 2:
    # (1200 * 3 // 2) * 2 + 50 * 3 * 2 + 1200 * 2 = 3600 + 300 + 2400.
    outcome = score_lock(2, TSPIN, 2, True, 15, True)
    assert (outcome.score, outcome.attack) == (6300, 4 + 1 + 1 + 10)
    assert (outcome.combo, outcome.b2b, outcome.perfect_clear) == (3, True, True)


TSD = ("GG........", "G...GGGGGG", "GG.GGGGGGG")


def test_three_corner_rule() -> None:
    field = bottom(*TSD)
    turn = LastTurn(1, 0)
    assert detect_spin(field, PieceState(Piece.T, 2, 1, 17), turn) is TSPIN  # both front
    assert detect_spin(field, PieceState(Piece.T, 0, 1, 17), turn) is MINI  # front open
    assert detect_spin(field, PieceState(Piece.T, 2, 1, 17), None) is NONE  # no claim
    assert detect_spin(Field.empty(), PieceState(Piece.T, 2, 4, 17), turn) is NONE


def test_a_90_degree_test_5_is_full_whatever_the_front_corners() -> None:
    # tetris.wiki T-Spin: the 1×2 kick (test 5) makes a proper T-spin; a 180 turn does not.
    field = bottom(*TSD)
    open_front = PieceState(Piece.T, 0, 1, 17)
    assert detect_spin(field, open_front, LastTurn(1, 4)) is TSPIN
    assert detect_spin(field, open_front, LastTurn(-1, 3)) is MINI
    assert detect_spin(field, open_front, LastTurn(2, 4)) is MINI


def test_walls_count_as_corners_and_other_pieces_never_spin() -> None:
    field = bottom(".G........")
    assert detect_spin(field, PieceState(Piece.T, 1, -1, 17), LastTurn(1, 1)) is MINI
    assert detect_spin(field, PieceState(Piece.L, 1, -1, 17), LastTurn(1, 1)) is NONE
