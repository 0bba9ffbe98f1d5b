"""The lock vectors: scenarios played through the Python core, one vector per lock.

Every lock is found by searching the states the server accepts (reachable, resting) for one with
the wanted effect, then judged by ``server.rules.board.place_piece``; nothing here is typed by hand
except the starting fields and counters.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.rules.board import Placement, place_piece
from server.rules.field import HEIGHT, WIDTH, Field
from server.rules.movement import LastTurn, claim_for, is_resting, reach_map
from server.rules.pieces import Piece, PieceState
from server.rules.scoring import Spin, detect_spin

Json = Any
Want = Callable[[PieceState, Placement], bool]


def rows_of(*bottom: str) -> list[str]:
    """A 20-row field whose bottom rows are ``bottom`` (top first), empty above."""
    return ["." * WIDTH] * (HEIGHT - len(bottom)) + list(bottom)


def stacked(*bottom: str) -> Field:
    """The field of rows_of(*bottom)."""
    return Field.from_rows(rows_of(*bottom))


def _order(state: PieceState) -> tuple[int, int, int]:
    return (state.r, state.x, state.y)


@dataclass
class Play:
    """A running player state that records a vector for every lock it plays."""

    vectors: list[Json]  # where the recorded vectors go
    field: Field
    combo: int = -1
    b2b: bool = False
    lines: int = 0
    score: int = 0

    def lock(self, name: str, piece: Piece, want: Want, spin: bool = False) -> Placement:
        """Lock the first accepted state (in (r, x, y) order) whose placement ``want`` likes.
        With ``spin`` the lock claims a last turn: the first one that ends there (claim_for),
        else a clockwise test 1 that cannot have (and is ignored)."""
        reach = reach_map(self.field, piece)
        for state in sorted(reach, key=_order):
            if not is_resting(self.field, state):
                continue
            last = (claim_for(self.field, state, reach) or UNVERIFIABLE) if spin else None
            placement = self._place(state, last)
            if want(state, placement):
                self._record(name, state, last, placement)
                return placement
        raise AssertionError(f"{name}: no accepted {piece} lock has the wanted effect")

    def _place(self, state: PieceState, last: LastTurn | None) -> Placement:
        return place_piece(self.field, state, last, self.combo, self.b2b, self.lines)

    def _record(
        self, name: str, state: PieceState, last: LastTurn | None, placement: Placement
    ) -> None:
        assert all("." in row for row in self.field.all_rows()), f"{name}: a full row before"
        outcome = placement.outcome
        before = {"field": self.field.to_rows(), "hidden": self.field.hidden_hex(),
                  "combo": self.combo, "b2b": self.b2b, "lines": self.lines,
                  "score": self.score}  # fmt: skip
        self.field, self.combo, self.b2b = placement.field, outcome.combo, outcome.b2b
        self.lines += outcome.lines
        self.score += outcome.score
        self.vectors.append({
            "name": name,
            "before": before,
            "lock": {**state.to_json(), "last": last and last.to_json()},
            "after": {
                "field": self.field.to_rows(), "hidden": self.field.hidden_hex(),
                "combo": self.combo, "b2b": self.b2b, "lines": self.lines,
                "score": self.score, "lines_cleared": outcome.lines,
                "spin": str(outcome.spin), "score_delta": outcome.score,
                "attack": outcome.attack, "perfect_clear": outcome.perfect_clear,
                "topped_out": placement.topped_out,
            },
        })  # fmt: skip


def clears(lines: int, spin: Spin = Spin.NONE, perfect: bool | None = None) -> Want:
    def want(state: PieceState, placement: Placement) -> bool:
        outcome = placement.outcome
        return (
            outcome.lines == lines
            and outcome.spin is spin
            and not placement.topped_out
            and (perfect is None or outcome.perfect_clear is perfect)
        )

    return want


def at(r: int, x: int) -> Want:
    return lambda state, placement: (state.r, state.x) == (r, x)


def tops_out(partly_visible: bool) -> Want:
    """A lock out (nothing visible) when not ``partly_visible``; else a lock partly in the
    hidden rows, which plays on (docs/rules.md "Top-out")."""
    def want(state: PieceState, placement: Placement) -> bool:
        visible = any(y >= 0 for _, y in state.cells())
        hidden = any(y < 0 for _, y in state.cells())
        return hidden and visible is partly_visible and placement.topped_out is not visible

    return want


UNVERIFIABLE = LastTurn(1, 0)  # a claim for a lock no turn explains


def _plain_drops(out: list[Json]) -> None:
    for k, piece in enumerate(Piece):
        play = Play(out, Field.empty())
        play.lock(f"{piece} dropped on an empty field", piece, at(k % 4, k + 1))
    play = Play(out, stacked("GGGG..GGG."), combo=3, b2b=True, lines=12, score=4000)
    play.lock("a drop ends the combo and keeps back-to-back", Piece.S, clears(0))
    play = Play(out, Field.empty(), combo=-1)
    play.lock("a spin claim on a T dropped in the open is a plain drop", Piece.T, clears(0), True)
    play = Play(out, Field.empty())
    play.lock("a spin claim on an L is ignored", Piece.L, at(1, 0), True)


TETRIS_WELL = ("GGGGGGGGG.",) * 4
TSD = ("GG........", "G...GGGGGG", "GG.GGGGGGG")
TSD_NO_CLEAR = ("GG........", "G...GGGGG.", "GG.GGGGGG.")
TST_RIGHT = ("GG........", "G.........", "G.GGGGGGGG", "G..GGGGGGG", "G.GGGGGGGG")
TST_LEFT = ("..G.......", "..........", "GG.GGGGGGG", "G..GGGGGGG", "GG.GGGGGGG")
MINI = (".GGGGGGGG.",)
NEO = ("GGGG......", "GG........", "GGG.......", "GGG..GGGGG", "GGG.GGGGGG")


def _line_clears(out: list[Json]) -> None:
    cases = [
        ("single", ("GGG....GGG", "GGGGGGGG.G"), Piece.I, 1),
        ("double", ("G.........", "GGGGGGGG..", "GGGGGGGG.."), Piece.O, 2),
        ("triple", ("G.........", *("GGGGGGGGG.",) * 3), Piece.I, 3),
        ("tetris", ("G.........", *TETRIS_WELL), Piece.I, 4),
    ]
    for level_lines in (0, 25, 139, 140, 300):
        for name, bottom, piece, lines in cases:
            play = Play(out, stacked(*bottom), lines=level_lines, score=level_lines)
            play.lock(f"{name} after {level_lines} lines", piece, clears(lines, perfect=False))


def _spins(out: list[Json]) -> None:
    spins = [
        ("T-spin zero", TSD_NO_CLEAR, clears(0, Spin.TSPIN)),
        ("T-spin single", TSD, clears(1, Spin.TSPIN)),
        ("T-spin double", TSD, clears(2, Spin.TSPIN)),
        ("T-spin triple, kicked in from the left", TST_RIGHT, clears(3, Spin.TSPIN)),
        ("T-spin triple, kicked in from the right", TST_LEFT, clears(3, Spin.TSPIN)),
        ("mini T-spin zero", MINI, clears(0, Spin.MINI)),
        ("mini T-spin single", TSD, clears(1, Spin.MINI)),
        ("mini T-spin double (Neo)", NEO, clears(2, Spin.MINI)),
        ("the T-spin double slot without a spin claim", TSD, clears(2)),
    ]
    for b2b in (False, True):
        for name, bottom, want in spins:
            claim = "without a spin claim" not in name
            label = f"{name}{', back-to-back' if b2b else ''}"
            play = Play(out, stacked(*bottom), b2b=b2b, lines=b2b * 30)
            play.lock(label, Piece.T, want, spin=claim)
    play = Play(out, stacked("G.........", "GGGGGGGG..", "GGGGGGGG.."), b2b=True)
    play.lock("a plain double ends back-to-back", Piece.O, clears(2), spin=True)


def _chains(out: list[Json]) -> None:
    # Two tetrises in a row: the second is back-to-back, a combo, and a perfect clear.
    play = Play(out, stacked(*TETRIS_WELL * 2))
    for k in range(2):
        play.lock(f"tetris chain, lock {k + 1}", Piece.I, clears(4))
    # Twenty rows with a two-wide gap: ten O doubles, combo 0..9, the last a perfect clear.
    play = Play(out, Field.from_rows(["GGGGGGGG.."] * HEIGHT))
    play.lock("an O locked wholly above the field tops out", Piece.O, tops_out(False))
    play = Play(out, Field.from_rows(["GGGGGGGG.."] * HEIGHT), lines=5, score=100)
    for k in range(10):
        play.lock(f"O double chain, lock {k + 1}", Piece.O, clears(2))
    play = Play(out, stacked("GGG....GGG"), combo=12, b2b=True)
    play.lock("perfect clear single at combo 13", Piece.I, clears(1, perfect=True))


def _perfect_clears(out: list[Json]) -> None:
    cases = [
        ("single", ("GGG....GGG",), Piece.I, 1),
        ("double", ("GGGGGGGG..",) * 2, Piece.O, 2),
        ("triple", ("GGGGGGGG..", "GGGGGGGGG.", "GGGGGGGGG."), Piece.L, 3),
        ("tetris", TETRIS_WELL, Piece.I, 4),
    ]
    for name, bottom, piece, lines in cases:
        play = Play(out, stacked(*bottom), lines=20)
        play.lock(f"perfect clear {name}", piece, clears(lines, perfect=True))


def _top_outs(out: list[Json]) -> None:
    stack = ["GGGG.GGGGG"] * (HEIGHT - 1)
    play = Play(out, Field.from_rows(["." * WIDTH, *stack]), score=900)
    play.lock("an I standing on a full-height stack, partly hidden, plays on", Piece.I,
              tops_out(True))
    play = Play(out, Field.from_rows(["....GG....", *["....G....."] * (HEIGHT - 1)]), combo=2)
    play.lock("a T on the top row, partly hidden, plays on and ends the combo", Piece.T,
              tops_out(True))
    play = Play(out, Field.from_rows(["....GG....", *["....G....."] * (HEIGHT - 1)]), combo=2)
    play.lock("a T locked wholly in the hidden rows is a lock out", Piece.T, tops_out(False))
    bottom = ["GGGGGGGGG."] * 3 + ["G.GGGGGGGG"] + ["G.GGGGGGG."] * (HEIGHT - 4)
    play = Play(out, Field.from_rows(bottom))
    play.lock(
        "an I reaching into the hidden rows survives by clearing lines",
        Piece.I,
        lambda state, placement: placement.outcome.lines == 3 and not placement.topped_out,
    )


def _claims_checked(out: list[Json]) -> None:
    # A T whose corners make a spin but that only a drop reaches: the claim is ignored.
    field = stacked("..G.......", ".G........")
    state = PieceState(Piece.T, 1, -1, 17)
    reach = reach_map(field, Piece.T)
    assert state in reach and claim_for(field, state, reach) is None
    assert detect_spin(field, state, UNVERIFIABLE) is Spin.MINI
    Play(out, field).lock(
        "a spin claim no rotation can justify is ignored",
        Piece.T,
        lambda candidate, placement: candidate == state,
        spin=True,
    )


def lock_vectors() -> list[Json]:
    out: list[Json] = []
    for build in (_plain_drops, _line_clears, _spins, _chains, _perfect_clears, _top_outs,
                  _claims_checked):  # fmt: skip
        build(out)
    return out
