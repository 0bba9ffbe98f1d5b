"""Garbage, powers and effects through the match state machine (no sockets).

The match's piece sequence is replaced by a scripted one so each scenario is exact.
"""

from __future__ import annotations

import pytest

from server.rules.effects import EffectKind
from server.rules.field import Field
from server.rules.pieces import Piece
from tests.helpers import ALICE, BOB, Harness
from tests.vectors.lock_cases import stacked

E = "." * 10
TETRIS_READY = stacked("GG........", *["GGGGGGGGG."] * 4)


class Scripted:
    """A piece sequence of one repeated piece."""

    def __init__(self, piece: Piece) -> None:
        self.piece = piece

    def __getitem__(self, index: int) -> Piece:
        return self.piece

    def preview(self, start: int, count: int) -> list[Piece]:
        return [self.piece] * count


def started(piece: Piece = Piece.I, **settings) -> tuple[Harness, dict, dict]:
    h = Harness(**settings)
    alice, bob = h.start()
    (match,) = h.service.lobby.matches.values()
    match.sequence = Scripted(piece)
    return h, alice, bob


def seat(h: Harness, name: str):
    (match,) = h.service.lobby.matches.values()
    return match.find_seat(name)


def tetris(n: int = 0, fx: int = 0) -> dict:
    return {"n": n, "i": n, "piece": "I", "r": 1, "x": 7, "y": 16, "spin": False, "fx": fx}


def test_a_tetris_sends_four_lines_and_earns_four_powers():
    h, alice, _ = started()
    seat(h, "alice").board.field = TETRIS_READY
    replies = dict(h.flux(ALICE, alice, locks=[tetris()]))
    mine, theirs = replies[ALICE], replies[BOB]
    assert mine["ack"] == 1 and mine["lines"] == 4 and mine["garbage_sent"] == 4
    assert len(mine["powers_available"]) == 4
    assert set(mine["powers_available"]) <= {str(k) for k in EffectKind} - {"garbage"}
    (effect,) = theirs["effects"]
    assert effect["kind"] == "garbage" and effect["lines"] == 4 and effect["from"] == "alice"
    assert 0 <= effect["hole"] < 10 and theirs["fx"] == 0


def test_garbage_enters_at_the_lock_that_names_it():
    h, alice, bob = started()
    seat(h, "alice").board.field = TETRIS_READY
    h.flux(ALICE, alice, locks=[tetris()])
    hole = seat(h, "bob").board.incoming[0].hole
    # Bob locks a flat I on the floor having taken effect 1: the garbage is under it.
    lock = {"n": 0, "i": 0, "piece": "I", "r": 0, "x": 0, "y": 14, "spin": False, "fx": 1}
    reply = dict(h.flux(BOB, bob, locks=[lock]))[BOB]
    assert reply["ack"] == 1 and reply["fx"] == 1 and reply["effects"] == []
    garbage_row = "G" * hole + "." + "G" * (9 - hole)
    assert reply["user_blocks"][-4:] == [garbage_row] * 4
    assert reply["user_blocks"][-5] == "IIII......"


def test_counter_attack_cancels_incoming_garbage():
    h, alice, bob = started()
    seat(h, "alice").board.field = TETRIS_READY
    seat(h, "bob").board.field = TETRIS_READY
    h.flux(ALICE, alice, locks=[tetris()])
    # Bob clears a tetris without having taken the garbage: it cancels all 4 lines.
    replies = dict(h.flux(BOB, bob, locks=[tetris(fx=0)]))
    assert replies[BOB]["effects"] == [{"id": 1, "kind": "garbage", "from": "alice",
                                        "lines": 0, "hole": replies[BOB]["effects"][0]["hole"]}]
    assert replies[BOB]["garbage_sent"] == 0 and replies[ALICE]["effects"] == []


def test_using_a_held_power_once_even_when_repeated():
    h, alice, _bob = started()
    alice_seat = seat(h, "alice")
    alice_seat.powers = [EffectKind.QUAKE, EffectKind.NUKE]
    replies = dict(h.flux(ALICE, alice, power_used="quake", power_n=0))
    assert replies[ALICE]["power_used"] == "quake" and replies[ALICE]["power_ack"] == 1
    assert replies[ALICE]["powers_available"] == ["nuke"]
    (effect,) = replies[BOB]["effects"]
    assert effect["kind"] == "quake" and len(effect["shifts"]) == 20
    assert replies[BOB]["power_applied"] == [{"id": 1, "power": "quake", "from": "alice"}]
    for _ in range(3):  # the same use, repeated by a client that missed the answer
        again = dict(h.flux(ALICE, alice, power_used="quake", power_n=0))[ALICE]
        assert again["power_used"] is None and again["power_ack"] == 1
    assert len(seat(h, "bob").board.incoming) == 1


