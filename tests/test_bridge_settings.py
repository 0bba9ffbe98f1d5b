"""The bridge's settings: base path, public URL and numbers, checked once."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.settings import (
    FD_RESERVE,
    STATIC_DIR,
    WEB_DIR,
    BridgeSettings,
    fd_budget,
    normalise_base_path,
    open_file_limit,
)
from tests.conftest import REPO_DIR


@pytest.mark.parametrize(
    ("given_path", "expected"),
    [("", "/"), ("/", "/"), ("blockattack", "/blockattack/"), ("/blockattack", "/blockattack/"),
     ("//a//b/", "/a/b/")],
)
def test_base_path_is_normalised(given_path: str, expected: str) -> None:
    assert normalise_base_path(given_path) == expected
    assert BridgeSettings(base_path=given_path).base_path == expected


@pytest.mark.parametrize("bad_path", ["/a b/", "/../", "/a?b", "/a#b", "/%2e%2e/"])
def test_bad_base_path_is_refused(bad_path: str) -> None:
    with pytest.raises(ValueError, match="base path"):
        BridgeSettings(base_path=bad_path)


def test_public_url_is_normalised_and_checked() -> None:
    settings = BridgeSettings(public_url="https://Example.com/blockattack")
    assert settings.public_url == "https://example.com/blockattack/"
    for bad in ["ftp://example.com/", "example.com", "https://example.com/?q=1", "http://:80/"]:
        with pytest.raises(ValueError, match="public URL"):
            BridgeSettings(public_url=bad)


@pytest.mark.parametrize(
    "bad",
    [{"port": 70000}, {"server": ("127.0.0.1", 0)}, {"max_connections_per_ip": 0},
     {"frames_per_second": 0}, {"max_queued_frames": 0}, {"heartbeat_seconds": -1},
     {"max_websockets_per_ip": 0}, {"matches_per_minute": 0}, {"max_seats_per_ip": -1},
     {"max_connections": 0}, {"max_websockets": 1.5}, {"websockets_per_minute": True},
     {"header_seconds": 0}, {"keepalive_seconds": -1}, {"log_interval_seconds": 0},
     {"allowed_hosts": ("example.com:8080",)}, {"allowed_hosts": ("a/b",)}],
)
def test_bad_numbers_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        BridgeSettings(**bad)


def test_default_dirs_are_the_repository_web_and_static() -> None:
    assert WEB_DIR == REPO_DIR / "web" and WEB_DIR.is_dir()
    assert STATIC_DIR == REPO_DIR / "static" and STATIC_DIR.is_dir()
    settings = BridgeSettings()
    assert (settings.templates_dir, settings.static_dir) == (WEB_DIR, STATIC_DIR)


def test_allowed_hosts_always_hold_the_local_names_the_bind_address_and_the_public_host() -> None:
    assert BridgeSettings().allowed_hosts == ("localhost", "127.0.0.1", "::1")
    settings = BridgeSettings(host="192.168.1.5", public_url="https://Play.Example.com/ba/",
                              allowed_hosts=("[::1]", "Other.Example.", "10.0.0.1"))
    assert settings.allowed_hosts == ("localhost", "127.0.0.1", "::1", "other.example",
                                      "10.0.0.1", "192.168.1.5", "play.example.com")
    assert settings.allows_host("PLAY.example.com") and settings.allows_host("[::1]")
    assert not settings.allows_host("evil.example") and not settings.allows_host("")


def test_total_caps_come_from_the_open_file_limit() -> None:
    """Connections take half and WebSockets a quarter of what the reserve leaves: a WebSocket
    also holds a UDP socket, so at both caps the process stays under its limit."""
    assert fd_budget(1024) == (448, 224)
    connections, websockets = fd_budget(1024)
    assert connections + websockets + FD_RESERVE <= 1024
    settings = BridgeSettings()
    assert (settings.max_connections, settings.max_websockets) == fd_budget(open_file_limit())
    assert BridgeSettings(max_connections=5, max_websockets=2).max_connections == 5
