"""The match state machine and the lobby, driven without sockets.

`GameService` is the whole datagram path minus the socket: bytes in, (bytes, address) out, with a
clock the test moves by hand.
"""

from __future__ import annotations

import json

import pytest

from tests.bots import Bot
from tests.helpers import ALICE, BOB, CAROL, Harness

SEED_FIELDS = {"timestamp", "command", "game_name", "user_blocks", "opponent_blocks",
               "next_block", "time_left", "user_score", "opponent_score", "powers_available"}


def test_challenge_pairs_two_players_and_starts():
    h = Harness()
    alice, bob = h.start()
    assert alice["command"] == bob["command"] == "game_start"
    assert alice.keys() >= SEED_FIELDS and bob.keys() >= SEED_FIELDS
    assert alice["game_name"] == bob["game_name"] and len(alice["game_name"]) == 22
    assert (alice["self"], alice["opponent"]) == ("alice", "bob")
    assert (bob["self"], bob["opponent"]) == ("bob", "alice")
    assert alice["next_block"] == bob["next_block"] and len(alice["next_block"]) == 14
    assert alice["user_blocks"] == ["." * 10] * 20
    assert alice["time_left"] == 180_000 and alice["user_score"] == 0
    assert alice["token"] != bob["token"]


def test_connect_is_idempotent():
    h = Harness()
    first = h.only(ALICE, {"command": "connect", "self": "alice", "opponent": "bob"})
    again = h.only(ALICE, {"command": "connect", "self": "alice", "opponent": "bob"})
    assert first["game_name"] == again["game_name"] and again["timestamp"] > first["timestamp"]
    started = dict(h.send(BOB, {"command": "connect", "self": "bob", "opponent": "alice"}))
    retry = h.only(BOB, {"command": "connect", "self": "bob", "opponent": "alice"})
    assert retry["command"] == "game_start" and retry["game_name"] == started[BOB]["game_name"]
    assert len(h.service.lobby.matches) == 1


def test_open_match_joined_by_link():
    h = Harness()
    waiting = h.only(ALICE, {"command": "connect", "self": "alice"})
    assert waiting["opponent"] is None
    replies = dict(h.send(BOB, {"command": "connect", "self": "bob",
                                "game_name": waiting["game_name"]}))
    assert replies[ALICE]["command"] == replies[BOB]["command"] == "game_start"
    late = h.only(CAROL, {"command": "connect", "self": "carol",
                          "game_name": waiting["game_name"]})
    assert late == {"command": "error", "reason": "game_full"}


def test_link_join_errors():
    h = Harness()
    waiting = h.only(ALICE, {"command": "connect", "self": "alice", "opponent": "bob"})
    assert h.only(CAROL, {"command": "connect", "self": "carol",
                          "game_name": waiting["game_name"]})["reason"] == "game_full"
    assert h.only(CAROL, {"command": "connect", "self": "ALICE",
                          "game_name": waiting["game_name"]})["reason"] == "name_taken"
    assert h.only(CAROL, {"command": "connect", "self": "carol",
                          "game_name": "nope"})["reason"] == "unknown_game"


def play_lock(h: Harness, address, game: dict, bot: Bot) -> dict:
    bot.learn(game)
    lock = bot.next_lock()
    replies = h.flux(address, game, locks=bot.unacked)
    assert lock is not None
    mine = next(m for to, m in replies if to == address)
    bot.learn(mine)
    return {**mine, "token": game["token"]}


def test_locks_apply_ack_and_push_to_opponent():
    h = Harness()
    alice, _bob = h.start()
    bot = Bot()
    bot.learn(alice)
    bot.next_lock()
    replies = h.flux(ALICE, alice, locks=bot.unacked)
    by_address = dict(replies)
    mine, pushed = by_address[ALICE], by_address[BOB]
    assert mine["ack"] == 1 and mine.get("rejected") is None and mine["piece_index"] == 1
    assert mine["user_blocks"] == bot.board.field.to_rows() != ["." * 10] * 20
    assert pushed["command"] == "game_flux" and pushed["opponent_blocks"] == mine["user_blocks"]


