"""The whole datagram path without a socket: `GameService` fed bytes, a source address and `now`,
asserting on the bytes it hands back (the shell, server/udp.py, is not imported)."""

from __future__ import annotations

import json
import random

import pytest

from server.guard import in_networks, parse_networks
from server.protocol import _joined, encode_reply, rows_fragment
from server.replies import GameFlux, GameStart, PowerRejected, Rejected, State
from server.rules import RULES_VERSION
from server.rules.effects import Effect, EffectKind
from server.rules.field import Field
from server.service import GameService, ServerSettings, SingleThreadLock
from server.wire import MAX_DATAGRAM, SHORT_PREVIEW
from tests.bots import Bot

NOW = 1_764_000_000_000
HOME = ("127.0.0.1", 50001)  # loopback: trusted by default
HOME_TOO = ("127.0.0.1", 50002)
FAR = ("203.0.113.7", 50001)  # a documentation address: never trusted
FAR_TOO = ("203.0.113.8", 50002)


def service(seed: int = 1, **settings) -> GameService:
    return GameService(ServerSettings(**settings), secret=b"test secret", rng=random.Random(seed),
                       lock_factory=SingleThreadLock)


def raw(svc: GameService, address, msg: dict | bytes, now: int = NOW) -> list[tuple[bytes, tuple]]:
    """One datagram through the service as the shell passes it: admitted, then handled."""
    data = msg if isinstance(msg, bytes) else json.dumps(msg).encode()
    if not svc.admit(address, len(data), now):
        return []
    out = svc.handle(data, address, now)
    assert all(isinstance(d, bytes) and len(d) <= MAX_DATAGRAM for d, _ in out)
    return out


def send(svc: GameService, address, msg: dict | bytes, now: int = NOW) -> list[tuple[dict, tuple]]:
    return [(json.loads(d), where) for d, where in raw(svc, address, msg, now)]


def to(replies: list[tuple[dict, tuple]], address) -> list[dict]:
    return [reply for reply, where in replies if where == address]


def connect(name: str, opponent: str | None = None, **extra) -> dict:
    return {"command": "connect", "self": name, "opponent": opponent, **extra}


def start(svc: GameService, a=HOME, b=HOME_TOO, now: int = NOW) -> tuple[dict, dict]:
    send(svc, a, connect("alice", "bob"), now)
    started = send(svc, b, connect("bob", "alice"), now)
    (alice,), (bob,) = to(started, a), to(started, b)
    assert alice["command"] == bob["command"] == "game_start"
    return alice, bob


def flux(game: dict, timestamp: int, **extra) -> dict:
    return {"command": "game_flux", "timestamp": timestamp, "game_name": game["game_name"],
            "token": game["token"], **extra}


# -- connect -----------------------------------------------------------------------------------


def test_a_bare_connect_from_a_trusted_network_is_answered_at_once():
    svc = service()
    (waiting,) = to(send(svc, HOME, connect("alice", "bob")), HOME)  # unpadded, as the seed's
    assert waiting["command"] == "waiting" and "cookie" not in waiting
    started = send(svc, HOME_TOO, connect("bob", "alice"))
    assert [r["command"] for r in to(started, HOME)] == ["game_start"]
    assert [r["command"] for r in to(started, HOME_TOO)] == ["game_start"]
    assert all("cookie" not in reply for reply, _ in started)


def test_a_reply_that_cannot_be_encoded_does_not_take_the_others_with_it(monkeypatch):
    """A proven address's reply that raises ValueError (it cannot be cut to fit) is dropped and
    logged, as an unproven one's is; the request's other replies still go out."""

    def encode(reply, timestamp, cookie=None):
        if getattr(reply, "self_name", None) == "alice":
            raise ValueError("cannot be cut")
        return encode_reply(reply, timestamp, cookie)

    svc = service()
    send(svc, HOME, connect("alice", "bob"))
    monkeypatch.setattr("server.service.encode_reply", encode)
    started = send(svc, HOME_TOO, connect("bob", "alice"))  # both proven: loopback
    assert to(started, HOME) == []
    assert [r["command"] for r in to(started, HOME_TOO)] == ["game_start"]


