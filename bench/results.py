"""What a step measured, and whether it was clean.

Clean (issue 8): under 0.5% of the requests sent in the window unanswered, a p99 round trip
under 20 ms, no growing backlog (the median round trip of the window's last third not far above
its first third's), every lock accepted, every match started and none ended under us.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from bench.loadgen import Tally

MAX_UNANSWERED = 0.005
MAX_P99 = 0.020  # seconds
GENERATOR_BOUND = 0.90  # the generator's own core this busy: the step measures the generator


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass(frozen=True)
class StepResult:
    server: str
    matches: int
    window: float
    sent: int
    answered: int
    p50: float
    p99: float
    first_third_p50: float
    last_third_p50: float
    view_p50: float
    view_p99: float
    server_cpu: float
    generator_busy: float
    rcvbuf_errors: int
    problems: tuple[str, ...]
    stolen: float = 0.0  # the share of the servers' core the hypervisor took in the window
    node_cpu: tuple[float, ...] = ()  # each process's CPU seconds in the window (split_cpu)

    @property
    def clean(self) -> bool:
        return not self.problems

    @property
    def generator_bound(self) -> bool:
        return self.generator_busy > GENERATOR_BOUND

    @property
    def unanswered(self) -> float:
        return 1 - self.answered / self.sent if self.sent else 1.0

    @property
    def offered(self) -> float:
        return self.sent / self.window

    @property
    def goodput(self) -> float:
        return self.answered / self.window

    @property
    def cpu_per_request(self) -> float:
        return self.server_cpu / self.answered if self.answered else float("nan")

    @property
    def bridge_cpu_per_request(self) -> float:
        """The first process's share (a bridge's, with its server as the second)."""
        return self.node_cpu[0] / self.answered if self.node_cpu and self.answered else math.nan

    @property
    def server_only_cpu_per_request(self) -> float:
        return self.node_cpu[1] / self.answered if len(self.node_cpu) > 1 and self.answered \
            else math.nan

    def row(self) -> str:
        verdict = "clean" if self.clean else "; ".join(self.problems)
        if self.generator_bound:
            verdict += " (generator-bound)"
        return (f"  {self.server:34} N={self.matches:5}  offered {self.offered:7.0f}/s  "
                f"answered {100 * (1 - self.unanswered):6.2f}%  rtt p50 {ms(self.p50)} "
                f"p99 {ms(self.p99)}  cpu/req {us(self.cpu_per_request)}  "
                f"gen {100 * self.generator_busy:3.0f}%  steal {100 * self.stolen:2.0f}%  "
                f"{verdict}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:6.0f} µs"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def summarise(server: str, matches: int, tally: Tally) -> StepResult:
    start, end = tally.window
    third = (end - start) / 3
    first = [rtt for at, rtt in tally.rtts if at < start + third]
    last = [rtt for at, rtt in tally.rtts if at >= end - third]
    rtts = [rtt for _, rtt in tally.rtts]
    result = StepResult(
        server=server, matches=matches, window=end - start, sent=tally.sent,
        answered=tally.answered, p50=percentile(rtts, 0.5), p99=percentile(rtts, 0.99),
        first_third_p50=percentile(first, 0.5), last_third_p50=percentile(last, 0.5),
        view_p50=percentile(tally.views, 0.5), view_p99=percentile(tally.views, 0.99),
        server_cpu=tally.server_cpu, generator_busy=tally.generator_cpu / (end - start),
        rcvbuf_errors=tally.rcvbuf_errors, problems=(),
    )
    return StepResult(**{**result.__dict__, "problems": _problems(result, tally)})


def _problems(result: StepResult, tally: Tally) -> tuple[str, ...]:
    problems = []
    if tally.wrong_pieces:
        raise RuntimeError(f"{result.server}: {tally.wrong_pieces} matches dealt other pieces "
                           "than the script's seed: is the server running with --seed?")
    if tally.started < tally.players and tally.started:
        problems.append(f"{tally.players - tally.started} players never started")
    if tally.started == 0 and result.sent == 0:
        problems.append("no match started")
    if result.unanswered >= MAX_UNANSWERED:
        problems.append(f"{100 * result.unanswered:.1f}% unanswered")
    if not result.p99 < MAX_P99:
        problems.append(f"p99 {result.p99 * 1000:.1f} ms")
    if result.last_third_p50 > 2 * result.first_third_p50 + 0.002:
        problems.append("backlog grows")
    if tally.rejected:
        problems.append(f"{len(tally.rejected)} locks rejected")
    if tally.ended:
        problems.append(f"{tally.ended} game_end")
    if tally.closed:
        problems.append(f"{tally.closed} WebSockets closed")
    errors = ", ".join(f"{reason} {count}" for reason, count in sorted(tally.errors.items()))
    if errors:
        problems.append(f"errors: {errors}")
    return tuple(problems)


def median_of(results: list[StepResult], attribute: str) -> float:
    return statistics.median(getattr(result, attribute) for result in results)
