"""Issue 11 on the server, without sockets: the countdown, the closed-tab grace, seat moves, link
state (`probe`), rematch, quick match, challenges, spectators and the statistics of game_end
(docs/protocol.md). The Harness (tests/helpers.py) drives GameService with a clock of its own."""

from __future__ import annotations

import json

import pytest

from server.protocol import encode_reply
from server.replies import GameEnd, Spectate
from server.wire import MAX_DATAGRAM, SPECTATE_PREVIEW
from tests.bots import Bot
from tests.helpers import ALICE, BOB, CAROL, Harness

DAVE = ("127.0.0.1", 40004)
WATCHER = ("127.0.0.1", 40010)
WATCHER_TOO = ("127.0.0.1", 40011)
FAR = ("203.0.113.9", 40020)  # a documentation address: never trusted


def commands(replies, address) -> list[str]:
    return [m["command"] for to, m in replies if to == address]


def of(replies, address, command: str) -> dict:
    (found,) = [m for to, m in replies if to == address and m["command"] == command]
    return found


def leave(h: Harness, address, game: dict, intent: str = "forfeit"):
    return h.send(address, {"command": "leave", "timestamp": h.stamp(address), "intent": intent,
                            "game_name": game["game_name"], "token": game["token"]})


def rematch(h: Harness, address, game: dict, answer: str = "ask"):
    return h.send(address, {"command": "rematch", "timestamp": h.stamp(address),
                            "game_name": game["game_name"], "token": game["token"],
                            "answer": answer})


def probe(h: Harness, game_name: str, address=CAROL) -> dict:
    return h.only(address, {"command": "probe", "game_name": game_name})


def watch(h: Harness, address, game_name: str):
    return h.send(address, {"command": "watch", "timestamp": h.clock.ms, "game_name": game_name})


def match_of(h: Harness, game: dict):
    return h.service.lobby.matches[game["game_name"]]


def play(h: Harness, address, game: dict, bot: Bot, locks: int) -> dict:
    """`locks` locks by `bot`, one request each, 200 ms apart; the last direct answer."""
    bot.learn(game)
    reply = game
    for _ in range(locks):
        h.tick(200)
        bot.next_lock()
        reply = of(h.flux(address, game, locks=bot.unacked), address, "game_flux")
        bot.learn(reply)
    return reply


# -- the countdown -------------------------------------------------------------------------------


def test_the_countdown_refuses_early_locks_and_freezes_the_clock():
    h = Harness(countdown_seconds=3, match_seconds=60)
    alice, bob = h.start()
    assert alice["countdown_ms"] == bob["countdown_ms"] == 3000
    assert alice["time_left"] == 60_000
    bot = Bot()
    bot.learn(alice)
    lock = bot.next_lock()
    h.tick(1000)
    early = of(h.flux(ALICE, alice, locks=[lock]), ALICE, "game_flux")
    assert early["rejected"]["reason"] == "too_early" and early["ack"] == 0
    assert early["countdown_ms"] == 2000 and early["time_left"] == 60_000
    h.tick(1500)
    later = of(h.flux(ALICE, alice), ALICE, "game_flux")
    assert later["countdown_ms"] == 500 and later["time_left"] == 60_000
    again = h.only(ALICE, {"command": "connect", "self": "alice", "game_name": alice["game_name"],
                           "token": alice["token"], "timestamp": h.stamp(ALICE)})
    assert again["command"] == "game_start" and again["countdown_ms"] == 500
    h.tick(500)  # the start
    started = of(h.flux(ALICE, alice, locks=[lock]), ALICE, "game_flux")
    assert started["ack"] == 1 and "rejected" not in started and "countdown_ms" not in started
    h.tick(1000)
    assert of(h.flux(ALICE, alice), ALICE, "game_flux")["time_left"] == 59_000


def test_without_a_countdown_game_start_says_zero():
    h = Harness()
    alice, _ = h.start()
    assert alice["countdown_ms"] == 0


# -- a closed tab, a silent link -----------------------------------------------------------------


