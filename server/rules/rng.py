"""mulberry32 over unsigned 32-bit integers, so Python and JavaScript draw the same numbers."""

_U32: int = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    # JavaScript's Math.imul: the low 32 bits of the product.
    return (a * b) & _U32


class Mulberry32:
    """The generator of docs/rules.md "The piece sequence"."""

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed: expected an integer, got {type(seed).__name__}")
        if not 0 <= seed <= _U32:
            raise ValueError(f"seed: expected an unsigned 32-bit integer, got {seed}")
        self._state = seed

    def next_u32(self) -> int:
        self._state = (self._state + 0x6D2B79F5) & _U32
        t = self._state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & _U32
        return t ^ (t >> 14)

    def below(self, n: int) -> int:
        """An integer in [0, n), from the high bits of one draw."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= _U32 + 1:
            raise ValueError(f"n: expected an integer in 1..2**32, got {n!r}")
        return (self.next_u32() * n) >> 32
