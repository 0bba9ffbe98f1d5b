"""The argparse types of the command line's numeric flags (cli, bridge_limits, cluster,
replay_cli). Each refuses a bad value with an ArgumentTypeError naming it; argparse (or
EnvironmentParser, for a BLOCK_ATTACK_* variable) adds the flag's name."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None


def whole(low: int = 1, high: int | None = None) -> Callable[[str], int]:
    """A whole number from `low` to `high` (inclusive; no upper bound when None)."""
    shown = f"at least {low}" if high is None else f"{low} to {high}"

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
        if number < low or (high is not None and number > high):
            raise argparse.ArgumentTypeError(f"expected {shown}, got {number}")
        return number

    return parse


def seconds(*, zero: bool = False, below: float = 10**7) -> Callable[[str], float]:
    """Seconds more than 0 (or 0 too, when `zero`: it turns the wait off) and under `below`.
    NaN and infinity fail both comparisons."""
    shown = "0 or more seconds" if zero else "a positive number of seconds"

    def parse(value: str) -> float:
        number = _number(value)
        above_zero = number >= 0 if zero else number > 0
        if not (above_zero and number < below):
            raise argparse.ArgumentTypeError(f"expected {shown}, got {value!r}")
        return number

    return parse


def milliseconds(most: float) -> Callable[[str], float]:
    """Milliseconds more than 0 and at most `most`."""

    def parse(value: str) -> float:
        number = _number(value)
        if not 0 < number <= most:
            raise argparse.ArgumentTypeError(
                f"expected more than 0 and at most {most:g} ms, got {value!r}")
        return number

    return parse


COUNT = whole(1)  # at least 1
COUNT_OR_ZERO = whole(0)  # 0 turns the thing off
PORT = whole(0, 65535)  # 0 picks a free one
