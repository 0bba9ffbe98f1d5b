"""A bench player's link to the server under test: one UDP socket, or one WebSocket (a minimal
RFC 6455 client, so thousands fit in one epoll loop). Both non-blocking; `receive()` returns
every message that has arrived, `send()` never blocks."""

from __future__ import annotations

import base64
import os
import select
import socket

_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA
_HANDSHAKE_LIMIT = 16 * 1024


class UdpTransport:
    def __init__(self, server: tuple[str, int], poller: select.epoll) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.connect(server)  # the kernel then drops anything not from the server
        self.sock.setblocking(False)
        self.closed = False
        self.send_failures = 0
        poller.register(self.sock.fileno(), select.EPOLLIN)

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, data: bytes) -> None:
        try:
            self.sock.send(data)
        except OSError:  # a full buffer or ICMP unreachable: the datagram is lost, as on a net
            self.send_failures += 1

    def receive(self) -> list[bytes]:
        messages = []
        while True:
            try:
                messages.append(self.sock.recv(65536))
            except (BlockingIOError, InterruptedError):
                return messages
            except OSError:  # ICMP port unreachable from an earlier send
                return messages

    def writable(self) -> None:
        pass

    def close(self) -> None:
        self.sock.close()


def _mask(payload: bytes, key: bytes) -> bytes:
    """RFC 6455 §5.3: XOR with the 4-byte key, done as one big-int operation."""
    n = len(payload)
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def _frame(opcode: int, payload: bytes) -> bytes:
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return header + key + _mask(payload, key)


class WsTransport:
    """A WebSocket to `http://host:port{path}` from the source address `source` (so that
    per-address limits see many clients), with the page's Origin."""

    def __init__(
        self, server: tuple[str, int], path: str, source: str, poller: select.epoll
    ) -> None:
        host, port = server
        self.sock = socket.create_connection(server, timeout=10, source_address=(source, 0))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{host}:{port}\r\n\r\n".encode())
        self._in = bytearray(self._read_handshake())
        self._out = bytearray()
        self._poller = poller
        self.closed = False
        self.send_failures = 0
        self.sock.setblocking(False)
        poller.register(self.sock.fileno(), select.EPOLLIN)

    def _read_handshake(self) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk or len(data) > _HANDSHAKE_LIMIT:
                raise ConnectionError("the WebSocket handshake did not complete")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise ConnectionError(f"WebSocket refused: {status.decode(errors='replace')}")
        return rest

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, data: bytes) -> None:
        self._write(_frame(_TEXT, data))

    def _write(self, frame: bytes) -> None:
        if self.closed:
            self.send_failures += 1
            return
        if not self._out:
            try:
                sent = self.sock.send(frame)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self.closed = True
                return
            frame = frame[sent:]
            if not frame:
                return
            self._poller.modify(self.fileno(), select.EPOLLIN | select.EPOLLOUT)
        self._out += frame

    def writable(self) -> None:
        try:
            sent = self.sock.send(self._out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.closed = True
            return
        del self._out[:sent]
        if not self._out:
            self._poller.modify(self.fileno(), select.EPOLLIN)

    def receive(self) -> list[bytes]:
        while True:
            try:
                chunk = self.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                break
            self._in += chunk
        return self._frames()

    def _frames(self) -> list[bytes]:
        buf, messages = self._in, []
        while len(buf) >= 2:
            n, offset = buf[1] & 0x7F, 2
            if len(buf) < {126: 4, 127: 10}.get(n, 2):
                break
            if n == 126:
                n, offset = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                n, offset = int.from_bytes(buf[2:10], "big"), 10
            if buf[1] & 0x80:
                offset += 4  # a server never masks (RFC 6455 §5.1); skip a key if it did
            if len(buf) < offset + n:
                break
            opcode, payload = buf[0] & 0x0F, bytes(buf[offset : offset + n])
            del buf[: offset + n]
            if opcode == _TEXT:
                messages.append(payload)
            elif opcode == _PING:
                self._write(_frame(_PONG, payload))
            elif opcode == _CLOSE:
                self.closed = True
        return messages

    def close(self) -> None:
        self.sock.close()
