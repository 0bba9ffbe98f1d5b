"""Fuzzing the whole request path: whatever arrives, an `error` reply or silence, never a crash
or a changed match; a match played during the fuzzing finishes unharmed."""

from __future__ import annotations

import json
import math
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.wire import MAX_DATAGRAM
from tests.helpers import ALICE, BOB, Harness

STRANGER = ("127.0.0.1", 47000)

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20))
json_like = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                         | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=20)
FIELDS = ["command", "self", "opponent", "game_name", "token", "timestamp", "locks", "power_used",
          "power_n", "intent", "user_blocks", "user_score", "powers_available", "pad"]


def _messages(game_name: str, token: str):
    """Messages shaped like real ones, every field possibly of a wrong type."""
    lock = st.fixed_dictionaries({}, optional={k: json_like | st.integers(-5, 25) for k in (
        "n", "i", "piece", "r", "x", "y", "spin", "fx")})
    return st.fixed_dictionaries(
        {"command": st.sampled_from(["connect", "game_flux", "leave", "nuke", ""])},
        optional={
            "game_name": st.sampled_from([game_name, "x" * 22]) | json_like,
            "token": st.sampled_from([token[::-1], "A" * 22]) | json_like,
            "timestamp": st.integers(-1, 2**60) | json_like,
            "locks": st.lists(lock, max_size=20) | json_like,
            **{name: json_like for name in FIELDS[2:3] + FIELDS[7:]},
        },
    )


def _encode(message: dict, how: int) -> bytes:
    text = json.dumps(message, allow_nan=True)
    data = text.encode("utf-8", "surrogatepass")
    if how == 1:
        return data[: max(1, len(data) // 2)]  # truncated
    if how == 2:
        return b"\xff\xfe" + data  # invalid UTF-8
    if how == 3:
        return b"[" * 5000 + data  # deeply nested and over-size
    return data


class Fuzzed:
    def __init__(self) -> None:
        self.h = Harness(datagrams_per_second=1e9)
        self.alice, self.bob = self.h.start()
        (self.match,) = self.h.service.lobby.matches.values()

    def snapshot(self) -> tuple:
        return tuple((s.board.field, s.board.score, s.board.locks_applied, s.board.incoming,
                      tuple(s.powers), s.address, s.token) for s in self.match.seats)


FUZZED = Fuzzed()


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(message=_messages(FUZZED.alice["game_name"], FUZZED.alice["token"]),
       how=st.integers(0, 3))
def test_any_message_from_a_stranger_changes_no_match(message, how):
    data = _encode(message, how)
    before = FUZZED.snapshot()
    replies = FUZZED.h.datagram(data, STRANGER)
    for reply, to in replies:
        assert len(reply) <= MAX_DATAGRAM
        decoded = json.loads(reply)
        if to == STRANGER and decoded["command"] == "error":
            assert len(reply) <= len(data)
    if message.get("command") != "connect":
        assert FUZZED.snapshot() == before


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=MAX_DATAGRAM + 100))
def test_any_bytes_from_a_player_change_nothing_unless_they_parse(data):
    before = FUZZED.snapshot()
    replies = FUZZED.h.datagram(data, ALICE)
    assert all(len(reply) <= max(len(data), 0) for reply, _ in replies)
    assert FUZZED.snapshot() == before


def test_the_fuzzed_match_still_plays_to_its_end():
    h = FUZZED.h
    reply = dict(h.flux(ALICE, FUZZED.alice))[ALICE]
    assert reply["command"] == "game_flux" and reply["ack"] == 0
    ends = dict(h.tick(180_000))
    assert ends[ALICE]["command"] == ends[BOB]["command"] == "game_end"
    assert ends[ALICE]["reason"] == "time_up" and not math.isnan(ends[ALICE]["user_score"])


def test_atheris_finds_no_crash_in_the_request_path(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.datagrams", "-runs=30000", "-max_len=1400",
         "-seed=1", f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Done 30000 runs" in result.stderr
