"""Write the shared test vectors from the Python rules core (canonical; docs/rules.md).

Run from the repository root, either way:

    .venv/bin/python -m tests.vectors.generate
    .venv/bin/python tests/vectors/generate.py

It rewrites the files of VECTOR_FILES next to this file. The vectors are computed by ``server/``,
never typed by hand; tests/test_vectors.py fails when a file is stale. They prove only that the
JavaScript rules agree with the Python ones. The exception is guideline.json: hand-written from
public sources (each case cites its own), never generated and not in VECTOR_FILES; both suites
play it (tests/test_guideline.py, tests/js/rules/guideline.test.js). Lock vectors come from
tests/vectors/lock_cases.py, effect and battle vectors from tests/vectors/battle_cases.py, whole
recorded matches (replays.json: each replay and its final fields, scores and winner) from
tests/vectors/replay_cases.py, and constants.json holds the server's declarations that the page
repeats, and schedule.json the resend schedule (tests/flux_schedule.py) the page's FluxSchedule
must follow.
"""

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `tests.vectors` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from server import wire
from server.rules import RULES_VERSION
from server.rules.bag import PieceSequence
from server.rules.effects import MAX_POWERS, POWER_WEIGHTS, EffectKind
from server.rules.field import HEIGHT, HIDDEN, WIDTH, Field
from server.rules.movement import drop, move, reach_map, rotate, rotation_kick
from server.rules.pieces import KICKS, ROTATIONS, Piece, PieceState
from server.rules.rng import Mulberry32
from tests.flux_schedule import FluxSchedule
from tests.vectors.battle_cases import battle_vectors, effect_vectors
from tests.vectors.lock_cases import (
    MINI,
    TETRIS_WELL,
    TSD,
    TST_LEFT,
    TST_RIGHT,
    lock_vectors,
    stacked,
)
from tests.vectors.replay_cases import replay_vectors

HERE = Path(__file__).resolve().parent
RNG_SEEDS = (0, 1, 42, 0xDEADBEEF, 4294967295)
BAG_SEEDS = (0, 1, 2, 7, 42, 1234567, 0xDEADBEEF, 4294967295)
DIRECTIONS = {1: "cw", -1: "ccw", 2: "180"}
Json = Any


def rng_vectors() -> list[Json]:
    cases = []
    for seed in RNG_SEEDS:
        draws, below = Mulberry32(seed), Mulberry32(seed)
        cases.append({
            "seed": seed,
            "u32": [draws.next_u32() for _ in range(10)],
            "below": {"n": 7, "values": [below.below(7) for _ in range(10)]},
        })
    return cases


def bag_vectors() -> list[Json]:
    return [
        {"seed": seed, "pieces": "".join(PieceSequence(seed).preview(0, 35))} for seed in BAG_SEEDS
    ]


def _field_with(cells: set[tuple[int, int]], rows: list[str] | None = None) -> Field:
    grid = [list(row) for row in (rows or ["." * WIDTH] * HEIGHT)]
    for x, y in cells:
        assert 0 <= x < WIDTH and 0 <= y < HEIGHT, f"block ({x}, {y}) outside the visible field"
        grid[y][x] = "G"
    return Field.from_rows(["".join(row) for row in grid])


def _rotation_case(name: str, field: Field, state: PieceState, direction: int) -> Json:
    assert field.fits(state), name
    kicked = rotation_kick(field, state, direction)
    return {
        "name": name,
        "field": field.to_rows(),
        "state": state.to_json(),
        "dir": direction,
        "result": None if kicked is None else kicked[0].to_json(),
    }


def _turns() -> Iterator[tuple[Piece, int, int]]:
    for piece in Piece:
        for r in range(ROTATIONS):
            for direction in DIRECTIONS:
                yield piece, r, direction


def _open_field_cases() -> Iterator[Json]:
    for piece, r, direction in _turns():
        state = PieceState(piece, r, 3, 8)
        name = f"{piece} {r} {DIRECTIONS[direction]} in the open"
        yield _rotation_case(name, Field.empty(), state, direction)


