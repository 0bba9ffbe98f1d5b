"""The bridge's settings: checked and normalised once, so the rest of the bridge trusts them."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from server.wire import BRIDGE_PORT, SERVER_HOST, SERVER_LOST_SECONDS, SERVER_PORT

REPO_DIR = Path(__file__).resolve().parent.parent


def _site_dir(name: str) -> Path:
    """A wheel carries web/ and static/ as the bridge's package data (pyproject.toml maps
    them); a checkout or an editable install has them at the top of the repository."""
    packaged = resources.files(__package__ or "bridge") / name
    return Path(str(packaged)) if packaged.is_dir() else REPO_DIR / name


WEB_DIR = _site_dir("web")  # jinja2 templates
STATIC_DIR = _site_dir("static")

_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?")

# -- the bridge's limits (docs/protocol.md "The bridge"; the CLI's flags read these) -------------

WEBSOCKETS_PER_IP = 8  # open at once, per client address
WEBSOCKETS_PER_MINUTE = 30  # upgrades per client address, as a token bucket of a minute's burst
MATCHES_PER_MINUTE = 10  # matches a client address may create, likewise
SEATS_PER_IP = 8  # WebSockets of one client address in a match (or asking for a new one) at once
# Frames a second all of one client address's WebSockets may send together (a second's burst); a
# page sends about 25 at most, so this is four busy tabs, and 64 flooding addresses cost the
# bridge at most 64 times it.
FRAMES_PER_IP = 120
CONNECTIONS_PER_IP = 32  # TCP connections per peer address (not behind --trust-proxy: all are it)
HEADER_SECONDS = 10.0  # a connection whose first request header has not arrived by then is closed
KEEPALIVE_SECONDS = 15.0  # an idle keep-alive connection is closed after this long
LOG_INTERVAL_SECONDS = 10.0  # one line per kind of error per interval, with a count
# File descriptors kept out of the connection budget: listening sockets, the event loop, logs,
# refusals being answered, and the few accepted in one batch before a cap is seen.
FD_RESERVE = 128
FD_FALLBACK = 4096  # the budget's base where the open-file limit is unknown or unlimited
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")  # always allowed: no one else can name them


def open_file_limit() -> int:
    """The process's soft RLIMIT_NOFILE, or FD_FALLBACK where there is none to read."""
    try:
        import resource
    except ImportError:  # not on Windows
        return FD_FALLBACK
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return FD_FALLBACK if soft == resource.RLIM_INFINITY or soft <= 0 else soft


def fd_budget(limit: int) -> tuple[int, int]:
    """(connections, WebSockets) for an open-file limit. A WebSocket holds two descriptors (its
    TCP connection and its UDP socket), and so does a connection sending a static file; half the
    budget for connections and a quarter for WebSockets keeps the process under its limit, so it
    never reaches EMFILE."""
    budget = max(8, limit - FD_RESERVE)
    return budget // 2, budget // 4


def normalise_host(host: str) -> str:
    """A host name or address as the allowed-hosts list holds it: lower case, no brackets, no
    port. ValueError when it is neither a name nor an address."""
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    if len(name) > 253 or not _HOST_NAME.fullmatch(name):
        raise ValueError(f"allowed host {host!r}: expected a host name or an IP address, no port")
    return name.rstrip(".")


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
    # Host names the site answers to besides LOCAL_HOSTS, the bind address and the host of
    # public_url: any other Host (or forwarded host) gets 421, any other Origin 403. This is
    # what stops a DNS-rebinding page, whose requests name the attacker's host.
    allowed_hosts: tuple[str, ...] = ()
    max_websockets_per_ip: int = WEBSOCKETS_PER_IP
    websockets_per_minute: int = WEBSOCKETS_PER_MINUTE  # upgrades, per client address
    matches_per_minute: int = MATCHES_PER_MINUTE  # created, per client address
    max_seats_per_ip: int = SEATS_PER_IP
    max_connections: int | None = None  # TCP, in total; None: from the open-file limit
    max_websockets: int | None = None  # in total; None: from the open-file limit
    max_connections_per_ip: int = CONNECTIONS_PER_IP  # TCP; not applied with trust_proxy
    header_seconds: float = HEADER_SECONDS
    keepalive_seconds: float = KEEPALIVE_SECONDS
    log_interval_seconds: float = LOG_INTERVAL_SECONDS
    frames_per_second: float = 60.0  # per WebSocket, token bucket with one second of burst
    frames_per_ip: int = FRAMES_PER_IP  # per client address, shared by its WebSockets
    max_queued_frames: int = 16  # per WebSocket, besides the one pending game_flux
    heartbeat_seconds: float = 20.0  # keep under nginx's 60 s proxy_read_timeout
    metrics: bool = False  # serve Prometheus metrics at <base_path>metrics
    # A cluster's directory (redis://…): each connect goes to the node it belongs on, not to
    # `server` (bridge/routing.py).
    directory: str | None = None
    server_lost_seconds: float = SERVER_LOST_SECONDS  # silence that ends a match: server_lost

    def __post_init__(self) -> None:
        # Frozen, so normalised values are written through object.__setattr__ once, here.
        object.__setattr__(self, "base_path", normalise_base_path(self.base_path))
        if self.public_url is not None:
            object.__setattr__(self, "public_url", normalise_public_url(self.public_url))
        object.__setattr__(self, "templates_dir", Path(self.templates_dir))
        object.__setattr__(self, "static_dir", Path(self.static_dir))
        object.__setattr__(self, "allowed_hosts", self._allowed_hosts())
        connections, websockets = fd_budget(open_file_limit())
        if self.max_connections is None:
            object.__setattr__(self, "max_connections", connections)
        if self.max_websockets is None:
            object.__setattr__(self, "max_websockets", websockets)
        self._check_numbers()

    def _allowed_hosts(self) -> tuple[str, ...]:
        hosts = [*LOCAL_HOSTS, *self.allowed_hosts]
        if self.host:
            hosts.append(self.host)
        if self.public_url is not None:
            hosts.append(urlsplit(self.public_url).hostname or "")
        return tuple(dict.fromkeys(normalise_host(host) for host in hosts))

    def allows_host(self, host: str) -> bool:
        """Whether `host` (a name or an address, bracketed or not, no port) is served here."""
        try:
            return normalise_host(host) in self.allowed_hosts
        except ValueError:
            return False

    def _check_numbers(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port}: expected 0…65535")
        server_host, server_port = self.server
        if not server_host or not 1 <= server_port <= 65535:
            raise ValueError(f"server {self.server!r}: expected (host, port 1…65535)")
        for name in ("max_websockets_per_ip", "websockets_per_minute", "matches_per_minute",
                     "max_seats_per_ip", "max_connections", "max_websockets",
                     "max_connections_per_ip", "frames_per_ip"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} {value!r}: expected a whole number, at least 1")
        for name in ("header_seconds", "keepalive_seconds", "log_interval_seconds",
                     "frames_per_second", "heartbeat_seconds", "server_lost_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.max_queued_frames < 1:
            raise ValueError("max_queued_frames must be at least 1")
