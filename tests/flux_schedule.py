"""When a client sends `game_flux`: the browser's rule (static/js/messages.js `FluxSchedule`),
written once in Python for the test and bench clients.

A new lock (or power use) goes out at once; while anything waits for an ack, resends back off
exponentially with "equal jitter" (half the delay fixed, half random: AWS Architecture Blog,
"Exponential Backoff And Jitter") from [100, 200] ms up to [500, 1000] ms; an acknowledgement
starts it again; with nothing pending, a keep-alive every second. No resend goes out before the
round trip is expected to be over: each waits at least the retransmission timeout of RFC 6298
(smoothed round trip + 4 × its variation), still at most 1 s. Times are in seconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

RESEND_MIN = 0.100  # the first resend, and the floor of every one
RESEND_MAX = 1.000  # the cap
KEEPALIVE = 1.000  # nothing waits for an ack: one request a second
# RFC 6298's gains for the smoothed round trip and its variation, and the variation's weight
RTT_GAIN = 1 / 8
RTTVAR_GAIN = 1 / 4
RTTVAR_WEIGHT = 4


def resend_bounds(k: int) -> tuple[float, float]:
    """The k-th resend's delay bounds (seconds): (0.1, 0.2), (0.2, 0.4), (0.4, 0.8), then
    (0.5, 1.0) from there on."""
    high = min(RESEND_MAX, 2 * RESEND_MIN * 2 ** min(k, 16))
    return high / 2, high


class FluxSchedule:
    """`sent(now, pending)` after each send, `acked()` when the server's `ack` grew, and
    `due(now, pending)` to ask whether the next request should go out."""

    def __init__(self, rng: Callable[[], float] = random.random) -> None:
        self._random = rng
        self.last_sent = -math.inf
        self.resends = 0  # sends since the last acknowledgement
        self.delay = RESEND_MIN  # the wait before the next resend
        self.srtt: float | None = None  # the smoothed round trip, once one was measured
        self.rttvar = 0.0

    @property
    def timeout(self) -> float:
        """RFC 6298's retransmission timeout: no resend before it (0 until a round trip)."""
        return 0.0 if self.srtt is None else self.srtt + RTTVAR_WEIGHT * self.rttvar

    def measured(self, rtt: float) -> None:
        """A round trip: a reply's `echo` named a request sent `rtt` ago (RFC 6298 2.2-2.3)."""
        if not rtt >= 0:  # NaN too, as the browser's copy
            return
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar += RTTVAR_GAIN * (abs(self.srtt - rtt) - self.rttvar)
            self.srtt += RTT_GAIN * (rtt - self.srtt)

    def due(self, now: float, pending: int) -> bool:
        return now - self.last_sent >= (self.delay if pending > 0 else KEEPALIVE)

    def next_due(self, pending: int) -> float:
        """The time at which `due(now, pending)` turns true."""
        return self.last_sent + (self.delay if pending > 0 else KEEPALIVE)

    def sent(self, now: float, pending: int = 0) -> None:
        self.last_sent = now
        if pending == 0:
            return
        low, high = resend_bounds(self.resends)
        self.delay = self._wait_at_least_rtt(low + self._random() * (high - low))
        self.resends += 1

    def acked(self) -> None:
        self.resends = 0
        self.delay = self._wait_at_least_rtt(RESEND_MIN)

    def _wait_at_least_rtt(self, delay: float) -> float:
        """A backoff delay, never shorter than the round trip's timeout nor longer than the cap."""
        return min(RESEND_MAX, max(self.timeout, delay))
