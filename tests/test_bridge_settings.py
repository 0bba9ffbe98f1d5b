"""The bridge's settings: base path, public URL and numbers, checked once."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.settings import STATIC_DIR, WEB_DIR, BridgeSettings, normalise_base_path
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
     {"frames_per_second": 0}, {"max_queued_frames": 0}, {"heartbeat_seconds": -1}],
)
def test_bad_numbers_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        BridgeSettings(**bad)


def test_default_dirs_are_the_repository_web_and_static() -> None:
    assert WEB_DIR == REPO_DIR / "web" and WEB_DIR.is_dir()
    assert STATIC_DIR == REPO_DIR / "static" and STATIC_DIR.is_dir()
    settings = BridgeSettings()
    assert (settings.templates_dir, settings.static_dir) == (WEB_DIR, STATIC_DIR)
