"""What crosses the bridge, without sockets: browser frames checked, server datagrams read."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge import frames
from bridge.frames import (
    FrameError,
    leave_datagram,
    parse_client_frame,
    read_server_datagram,
)
from server.wire import MAX_DATAGRAM
from tests.helpers import ALICE, Harness


def test_valid_frame_is_forwarded_byte_for_byte() -> None:
    text = '{"command": "game_flux", "timestamp": 17, "game_name": "Xk3", "é": 1}'
    frame = parse_client_frame(text)
    assert frame.payload == text.encode("utf-8")
    assert (frame.command, frame.timestamp) == ("game_flux", 17)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "bad_json"),
        ('{"command": "connect", "x": NaN}', "bad_json"),
        ("[" * 1000 + "]" * 1000, "too_large"),
        ("[" * 600 + "]" * 600, "not_object"),  # as deep as 1,200 bytes go: parsed, no crash
        ("[1, 2]", "not_object"),
        ('"connect"', "not_object"),
        ('{"self": "alice"}', "unknown_command"),
        ('{"command": "game_start"}', "unknown_command"),
        ('{"command": 5}', "unknown_command"),
        ('{"command": "connect", "pad": "' + "é" * 600 + '"}', "too_large"),  # bytes, not chars
    ],
)
def test_bad_frames_are_refused_with_the_protocol_reason(text: str, reason: str) -> None:
    with pytest.raises(FrameError) as caught:
        parse_client_frame(text)
    assert caught.value.reason == reason
    assert caught.value.detail


@given(st.text(max_size=300))
def test_any_text_is_a_frame_or_a_frame_error(text: str) -> None:
    try:
        frame = parse_client_frame(text)
    except FrameError as exc:
        assert exc.reason in {"bad_json", "not_object", "unknown_command", "too_large"}
    else:
        assert frame.command in {"connect", "game_flux", "leave"}


def test_the_cookie_is_one_more_field_of_the_frame() -> None:
    text = '{"command": "game_flux", "timestamp": 17, "name": "é", "locks": [{"n": 1}]}'
    frame = parse_client_frame(text)
    assert frame.datagram(None) is frame.payload  # no cookie: the browser's own bytes
    with_cookie = frame.datagram("c00kie")
    assert json.loads(with_cookie) == {**json.loads(text), "cookie": "c00kie"}
    assert len(with_cookie) < len(frame.payload) + len(',"cookie":"c00kie"')  # compact, UTF-8
    assert "cookie" not in frame.message  # the frame itself is unchanged


def test_the_bridge_cookie_replaces_the_page_one_once() -> None:
    frame = parse_client_frame('{"command": "leave", "cookie": "page", "cookie": "page2"}')
    pairs = json.loads(frame.datagram("mine"), object_pairs_hook=list)
    assert pairs == [("command", "leave"), ("cookie", "mine")]


def test_a_cookie_that_does_not_fit_leaves_the_frame_as_it_was() -> None:
    text = '{"command": "connect", "pad": "' + "x" * (MAX_DATAGRAM - 40) + '"}'
    frame = parse_client_frame(text)
    assert len(frame.payload) <= MAX_DATAGRAM
    assert frame.datagram("c" * 22) == frame.payload


@pytest.mark.parametrize(
    "data",
    [b'{"cookie":"c00kie","command":"waiting","game_name":"g","token":"t"}',
     b'{"command":"waiting","game_name":"g","cookie":"c00kie","token":"t"}',
     b'{"command":"waiting","game_name":"g","token":"t","cookie":"c00kie"}'],
)
def test_the_server_cookie_is_read_and_kept_from_the_page(data: bytes) -> None:
    message = read_server_datagram(data)
    assert message is not None
    assert message.cookie == "c00kie"
    assert json.loads(message.text) == {"command": "waiting", "game_name": "g", "token": "t"}
    assert (message.command, message.game_name, message.token) == ("waiting", "g", "t")


def test_a_leading_cookie_is_cut_off_and_the_rest_kept_as_it_came() -> None:
    rest = '"timestamp":5,"command":"game_flux","user_blocks":["..........", "é"]}'
    message = read_server_datagram(('{"cookie":"c00kie",' + rest).encode())
    assert message is not None and message.cookie == "c00kie"
    assert message.text == "{" + rest


@pytest.mark.parametrize(
    "data",
    [b'{"cookie":"a","command":"waiting","cookie":"b"}',
     b'{"cookie":"a","command":"waiting","self":"cookie"}',
     b'{"cookie":"","command":"waiting"}'],
)
def test_no_cookie_member_ever_reaches_the_page(data: bytes) -> None:
    message = read_server_datagram(data)
    assert message is not None and message.command == "waiting"
    assert "cookie" not in json.loads(message.text)


def test_a_datagram_without_a_cookie_is_forwarded_as_it_came() -> None:
    data = b'{"command": "game_flux", "timestamp": 5, "user_blocks": []}'
    message = read_server_datagram(data)
    assert message is not None and message.cookie is None
    assert message.text == data.decode()


def test_server_datagrams_are_classified_and_forwarded_as_text() -> None:
    message = read_server_datagram(b'{"command": "game_start", "game_name": "g", "token": "t"}')
    assert message is not None
    assert (message.command, message.game_name, message.token) == ("game_start", "g", "t")
    odd = read_server_datagram(b"not json")
    assert odd is not None and odd.text == "not json" and odd.command is None
    assert read_server_datagram(b"\xff\xfe") is None


def test_leave_datagram_says_closed_and_carries_the_token_only_if_known() -> None:
    assert json.loads(leave_datagram(5, "g", "t")) == {
        "command": "leave", "timestamp": 5, "game_name": "g", "intent": "closed", "token": "t"
    }
    assert "token" not in json.loads(leave_datagram(5, "g", None))


def test_a_server_game_flux_is_read_from_its_head_without_decoding_it(monkeypatch) -> None:
    harness = Harness()
    alice, _bob = harness.start()
    request = {"timestamp": harness.stamp(ALICE), "command": "game_flux",
               "game_name": alice["game_name"], "user_blocks": [], "opponent_blocks": [],
               "power_used": None, "user_score": 0, "powers_available": [],
               "token": alice["token"]}
    replies = harness.datagram(json.dumps(request).encode(), ALICE)
    decoded = [json.loads(data) for data, _ in replies]
    assert decoded and {reply["command"] for reply in decoded} == {"game_flux"}
    monkeypatch.setattr(frames.json, "loads", _no_decoding)
    for (data, _to), reply in zip(replies, decoded, strict=True):
        message = read_server_datagram(data)
        assert message is not None and message.text == data.decode()
        assert message.command == "game_flux" and message.cookie is None
        assert message.timestamp == reply["timestamp"]
    # A cookie anywhere, or any other head, takes the decoding path, which keeps it from the page.
    monkeypatch.undo()
    data = replies[0][0]
    with_cookie = data[:-1] + b',"cookie":"c00kie"}'
    message = read_server_datagram(with_cookie)
    assert message is not None and message.cookie == "c00kie"
    assert json.loads(message.text) == json.loads(data)


def _no_decoding(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("decoded a game_flux the bridge needed only the head of")
