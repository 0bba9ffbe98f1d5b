"""The bridge's limit flags (`bridge` and `play`): allowed hosts, per-client and total caps,
timeouts. Defaults come from bridge/settings.py, where each is declared once."""

from __future__ import annotations

import argparse
from typing import Any

from block_attack.flag_types import COUNT, seconds
from bridge.settings import (
    CONNECTIONS_PER_IP,
    FRAMES_PER_IP,
    HEADER_SECONDS,
    KEEPALIVE_SECONDS,
    LOCAL_HOSTS,
    LOG_INTERVAL_SECONDS,
    MATCHES_PER_MINUTE,
    SEATS_PER_IP,
    WEBSOCKETS_PER_IP,
    WEBSOCKETS_PER_MINUTE,
    normalise_host,
)


def _hosts(value: str) -> tuple[str, ...]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    try:
        return tuple(normalise_host(name) for name in names)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_SECONDS = seconds(below=10**6)


# flag, BridgeSettings field, type, default (None: from the open-file limit), help
_FLAGS: tuple[tuple[str, str, Any, object, str], ...] = (
    ("--max-websockets-per-ip", "max_websockets_per_ip", COUNT, WEBSOCKETS_PER_IP,
     "WebSockets one client address may hold open"),
    ("--websockets-per-minute", "websockets_per_minute", COUNT, WEBSOCKETS_PER_MINUTE,
     "WebSocket upgrades one client address may make a minute"),
    ("--matches-per-minute", "matches_per_minute", COUNT, MATCHES_PER_MINUTE,
     "matches one client address may create a minute (too_many_matches beyond)"),
    ("--max-seats-per-ip", "max_seats_per_ip", COUNT, SEATS_PER_IP,
     "WebSockets of one client address that may be in a match at once"),
    ("--frames-per-ip", "frames_per_ip", COUNT, FRAMES_PER_IP,
     "frames a second one client address's WebSockets may send together; beyond it they are "
     "read late (backpressure)"),
    ("--max-connections", "max_connections", COUNT, None,
     "TCP connections in total (default: half the open-file limit less a reserve)"),
    ("--max-websockets", "max_websockets", COUNT, None,
     "WebSockets in total (default: a quarter of the open-file limit less a reserve)"),
    ("--max-connections-per-ip", "max_connections_per_ip", COUNT, CONNECTIONS_PER_IP,
     "TCP connections per peer address; not applied with --trust-proxy, where the proxy "
     "caps them"),
    ("--header-timeout", "header_seconds", _SECONDS, HEADER_SECONDS,
     "seconds a new connection has to send its request header"),
    ("--keepalive-timeout", "keepalive_seconds", _SECONDS, KEEPALIVE_SECONDS,
     "seconds an idle keep-alive connection stays open"),
    ("--log-interval", "log_interval_seconds", _SECONDS, LOG_INTERVAL_SECONDS,
     "repeated log lines of one kind are counted and reported once per this many seconds"),
)


def add_bridge_limit_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allowed-hosts", type=_hosts, default=(), metavar="HOST[,HOST...]",
                        help="host names the site answers to, besides "
                             f"{', '.join(LOCAL_HOSTS)}, the bind address and the host of "
                             "--public-url; any other Host gets 421 and any other WebSocket "
                             "Origin 403 (what stops DNS rebinding)")
    for flag, dest, kind, default, words in _FLAGS:
        shown = "" if default is None else f" (default {default:g})"
        parser.add_argument(flag, dest=dest, type=kind, default=default, help=words + shown,
                            metavar="SECONDS" if kind is _SECONDS else "N")


def bridge_limit_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The BridgeSettings fields these flags set."""
    return {"allowed_hosts": args.allowed_hosts,
            **{dest: getattr(args, dest) for _flag, dest, *_rest in _FLAGS}}