def test_a_closed_tab_forfeits_after_the_short_grace():
    h = Harness(closed_grace_seconds=3)
    alice, bob = h.start()
    leave(h, BOB, bob, intent="closed")
    h.tick(1000)
    note = of(h.flux(ALICE, alice), ALICE, "game_flux")
    assert note["opponent_away"] is True and note["opponent_away_ms"] == 2000
    assert all(m["command"] != "game_end" for _, m in h.tick(1999))
    ends = h.tick(1)
    end = of(ends, ALICE, "game_end")
    assert end["reason"] == "forfeit" and end["left"] is True and end["winner"] == "alice"


def test_a_reload_within_the_grace_keeps_the_seat():
    h = Harness(closed_grace_seconds=3)
    alice, bob = h.start()
    leave(h, BOB, bob, intent="closed")
    h.tick(400)
    reloaded = ("127.0.0.1", 40999)
    h.ts[reloaded] = h.ts[BOB] + 100  # the reloaded page's clock goes on
    back = h.only(reloaded, {"command": "connect", "self": "bob", "game_name": bob["game_name"],
                             "token": bob["token"], "timestamp": h.stamp(BOB)})
    assert back["command"] == "game_start"
    for _ in range(4):  # past the grace, both talking
        h.tick(1000)
        h.flux(ALICE, alice)
        h.flux(reloaded, bob)
    assert match_of(h, alice).result is None
    assert "opponent_away" not in of(h.flux(ALICE, alice), ALICE, "game_flux")


def test_a_silent_link_keeps_the_disconnect_time():
    h = Harness(disconnect_seconds=10, closed_grace_seconds=3)
    alice, _ = h.start()
    for _ in range(5):
        h.tick(1000)
        reply = of(h.flux(ALICE, alice), ALICE, "game_flux")
    assert match_of(h, alice).result is None
    assert reply["opponent_away"] is True and reply["opponent_away_ms"] == 5000
    h.tick(4000)
    h.flux(ALICE, alice)
    end = of(h.tick(1000), ALICE, "game_end")
    assert end["reason"] == "disconnect" and "left" not in end


# -- one seat, one tab ---------------------------------------------------------------------------


def test_a_seat_taken_by_another_tab_tells_the_old_one_once():
    h = Harness()
    alice, _ = h.start()
    second = ("127.0.0.1", 41000)
    h.ts[second] = h.ts[ALICE] + 100  # a second tab: its own clock, later
    moved = h.flux(second, alice)
    (notice,) = [m for to, m in moved if to == ALICE]
    assert notice["command"] == "error" and notice["reason"] == "moved"
    assert notice["game_name"] == alice["game_name"] and notice["timestamp"] > 0
    assert commands(moved, second) == ["game_flux"]
    again = h.flux(second, alice)
    assert commands(again, ALICE) == [] and commands(again, second) == ["game_flux"]
    # "Play here": the first tab takes it back the same way, and the second is told
    h.ts[ALICE] = h.ts[second] + 100
    back = h.send(ALICE, {"command": "connect", "self": "alice", "game_name": alice["game_name"],
                          "token": alice["token"], "timestamp": h.stamp(ALICE)})
    assert commands(back, ALICE) == ["game_start"] and commands(back, second) == ["error"]
    assert match_of(h, alice).find_seat("alice").address == ALICE


def test_a_move_by_rejoin_tells_the_old_address():
    h = Harness()
    _alice, bob = h.start()
    reloaded = ("127.0.0.1", 41001)
    out = h.send(reloaded, {"command": "connect", "self": "bob", "game_name": bob["game_name"],
                            "token": bob["token"], "timestamp": h.stamp(BOB)})
    assert [m["reason"] for to, m in out if to == BOB] == ["moved"]


# -- link state ---------------------------------------------------------------------------------


def test_probe_tells_each_state_of_a_link():
    h = Harness(match_seconds=10)
    assert probe(h, "n" * 22)["state"] == "unknown"
    waiting = h.only(ALICE, {"command": "connect", "self": "alice", "opponent": "bob"})
    info = probe(h, waiting["game_name"])
    assert info["state"] == "waiting" and info["players"] == ["alice"]
    assert info["invited"] == "bob" and info["winner"] is None and info["rematch"] is None
    h.send(BOB, {"command": "connect", "self": "bob", "opponent": "alice"})
    running = probe(h, waiting["game_name"])
    assert running["state"] == "running" and running["players"] == ["alice", "bob"]
    assert running["watchers"] == 0 and running["timestamp"] > info["timestamp"]
    h.tick(10_000)
    ended = probe(h, waiting["game_name"])
    assert ended["state"] == "ended" and ended["reason"] == "time_up"
    assert ended["score"] == {"alice": 0, "bob": 0} and ended["winner"] is None


