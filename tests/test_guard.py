"""The per-address guard: rate limit, anti-amplification budget, bounded memory."""

from server.guard import Guard, GuardSettings

A = ("127.0.0.1", 5000)
B = ("127.0.0.1", 5001)


def test_rate_limit_refills_over_time():
    guard = Guard(GuardSettings(rate=10, burst=5))
    assert [guard.admit(A, 10, 0.0) for _ in range(7)] == [True] * 5 + [False] * 2
    assert guard.counters.rate_limited == 2
    assert guard.admit(A, 10, 0.1)  # 0.1 s at 10/s: one more token
    assert not guard.admit(A, 10, 0.1)
    assert guard.admit(B, 10, 0.1)  # another address has its own bucket


def test_unverified_address_gets_at_most_three_times_what_it_sent():
    guard = Guard(GuardSettings(amplification=3))
    guard.admit(A, 100, 0.0)
    assert guard.may_send(A, 250)
    assert not guard.may_send(A, 60)  # 250 + 60 > 300
    assert guard.may_send(A, 50)
    guard.admit(A, 100, 0.0)
    assert guard.may_send(A, 300)
    assert guard.counters.amplification_held == 1


def test_verified_address_is_not_limited_and_strangers_get_nothing():
    guard = Guard(GuardSettings())
    assert not guard.may_send(A, 1)  # never heard from
    guard.admit(A, 10, 0.0)
    guard.verify(A)
    assert guard.is_verified(A) and guard.may_send(A, 10_000)
    guard.verify(B)  # unknown: nothing to verify
    assert not guard.is_verified(B)


def test_memory_is_bounded_least_recent_first():
    guard = Guard(GuardSettings(max_peers=3))
    for port in range(5):
        guard.admit(("127.0.0.1", port), 1, 0.0)
    assert len(guard) == 3
    assert not guard.may_send(("127.0.0.1", 0), 1)  # forgotten
    assert guard.may_send(("127.0.0.1", 4), 1)