def test_trusting_no_network_keeps_the_handshake_for_loopback():
    svc = service(trusted_networks=())
    (verify,) = to(send(svc, HOME, connect("alice", "bob")), HOME)
    assert verify["command"] == "verify" and svc.lobby.matches == {}  # proof first
    send(svc, HOME, connect("alice", "bob", cookie=verify["cookie"]))
    (held,) = to(send(svc, HOME_TOO, connect("bob", "alice")), HOME_TOO)
    assert held["command"] == "verify"
    again = send(svc, HOME_TOO, connect("bob", "alice", cookie=held["cookie"]))
    (start_,) = to(again, HOME_TOO)
    assert start_["command"] == "game_start" and "cookie" not in start_  # proven now


def test_an_unproven_address_gets_at_most_three_times_what_it_sent():
    svc = service()
    sent = received = 0
    for _ in range(20):
        data = json.dumps(connect("victim")).encode()
        sent += len(data)
        svc.admit(FAR, len(data), NOW)
        received += sum(len(d) for d, _ in svc.handle(data, FAR, NOW))
    assert 0 < received <= 3 * sent
    assert svc.lobby.matches == {} and svc.counters.challenged == 20  # a verify each, no state


def test_the_cookie_is_the_first_member_and_proves_the_address():
    svc = service()
    ((data, _),) = raw(svc, FAR, connect("alice", pad="." * 400))
    assert data.startswith(b'{"cookie":"')  # a relay can take it off without parsing
    cookie = json.loads(data)["cookie"]
    assert cookie == svc.cookie_for(FAR) != svc.cookie_for(FAR_TOO)
    send(svc, FAR, connect("alice", cookie="x" * 22))  # a wrong cookie proves nothing
    assert not svc.guard.is_verified(FAR)
    (waiting,) = to(send(svc, FAR, connect("alice", cookie=cookie)), FAR)
    assert svc.guard.is_verified(FAR) and "cookie" not in waiting


# -- play ----------------------------------------------------------------------------------------


def test_a_lock_is_judged_acknowledged_echoed_and_pushed():
    svc = service()
    alice, bob = start(svc)
    bot = Bot()
    bot.learn(alice)
    lock = bot.next_lock()
    replies = send(svc, HOME, flux(alice, 5000, locks=[lock]), now=NOW + 500)
    (mine,), (pushed,) = to(replies, HOME), to(replies, HOME_TOO)
    assert mine["ack"] == 1 and mine["echo"] == 5000 and mine["time_left"] == 179_500
    assert mine["user_blocks"] == bot.board.field.to_rows() != ["." * 10] * 20
    assert mine["timestamp"] > alice["timestamp"]
    assert pushed["opponent_blocks"] == mine["user_blocks"] and pushed["opponent_pieces"] == 1
    assert "echo" not in pushed and pushed["timestamp"] > bob["timestamp"]
    repeat = send(svc, HOME, flux(alice, 5001, locks=[lock]), now=NOW + 600)
    assert len(repeat) == 1 and to(repeat, HOME)[0]["ack"] == 1  # applied once, nothing pushed


def test_timestamps_strictly_increase_when_the_clock_stands_still():
    svc = service()
    alice, _ = start(svc)
    stamps = [to(send(svc, HOME, flux(alice, 2000 + k)), HOME)[0]["timestamp"] for k in range(5)]
    assert stamps == sorted(set(stamps)) and stamps[0] > alice["timestamp"]


def test_errors_are_counted_never_larger_than_the_request_and_change_nothing():
    svc = service()
    alice, _ = start(svc)
    for data in (b"{}", b"nope", b"[1, 2]", json.dumps(flux(alice, 9, token="y" * 22)).encode()):
        for reply, _ in raw(svc, HOME, data):
            assert json.loads(reply)["command"] == "error" and len(reply) <= len(data)
    by_reason = svc.counters.by_reason
    assert by_reason == {"unknown_command": 1, "bad_json": 1, "not_object": 1, "bad_token": 1}
    assert "4 refused" in svc.summary()


# -- encoding and trimming -----------------------------------------------------------------------


def _state(effects: int) -> State:
    rows = ["IIIIOOOOT." if y % 2 else ".ZZSSLLJJG" for y in range(20)]
    field = Field.from_rows(rows)
    switch = Effect(id=0, kind=EffectKind.SWITCH, source="bob", rows=tuple(rows[10:]))
    return State(
        user_field=field, opponent_field=field, next_block=tuple("IJLOSTZIJLOSTZ"),
        time_left=1, user_score=0, opponent_score=0, powers_available=(), ack=0, piece_index=0,
        hold=None, hold_index=None, combo=-1, b2b=False, lines=0, opponent_lines=0,
        opponent_pieces=0, opponent_away=False, fx=0,
        effects=tuple({**switch.to_wire(), "id": k + 1} for k in range(effects)),
        power_ack=0, power_applied=tuple({"id": k + 1, "power": "switch", "from": "bob"}
                                         for k in range(effects)), garbage_sent=0)