def test_a_cancelled_match_probes_as_unknown():
    h = Harness()
    waiting = h.only(ALICE, {"command": "connect", "self": "alice"})
    leave(h, ALICE, waiting)
    assert probe(h, waiting["game_name"])["state"] == "unknown"


def test_an_unproven_prober_gets_at_most_three_times_its_request():
    h = Harness()
    waiting = h.only(ALICE, {"command": "connect", "self": "alice"})
    request = json.dumps({"command": "probe", "game_name": waiting["game_name"]}).encode()
    out = h.datagram(request, FAR)
    assert sum(len(d) for d, _ in out) <= 3 * len(request)
    padded = json.dumps({"command": "probe", "game_name": waiting["game_name"],
                         "pad": "." * 400}).encode()
    ((data, _),) = h.datagram(padded, ("203.0.113.10", 1))
    assert data.startswith(b'{"cookie":"') and json.loads(data)["command"] == "match_info"


# -- rematch -------------------------------------------------------------------------------------


def end_by(h: Harness, reason: str, alice: dict, bob: dict) -> None:
    if reason == "forfeit":
        leave(h, BOB, bob)
    elif reason == "time_up":
        for _ in range(10):  # both talking: only the clock ends it
            h.tick(1000)
            h.flux(ALICE, alice)
            h.flux(BOB, bob)
    elif reason == "disconnect":
        for _ in range(4):  # bob silent, alice talking: bob loses, then comes back
            h.tick(1000)
            h.flux(ALICE, alice)
        h.tick(10)
        h.flux(BOB, bob)
    else:
        assert reason == "top_out"
        tower = Bot(strategy="tower")
        tower.learn(alice)
        for _ in range(40):
            tower.next_lock()
            reply = dict(h.flux(ALICE, alice, locks=tower.unacked))[ALICE]
            if reply["command"] == "game_end":
                break
            tower.learn(reply)
            h.flux(BOB, bob)
    assert match_of(h, alice).result.reason == reason


@pytest.mark.parametrize("reason", ["time_up", "forfeit", "disconnect", "top_out"])
def test_a_rematch_accepted_after_each_ending(reason):
    h = Harness(match_seconds=10, disconnect_seconds=4, countdown_seconds=3)
    alice, bob = h.start()
    for _ in range(3):  # the countdown, both there
        h.tick(1000)
        h.flux(ALICE, alice)
        h.flux(BOB, bob)
    end_by(h, reason, alice, bob)
    asked = rematch(h, ALICE, alice)
    for address in (ALICE, BOB):
        notice = of(asked, address, "rematch")
        assert notice["state"] == "asked" and notice["from"] == "alice" and notice["next"] is None
    accepted = rematch(h, BOB, bob, "accept")
    starts = {}
    for address in (ALICE, BOB):
        assert commands(accepted, address) == ["rematch", "game_start"]
        notice, start = [m for to, m in accepted if to == address]
        assert notice["state"] == "started" and notice["from"] == "bob"
        assert notice["next"] == start["game_name"] != alice["game_name"]
        assert start["timestamp"] > notice["timestamp"]  # the page applies both, in order
        assert start["countdown_ms"] == 3000
        starts[address] = start
    assert starts[ALICE]["token"] not in (alice["token"], bob["token"], starts[BOB]["token"])
    assert starts[ALICE]["opponent"] == "bob" and starts[BOB]["opponent"] == "alice"
    old, new = match_of(h, alice), match_of(h, starts[ALICE])
    assert new.invited == old.invited == "bob"
    assert probe(h, alice["game_name"])["rematch"] == starts[ALICE]["game_name"]
    # the old token still finds the way: a connect on the old match repeats both
    again = h.send(ALICE, {"command": "connect", "self": "alice", "game_name": alice["game_name"],
                           "token": alice["token"], "timestamp": h.stamp(ALICE)})
    assert commands(again, ALICE) == ["game_end", "rematch", "game_start"]
    assert of(again, ALICE, "game_start")["token"] == starts[ALICE]["token"]
    # and the new match plays with the new tokens
    h.tick(3000)
    bot = Bot()
    assert play(h, ALICE, starts[ALICE], bot, 2)["ack"] == 2


