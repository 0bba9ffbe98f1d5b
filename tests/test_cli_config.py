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
    proc = subprocess.Popen(
        [sys.executable, "-m", "block_attack.cli", "server", "--port", "0",
         "--log-format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith("listening on udp://")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        lines = proc.stderr.read().splitlines()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert lines, "the server logged nothing"
    records = [json.loads(line) for line in lines]  # every line is one object
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    assert any(record["message"].startswith("stopped:") for record in records)