def _edge_states(field: Field, piece: Piece, r: int) -> Iterator[tuple[str, PieceState]]:
    # The piece pushed against each wall, then each of those and the middle one dropped.
    middle = PieceState(piece, r, 3, 8)
    for where, dx in (("left wall", -1), ("right wall", 1)):
        state = middle
        while (moved := move(field, state, dx, 0)) is not None:
            state = moved
        yield where, state
        yield f"floor by the {where}", drop(field, state)
    yield "floor", drop(field, middle)


def _wall_and_floor_cases() -> Iterator[Json]:
    # Only the turns where the walls or the floor matter: a kick past test 1, or a failure.
    seen = set()
    for piece, r, direction in _turns():
        for where, state in _edge_states(Field.empty(), piece, r):
            if not Field.empty().fits(state) or (state, direction) in seen:
                continue
            seen.add((state, direction))
            kicked = rotation_kick(Field.empty(), state, direction)
            if kicked is None or kicked[1] > 0:
                name = f"{piece} {r} {DIRECTIONS[direction]} against the {where}"
                yield _rotation_case(name, Field.empty(), state, direction)


def _blocks_before(state: PieceState, direction: int, test: int) -> set[tuple[int, int]] | None:
    # Cells that make tests 1..test fail while test + 1 fits; None when SRS cannot get there.
    turned = (state.r + direction) % ROTATIONS
    kicks = KICKS[state.piece][(state.r, turned)]
    landing = [PieceState(state.piece, turned, state.x + kx, state.y + ky) for kx, ky in kicks]
    keep = set(landing[test].cells()) | set(state.cells())
    blocks: set[tuple[int, int]] = set()
    for earlier in landing[:test]:
        extra = set(earlier.cells()) - keep
        if not extra:
            return None
        blocks |= extra
    return blocks


def _kick_cases() -> Iterator[Json]:
    # A field per (piece, turn, test) that blocks every earlier test: each SRS test gets used.
    for piece, r, direction in _turns():
        state = PieceState(piece, r, 3, 8)
        tests = len(KICKS[piece][(r, (r + direction) % ROTATIONS)])
        for test in range(1, tests):
            blocks = _blocks_before(state, direction, test)
            if blocks is None:
                continue
            field = _field_with(blocks)
            kicked = rotation_kick(field, state, direction)
            assert kicked is not None and kicked[1] == test, (piece, r, direction, test)
            name = f"{piece} {r} {DIRECTIONS[direction]} takes test {test + 1} of {tests}"
            yield _rotation_case(name, field, state, direction)


def _failed_cases() -> Iterator[Json]:
    for piece, r, direction in _turns():
        if piece is Piece.O or r % 2:
            continue
        state = PieceState(piece, r, 3, 8)
        turned = (r + direction) % ROTATIONS
        blocks = set()
        for kx, ky in KICKS[piece][(r, turned)]:
            landing = PieceState(piece, turned, state.x + kx, state.y + ky)
            blocks |= set(landing.cells()) - set(state.cells())
        name = f"{piece} {r} {DIRECTIONS[direction]} fails: every test blocked"
        yield _rotation_case(name, _field_with(blocks), state, direction)


def _turn_into(field: Field, target: PieceState) -> tuple[PieceState, int]:
    # The first reachable state (in (r, x, y) order) and direction that turn into ``target``.
    reach = reach_map(field, target.piece)
    for state in sorted(reach, key=lambda s: (s.r, s.x, s.y)):
        for direction in DIRECTIONS:
            if rotate(field, state, direction) == target:
                return state, direction
    raise AssertionError(f"nothing reachable turns into {target}")


def _hand_made_cases() -> Iterator[Json]:
    slots = [
        ("T into a T-spin double slot", TSD, (2, 1, 17)),
        ("T kicked into a T-spin triple slot on the left", TST_RIGHT, (1, 0, 17)),
        ("T kicked into a T-spin triple slot on the right", TST_LEFT, (3, 1, 17)),
        ("T into a mini T-spin against the wall", MINI, (1, -1, 17)),
    ]
    for name, bottom, (r, x, y) in slots:
        field = stacked(*bottom)
        state, direction = _turn_into(field, PieceState(Piece.T, r, x, y))
        yield _rotation_case(name, field, state, direction)
    field = stacked("G.........", *TETRIS_WELL)
    for name, state, direction in [
        ("I turning over a well", PieceState(Piece.I, 0, 5, 14), 1),
        ("I turning down into a well", PieceState(Piece.I, 2, 6, 13), -1),
        ("I turning in a well", PieceState(Piece.I, 1, 7, 16), -1),
        ("I turning in a well, counter-clockwise", PieceState(Piece.I, 3, 8, 16), 1),
    ]:
        yield _rotation_case(name, field, state, direction)


