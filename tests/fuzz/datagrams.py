"""atheris target: any bytes through the whole request path of a server with a running match.

Run by tests/test_fuzz.py as `python -m tests.fuzz.datagrams -runs=N`. A crash is any exception
escaping `GameService.handle`, a reply over the size limit, or an error reply larger than the
datagram that caused it.
"""

import json
import random
import sys

import atheris

with atheris.instrument_imports():
    from server.service import GameService, ServerSettings, SingleThreadLock
    from server.wire import MAX_DATAGRAM

ALICE, BOB, FUZZER = ("127.0.0.1", 1), ("127.0.0.1", 2), ("127.0.0.1", 3)
NOW = 1_764_000_000_000
SERVICE = GameService(ServerSettings(datagrams_per_second=1e9, trusted_networks=()),
                      secret=b"fuzz", rng=random.Random(1), lock_factory=SingleThreadLock)


def _handle(data: bytes, address: tuple) -> list[tuple[bytes, tuple]]:
    return SERVICE.handle(data, address, NOW) if SERVICE.admit(address, len(data), NOW) else []


def _connect(address, name, opponent):
    msg = {"command": "connect", "self": name, "opponent": opponent, "pad": "." * 400}
    return [json.loads(data) for data, _ in _handle(json.dumps(msg).encode(), address)]


_connect(ALICE, "alice", "bob")
_connect(BOB, "bob", "alice")  # a running match for the fuzzed datagrams to hit
def test_one(data: bytes) -> None:
    for reply, to in _handle(data, FUZZER):
        assert len(reply) <= MAX_DATAGRAM
        if to == FUZZER and json.loads(reply)["command"] == "error":
            assert len(reply) <= len(data)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one)
    atheris.Fuzz()
