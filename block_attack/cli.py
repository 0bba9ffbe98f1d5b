"""`block-attack`: the one command, with subcommands `server`, `bridge`, `play` and `replay`."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
from collections.abc import Sequence

from block_attack import cluster, logs, replay_cli
from block_attack.bridge_limits import add_bridge_limit_flags, bridge_limit_settings
from block_attack.environment import EnvironmentParser
from block_attack.flag_types import COUNT, COUNT_OR_ZERO, PORT, milliseconds, seconds, whole
from server.guard import Network, parse_networks
from server.rules.effects import MAX_POWERS, POWERS, EffectKind
from server.udp import RunningServer, ServerSettings, start_server
from server.wire import (
    BOT_SEARCH_MS,
    BRIDGE_PORT,
    CLOSED_GRACE_SECONDS,
    COUNTDOWN_SECONDS,
    DATAGRAMS_PER_SECOND,
    DISCONNECT_SECONDS,
    EFFECT_GRACE_SECONDS,
    MATCH_SECONDS,
    MAX_BOT_MATCHES,
    MAX_MATCHES,
    MAX_MATCHES_PER_ADDRESS,
    MAX_WATCHERS,
    MAX_WATCHERS_PER_MATCH,
    REMATCH_SECONDS,
    SERVER_HOST,
    SERVER_LOST_SECONDS,
    SERVER_PORT,
    TRUSTED_NETWORKS,
    WORKERS,
)

_SECONDS = seconds()
_SECONDS_OR_ZERO = seconds(zero=True)  # 0 turns the wait off


def _powers(value: str) -> tuple[EffectKind, ...]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - {str(power) for power in POWERS})
    if unknown:
        known = ", ".join(sorted(str(power) for power in POWERS))
        raise argparse.ArgumentTypeError(f"unknown power {unknown[0]!r}; powers are {known}")
    if len(names) > MAX_POWERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_POWERS} powers")
    return tuple(EffectKind(name) for name in names)


def _networks(value: str) -> tuple[Network, ...]:
    try:
        return parse_networks(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; or none to trust no network") from None


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    number = PORT(port)
    if number == 0:
        raise argparse.ArgumentTypeError("the server's port cannot be 0")
    return host.strip("[]"), number


def _add_server_flags(parser: argparse.ArgumentParser, *, udp_port: int, port_flag: str) -> None:
    parser.add_argument(port_flag, dest="udp_port", type=PORT, default=udp_port,
                        help=f"UDP port (0 picks a free one; default {udp_port})")
    parser.add_argument("--match-seconds", type=_SECONDS, default=MATCH_SECONDS,
                        help=f"length of a match (default {MATCH_SECONDS:g})")
    parser.add_argument("--disconnect-seconds", type=_SECONDS, default=DISCONNECT_SECONDS,
                        help="silence after which a player loses by disconnect "
                             f"(default {DISCONNECT_SECONDS:g})")
    parser.add_argument("--countdown-seconds", type=_SECONDS_OR_ZERO, default=COUNTDOWN_SECONDS,
                        help="from pairing to the first piece; locks before are refused "
                             f"(0: none; default {COUNTDOWN_SECONDS:g})")
    parser.add_argument("--closed-grace-seconds", type=_SECONDS, default=CLOSED_GRACE_SECONDS,
                        help="a closed tab's seat waits this long for a reload, then the match "
                             f"ends with forfeit (default {CLOSED_GRACE_SECONDS:g})")
    parser.add_argument("--rematch-seconds", type=_SECONDS, default=REMATCH_SECONDS,
                        help="a rematch asked and not answered by then expires "
                             f"(default {REMATCH_SECONDS:g})")
    parser.add_argument("--max-watchers-per-match", type=COUNT_OR_ZERO,
                        default=MAX_WATCHERS_PER_MATCH,
                        help="spectators of one match at once (0: no watching; default "
                             f"{MAX_WATCHERS_PER_MATCH})")
    parser.add_argument("--max-watchers", type=COUNT_OR_ZERO, default=MAX_WATCHERS,
                        help=f"spectators of all matches together (default {MAX_WATCHERS})")
    parser.add_argument("--effect-grace-seconds", type=_SECONDS, default=EFFECT_GRACE_SECONDS,
                        help="an effect a player has not taken at a lock by then is applied "
                             f"anyway (default {EFFECT_GRACE_SECONDS:g})")
    parser.add_argument("--starting-powers", type=_powers, default=(),
                        help="powers each player holds from the start, comma-separated, e.g. "
                             "quake,add_line (practice and tests; at most 6)")
    parser.add_argument("--max-datagrams-per-second", type=_SECONDS,
                        default=DATAGRAMS_PER_SECOND,
                        help="per source address; the excess is dropped "
                             f"(default {DATAGRAMS_PER_SECOND:g})")
    parser.add_argument("--max-matches", type=COUNT, default=MAX_MATCHES,
                        help=f"waiting and running matches held at once (default {MAX_MATCHES})")
    parser.add_argument("--max-matches-per-address", type=COUNT,
                        default=MAX_MATCHES_PER_ADDRESS,
                        help="matches one IP (an IPv6 /64) may hold at once, waiting, running or "
                             "just ended; the trusted networks (the bridge) are exempt "
                             f"(default {MAX_MATCHES_PER_ADDRESS})")
    parser.add_argument("--max-bot-matches", type=COUNT_OR_ZERO, default=MAX_BOT_MATCHES,
                        help="matches against the computer running at once; over it a connect "
                             f"gets too_many_bots (0: no bots; default {MAX_BOT_MATCHES})")
    parser.add_argument("--bot-search-ms", type=milliseconds(50), default=BOT_SEARCH_MS,
                        help="placement search of all bots together per 50 ms timer tick; the "
                             f"rest waits for the next tick (default {BOT_SEARCH_MS:g})")
    parser.add_argument("--seat-by-address", action="store_true",
                        help="accept game_flux/leave without a token, finding the seat by source "
                             "address (plain seed clients; anyone who can spoof it can play it)")
    parser.add_argument("--trusted-networks", type=_networks,
                        default=parse_networks(TRUSTED_NETWORKS), metavar="CIDR[,CIDR...]",
                        help="source networks that count as proven: no 3x limit, no cookie "
                             f"handshake (default {TRUSTED_NETWORKS}; none trusts nothing: use it "
                             "behind a UDP proxy on this host that forwards public traffic)")
    parser.add_argument("--seed", type=whole(0, 2**32 - 1), default=None,
                        help="every match the same piece sequence and draws, for practice and "
                             "load tests (default: a random seed per match)")
    parser.add_argument("--workers", type=whole(0, 64), default=WORKERS,
                        help="worker threads serving datagrams from a bounded queue; 0 serves "
                             f"them in the reading thread (default {WORKERS})")
    parser.add_argument("--thread-per-datagram", action="store_true",
                        help="socketserver's stock ThreadingMixIn instead of the workers: a "
                             "thread started per datagram (slower; for comparison)")
    parser.add_argument("--metrics-port", type=PORT, default=None,
                        help="serve Prometheus /metrics, /readyz and /livez over HTTP on this "
                             "port (0 picks a free one; default off)")
    parser.add_argument("--metrics-host", default=SERVER_HOST,
                        help=f"address the metrics port binds (default {SERVER_HOST})")
    replay_cli.add_replay_flags(parser)


def _add_log_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-format", choices=logs.FORMATS, default="plain",
                        help="plain lines, or one JSON object per line (default plain)")


def build_parser() -> argparse.ArgumentParser:
    parser = EnvironmentParser(prog="block-attack", description=__doc__,
                               epilog="Every flag can also be set from the environment: "
                                      "--match-seconds 90 as BLOCK_ATTACK_MATCH_SECONDS=90, "
                                      "--trust-proxy as BLOCK_ATTACK_TRUST_PROXY=1. A flag on "
                                      "the command line wins.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", required=True)

    server = commands.add_parser("server", help="run the authoritative UDP match server")
    server.add_argument("--host", default=SERVER_HOST,
                        help=f"address to bind (default {SERVER_HOST})")
    _add_server_flags(server, udp_port=SERVER_PORT, port_flag="--port")
    cluster.add_node_flags(server)
    _add_log_flags(server)

    bridge = commands.add_parser("bridge", help="run the browser bridge (HTTP + WebSocket)")
    bridge.add_argument("--host", default=SERVER_HOST,
                        help=f"address to bind (default {SERVER_HOST})")
    bridge.add_argument("--port", type=PORT, default=BRIDGE_PORT,
                        help=f"HTTP port (default {BRIDGE_PORT})")
    bridge.add_argument("--server", type=_host_port, default=(SERVER_HOST, SERVER_PORT),
                        help=f"the UDP server, HOST:PORT (default {SERVER_HOST}:{SERVER_PORT})")
    _add_bridge_flags(bridge)
    cluster.add_bridge_directory_flags(bridge)
    _add_log_flags(bridge)

    play = commands.add_parser("play", help="run the server and the bridge together, locally")
    play.add_argument("--host", default=SERVER_HOST,
                      help=f"address to bind (default {SERVER_HOST})")
    play.add_argument("--port", type=PORT, default=BRIDGE_PORT,
                      help=f"HTTP port (default {BRIDGE_PORT})")
    _add_server_flags(play, udp_port=0, port_flag="--udp-port")
    _add_bridge_flags(play)
    _add_log_flags(play)
    replay_cli.add_replay_command(commands)
    return parser


def _add_bridge_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-path", default="/",
                        help="URL path prefix the site lives under, e.g. /blockattack/ (default /)")
    parser.add_argument("--trust-proxy", action="store_true",
                        help="honour X-Forwarded-Proto/-Host from a reverse proxy in front")
    parser.add_argument("--public-url", default=None,
                        help="the site's public URL for share links, e.g. "
                             "https://example.com/blockattack/ (default: from each request)")
    parser.add_argument("--metrics", action="store_true",
                        help="serve Prometheus metrics at <base-path>metrics (default off)")
    add_bridge_limit_flags(parser)


def _server_settings(args: argparse.Namespace) -> ServerSettings:
    return ServerSettings(
        host=args.host,
        port=args.udp_port,
        match_seconds=args.match_seconds,
        disconnect_seconds=args.disconnect_seconds,
        starting_powers=args.starting_powers,
        datagrams_per_second=args.max_datagrams_per_second,
        effect_grace_seconds=args.effect_grace_seconds,
        countdown_seconds=args.countdown_seconds,
        closed_grace_seconds=args.closed_grace_seconds,
        rematch_seconds=args.rematch_seconds,
        max_watchers_per_match=args.max_watchers_per_match,
        max_watchers=args.max_watchers,
        max_matches=args.max_matches,
        max_matches_per_address=args.max_matches_per_address,
        max_bot_matches=args.max_bot_matches,
        bot_search_ms=args.bot_search_ms,
        require_token=not args.seat_by_address,
        trusted_networks=args.trusted_networks,
        match_seed=args.seed,
        workers=args.workers,
        thread_per_datagram=args.thread_per_datagram,
        paced_gc=True,  # this process is the server's
        metrics_host=args.metrics_host,
        metrics_port=args.metrics_port,
        **replay_cli.replay_settings(args),
    )


Signals = tuple[list[int], threading.Event]  # the signals received, and "one came"


def _catch_signals() -> Signals:
    """Record SIGINT and SIGTERM from now on. Installed before the server starts, so a signal
    sent as soon as the banner is read drains instead of killing the process."""
    received: list[int] = []
    signalled = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)
        signalled.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    return received, signalled


def _serve_until_signal(running: RunningServer, drain_seconds: float, caught: Signals) -> None:
    """SIGTERM drains: no new match, up to `drain_seconds` for the running ones to end, then
    `server_shutdown` for the rest. SIGINT (Ctrl-C) ends them at once. A second signal cuts a
    drain short."""
    received, signalled = caught
    while not signalled.wait(0.5):
        pass
    signalled.clear()  # from here on, a signal interrupts the drain
    running.drain(drain_seconds if received[0] == signal.SIGTERM else 0.0, signalled)


def run_server(args: argparse.Namespace) -> int:
    try:
        settings = dataclasses.replace(_server_settings(args), **cluster.node_settings(args))
    except ValueError as exc:
        print(f"block-attack: {exc}", file=sys.stderr)
        return 2
    caught = _catch_signals()
    try:
        running = start_server(settings)
    except OSError as exc:
        print(f"block-attack: cannot listen on udp {args.host}:{args.udp_port}: {exc}",
              file=sys.stderr)
        return 1
    host, port = running.address
    print(f"listening on udp://{_format_host(host)}:{port}", flush=True)
    _print_metrics(running)
    with running:
        _serve_until_signal(running, settings.drain_seconds, caught)
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
            metrics=args.metrics,
            **bridge_limit_settings(args),
            # `play` has its own server: only `bridge` takes these
            directory=vars(args).get("directory"),
            server_lost_seconds=vars(args).get("server_lost_seconds", SERVER_LOST_SECONDS),
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
        _print_metrics(running)
        return _run_bridge(args, (host, port), "open")


def _print_metrics(running: RunningServer) -> None:
    if running.metrics_address is not None:
        host, port = running.metrics_address
        print(f"metrics on http://{_format_host(host)}:{port}/metrics", flush=True)


def _format_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "replay":
        return replay_cli.run_replay(args)
    logs.configure(verbose=args.verbose, log_format=args.log_format)
    if args.command == "server":
        return run_server(args)
    if args.command == "bridge":
        return _run_bridge(args, args.server, "bridge ready:")
    return run_play(args)


if __name__ == "__main__":
    sys.exit(main())