def rotation_vectors() -> list[Json]:
    return [
        *_open_field_cases(),
        *_wall_and_floor_cases(),
        *_kick_cases(),
        *_failed_cases(),
        *_hand_made_cases(),
    ]


def constant_vectors() -> list[Json]:
    # The server's declarations the page repeats (static/js/messages.js, static/js/rules/): the
    # JavaScript test tests/js/constants.test.js holds the page to each one.
    values: dict[str, Json] = {
        "width": WIDTH,
        "height": HEIGHT,
        "hidden": HIDDEN,
        "rules_version": RULES_VERSION,
        "pieces": [str(piece) for piece in Piece],
        "effect_kinds": [str(kind) for kind in EffectKind],
        "powers": [str(power) for power in POWER_WEIGHTS],  # the weighted table's order
        "max_powers": MAX_POWERS,
        "max_datagram": wire.MAX_DATAGRAM,
        "max_locks": wire.MAX_LOCKS,
        "preview": wire.PREVIEW,
        "spectate_preview": wire.SPECTATE_PREVIEW,
        "amplification": wire.AMPLIFICATION,
        "max_waiting_per_address": wire.MAX_WAITING_PER_ADDRESS,
        "name_pattern": wire.NAME_PATTERN,
        "key_pattern": wire.KEY_PATTERN,
    }
    return [{"name": name, "value": value} for name, value in values.items()]


# The resend schedule's scripts (tests/flux_schedule.py; the page's FluxSchedule replays them):
# ("measured", rtt ms), ("sent", pending) or ("acked",), with the delay after each, in ms.
SCHEDULE_SCRIPTS: tuple[tuple[float, tuple[tuple[Any, ...], ...]], ...] = (
    (0.0, (("sent", 1), ("sent", 1), ("sent", 1), ("sent", 1), ("acked",), ("sent", 1))),
    (0.7, (("measured", 2), ("sent", 1), ("sent", 1), ("acked",), ("sent", 0))),
    (0.3, (("measured", 300), ("sent", 1), ("measured", 320), ("measured", 280), ("sent", 1),
           ("acked",), ("sent", 1), ("measured", 5000), ("sent", 1), ("measured", -1),
           ("acked",))),
    (0.9, tuple([("measured", 40)] * 20 + [("sent", 1), ("sent", 1), ("acked",)])),
)


def schedule_vectors() -> list[Json]:
    cases = []
    for random_value, script in SCHEDULE_SCRIPTS:
        schedule = FluxSchedule(lambda value=random_value: value)
        delays = []
        for op, *args in script:
            if op == "measured":
                schedule.measured(args[0] / 1000)
            elif op == "sent":
                schedule.sent(0.0, args[0])
            else:
                schedule.acked()
            delays.append(round(schedule.delay * 1000, 6))
        cases.append({"random": random_value, "script": [list(step) for step in script],
                      "delays_ms": delays})
    return cases


VECTOR_FILES: dict[str, Callable[[], list[Json]]] = {
    "rng.json": rng_vectors,
    "bag.json": bag_vectors,
    "rotation.json": rotation_vectors,
    "locks.json": lock_vectors,
    "effects.json": effect_vectors,
    "battle.json": battle_vectors,
    "replays.json": replay_vectors,
    "constants.json": constant_vectors,
    "schedule.json": schedule_vectors,
}


def render(cases: list[Json]) -> str:
    return json.dumps(cases, indent=2) + "\n"


def main() -> None:
    for name, build in VECTOR_FILES.items():
        cases = build()
        (HERE / name).write_text(render(cases), encoding="utf-8")
        print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