def test_a_reply_too_large_is_cut_to_fit_with_its_cookie():
    reply = GameFlux(game_name="g" * 22, state=_state(effects=3))
    data = encode_reply(reply, NOW, cookie="c" * 22)
    assert len(data) <= MAX_DATAGRAM
    decoded = json.loads(data)
    assert decoded["cookie"] == "c" * 22 and decoded["timestamp"] == NOW
    assert len(decoded["next_block"]) <= SHORT_PREVIEW and decoded["power_applied"] == []
    assert 0 < len(decoded["effects"]) < 3  # the newest wait for a later datagram
    assert decoded["user_blocks"] == reply.state.user_field.to_rows()


def test_a_reply_is_the_json_of_its_fields_and_reuses_each_boards_encoding():
    reply = GameFlux(game_name="g" * 22, state=_state(effects=0), echo=7)
    decoded = json.loads(encode_reply(reply, NOW))
    rows = reply.state.user_field.to_rows()
    assert decoded == {"timestamp": NOW, "command": "game_flux", **reply.fields(),
                       "user_blocks": rows, "opponent_blocks": rows}
    assert "rejected" not in decoded and "hold" not in decoded and decoded["power_used"] is None
    field = reply.state.user_field
    assert rows_fragment(field) is rows_fragment(field)  # encoded once per field
    assert rows_fragment(field) == json.dumps(rows, separators=(",", ":")).encode()


def _worst_state(user_hidden: int, opponent_hidden: int) -> State:
    """The largest state a match can show: every visible cell and `*_hidden` hidden rows filled,
    7-digit scores and counters, a full preview, six powers of the longest name, a held piece
    and effects pending (the largest ones: switches)."""
    rows = ["IIIIOOOOT." if y % 2 else ".ZZSSLLJJG" for y in range(20)]

    def field(hidden: int) -> Field:
        return Field.from_rows(rows, ["GGGGGGGGG."] * hidden)

    switch = Effect(id=0, kind=EffectKind.SWITCH, source="b" * 16, rows=tuple(rows[6:]))
    big = 9_999_999
    return State(
        user_field=field(user_hidden), opponent_field=field(opponent_hidden),
        next_block=tuple("IJLOSTZIJLOSTZ"), time_left=180_000, user_score=big,
        opponent_score=big, powers_available=("clear_line",) * 6, ack=999_999,
        piece_index=999_999, hold="T", hold_index=999_998, combo=99, b2b=True, lines=99_999,
        opponent_lines=99_999, opponent_pieces=999_999, opponent_away=True, fx=999_990,
        effects=tuple({**switch.to_wire(), "id": 999_991 + k} for k in range(3)),
        power_ack=999_999, power_applied=tuple(
            {"id": 999_991 + k, "power": "switch", "from": "b" * 16} for k in range(3)),
        garbage_sent=99_999)


def test_hidden_rows_travel_as_hex_and_are_left_out_when_empty():
    state = _worst_state(user_hidden=2, opponent_hidden=0)
    decoded = json.loads(encode_reply(GameFlux(game_name="g" * 22, state=state), NOW))
    assert decoded["user_hidden"] == "1ff1ff" == state.user_field.hidden_hex()
    assert "opponent_hidden" not in decoded  # empty: read as no hidden rows
    assert decoded["user_blocks"] == state.user_field.to_rows()


_WORST = _worst_state(user_hidden=20, opponent_hidden=20)
_WORST_REPLIES = {
    "refused lock": GameFlux(game_name="g" * 22, state=_WORST, echo=NOW,
                             rejected=Rejected(n=999_999, i=999_999, reason="collision")),
    "refused power": GameFlux(game_name="g" * 22, state=_WORST, echo=NOW,
                              power_rejected=PowerRejected(n=999_999, power="clear_line",
                                                           reason="not_held")),
    "power used": GameFlux(game_name="g" * 22, state=_WORST, echo=NOW, power_used="clear_line"),
    "rejoin": GameStart(game_name="g" * 22, self_name="a" * 16, opponent="b" * 16, state=_WORST,
                        token="t" * 22),
}


