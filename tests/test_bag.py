"""mulberry32 and the seeded 7-bag, against docs/rules.md."""

import pytest

from server.rules.bag import PieceSequence
from server.rules.pieces import Piece
from server.rules.rng import Mulberry32


def mulberry32_js_style(seed: int, count: int) -> list[int]:
    """A second, independent transliteration of the usual JavaScript mulberry32."""

    def to_i32(v: int) -> int:
        v &= 0xFFFFFFFF
        return v - (1 << 32) if v & 0x80000000 else v

    def imul(a: int, b: int) -> int:
        return to_i32(a * b)

    def urshift(v: int, n: int) -> int:
        return (v & 0xFFFFFFFF) >> n

    a, out = to_i32(seed), []
    for _ in range(count):
        a = to_i32(a + 0x6D2B79F5)
        t = imul(a ^ urshift(a, 15), 1 | a)
        t = to_i32(t + imul(t ^ urshift(t, 7), 61 | t)) ^ t
        out.append(urshift(t ^ urshift(t, 14), 0))
    return out


@pytest.mark.parametrize("seed", [0, 1, 42, 0xDEADBEEF, 0xFFFFFFFF, 123456789])
def test_mulberry32_matches_the_javascript_formulation(seed: int) -> None:
    rng = Mulberry32(seed)
    assert [rng.next_u32() for _ in range(50)] == mulberry32_js_style(seed, 50)


def test_below_uses_the_high_bits() -> None:
    draws, below = Mulberry32(7), Mulberry32(7)
    for _ in range(100):
        value = draws.next_u32()
        assert below.below(7) == value * 7 >> 32
    assert all(0 <= Mulberry32(s).below(7) < 7 for s in range(200))


@pytest.mark.parametrize("seed", [-1, 1 << 32])
def test_seed_out_of_range_is_refused(seed: int) -> None:
    with pytest.raises(ValueError, match="unsigned 32-bit"):
        Mulberry32(seed)


@pytest.mark.parametrize("seed", [1.5, "1", True, None])
def test_seed_of_the_wrong_type_is_refused(seed: object) -> None:
    with pytest.raises(TypeError, match="seed"):
        Mulberry32(seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, -3, (1 << 32) + 1])
def test_below_refuses_an_empty_or_huge_range(n: int) -> None:
    with pytest.raises(ValueError, match="n:"):
        Mulberry32(1).below(n)


def test_first_bag_is_fisher_yates_from_the_last_position() -> None:
    rng, bag = Mulberry32(99), list("IJLOSTZ")
    for i in range(6, 0, -1):
        j = rng.below(i + 1)
        bag[i], bag[j] = bag[j], bag[i]
    assert "".join(PieceSequence(99).preview(0, 7)) == "".join(bag)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 0xCAFE])
def test_every_bag_holds_each_piece_once(seed: int) -> None:
    pieces = PieceSequence(seed).preview(0, 70)
    for start in range(0, 70, 7):
        assert sorted(pieces[start : start + 7]) == sorted(Piece)


def test_same_seed_same_sequence_and_seeds_differ() -> None:
    assert PieceSequence(5).preview(0, 35) == PieceSequence(5).preview(0, 35)
    assert PieceSequence(5).preview(0, 35) != PieceSequence(6).preview(0, 35)


def test_indexing_is_lazy_and_order_independent() -> None:
    late_first, in_order = PieceSequence(11), PieceSequence(11)
    assert late_first.drawn == 0
    piece = late_first[20]
    assert late_first.drawn == 21  # three bags, no more
    assert [in_order[i] for i in range(21)][20] is piece
    assert late_first.preview(3, 4) == in_order.preview(3, 4)


def test_negative_and_non_integer_indexes_are_refused() -> None:
    sequence = PieceSequence(1)
    with pytest.raises(IndexError):
        sequence[-1]
    with pytest.raises(TypeError):
        sequence["0"]  # type: ignore[index]
    with pytest.raises(ValueError):
        sequence.preview(0, -1)
    assert sequence.drawn == 0
