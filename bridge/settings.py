"""The bridge's settings: checked and normalised once, so the rest of the bridge trusts them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from server.wire import BRIDGE_PORT, SERVER_HOST, SERVER_PORT

REPO_DIR = Path(__file__).resolve().parent.parent
WEB_DIR = REPO_DIR / "web"  # jinja2 templates
STATIC_DIR = REPO_DIR / "static"

_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


def normalise_base_path(path: str) -> str:
    """`blockattack`, `/blockattack` and `/blockattack/` all become `/blockattack/`."""
    segments = [segment for segment in path.split("/") if segment]
    for segment in segments:
        if not _PATH_SEGMENT.fullmatch(segment) or segment in (".", ".."):
            raise ValueError(
                f"base path {path!r}: segment {segment!r} must be letters, digits or ._~-"
            )
    return "/" + "".join(segment + "/" for segment in segments)


def normalise_public_url(url: str) -> str:
    """An absolute http(s) URL of the site's base, ending with "/"."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"public URL {url!r}: expected http://host/… or https://host/…")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"public URL {url!r}: no query, fragment or credentials allowed")
    try:
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError:
        raise ValueError(f"public URL {url!r}: bad port") from None
    return f"{parts.scheme}://{parts.netloc.lower()}{normalise_base_path(parts.path)}"


@dataclass(frozen=True)
class BridgeSettings:
    host: str = SERVER_HOST
    port: int = BRIDGE_PORT  # 0 picks a free port; run_bridge reports the real one
    server: tuple[str, int] = (SERVER_HOST, SERVER_PORT)  # the UDP server: the only destination
    base_path: str = "/"  # normalised to start and end with "/"
    trust_proxy: bool = False  # honour X-Forwarded-Proto/-Host/-Prefix/-For
    public_url: str | None = None  # the site's base as the public sees it; overrides the above
    templates_dir: Path = WEB_DIR
    static_dir: Path = STATIC_DIR
    max_connections_per_ip: int = 8
    frames_per_second: float = 60.0  # per WebSocket, token bucket with one second of burst
    max_queued_frames: int = 16  # per WebSocket, besides the one pending game_flux
    heartbeat_seconds: float = 20.0  # keep under nginx's 60 s proxy_read_timeout

    def __post_init__(self) -> None:
        # Frozen, so normalised values are written through object.__setattr__ once, here.
        object.__setattr__(self, "base_path", normalise_base_path(self.base_path))
        if self.public_url is not None:
            object.__setattr__(self, "public_url", normalise_public_url(self.public_url))
        object.__setattr__(self, "templates_dir", Path(self.templates_dir))
        object.__setattr__(self, "static_dir", Path(self.static_dir))
        self._check_numbers()

    def _check_numbers(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port}: expected 0…65535")
        server_host, server_port = self.server
        if not server_host or not 1 <= server_port <= 65535:
            raise ValueError(f"server {self.server!r}: expected (host, port 1…65535)")
        if self.max_connections_per_ip < 1:
            raise ValueError("max_connections_per_ip must be at least 1")
        if not self.frames_per_second > 0:
            raise ValueError("frames_per_second must be positive")
        if self.max_queued_frames < 1:
            raise ValueError("max_queued_frames must be at least 1")
        if not self.heartbeat_seconds > 0:
            raise ValueError("heartbeat_seconds must be positive")