def test_forged_board_and_score_are_ignored():
    h = Harness()
    alice, _ = h.start()
    replies = h.flux(ALICE, alice, user_score=999999, user_blocks=["IIIIIIIII."] * 20,
                     powers_available=["nuke"] * 6)
    mine = dict(replies)[ALICE]
    assert mine["user_score"] == 0 and mine["user_blocks"] == ["." * 10] * 20
    assert mine["powers_available"] == []
    assert BOB not in dict(replies)  # nothing changed, nothing pushed


def test_stale_timestamp_changes_nothing():
    h = Harness()
    alice, _ = h.start()
    bot = Bot()
    bot.learn(alice)
    lock = bot.next_lock()
    h.ts[ALICE] = 5000
    h.flux(ALICE, alice, locks=[])  # accepted at 5001
    h.ts[ALICE] = 4000
    stale = dict(h.flux(ALICE, alice, locks=[lock]))[ALICE]
    assert stale["ack"] == 0 and stale["user_blocks"] == ["." * 10] * 20
    h.ts[ALICE] = 6000
    fresh = dict(h.flux(ALICE, alice, locks=[lock]))[ALICE]
    assert fresh["ack"] == 1


def test_repeated_locks_apply_once_and_gaps_wait():
    h = Harness()
    alice, _ = h.start()
    bot = Bot()
    bot.learn(alice)
    first, second, third = bot.next_lock(), bot.next_lock(), bot.next_lock()
    assert dict(h.flux(ALICE, alice, locks=[first]))[ALICE]["ack"] == 1
    gap = dict(h.flux(ALICE, alice, locks=[third]))[ALICE]
    assert gap["ack"] == 1 and gap.get("rejected") is None
    both = dict(h.flux(ALICE, alice, locks=[third, first, second]))[ALICE]
    assert both["ack"] == 3 and both["user_blocks"] == bot.board.field.to_rows()


def test_illegal_lock_is_rejected_with_reason_and_changes_nothing():
    h = Harness()
    alice, _ = h.start()
    piece = alice["next_block"][0]
    floating = {"n": 0, "i": 0, "piece": piece, "r": 0, "x": 3, "y": 5}
    reply = dict(h.flux(ALICE, alice, locks=[floating]))[ALICE]
    assert reply["rejected"] == {"n": 0, "i": 0, "reason": "floating"}
    assert reply["ack"] == 0 and reply["user_blocks"] == ["." * 10] * 20
    wrong = {"n": 0, "i": 0, "piece": "O" if piece != "O" else "I", "r": 0, "x": 3, "y": 18}
    reply = dict(h.flux(ALICE, alice, locks=[wrong]))[ALICE]
    assert reply["rejected"]["reason"] == "wrong_piece" and reply["ack"] == 0


def test_server_timestamps_strictly_increase_per_recipient():
    h = Harness()
    alice, _ = h.start()
    seen = [alice["timestamp"]]
    for _ in range(5):  # the clock does not move: timestamps still must
        seen.append(dict(h.flux(ALICE, alice))[ALICE]["timestamp"])
    assert seen == sorted(set(seen))


def test_time_up_draw_and_winner():
    h = Harness(match_seconds=5)
    alice, _ = h.start()
    h.flux(ALICE, alice)
    h.flux(BOB, {"game_name": alice["game_name"], "token": _token_of(h, "bob")})
    ends = dict(h.tick(5_000))
    assert ends[ALICE]["command"] == ends[BOB]["command"] == "game_end"
    assert ends[ALICE]["reason"] == "time_up" and ends[ALICE]["winner"] is None
    assert ends[ALICE]["score"] == {"alice": 0, "bob": 0}
    again = dict(h.flux(ALICE, alice))[ALICE]
    assert again["command"] == "game_end" and again["reason"] == "time_up"