def test_a_rematch_declined_and_one_expired():
    h = Harness(rematch_seconds=30)
    alice, bob = h.start()
    leave(h, BOB, bob)
    rematch(h, ALICE, alice)
    declined = rematch(h, BOB, bob, "decline")
    for address in (ALICE, BOB):
        notice = of(declined, address, "rematch")
        assert notice["state"] == "declined" and notice["from"] == "bob"
    h.tick(1000)
    h.flux(BOB, bob)  # bob's page is still there
    asked = rematch(h, BOB, bob)
    assert of(asked, ALICE, "rematch")["state"] == "asked"
    for _ in range(29):
        h.tick(1000)
        h.flux(ALICE, alice)
        h.flux(BOB, bob)
    expired = h.tick(1000)
    for address in (ALICE, BOB):
        notice = of(expired, address, "rematch")
        assert notice["state"] == "expired" and notice["from"] == "bob"
    assert len(h.service.lobby.matches) == 1


def test_a_rematch_needs_an_ended_match_and_both_players():
    h = Harness()
    alice, bob = h.start()
    assert h.only(ALICE, {"command": "rematch", "timestamp": h.stamp(ALICE), "answer": "ask",
                          "game_name": alice["game_name"], "token": alice["token"]}
                  )["reason"] == "no_rematch"
    leave(h, BOB, bob, intent="closed")
    leave(h, ALICE, alice)
    refused = h.only(ALICE, {"command": "rematch", "timestamp": h.stamp(ALICE), "answer": "ask",
                             "game_name": alice["game_name"], "token": alice["token"]})
    assert refused["reason"] == "no_rematch"
    forged = h.only(CAROL, {"command": "rematch", "timestamp": 5, "answer": "ask",
                            "game_name": alice["game_name"], "token": "x" * 22})
    assert forged["reason"] == "bad_token"


def test_a_client_that_never_asks_sees_nothing_new():
    h = Harness()
    alice, bob = h.start()
    ends = leave(h, BOB, bob)
    assert commands(ends, ALICE) == commands(ends, BOB) == ["game_end"]
    assert commands(h.flux(ALICE, alice), ALICE) == ["game_end"]


# -- quick match ---------------------------------------------------------------------------------


def quick(h: Harness, address, name: str):
    return h.send(address, {"command": "connect", "self": name, "queue": "quick"})


def test_quick_match_pairs_first_in_first_out_never_the_same_name():
    h = Harness()
    first = of(quick(h, ALICE, "alice"), ALICE, "waiting")
    assert first["queue"] == "quick" and first["queued_ms"] == 0 and first["opponent"] is None
    h.tick(1500)
    repeat = of(quick(h, ALICE, "alice"), ALICE, "waiting")
    assert repeat["game_name"] == first["game_name"] and repeat["queued_ms"] == 1500
    other_alice = of(quick(h, CAROL, "Alice"), CAROL, "waiting")  # never with the same name
    assert other_alice["game_name"] != first["game_name"]
    paired = quick(h, BOB, "bob")  # the oldest in line
    assert of(paired, ALICE, "game_start")["opponent"] == "bob"
    assert of(paired, BOB, "game_start")["game_name"] == first["game_name"]
    dave = quick(h, DAVE, "dave")
    assert of(dave, CAROL, "game_start")["game_name"] == other_alice["game_name"]
    # a repeat of a paired player's connect finds its match again
    assert of(quick(h, BOB, "bob"), BOB, "game_start")["game_name"] == first["game_name"]


def test_quick_match_cancel_leaves_the_queue():
    h = Harness()
    waiting = of(quick(h, ALICE, "alice"), ALICE, "waiting")
    leave(h, ALICE, waiting)
    fresh = of(quick(h, BOB, "bob"), BOB, "waiting")
    assert fresh["game_name"] != waiting["game_name"]