def test_a_power_not_held_is_refused_and_changes_nothing():
    h, alice, _bob = started()
    reply = dict(h.flux(ALICE, alice, power_used="nuke", power_n=0))
    assert reply[ALICE]["power_rejected"] == {"n": 0, "power": "nuke", "reason": "not_held"}
    assert reply[ALICE]["power_used"] is None and BOB not in reply
    assert seat(h, "bob").board.incoming == () and seat(h, "alice").board.incoming == ()


def test_unknown_power_name_is_a_bad_field():
    h, alice, _ = started()
    assert h.only(ALICE, {"timestamp": h.stamp(ALICE), "command": "game_flux",
                          "game_name": alice["game_name"], "token": alice["token"],
                          "power_used": "laser"})["reason"] == "bad_field"


@pytest.mark.parametrize("power", ["nuke", "clear_line", "gravity"])
def test_self_powers_help_the_user(power):
    h, alice, _ = started()
    seat(h, "alice").powers = [EffectKind(power)]
    seat(h, "alice").board.field = stacked("GGG.GGGGGG", "G.GGGGGGGG")
    mine = dict(h.flux(ALICE, alice, power_used=power, power_n=0))[ALICE]
    (effect,) = mine["effects"]
    assert effect == {"id": 1, "kind": power, "from": "alice"}


def test_switch_swaps_fields_at_each_boundary():
    h, alice, bob = started(Piece.O)
    seat(h, "alice").powers = [EffectKind.SWITCH]
    seat(h, "alice").board.field = stacked("GGGGG.GGGG")
    seat(h, "bob").board.field = stacked("ZZ........", "GGGG.GGGGG")
    replies = dict(h.flux(ALICE, alice, power_used="switch", power_n=0))
    assert replies[ALICE]["effects"][0]["rows"] == ["ZZ........", "GGGG.GGGGG"]
    assert replies[BOB]["effects"][0]["rows"] == ["GGGGG.GGGG"]
    assert replies[BOB]["power_applied"] == [{"id": 1, "power": "switch", "from": "alice"}]
    # Bob takes it at his next lock: his O lands on alice's old field.
    lock = {"n": 0, "i": 0, "piece": "O", "r": 0, "x": -1, "y": 17, "spin": False, "fx": 1}
    mine = dict(h.flux(BOB, bob, locks=[lock]))[BOB]
    assert mine["ack"] == 1 and mine["fx"] == 1
    assert mine["user_blocks"][-3:] == ["OO........", "OO........", "GGGGG.GGGG"]


def test_switch_moves_a_tall_field_down_six_rows():
    h, alice, _bob = started()
    seat(h, "alice").powers = [EffectKind.SWITCH]
    seat(h, "bob").board.field = Field.from_rows(["..G......."] + [E] * 18 + ["GGGG.GGGGG"])
    mine = dict(h.flux(ALICE, alice, power_used="switch", power_n=0))[ALICE]
    (effect,) = mine["effects"]
    assert effect["rows"] == ["..G......."] + [E] * 13  # moved down 6 rows, bottom 6 lost


def test_overdue_effects_are_forced_after_the_grace_period():
    h, alice, _bob = started()
    seat(h, "alice").board.field = TETRIS_READY
    h.flux(ALICE, alice, locks=[tetris()])
    h.tick(4_000)
    h.flux(ALICE, alice)
    assert seat(h, "bob").board.fx == 0  # bob is still within the grace period
    pushed = dict(h.tick(1_100))
    assert pushed[BOB]["fx"] == 1 and pushed[BOB]["effects"] == []
    assert sum(row.count("G") for row in pushed[BOB]["user_blocks"]) == 36
    assert pushed[ALICE]["opponent_blocks"] == pushed[BOB]["user_blocks"]