def test_time_up_higher_score_wins():
    h = Harness(match_seconds=60)
    alice, _ = h.start()
    bot = Bot()
    for _ in range(30):
        alice = play_lock(h, ALICE, alice, bot)
        if alice["user_score"] > 0:
            break
    assert alice["user_score"] > 0
    h.flux(BOB, {"game_name": alice["game_name"], "token": _token_of(h, "bob")})
    ends = dict(h.tick(60_000))
    assert ends[BOB]["winner"] == "alice" and ends[BOB]["reason"] == "time_up"
    assert "top_out" not in ends[BOB]  # only a top_out ending says how
    assert ends[BOB]["user_score"] == 0 and ends[BOB]["opponent_score"] == alice["user_score"]


def test_top_out_loses():
    h = Harness()
    alice, _ = h.start()
    bot = Bot(strategy="tower")
    bot.learn(alice)
    for _ in range(40):
        bot.next_lock()
        replies = dict(h.flux(ALICE, alice, locks=bot.unacked))
        if replies[ALICE]["command"] == "game_end":
            break
        bot.learn(replies[ALICE])
    assert replies[ALICE]["command"] == "game_end" and replies[ALICE]["reason"] == "top_out"
    assert replies[ALICE]["winner"] == "bob" and replies[BOB]["winner"] == "bob"
    # both are told how (docs/protocol.md game_end.top_out): the tower stops the next spawn
    assert replies[ALICE]["top_out"] == replies[BOB]["top_out"] == "block_out"


def test_silent_player_loses_by_disconnect():
    h = Harness(disconnect_seconds=3)
    alice, _ = h.start()
    h.tick(1_000)
    h.flux(ALICE, alice)
    away = dict(h.tick(1_500))
    assert away[ALICE].get("opponent_away") is True  # bob quiet for 2.5 s
    ends = dict(h.tick(600))
    assert ends[ALICE]["reason"] == "disconnect" and ends[ALICE]["winner"] == "alice"
    assert ends[BOB]["winner"] == "alice"


def test_forfeit_and_closed_then_rejoin():
    h = Harness()
    alice, bob = h.start()
    closed = h.send(BOB, {"command": "leave", "timestamp": h.stamp(BOB),
                          "game_name": bob["game_name"], "token": bob["token"],
                          "intent": "closed"})
    assert dict(closed)[ALICE].get("opponent_away") is True
    new_bob = ("127.0.0.1", 40999)
    rejoin = {"command": "connect", "self": "bob", "game_name": bob["game_name"],
              "token": bob["token"]}
    assert h.send(new_bob, rejoin) == []  # no timestamp: it could be a replay, it moves nothing
    back = h.only(new_bob, {**rejoin, "timestamp": h.stamp(BOB)})
    assert back["command"] == "game_start" and back["time_left"] == bob["time_left"]
    notice = dict(h.tick(100))
    assert notice[ALICE].get("opponent_away", False) is False
    # The old socket's leave arrives late: it must not take the seat back to the dead address.
    assert h.send(BOB, {"command": "leave", "timestamp": h.stamp(BOB), "intent": "closed",
                        "game_name": bob["game_name"], "token": bob["token"]}) == []
    (match,) = h.service.lobby.matches.values()
    assert match.find_seat("bob").address == new_bob and not match.find_seat("bob").closed
    ends = dict(h.send(ALICE, {"command": "leave", "timestamp": h.stamp(ALICE),
                               "game_name": alice["game_name"], "token": alice["token"]}))
    assert ends[new_bob]["reason"] == "forfeit" and ends[new_bob]["winner"] == "bob"


def test_wrong_token_is_refused():
    h = Harness()
    alice, _ = h.start()
    reply = h.only(CAROL, {"timestamp": 1, "command": "game_flux",
                           "game_name": alice["game_name"], "token": "forged"})
    assert reply["reason"] == "bad_token"
    assert h.only(CAROL, {"timestamp": 1, "command": "game_flux",
                          "game_name": alice["game_name"]})["reason"] == "bad_token"


def test_without_required_tokens_seats_are_found_by_address():
    h = Harness(require_token=False)
    alice, _ = h.start()
    assert h.only(CAROL, {"timestamp": 1, "command": "game_flux",
                          "game_name": alice["game_name"]})["reason"] == "not_in_game"
    mine = h.only(ALICE, {"timestamp": h.stamp(ALICE), "command": "game_flux",
                          "game_name": alice["game_name"]})
    assert mine["command"] == "game_flux" and mine["user_score"] == 0