def test_a_quick_connect_with_a_stray_token_takes_no_one_out_of_the_queue():
    h = Harness()
    waiting = of(quick(h, ALICE, "alice"), ALICE, "waiting")
    stray = h.only(CAROL, {"command": "connect", "self": "mallory", "queue": "quick",
                           "token": "A" * 22})
    assert stray["command"] == "error" and stray["reason"] == "bad_token"
    assert h.service.lobby.quick.waiting() == 1 and len(h.service.lobby.matches) == 1
    paired = quick(h, BOB, "bob")  # alice is still first in line
    assert of(paired, BOB, "game_start")["game_name"] == waiting["game_name"]
    # the seat's own token still finds the match the queue gave it
    again = h.send(ALICE, {"command": "connect", "self": "alice", "queue": "quick",
                           "token": waiting["token"]})
    assert of(again, ALICE, "game_start")["game_name"] == waiting["game_name"]


def test_quick_is_not_with_an_opponent():
    h = Harness()
    refused = h.only(ALICE, {"command": "connect", "self": "alice", "opponent": "bob",
                             "queue": "quick"})
    assert refused["command"] == "error" and refused["reason"] == "bad_field"


# -- challenges ----------------------------------------------------------------------------------


def test_challenges_are_listed_oldest_first_and_accepted():
    h = Harness()
    h.send(ALICE, {"command": "connect", "self": "alice", "opponent": "bob"})
    h.send(CAROL, {"command": "connect", "self": "carol", "opponent": "Bob"})
    h.send(DAVE, {"command": "connect", "self": "dave", "opponent": "eve"})
    listed = h.only(BOB, {"command": "challenges", "self": "bob"})
    assert listed["from"] == ["alice", "carol"] and listed["self"] == "bob"
    started = h.send(BOB, {"command": "connect", "self": "bob", "opponent": "alice"})
    assert of(started, ALICE, "game_start")["opponent"] == "bob"
    again = h.only(BOB, {"command": "challenges", "self": "bob"})
    assert again["from"] == ["carol"] and again["timestamp"] > listed["timestamp"]
    assert h.only(BOB, {"command": "challenges", "self": "nobody"})["from"] == []


def test_challenges_list_at_most_eight():
    h = Harness()
    for k in range(10):
        h.send(("127.0.0.1", 42000 + k), {"command": "connect", "self": f"p{k}",
                                          "opponent": "bob"})
    listed = h.only(BOB, {"command": "challenges", "self": "bob"})
    assert listed["from"] == [f"p{k}" for k in range(8)]


# -- spectators ----------------------------------------------------------------------------------


def test_a_spectator_sees_both_fields_live_and_the_end():
    h = Harness(countdown_seconds=1)
    alice, bob = h.start()
    (view,) = [m for to, m in watch(h, WATCHER, alice["game_name"]) if to == WATCHER]
    assert view["command"] == "spectate" and [p["name"] for p in view["players"]] == [
        "alice", "bob"]
    assert view["countdown_ms"] == 1000 and view["time_left"] == 180_000
    assert view["players"][0]["blocks"] == ["." * 10] * 20 and view["log"] == []
    # the panels a player sees: the pieces after the one in hand, and no held piece yet
    assert view["players"][0]["next"] == alice["next_block"][1:SPECTATE_PREVIEW + 1]
    assert view["players"][1]["next"] == bob["next_block"][1:SPECTATE_PREVIEW + 1]
    assert "hold" not in view["players"][0]
    assert of(h.flux(ALICE, alice), ALICE, "game_flux")["watchers"] == 1
    h.tick(1000)
    bot = Bot()
    mine = play(h, ALICE, alice, bot, 1)
    pushed = [m for to, m in h.tick(50) if to == WATCHER]
    assert [m["command"] for m in pushed] == ["spectate"]
    assert pushed[0]["players"][0]["blocks"] == mine["user_blocks"]
    assert pushed[0]["players"][0]["pieces"] == 1 and pushed[0]["timestamp"] > view["timestamp"]
    assert pushed[0]["players"][0]["next"] == mine["next_block"][1:SPECTATE_PREVIEW + 1]
    # at most one push per interval, however many locks
    for _ in range(2):
        bot.next_lock()
        h.flux(ALICE, alice, locks=bot.unacked)
        bot.learn(of(h.flux(ALICE, alice, locks=bot.unacked), ALICE, "game_flux"))
    assert len([m for to, m in h.tick(100) if to == WATCHER]) == 1
    ends = leave(h, BOB, bob)
    assert commands(ends, ALICE) == ["game_end"]
    end = of(ends, WATCHER, "game_end")
    assert end["winner"] == "alice" and end["stats"]["alice"]["pieces"] == 3
    assert commands(watch(h, WATCHER, alice["game_name"]), WATCHER) == ["game_end"]


