"""The test and bench clients' resend schedule backs off like the browser's (messages.js)."""

from __future__ import annotations

import random

from tests.flux_schedule import KEEPALIVE, FluxSchedule, resend_bounds


def resend_waits(value: float, count: int) -> list[float]:
    """The waits between resends while one lock stays unacknowledged, `random` fixed."""
    schedule = FluxSchedule(lambda: value)
    schedule.sent(0.0, 1)  # the lock itself, sent at once
    waits = []
    for _ in range(count):
        waits.append(round(schedule.next_due(1) - schedule.last_sent, 6))
        schedule.sent(schedule.next_due(1), 1)
    return waits


def test_resends_back_off_doubling_up_to_a_cap_of_one_second():
    assert resend_waits(0.0, 6) == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    assert resend_waits(1.0, 6) == [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]


def test_jitter_stays_within_each_resends_bounds():
    schedule = FluxSchedule(random.Random(3).random)
    delays = []
    for k in range(50):
        schedule.sent(0.0, 1)
        low, high = resend_bounds(k)
        assert 0.1 <= low <= schedule.delay <= high <= 1.0
        delays.append(schedule.delay)
    assert len(set(delays)) == len(delays), "every delay drawn anew"


def test_an_acknowledgement_resets_the_backoff():
    schedule = FluxSchedule(lambda: 0.0)
    for _ in range(5):
        schedule.sent(0.0, 1)
    assert schedule.delay == 0.5
    schedule.acked()
    assert not schedule.due(0.099, 1) and schedule.due(0.1, 1)
    schedule.sent(0.1, 1)
    assert schedule.delay == 0.1


def test_with_nothing_pending_a_keep_alive_every_second():
    schedule = FluxSchedule(lambda: 0.5)
    assert schedule.due(0.0, 0)
    schedule.sent(0.0, 0)
    assert not schedule.due(KEEPALIVE - 0.001, 0) and schedule.due(KEEPALIVE, 0)
    assert schedule.due(0.1, 1), "a lock waiting after a keep-alive is resent after 100 ms"


def test_no_resend_before_the_round_trip_is_expected_back():
    schedule = FluxSchedule(lambda: 0.0)
    schedule.measured(0.002)  # a loopback round trip: the backoff alone decides
    schedule.sent(0.0, 1)
    assert schedule.delay == 0.1
    slow = FluxSchedule(lambda: 0.0)
    slow.measured(0.3)  # RFC 6298's first sample: srtt 0.3, rttvar 0.15
    assert abs(slow.timeout - 0.9) < 1e-9
    slow.sent(0.0, 1)
    assert abs(slow.delay - 0.9) < 1e-9 and not slow.due(0.85, 1) and slow.due(0.9, 1)
    for _ in range(40):  # a steady 300 ms: the variation fades, the floor settles near it
        slow.measured(0.3)
    assert 0.3 <= slow.timeout < 0.31
    slow.sent(1.0, 1)
    assert 0.3 <= slow.delay < 0.31
    slow.measured(5.0)  # however slow the link, a lost lock is resent within a second
    slow.sent(2.0, 1)
    assert slow.delay == 1.0
    slow.measured(-1.0)  # a clock that went back says nothing
    assert slow.srtt is not None and slow.srtt > 0.3
    slow.acked()  # an ack starts the backoff again, but not below the round trip
    assert slow.delay == 1.0 and not slow.due(2.5, 1)
