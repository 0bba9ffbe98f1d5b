"""How the public sees the bridge: its base URL, its origin and the client's address.

Behind a reverse proxy the request's own scheme, host and peer are the proxy's. X-Forwarded-*
headers say what the browser used, but anyone can send them, so they count only with
`trust_proxy` (as aiohttp's docs advise). With one trusted proxy in front, the rightmost value of
a list is the one that proxy wrote; anything left of it came from the client.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import hdrs, web

from bridge.settings import BridgeSettings, normalise_base_path

_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::[0-9]{1,5})?")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class ProxyHeaderError(ValueError):
    """A Host or X-Forwarded-* header the bridge cannot build a URL from."""


class MisdirectedError(ValueError):
    """A request for a host this bridge does not serve (421): a DNS-rebinding page's, say."""


# What a page's content depends on besides its path, behind a trusted proxy without public_url.
FORWARDED_VARY = "Host, X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Prefix"


def check_host(request: web.Request, settings: BridgeSettings) -> None:
    """Raises ProxyHeaderError for a missing or malformed Host, MisdirectedError for a host (or,
    behind a trusted proxy, a forwarded host) outside settings.allowed_hosts."""
    hosts = [("Host", request.headers.get(hdrs.HOST))]
    if settings.trust_proxy:
        forwarded = _forwarded(request, "X-Forwarded-Host")
        if forwarded is not None:
            hosts.append(("X-Forwarded-Host", forwarded))
    for header, value in hosts:
        if not value or not _HOST.fullmatch(value):
            raise ProxyHeaderError(f"{header} {(value or '')[:80]!r}: not a host[:port]")
        name = host_name(value)
        if not settings.allows_host(name):
            raise MisdirectedError(
                f"this server does not serve {name[:80]!r} ({header}); its operator can add it "
                "with --allowed-hosts"
            )


def host_name(host: str) -> str:
    """The name or address of a host[:port], without the port or an IPv6 literal's brackets."""
    if host.startswith("["):
        return host[1 : host.index("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@dataclass(frozen=True)
class PublicBase:
    """The site's base URL as the browser sees it."""

    scheme: str
    host: str  # host[:port], as in a URL
    path: str  # starts and ends with "/"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.path}"


def public_base(request: web.Request, settings: BridgeSettings) -> PublicBase:
    """The public base URL for this request; ProxyHeaderError if the headers make no sense."""
    if settings.public_url is not None:
        parts = urlsplit(settings.public_url)
        return PublicBase(parts.scheme, parts.netloc, parts.path)
    scheme, host, path = request.scheme, request.host, settings.base_path
    if settings.trust_proxy:
        scheme = _forwarded(request, "X-Forwarded-Proto") or scheme
        host = _forwarded(request, "X-Forwarded-Host") or host
        prefix = _forwarded(request, "X-Forwarded-Prefix")
        if prefix is not None:
            try:
                path = normalise_base_path(prefix)
            except ValueError as exc:
                raise ProxyHeaderError(f"X-Forwarded-Prefix: {exc}") from None
    scheme = scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ProxyHeaderError(f"scheme {scheme!r}: expected http or https")
    if not _HOST.fullmatch(host):
        raise ProxyHeaderError(f"host {host[:80]!r}: not a host[:port]")
    return PublicBase(scheme, host.lower(), path)


def _forwarded(request: web.Request, header: str) -> str | None:
    value = request.headers.get(header, "")
    rightmost = value.rsplit(",", 1)[-1].strip()
    return rightmost or None


def origin_matches(origin: str | None, base: PublicBase, settings: BridgeSettings) -> bool:
    """Whether a browser's Origin header names this site: one of the allowed hosts, on the
    public base's scheme and port. Not the request's own Host: a DNS-rebinding page names its
    own host in both, and only the allowed hosts are the site's."""
    if not origin:
        return False
    expected = _origin_key(f"{base.scheme}://{base.host}")
    given = _origin_key(origin)
    if expected is None or given is None:
        return False
    scheme, host, port = given
    return (scheme, port) == (expected[0], expected[2]) and settings.allows_host(host)


def _origin_key(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def client_ip(request: web.Request, trust_proxy: bool) -> str:
    """The browser's address: the peer, or what a trusted proxy says the peer was."""
    if trust_proxy:
        forwarded_for = _forwarded(request, "X-Forwarded-For")
        if forwarded_for is not None:
            try:
                return str(ipaddress.ip_address(forwarded_for))
            except ValueError:
                pass  # not an address: fall back to the proxy's own
    return request.remote or "unknown"