def test_forced_garbage_can_top_out(replay_audit):
    replay_audit.expect_hand_made()  # the fields below are written, not played
    h, alice, bob = started()
    # A column 40 rows high: the forced garbage pushes it past the buffer (a garbage out).
    seat(h, "bob").board.field = Field.from_rows(["G........."] * 20, ["G........."] * 20)
    seat(h, "alice").board.field = TETRIS_READY
    h.flux(ALICE, alice, locks=[tetris()])
    h.flux(BOB, bob)
    h.tick(2_000)
    h.flux(BOB, bob)
    ends = dict(h.tick(3_100))
    assert ends[BOB]["command"] == "game_end" and ends[BOB]["reason"] == "top_out"
    assert ends[BOB]["winner"] == "alice" and ends[BOB]["top_out"] == ends[ALICE]["top_out"]
    assert ends[BOB]["top_out"] == "garbage"


def test_inventory_holds_at_most_six():
    h, alice, _ = started()
    alice_seat = seat(h, "alice")
    alice_seat.powers = [EffectKind.NUKE] * 5
    alice_seat.board.field = TETRIS_READY
    mine = dict(h.flux(ALICE, alice, locks=[tetris()]))[ALICE]
    assert len(mine["powers_available"]) == 6


def test_full_datagrams_stay_under_the_limit_with_effects_pending():
    h, alice, _bob = started()
    full = Field.from_rows(["GGGGGGGGG."] * 19 + [E])
    seat(h, "alice").board.field = full
    bob_seat = seat(h, "bob")
    bob_seat.board.field = full
    bob_seat.board.score = alice_score = 9_999_999
    seat(h, "alice").board.score = alice_score
    seat(h, "alice").powers = [EffectKind.QUAKE, EffectKind.ADD_LINE]
    bob_seat.powers = [EffectKind.CLEAR_LINE] * 6
    h.flux(ALICE, alice, power_used="add_line", power_n=0)
    replies = dict(h.flux(ALICE, alice, power_used="quake", power_n=1))
    # The harness asserts every datagram is at most 1,200 bytes; both effects still reach bob
    # (over one or more datagrams) while they are pending.
    # Even at this worst case both effects fit, once the preview is cut and power_applied goes.
    assert [effect["kind"] for effect in replies[BOB]["effects"]] == ["add_line", "quake"]
    assert len(replies[BOB]["next_block"]) == 7 and replies[BOB]["power_applied"] == []


def test_an_effect_too_large_for_a_datagram_waits_and_is_forced_by_the_grace():
    h, alice, bob = started()
    tall = Field.from_rows(["GGGGGGGGG."] * 19 + [E])
    seat(h, "alice").board.field = seat(h, "bob").board.field = tall
    seat(h, "alice").board.score = seat(h, "bob").board.score = 9_999_999
    seat(h, "alice").powers = [EffectKind.SWITCH]
    seat(h, "bob").powers = [EffectKind.CLEAR_LINE] * 6
    seat(h, "bob").board.hold = (3, Piece.I)
    replies = dict(h.flux(ALICE, alice, power_used="switch", power_n=0))
    assert replies[BOB]["effects"] == []  # 14 rows do not fit beside bob's full state
    assert seat(h, "bob").board.incoming[0].kind is EffectKind.SWITCH
    h.flux(BOB, bob)
    h.tick(4_000)
    h.flux(BOB, bob)
    forced = dict(h.tick(1_100))[BOB]
    assert forced["fx"] == 1 and forced["user_blocks"][:6] == [E] * 6


def test_a_worst_case_rejoin_still_fits_one_datagram():
    h = Harness()
    waiting = h.only(ALICE, {"command": "connect", "self": "A" * 16, "opponent": "B" * 16})
    started = dict(h.send(BOB, {"command": "connect", "self": "B" * 16, "opponent": "A" * 16}))
    (match,) = h.service.lobby.matches.values()
    for seat in match.seats:
        seat.powers = [EffectKind.CLEAR_LINE] * 6
        seat.board.score = 99_999_999
        seat.board.hold = (150, Piece.I)
        seat.board.field = Field.from_rows(["GGGGGGGGG."] * 19 + [E])
    rejoin = h.only(("127.0.0.1", 41000), {"command": "connect", "self": "A" * 16,
                                           "game_name": waiting["game_name"],
                                           "token": started[ALICE]["token"],
                                           "timestamp": 10**13})
    assert rejoin["command"] == "game_start" and rejoin["hold"] == "I"