@pytest.mark.parametrize("cookie", [None, "c" * 22])
@pytest.mark.parametrize("kind", _WORST_REPLIES)
def test_the_worst_case_fits_and_keeps_what_the_prediction_needs(kind, cookie):
    reply = _WORST_REPLIES[kind]
    if cookie is not None and kind == "rejoin":
        # 25 bytes too many with the cookie: the service sends the cookie's `verify` alone
        with pytest.raises(ValueError):
            encode_reply(reply, NOW, cookie)
        return
    data = encode_reply(reply, NOW, cookie)
    decoded = json.loads(data)
    assert len(data) <= MAX_DATAGRAM
    assert decoded["user_hidden"] == "1ff" * 20  # never cut: the prediction needs every row
    assert decoded["user_blocks"] == decoded["opponent_blocks"] == _WORST.user_field.to_rows()
    assert "opponent_hidden" not in decoded and "opponent_lines" not in decoded  # drawing only
    assert decoded["hold"] == "T" and decoded["ack"] == 999_999 and len(decoded["next_block"]) >= 2
    assert decoded.get("rejected") == reply.fields().get("rejected")
    assert decoded.get("rules") == (RULES_VERSION if kind == "rejoin" else None)


def test_a_reply_that_fits_keeps_the_opponents_hidden_rows():
    state = _worst_state(user_hidden=1, opponent_hidden=3)._replace(
        effects=(), power_applied=(), powers_available=())
    data = encode_reply(GameFlux(game_name="g" * 22, state=state), NOW)
    decoded = json.loads(data)
    assert decoded["opponent_hidden"] == "1ff" * 3 and len(decoded["next_block"]) == 14
    assert decoded["opponent_lines"] == 99_999 and len(data) > MAX_DATAGRAM - 100  # near the edge


def _generic_json(reply: GameFlux, cookie: str | None) -> bytes:
    """What encode_reply writes for a reply it has to cut, before any cut: the payload dict
    through the JSON encoder, then the boards."""
    head = {} if cookie is None else {"cookie": cookie}
    payload = {**head, "timestamp": NOW, "command": reply.COMMAND, **reply.fields()}
    return _joined(payload, reply.boards())


_SMALL = _state(effects=0)
_FLUX_VARIANTS = {
    "plain": GameFlux(game_name="g" * 22, state=_SMALL),
    "echo": GameFlux(game_name="g" * 22, state=_SMALL, echo=NOW - 5),
    "held, away, watched, counting down": GameFlux(game_name="g-_9" * 5, state=_SMALL._replace(
        hold="T", hold_index=3, opponent_away=True, opponent_away_ms=0, watchers=2,
        countdown_ms=2999, b2b=True, combo=4, powers_available=("nuke", "gravity"))),
    "away, no ms yet": GameFlux(game_name="g" * 22, state=_SMALL._replace(opponent_away=True)),
    "effects and hits": GameFlux(game_name="g" * 22, state=_SMALL._replace(
        effects=({"id": 1, "kind": "garbage", "lines": 2, "from": "bob"},
                 {"id": 2, "kind": "nuke", "from": "bob"}),
        power_applied=({"id": 2, "power": "nuke", "from": "bob"},))),
    "hidden rows": GameFlux(game_name="g" * 22, state=_SMALL._replace(
        user_field=_worst_state(2, 1).user_field,
        opponent_field=_worst_state(2, 1).opponent_field)),
    "power used": GameFlux(game_name="g" * 22, state=_SMALL, power_used="switch", echo=1),
    "refused": GameFlux(game_name="g" * 22, state=_SMALL, echo=1,
                        rejected=Rejected(n=3, i=4, reason="collision"),
                        power_rejected=PowerRejected(n=1, power="nuke", reason="not_held")),
    "odd name": GameFlux(game_name='é"\\\n', state=_SMALL),
}


@pytest.mark.parametrize("cookie", [None, "c" * 22])
@pytest.mark.parametrize("kind", _FLUX_VARIANTS)
def test_the_direct_game_flux_writer_writes_what_the_encoder_does(kind, cookie):
    reply = _FLUX_VARIANTS[kind]
    generic = _generic_json(reply, cookie)
    assert len(generic) <= MAX_DATAGRAM  # uncut: a reply too large takes the generic path
    assert encode_reply(reply, NOW, cookie) == generic  # byte for byte: order, spacing, escapes


# -- timers ---------------------------------------------------------------------------------------


def test_a_tick_looks_only_at_matches_whose_deadline_came(monkeypatch):
    svc = service()
    start(svc)
    (match,) = svc.lobby.matches.values()
    calls = []
    monkeypatch.setattr(match, "tick", lambda now: calls.append(now) or [])
    for k in range(1, 19):  # 0.9 s of 50 ms ticks: nothing is due yet
        assert svc.tick(NOW + 50 * k) == []
    assert calls == []
    svc.tick(NOW + 2_000)  # the "away" deadline
    assert calls == [NOW + 2_000]


