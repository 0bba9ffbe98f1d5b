"""The command line's cluster flags: a server node's `--directory --node-id --public-address`,
its `--drain-seconds`, and a bridge's `--directory` (docs/operations.md "A cluster")."""

from __future__ import annotations

import argparse
import re
from typing import Any
from urllib.parse import urlsplit

from block_attack.flag_types import seconds
from server.directory import parse_address
from server.wire import DRAIN_SECONDS, NODE_ID_PATTERN, SERVER_LOST_SECONDS

DIRECTORY_SCHEMES = ("redis", "rediss", "unix")


def directory_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in DIRECTORY_SCHEMES or not (parts.hostname or parts.path):
        raise argparse.ArgumentTypeError(
            f"expected redis://HOST:PORT/DB (or rediss://, unix://), got {value!r}")
    return value


def node_id(value: str) -> str:
    if not re.fullmatch(NODE_ID_PATTERN, value):
        raise argparse.ArgumentTypeError(
            f"a node id is 1-32 letters, digits or _ . - characters, got {value!r}")
    return value


def public_address(value: str) -> str:
    try:
        parse_address(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


_SECONDS = seconds(zero=True, below=10**6)  # 0 drains not at all
_POSITIVE = seconds(below=10**6)


def add_node_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--directory", type=directory_url, default=None, metavar="URL",
                        help="join a cluster whose directory is this Redis (or Valkey), e.g. "
                             "redis://127.0.0.1:6379/0 (default: none, this server is alone)")
    parser.add_argument("--node-id", type=node_id, default=None,
                        help="this node's name in the directory (needed with --directory)")
    parser.add_argument("--public-address", type=public_address, default=None,
                        metavar="HOST:PORT",
                        help="where clients and bridges reach this node (default: --host:--port)")
    parser.add_argument("--drain-seconds", type=_SECONDS, default=DRAIN_SECONDS,
                        help="on SIGTERM, how long running matches get to end before they end "
                             f"with server_shutdown (default {DRAIN_SECONDS:g})")


def node_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ServerSettings fields of the flags above; ValueError when they do not agree."""
    if args.directory is not None and args.node_id is None:
        raise ValueError("--directory needs --node-id")
    if args.directory is None and (args.node_id or args.public_address):
        raise ValueError("--node-id and --public-address only mean something with --directory")
    return {"directory_url": args.directory, "node_id": args.node_id or "node",
            "public_address": args.public_address, "drain_seconds": args.drain_seconds}


def add_bridge_directory_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--directory", type=directory_url, default=None, metavar="URL",
                        help="route each player to a cluster node found in this Redis, instead "
                             "of the one --server")
    parser.add_argument("--server-lost-seconds", type=_POSITIVE, default=SERVER_LOST_SECONDS,
                        help="a match whose server has said nothing for this long while the "
                             "browser kept sending ends with server_lost (default "
                             f"{SERVER_LOST_SECONDS:g}; with --directory, sooner once the "
                             "node's key has expired)")