def test_ended_matches_are_forgotten_after_linger():
    h = Harness(match_seconds=1, linger_seconds=5)
    alice, _ = h.start()
    h.tick(1_000)
    assert len(h.service.lobby.matches) == 1
    h.tick(5_000)
    assert h.service.lobby.matches == {}
    assert h.only(ALICE, {"timestamp": h.stamp(ALICE), "command": "game_flux",
                          "game_name": alice["game_name"], "token": alice["token"]}
                  )["reason"] == "unknown_game"


def test_abandoned_waiting_match_is_dropped():
    h = Harness()
    h.only(ALICE, {"command": "connect", "self": "alice"})
    h.tick(61_000)
    h.tick(1)
    assert h.service.lobby.matches == {}


@pytest.mark.parametrize("data", [b"", b"x", b"{}", b'{"command":"game_flux"}', b"\x00" * 50,
                                  b'{"command":"game_flux","timestamp":9,"game_name":"zz"}'])
def test_garbage_never_touches_a_match(data):
    h = Harness()
    alice, _ = h.start()
    before = dict(h.flux(ALICE, alice))[ALICE]
    replies = h.datagram(data, ALICE)
    for reply, _to in replies:
        assert len(reply) <= len(data) and json.loads(reply)["command"] == "error"
    after = dict(h.flux(ALICE, alice))[ALICE]
    assert after["user_blocks"] == before["user_blocks"] and after["ack"] == before["ack"]
    assert after["command"] == "game_flux"


def _token_of(h: Harness, name: str) -> str:
    (match,) = h.service.lobby.matches.values()
    return match.find_seat(name).token


def test_bridge_clock_on_a_closed_leave_does_not_block_the_player():
    h = Harness()
    _alice, bob = h.start()
    # The bridge's clock runs minutes ahead of the browser's: its leave must not become the
    # seat's newest timestamp, or every later request of the player would be "stale".
    h.send(BOB, {"command": "leave", "timestamp": 2**50, "game_name": bob["game_name"],
                 "token": bob["token"], "intent": "closed"})
    back = dict(h.flux(BOB, bob))[BOB]
    assert back["command"] == "game_flux" and back.get("opponent_away", False) is False
    (match,) = h.service.lobby.matches.values()
    assert match.find_seat("bob").last_ts < 2**50 and not match.find_seat("bob").closed


def test_a_seat_that_showed_its_token_needs_it_to_reconnect():
    h = Harness()
    _alice, bob = h.start()
    reply = h.only(BOB, {"command": "connect", "self": "bob", "game_name": bob["game_name"]})
    assert reply["reason"] == "bad_token"  # even from its own (maybe reused) port


def test_a_wrong_token_is_refused_even_when_time_is_up():
    h = Harness(match_seconds=1)
    alice, _ = h.start()
    h.clock.ms += 1_000  # time is up, and no tick has ended the match yet
    reply = h.only(CAROL, {"command": "connect", "self": "alice",
                           "game_name": alice["game_name"], "token": "notAtoken"})
    assert reply["reason"] == "bad_token"


def test_one_address_cannot_fill_the_server_with_waiting_matches():
    h = Harness()
    for k in range(4):
        assert h.only(CAROL, {"command": "connect", "self": f"c{k}"})["command"] == "waiting"
    assert h.only(CAROL, {"command": "connect", "self": "c9"})["reason"] == "too_many_waiting"
    assert h.only(ALICE, {"command": "connect", "self": "alice"})["command"] == "waiting"


def test_a_stale_request_from_elsewhere_gets_no_answer_and_moves_nothing():
    h = Harness()
    alice, _ = h.start()
    old = {"timestamp": 5, "command": "game_flux", "game_name": alice["game_name"],
           "token": alice["token"]}
    assert h.send(CAROL, old) == []
    (match,) = h.service.lobby.matches.values()
    assert match.find_seat("alice").address == ALICE
