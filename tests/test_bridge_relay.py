"""The relay's queues without sockets: the outbox and the token bucket."""

from __future__ import annotations

import asyncio

from bridge.limits import TokenBucket
from bridge.relay import Outbox


async def test_a_burst_of_game_flux_keeps_only_the_newest() -> None:
    outbox = Outbox(max_other=4)
    for n in range(1000):
        outbox.put(f"flux {n}", latest_wins=True)
        assert len(outbox) == 1
    assert outbox.dropped == 999
    assert await outbox.get() == "flux 999"
    assert len(outbox) == 0


async def test_outbox_keeps_order_and_bounds_other_messages() -> None:
    outbox = Outbox(max_other=3)
    outbox.put("game_start")
    outbox.put("flux 1", latest_wins=True)
    outbox.put("error 1")
    outbox.put("flux 2", latest_wins=True)  # replaces flux 1 and goes behind error 1
    assert [await outbox.get() for _ in range(3)] == ["game_start", "error 1", "flux 2"]
    for n in range(10):
        outbox.put(f"other {n}")
        outbox.put(f"flux {n}", latest_wins=True)
        assert len(outbox) <= 3 + 1
    assert [await outbox.get() for _ in range(4)] == ["other 7", "other 8", "other 9", "flux 9"]


async def test_outbox_get_waits_for_a_frame() -> None:
    outbox = Outbox(max_other=2)
    getter = asyncio.create_task(outbox.get())
    await asyncio.sleep(0)
    assert not getter.done()
    outbox.put("waiting")
    assert await asyncio.wait_for(getter, 5) == "waiting"


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=4, burst=3)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(100.125) is False  # half a token
    assert bucket.take(100.25) is True
    assert bucket.take(100.25) is False
    assert [bucket.take(200.0) for _ in range(4)] == [True, True, True, False]  # capped at burst
