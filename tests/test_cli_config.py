"""The command line's configuration: flags from BLOCK_ATTACK_* variables (the flag wins, a bad
value is refused naming the variable) and the JSON log format."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys

import pytest

from block_attack.cli import _server_settings, build_parser
from block_attack.logs import JsonFormatter
from tests.helpers import CLI, child


def parse(*argv: str):
    return build_parser().parse_args(list(argv))


def test_a_variable_sets_a_flag_and_the_flag_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCK_ATTACK_MATCH_SECONDS", "90")
    monkeypatch.setenv("BLOCK_ATTACK_SEAT_BY_ADDRESS", "yes")
    monkeypatch.setenv("BLOCK_ATTACK_TRUSTED_NETWORKS", "none")
    monkeypatch.setenv("BLOCK_ATTACK_METRICS_PORT", "9100")
    settings = _server_settings(parse("server"))
    assert (settings.match_seconds, settings.require_token) == (90.0, False)
    assert (settings.trusted_networks, settings.metrics_port) == ((), 9100)
    chosen = _server_settings(parse("server", "--match-seconds", "30", "--metrics-port", "0"))
    assert (chosen.match_seconds, chosen.metrics_port) == (30.0, 0)


def test_switches_read_common_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCK_ATTACK_TRUST_PROXY", "1")
    monkeypatch.setenv("BLOCK_ATTACK_METRICS", "off")
    monkeypatch.setenv("BLOCK_ATTACK_LOG_FORMAT", "json")
    args = parse("bridge")
    assert (args.trust_proxy, args.metrics, args.log_format) == (True, False, "json")
    monkeypatch.setenv("BLOCK_ATTACK_TRUST_PROXY", "false")
    assert not parse("bridge").trust_proxy
    assert parse("bridge", "--trust-proxy").trust_proxy


def test_a_variable_for_another_command_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCK_ATTACK_TRUST_PROXY", "maybe")  # the bridge's; the server has none
    assert parse("server").command == "server"


@pytest.mark.parametrize(("variable", "value", "command"), [
    ("BLOCK_ATTACK_MATCH_SECONDS", "soon", "server"),
    ("BLOCK_ATTACK_PORT", "70000", "server"),
    ("BLOCK_ATTACK_TRUSTED_NETWORKS", "10.0.0.1/8", "server"),
    ("BLOCK_ATTACK_TRUST_PROXY", "maybe", "bridge"),
    ("BLOCK_ATTACK_LOG_FORMAT", "xml", "play"),
    ("BLOCK_ATTACK_SERVER", "nowhere", "bridge"),
])
def test_a_bad_variable_is_refused_naming_it(variable: str, value: str, command: str) -> None:
    result = subprocess.run([sys.executable, "-m", "block_attack.cli", command],
                            capture_output=True, text=True, timeout=30,
                            env={**os.environ, variable: value})
    assert result.returncode == 2
    assert f"error: environment variable {variable}:" in result.stderr
    assert repr(value) in result.stderr or value in result.stderr


@pytest.mark.parametrize(("argv", "said"), [
    (["server", "--match-seconds", "nan"], "expected a positive number of seconds, got 'nan'"),
    (["server", "--workers", "65"], "expected 0 to 64, got 65"),
    (["server", "--max-matches", "0"], "expected at least 1, got 0"),
    (["server", "--drain-seconds", "-1"], "expected 0 or more seconds, got '-1'"),
    (["server", "--replay-seconds", "inf"], "expected 0 or more seconds, got 'inf'"),
    (["bridge", "--header-timeout", "1e6"], "expected a positive number of seconds, got '1e6'"),
    (["bridge", "--max-websockets", "many"], "expected a whole number, got 'many'"),
])
def test_the_shared_flag_types_refuse_out_of_range_values(
        argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(*argv)
    assert exited.value.code == 2
    assert f"argument {argv[1]}: {said}" in capsys.readouterr().err


def test_the_shared_flag_types_keep_their_edge_values() -> None:
    args = parse("server", "--countdown-seconds", "0", "--max-watchers", "0", "--workers", "64",
                 "--seed", str(2**32 - 1), "--drain-seconds", "0", "--bot-search-ms", "50")
    assert (args.countdown_seconds, args.max_watchers, args.workers) == (0.0, 0, 64)
    assert (args.seed, args.drain_seconds, args.bot_search_ms) == (2**32 - 1, 0.0, 50.0)


def test_json_logs_are_one_object_per_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.json_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("two\nlines from %s", "alice")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("it failed")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert first["message"] == "two\nlines from alice"
    assert (first["level"], first["logger"]) == ("WARNING", "tests.json_logs")
    assert first["time"].endswith("+00:00") and "exception" not in first
    assert second["message"] == "it failed"
    assert "Traceback" in second["exception"] and "ValueError: boom" in second["exception"]


def test_the_server_logs_json_lines_with_log_format_json() -> None:
    with child([*CLI, "server", "--port", "0", "--log-format", "json"],
               stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith("listening on udp://")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        lines = proc.stderr.read().splitlines()
    assert lines, "the server logged nothing"
    records = [json.loads(line) for line in lines]  # every line is one object
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    assert any(record["message"].startswith("stopped:") for record in records)
