"""`block-attack`: the one command, with subcommands `server`, `bridge` and `play`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from server.guard import Network, parse_networks
from server.rules.effects import MAX_POWERS, POWERS, EffectKind
from server.udp import ServerSettings, start_server
from server.wire import (
    BRIDGE_PORT,
    DATAGRAMS_PER_SECOND,
    DISCONNECT_SECONDS,
    EFFECT_GRACE_SECONDS,
    MATCH_SECONDS,
    MAX_MATCHES,
    SERVER_HOST,
    SERVER_PORT,
    TRUSTED_NETWORKS,
    WORKERS,
)


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not 0 < number < 10**7:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return number


def _powers(value: str) -> tuple[EffectKind, ...]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - {str(power) for power in POWERS})
    if unknown:
        known = ", ".join(sorted(str(power) for power in POWERS))
        raise argparse.ArgumentTypeError(f"unknown power {unknown[0]!r}; powers are {known}")
    if len(names) > MAX_POWERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_POWERS} powers")
    return tuple(EffectKind(name) for name in names)


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {number}")
    return number


def _workers(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if not 0 <= number <= 64:
        raise argparse.ArgumentTypeError(f"expected 0 to 64, got {number}")
    return number


def _seed(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if not 0 <= number < 2**32:
        raise argparse.ArgumentTypeError(f"expected 0 to {2**32 - 1}, got {number}")
    return number


def _networks(value: str) -> tuple[Network, ...]:
    try:
        return parse_networks(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; or none to trust no network") from None


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {port}")
    return port


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    number = _port(port)
    if number == 0:
        raise argparse.ArgumentTypeError("the server's port cannot be 0")
    return host.strip("[]"), number


def _add_server_flags(parser: argparse.ArgumentParser, *, udp_port: int, port_flag: str) -> None:
    parser.add_argument(port_flag, dest="udp_port", type=_port, default=udp_port,
                        help=f"UDP port (0 picks a free one; default {udp_port})")
    parser.add_argument("--match-seconds", type=_positive, default=MATCH_SECONDS,
                        help=f"length of a match (default {MATCH_SECONDS:g})")
    parser.add_argument("--disconnect-seconds", type=_positive, default=DISCONNECT_SECONDS,
                        help="silence after which a player loses by disconnect "
                             f"(default {DISCONNECT_SECONDS:g})")
    parser.add_argument("--effect-grace-seconds", type=_positive, default=EFFECT_GRACE_SECONDS,
                        help="an effect a player has not taken at a lock by then is applied "
                             f"anyway (default {EFFECT_GRACE_SECONDS:g})")
    parser.add_argument("--starting-powers", type=_powers, default=(),
                        help="powers each player holds from the start, comma-separated, e.g. "
                             "quake,add_line (practice and tests; at most 6)")
    parser.add_argument("--max-datagrams-per-second", type=_positive,
                        default=DATAGRAMS_PER_SECOND,
                        help="per source address; the excess is dropped "
                             f"(default {DATAGRAMS_PER_SECOND:g})")
    parser.add_argument("--max-matches", type=_count, default=MAX_MATCHES,
                        help=f"waiting and running matches held at once (default {MAX_MATCHES})")
    parser.add_argument("--seat-by-address", action="store_true",
                        help="accept game_flux/leave without a token, finding the seat by source "
                             "address (plain seed clients; anyone who can spoof it can play it)")
    parser.add_argument("--trusted-networks", type=_networks,
                        default=parse_networks(TRUSTED_NETWORKS), metavar="CIDR[,CIDR...]",
                        help="source networks that count as proven: no 3x limit, no cookie "
                             f"handshake (default {TRUSTED_NETWORKS}; none trusts nothing: use it "
                             "behind a UDP proxy on this host that forwards public traffic)")
    parser.add_argument("--seed", type=_seed, default=None,
                        help="every match the same piece sequence and draws, for practice and "
                             "load tests (default: a random seed per match)")
    parser.add_argument("--workers", type=_workers, default=WORKERS,
                        help="threads serving datagrams from a bounded queue "
                             f"(default {WORKERS})")
    parser.add_argument("--thread-per-datagram", action="store_true",
                        help="socketserver's stock ThreadingMixIn instead of the workers: a "
                             "thread started per datagram (slower; for comparison)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="block-attack", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", required=True)

    server = commands.add_parser("server", help="run the authoritative UDP match server")
    server.add_argument("--host", default=SERVER_HOST,
                        help=f"address to bind (default {SERVER_HOST})")
    _add_server_flags(server, udp_port=SERVER_PORT, port_flag="--port")

    bridge = commands.add_parser("bridge", help="run the browser bridge (HTTP + WebSocket)")
    bridge.add_argument("--host", default=SERVER_HOST,
                        help=f"address to bind (default {SERVER_HOST})")
    bridge.add_argument("--port", type=_port, default=BRIDGE_PORT,
                        help=f"HTTP port (default {BRIDGE_PORT})")
    bridge.add_argument("--server", type=_host_port, default=(SERVER_HOST, SERVER_PORT),
                        help=f"the UDP server, HOST:PORT (default {SERVER_HOST}:{SERVER_PORT})")
    _add_bridge_flags(bridge)

    play = commands.add_parser("play", help="run the server and the bridge together, locally")
    play.add_argument("--host", default=SERVER_HOST,
                      help=f"address to bind (default {SERVER_HOST})")
    play.add_argument("--port", type=_port, default=BRIDGE_PORT,
                      help=f"HTTP port (default {BRIDGE_PORT})")
    _add_server_flags(play, udp_port=0, port_flag="--udp-port")
    _add_bridge_flags(play)
    return parser


def _add_bridge_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-path", default="/",
                        help="URL path prefix the site lives under, e.g. /blockattack/ (default /)")
    parser.add_argument("--trust-proxy", action="store_true",
                        help="honour X-Forwarded-Proto/-Host from a reverse proxy in front")
    parser.add_argument("--public-url", default=None,
                        help="the site's public URL for share links, e.g. "
                             "https://example.com/blockattack/ (default: from each request)")


def _server_settings(args: argparse.Namespace) -> ServerSettings:
    return ServerSettings(
        host=args.host,
        port=args.udp_port,
        match_seconds=args.match_seconds,
        disconnect_seconds=args.disconnect_seconds,
        starting_powers=args.starting_powers,
        datagrams_per_second=args.max_datagrams_per_second,
        effect_grace_seconds=args.effect_grace_seconds,
        max_matches=args.max_matches,
        require_token=not args.seat_by_address,
        trusted_networks=args.trusted_networks,
        match_seed=args.seed,
        workers=args.workers,
        thread_per_datagram=args.thread_per_datagram,
    )


def _wait_for_signal() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def run_server(args: argparse.Namespace) -> int:
    try:
        running = start_server(_server_settings(args))
    except OSError as exc:
        print(f"block-attack: cannot listen on udp {args.host}:{args.udp_port}: {exc}",
              file=sys.stderr)
        return 1
    host, port = running.address
    print(f"listening on udp://{_format_host(host)}:{port}", flush=True)
    with running:
        _wait_for_signal()
    print("stopped", flush=True)
    return 0


def _run_bridge(args: argparse.Namespace, server: tuple[str, int], banner: str) -> int:
    from bridge.app import BridgeSettings, run_bridge  # aiohttp only loads for the web side

    try:
        settings = BridgeSettings(
            host=args.host,
            port=args.port,
            server=server,
            base_path=args.base_path,
            trust_proxy=args.trust_proxy,
            public_url=args.public_url,
        )
    except ValueError as exc:
        print(f"block-attack: {exc}", file=sys.stderr)
        return 2
    try:
        run_bridge(settings, on_ready=lambda url: print(f"{banner} {url}", flush=True))
    except OSError as exc:
        print(f"block-attack: cannot listen on http {args.host}:{args.port}: {exc}",
              file=sys.stderr)
        return 1
    return 0


def run_play(args: argparse.Namespace) -> int:
    try:
        running = start_server(_server_settings(args))
    except OSError as exc:
        print(f"block-attack: cannot start the UDP server: {exc}", file=sys.stderr)
        return 1
    with running:
        host, port = running.address
        print(f"udp server on udp://{_format_host(host)}:{port}", flush=True)
        return _run_bridge(args, (host, port), "open")


def _format_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "server":
        return run_server(args)
    if args.command == "bridge":
        return _run_bridge(args, args.server, "bridge ready:")
    return run_play(args)


if __name__ == "__main__":
    sys.exit(main())
