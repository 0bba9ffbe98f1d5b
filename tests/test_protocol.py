"""Parsing datagrams into messages, and the size rule of error replies."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import ProtocolError
from server.protocol import (
    MAX_DATAGRAM,
    Connect,
    Flux,
    Leave,
    LeaveIntent,
    decode,
    encode,
    error_reply,
)
from server.rules.board import Lock
from server.rules.movement import LastTurn
from server.rules.pieces import Piece


def raw(obj: object) -> bytes:
    return json.dumps(obj).encode()


def reason_of(data: bytes) -> str:
    with pytest.raises(ProtocolError) as info:
        decode(data)
    return info.value.reason


def test_connect_seed_shape():
    msg = decode(raw({"command": "connect", "self": "alice", "opponent": "bob"}))
    assert msg == Connect(name="alice", opponent="bob", game_name=None, token=None, timestamp=None)


def test_connect_by_link_with_token_and_trimmed_name():
    msg = decode(raw({"command": "connect", "self": "  bob ", "game_name": "abc_DEF-1",
                      "token": "tok-1", "timestamp": 5}))
    assert msg == Connect(name="bob", opponent=None, game_name="abc_DEF-1", token="tok-1",
                          timestamp=5)


@pytest.mark.parametrize("name", ["", "   ", "x" * 17, "a\u0000b", "<script>", 7, ["a"]])
def test_bad_names_rejected(name):
    assert reason_of(raw({"command": "connect", "self": name})) == "bad_name"


def test_cannot_challenge_yourself():
    assert reason_of(raw({"command": "connect", "self": "Al", "opponent": "al"})) == "bad_name"


def test_flux_with_locks():
    msg = decode(raw({
        "timestamp": 10, "command": "game_flux", "game_name": "g1", "user_blocks": ["junk"],
        "opponent_blocks": None, "power_used": None, "user_score": 999999,
        "powers_available": ["nuke"],
        "locks": [{"n": 0, "i": 0, "piece": "T", "r": 2, "x": 3, "y": 18,
                   "last": {"rot": "180", "kick": 5}}],
    }))
    assert isinstance(msg, Flux)
    assert msg.locks == (Lock(n=0, index=0, piece=Piece.T, r=2, x=3, y=18,
                              last=LastTurn(2, 5)),)
    assert msg.timestamp == 10 and msg.game_name == "g1" and msg.power_used is None


def test_flux_seed_only_fields_are_enough():
    msg = decode(raw({"timestamp": 1, "command": "game_flux", "game_name": "g"}))
    assert isinstance(msg, Flux) and msg.locks == () and msg.token is None


@pytest.mark.parametrize(
    ("lock", "where"),
    [
        ({"n": 0, "i": 0, "piece": "T", "r": 2, "x": "3", "y": 18}, "locks[0].x"),
        ({"n": 0, "i": 0, "piece": "Q", "r": 2, "x": 3, "y": 18}, "locks[0].piece"),
        ({"n": 0, "i": 0, "piece": "T", "r": 4, "x": 3, "y": 18}, "locks[0].r"),
        ({"n": True, "i": 0, "piece": "T", "r": 0, "x": 3, "y": 18}, "locks[0].n"),
        ({"n": 0, "i": 0, "piece": "T", "r": 0, "x": 3.0, "y": 18}, "locks[0].x"),
        ({"n": 0, "i": 0, "piece": "T", "r": 0, "x": 3, "y": 18, "last": True}, "locks[0].last"),
        ({"n": 0, "i": 0, "piece": "T", "r": 0, "x": 3, "y": 18,
          "last": {"rot": "cw", "kick": 5}}, "locks[0].last.kick"),
        ({"n": 0, "i": 0, "piece": "T", "r": 0, "x": 3, "y": 18,
          "last": {"rot": "up", "kick": 0}}, "locks[0].last"),
        ({"n": 0, "i": 0, "piece": "T", "r": 0, "x": 3, "y": 18,
          "last": {"rot": ["cw"], "kick": 0}}, "locks[0].last"),  # unhashable: no TypeError
        ("lock", "locks[0]"),
    ],
)
def test_bad_lock_fields_say_where(lock, where):
    with pytest.raises(ProtocolError) as info:
        decode(raw({"timestamp": 1, "command": "game_flux", "game_name": "g", "locks": [lock]}))
    assert info.value.reason == "bad_field"
    assert where in info.value.detail


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe", "bad_json"),
        (b"{", "bad_json"),
        (b"[1, 2]", "not_object"),
        (b'"connect"', "not_object"),
        (b'{"command": "launch"}', "unknown_command"),
        (b'{"self": "a"}', "unknown_command"),
        (b'{"command": 3}', "unknown_command"),
        (b'{"command": "game_flux", "timestamp": NaN, "game_name": "g"}', "bad_json"),
        (b'{"command": "game_flux", "timestamp": Infinity, "game_name": "g"}', "bad_json"),
        (b'{"command": "game_flux", "timestamp": 1e3, "game_name": "g"}', "bad_field"),
        (b'{"command": "game_flux", "timestamp": -1, "game_name": "g"}', "bad_field"),
        (b'{"command": "game_flux", "timestamp": 99999999999999999999, "game_name": "g"}',
         "bad_field"),
        (b'{"command": "game_flux", "timestamp": 1}', "bad_field"),
        (b'{"command": "game_flux", "timestamp": 1, "game_name": "../x"}', "bad_field"),
        (b'{"command": "leave", "timestamp": 1, "game_name": "g", "intent": "x"}', "bad_field"),
        (b"[" * 600 + b"]" * 600, "not_object"),
        (b"{\"a\":" * 150 + b"1" + b"}" * 150, "unknown_command"),
    ],
)
def test_malformed_datagrams(data, reason):
    assert reason_of(data) == reason


def test_deep_nesting_is_an_error_not_a_crash():
    data = b"[" * 100_000
    assert reason_of(data[:MAX_DATAGRAM]) == "bad_json"


def test_oversize_datagram():
    data = raw({"command": "connect", "self": "a", "pad": "x" * MAX_DATAGRAM})
    assert reason_of(data) == "too_large"


def test_leave_defaults_to_forfeit():
    msg = decode(raw({"command": "leave", "timestamp": 3, "game_name": "g", "token": "t"}))
    assert msg == Leave(timestamp=3, game_name="g", token="t", intent=LeaveIntent.FORFEIT)


def test_error_reply_never_larger_than_request():
    err = ProtocolError("bad_field", "game_flux.locks[2].x: expected an integer")
    big = error_reply(err, 500)
    assert big is not None and json.loads(big)["detail"].startswith("game_flux")
    small = error_reply(err, 45)
    assert small is not None and len(small) <= 45 and "detail" not in json.loads(small)
    assert error_reply(err, 10) is None


def test_encode_is_compact_utf8():
    assert encode({"a": [1, 2], "name": "zoë"}) == '{"a":[1,2],"name":"zoë"}'.encode()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=MAX_DATAGRAM + 50))
def test_any_bytes_parse_or_raise_protocol_error(data):
    try:
        decode(data)
    except ProtocolError as exc:
        assert exc.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["connect", "game_flux", "leave"]),
    st.dictionaries(
        st.sampled_from(["self", "opponent", "game_name", "token", "timestamp", "locks",
                         "power_used", "intent", "user_blocks"]),
        json_values,
    ),
)
def test_wrong_types_for_every_field_never_escape(command, fields):
    data = raw({"command": command, **fields})
    try:
        decode(data)
    except ProtocolError as exc:
        assert exc.reason in {"bad_field", "bad_name", "too_large", "bad_json"}


def test_every_error_reason_is_declared_once_and_documented():
    import re
    from pathlib import Path

    from server.wire import Reason

    docs = (Path(__file__).parent.parent / "docs" / "protocol.md").read_text()
    errors = docs.split("## Errors", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", errors, re.M))
    assert documented == {str(reason) for reason in Reason}
    sources = Path(__file__).parent.parent
    raised = set()
    for path in [*sources.glob("server/*.py"), *sources.glob("bridge/*.py")]:
        raised |= set(re.findall(r"(?:ProtocolError|FrameError)\(\s*Reason\.([A-Z_]+)",
                                 path.read_text()))
        assert not re.search(r"(?:ProtocolError|FrameError)\(\s*\"", path.read_text()), path
    assert raised <= set(Reason.__members__)