def test_the_timers_end_matches_tell_of_silence_and_forget():
    svc = service(match_seconds=10, disconnect_seconds=4)
    alice, _ = start(svc)
    away = to(svc_tick(svc, NOW + 2_000), HOME)
    assert away and away[-1]["opponent_away"] is True  # bob silent 2 s
    send(svc, HOME, flux(alice, 3000), now=NOW + 3_000)
    ends = svc_tick(svc, NOW + 4_000)
    assert {r["reason"] for r, _ in ends} == {"disconnect"}
    assert to(ends, HOME)[0]["winner"] == "alice"
    svc_tick(svc, NOW + 4_000 + 59_999)
    assert len(svc.lobby.matches) == 1  # still answers late datagrams with game_end
    svc_tick(svc, NOW + 4_000 + 60_000)
    assert svc.lobby.matches == {}
    (fresh,) = to(send(svc, HOME, connect("alice", "bob"), now=NOW + 70_000), HOME)
    assert fresh["command"] == "waiting" and fresh["game_name"] != alice["game_name"]


def test_a_waiting_match_expires_and_a_time_up_ends_both():
    svc = service(match_seconds=10)
    send(svc, HOME, connect("carol"))
    svc_tick(svc, NOW + 60_000)  # its host was silent for a minute
    assert svc.lobby.matches == {}
    t0 = NOW + 60_000
    alice, _ = start(svc, now=t0)
    for k in range(1, 10):  # both keep talking, so only the clock can end it
        send(svc, HOME, flux(alice, 100 + k), now=t0 + 1000 * k)
        send(svc, HOME_TOO, flux({**alice, "token": _token(svc, "bob")}, 100 + k),
             now=t0 + 1000 * k)
        assert svc_tick(svc, t0 + 1000 * k) == []
    ends = svc_tick(svc, t0 + 10_000)
    assert [r["reason"] for r, _ in ends] == ["time_up", "time_up"]


def svc_tick(svc: GameService, now: int) -> list[tuple[dict, tuple]]:
    return [(json.loads(d), where) for d, where in svc.tick(now)]


def _token(svc: GameService, name: str) -> str:
    (match,) = svc.lobby.matches.values()
    return match.find_seat(name).token


# -- defences, locks, settings ------------------------------------------------------------------


def test_the_rate_check_sheds_before_anything_is_decoded():
    svc = service(datagrams_per_second=10)
    admitted = [svc.admit(FAR, 100, NOW) for _ in range(25)]
    assert admitted == [True] * 20 + [False] * 5  # a burst of twice the rate
    assert svc.guard.counters.rate_limited == 5 and svc.counters.received == 20
    assert svc.admit(FAR, 100, NOW + 150)  # 0.15 s at 10/s: one more
    assert not svc.admit(FAR, 100, NOW + 150)
    assert svc.admit(HOME, 100, NOW)  # another address has its own bucket


def test_helpers_that_need_a_lock_assert_they_hold_it():
    svc = service()
    start(svc)
    (match,) = svc.lobby.matches.values()
    with pytest.raises(AssertionError):
        svc._leave(match, [], NOW)
    with pytest.raises(AssertionError):
        svc._schedule(match, NOW)
    with match.lock:
        assert svc._leave(match, [], NOW) == []


def test_a_seed_makes_every_match_draw_the_same_pieces():
    def first_preview(svc: GameService) -> list[str]:
        return start(svc)[0]["next_block"]

    assert first_preview(service(seed=1, match_seed=7)) == first_preview(service(2, match_seed=7))
    assert first_preview(service(seed=1)) != first_preview(service(seed=2))


def test_trusted_networks_parse_and_match():
    loopback = parse_networks("127.0.0.0/8,::1/128")
    assert in_networks(("127.9.9.9", 1), loopback) and in_networks(("::1", 1, 0, 0), loopback)
    assert in_networks(("::ffff:127.0.0.1", 1, 0, 0), loopback)  # dual-stack socket
    assert not in_networks(FAR, loopback) and not in_networks(HOME, parse_networks("none"))
    with pytest.raises(ValueError, match="not a network"):
        parse_networks("10.0.0.1/8")
    with pytest.raises(ValueError, match="not a network"):
        parse_networks("localhost")