def test_spectators_are_bounded_per_match_and_in_all():
    h = Harness(max_watchers_per_match=2, max_watchers=3, disconnect_seconds=30)
    alice, _ = h.start()
    for k in range(2):
        assert commands(watch(h, ("127.0.0.1", 43000 + k), alice["game_name"]),
                        ("127.0.0.1", 43000 + k)) == ["spectate"]
    full = h.only(("127.0.0.1", 43002), {"command": "watch", "timestamp": 1,
                                         "game_name": alice["game_name"], "pad": "." * 60})
    assert full["reason"] == "too_many_watchers"
    assert commands(watch(h, ("127.0.0.1", 43000), alice["game_name"]),
                    ("127.0.0.1", 43000)) == ["spectate"]  # a known one renews
    h.send(DAVE, {"command": "connect", "self": "dave", "opponent": "erin"})
    erin = ("127.0.0.1", 40005)
    other = of(h.send(erin, {"command": "connect", "self": "erin", "opponent": "dave"}), erin,
               "game_start")
    assert commands(watch(h, ("127.0.0.1", 43003), other["game_name"]),
                    ("127.0.0.1", 43003)) == ["spectate"]
    total = h.only(("127.0.0.1", 43004), {"command": "watch", "timestamp": 1,
                                          "game_name": other["game_name"], "pad": "." * 60})
    assert total["reason"] == "too_many_watchers"
    h.tick(10_000)  # silent spectators are dropped, and their room is free again
    h.flux(ALICE, alice)
    assert h.service._watching == 0 and match_of(h, alice).watchers == 0
    assert commands(watch(h, ("127.0.0.1", 43004), other["game_name"]),
                    ("127.0.0.1", 43004)) == ["spectate"]


def test_a_spectator_cannot_act_on_a_seat():
    h = Harness()
    alice, _ = h.start()
    watch(h, WATCHER, alice["game_name"])
    forged = h.only(WATCHER, {"command": "game_flux", "timestamp": 10**9,
                              "game_name": alice["game_name"], "locks": []})
    assert forged["reason"] == "bad_token"
    by_address = Harness(require_token=False)
    alice, _ = by_address.start()
    watch(by_address, WATCHER, alice["game_name"])
    for msg in ({"command": "game_flux", "timestamp": 10**9, "game_name": alice["game_name"]},
                {"command": "leave", "timestamp": 10**9, "game_name": alice["game_name"]}):
        assert by_address.only(WATCHER, msg)["reason"] == "not_in_game"
    assert match_of(by_address, alice).result is None


def test_an_unproven_spectator_gets_only_the_small_verify():
    h = Harness()
    alice, _ = h.start()
    request = json.dumps({"command": "watch", "timestamp": 1,
                          "game_name": alice["game_name"]}).encode()
    sent = received = 0
    for _ in range(10):
        sent += len(request)
        h.service.admit(FAR, len(request), h.clock.ms)
        out = h.service.handle(request, FAR, h.clock.ms)
        received += sum(len(d) for d, _ in out)
        assert [json.loads(d)["command"] for d, _ in out] in ([], ["verify"])
    assert 0 < received <= 3 * sent
    assert match_of(h, alice).watchers == 0  # nothing kept for an address that may be forged


# -- statistics ----------------------------------------------------------------------------------


