"""The baselines the bench measures our servers against, each a process of its own:

    python -m bench.echo udp-threaded --port 0   # ThreadingUDPServer: JSON decode, encode, echo
    python -m bench.echo udp-plain --port 0      # UDPServer: the bytes straight back
    python -m bench.echo ws --port 0             # aiohttp: each WebSocket text frame back

Each prints `listening on SCHEME://HOST:PORT` once ready and stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socketserver
import sys
import threading
from collections.abc import Sequence

from aiohttp import WSMsgType, web


class _JsonEcho(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(json.dumps(json.loads(data)).encode(), self.client_address)


class _PlainEcho(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(data, self.client_address)


class ThreadedEchoServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


def _serve_udp(server: socketserver.UDPServer) -> None:
    host, port = server.server_address[:2]
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"listening on udp://{host}:{port}", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()


async def _ws_echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False, max_msg_size=64 * 1024)  # as the bridge's
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(msg.data)
    return ws


async def _serve_ws(host: str, port: int) -> None:
    app = web.Application()
    app.router.add_get("/ws", _ws_echo)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    bound = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"listening on http://{host}:{bound}/", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.echo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=("udp-threaded", "udp-plain", "ws"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.kind == "ws":
        asyncio.run(_serve_ws(args.host, args.port))
    elif args.kind == "udp-threaded":
        _serve_udp(ThreadedEchoServer((args.host, args.port), _JsonEcho))
    else:
        _serve_udp(socketserver.UDPServer((args.host, args.port), _PlainEcho))
    return 0


if __name__ == "__main__":
    sys.exit(main())