def test_game_end_stats_are_what_was_played():
    h = Harness()
    alice, bob = h.start()
    bot = Bot()
    last = play(h, ALICE, alice, bot, 12)
    h.tick(2600)  # 12 locks 200 ms apart, then 2.6 s more: 5 s played
    ends = leave(h, BOB, bob)
    end = of(ends, ALICE, "game_end")
    stats = end["stats"]["alice"]
    assert stats["pieces"] == 12 and stats["lines"] == last["lines"]
    assert stats["pps"] == round(12 / 5, 2) and stats["sent"] == last["garbage_sent"]
    assert stats["powers"] == 0 and stats["received"] == 0
    assert end["stats"]["bob"] == {"pieces": 0, "pps": 0, "apm": 0, "lines": 0, "sent": 0,
                                   "received": 0, "powers": 0, "max_combo": 0}
    assert end["fields"]["alice"] == last["user_blocks"]
    assert of(ends, BOB, "game_end")["stats"] == end["stats"]  # both pages, the same numbers


def test_the_largest_end_and_spectate_fit():
    rows = tuple("IIIIOOOOT." if y % 2 else ".ZZSSLLJJG" for y in range(20))
    figures = {"pieces": 999_999, "pps": 99.99, "apm": 999.99, "lines": 99_999,
               "sent": 99_999, "received": 99_999, "powers": 9_999, "max_combo": 99}
    names = ("a" * 16, "b" * 16)
    end = GameEnd(game_name="g" * 22, winner=names[0], score=tuple((n, 9_999_999) for n in names),
                  reason="top_out", user_score=9_999_999, opponent_score=9_999_999,
                  top_out="block_out", left=False, stats=tuple((n, figures) for n in names),
                  final=tuple((n, rows) for n in names))
    data = encode_reply(end, 2**50, cookie="c" * 22)
    assert len(data) <= MAX_DATAGRAM and "stats" in json.loads(data)
    player = {"blocks": list(rows), "hidden": "1ff" * 20, "score": 9_999_999, "lines": 99_999,
              "pieces": 999_999, "garbage": 99, "away": True, "hold": "T",
              "next": ["I"] * SPECTATE_PREVIEW}
    view = Spectate(game_name="g" * 22, players=tuple({"name": n, **player} for n in names),
                    time_left=180_000, countdown_ms=0,
                    log=tuple({"from": names[0], "to": names[1], "power": "clear_line"}
                              for _ in range(6)))
    data = encode_reply(view, 2**50)
    assert len(data) <= MAX_DATAGRAM
    assert [p["blocks"] for p in json.loads(data)["players"]] == [list(rows)] * 2


def test_the_old_match_stops_answering_for_the_new_once_the_player_is_there():
    h = Harness()
    alice, bob = h.start()
    leave(h, BOB, bob)
    rematch(h, ALICE, alice)
    started = rematch(h, BOB, bob, "accept")
    new_alice = of(started, ALICE, "game_start")
    h.flux(ALICE, new_alice)  # alice plays on in the new match
    other_tab = ("127.0.0.1", 41002)
    h.ts[other_tab] = h.ts[ALICE] - 50  # an older tab's clock: its requests are older
    late = h.send(other_tab, {"command": "connect", "self": "alice", "token": alice["token"],
                              "game_name": alice["game_name"], "timestamp": h.stamp(other_tab)})
    assert commands(late, other_tab) == []  # not newer than the seat's newest: nothing moves
    assert match_of(h, new_alice).find_seat("alice").address == ALICE


def test_the_flags_reach_the_settings():
    from block_attack.cli import _server_settings, build_parser

    args = build_parser().parse_args(
        ["server", "--countdown-seconds", "0", "--closed-grace-seconds", "1.5",
         "--rematch-seconds", "20", "--max-watchers-per-match", "4", "--max-watchers", "0"])
    settings = _server_settings(args)
    assert (settings.countdown_seconds, settings.closed_grace_seconds, settings.rematch_seconds,
            settings.max_watchers_per_match, settings.max_watchers) == (0, 1.5, 20, 4, 0)
    match = settings.lobby_settings().match
    assert (match.countdown_ms, match.closed_grace_ms, match.rematch_ms, match.max_watchers) == (
        0, 1500, 20_000, 4)
    assert _server_settings(build_parser().parse_args(["server"])).countdown_seconds == 3
