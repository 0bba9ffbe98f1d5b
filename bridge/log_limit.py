"""Rate-limited logging: one line per kind per interval, with a count of the rest.

Under a flood the same failure repeats thousands of times a second (one `accept()` traceback per
connection once the process is out of file descriptors filled 166 MB in 80 s), and the log
becomes the next thing to run out. A `RateLimitFilter` on the loggers that can repeat lets the
first record of each kind through, counts the others, and reports the count once the interval is
over: on that kind's next record, or from `flush()`, which the bridge calls every interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# The loggers a flood can make repeat: asyncio's and aiohttp's own, and the bridge's.
LOGGERS = (
    "asyncio", "aiohttp.server", "aiohttp.web", "aiohttp.websocket", "aiohttp.internal",
    "bridge.app", "bridge.relay", "bridge.listener", "bridge.health", "bridge.proxy",
)
MAX_KINDS = 256  # kinds remembered; the longest-quiet one is forgotten past that

summary_logger = logging.getLogger("bridge.log_limit")

Kind = tuple[str, int, str, str]  # logger, level, message template, exception type


@dataclass
class _Seen:
    since: float  # when the interval began: the last record of this kind that passed
    held: int = 0  # records of this kind held back since


class RateLimitFilter(logging.Filter):
    """Passes the first record of each kind per `interval` seconds; DEBUG records always pass."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self._clock = clock
        self._kinds: OrderedDict[Kind, _Seen] = OrderedDict()
        self._lock = threading.Lock()  # loggers are called from any thread

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return True
        kind = _kind_of(record)
        now = self._clock()
        with self._lock:
            seen = self._kinds.get(kind)
            if seen is not None and now - seen.since < self.interval:
                seen.held += 1
                return False
            held = 0 if seen is None else seen.held
            self._kinds[kind] = _Seen(now)
            self._kinds.move_to_end(kind)
            if len(self._kinds) > MAX_KINDS:
                self._kinds.popitem(last=False)
        if held:
            first, newline, rest = str(record.msg).partition("\n")
            count = f" [{held} more like this in the last {self.interval:g} s]"
            record.msg = first + count + newline + rest
        return True

    def flush(self) -> None:
        """Report the kinds that held records back and have been quiet for an interval."""
        now = self._clock()
        with self._lock:
            due = [(kind, seen.held) for kind, seen in self._kinds.items()
                   if seen.held and now - seen.since >= self.interval]
            for kind, _held in due:
                self._kinds[kind] = _Seen(now)
        for (name, level, template, error), held in due:
            what = f"{template!r}" + (f" ({error})" if error else "")
            summary_logger.log(level, "%d more %s from %s in the last %g s", held, what, name,
                               self.interval)

    def install(self, names: Iterable[str] = LOGGERS) -> None:
        for name in names:
            logging.getLogger(name).addFilter(self)

    def uninstall(self, names: Iterable[str] = LOGGERS) -> None:
        for name in names:
            logging.getLogger(name).removeFilter(self)


def _kind_of(record: logging.LogRecord) -> Kind:
    # asyncio's exception handler writes one message of several lines, the later ones naming
    # objects by address: its first line is what happened.
    template = str(record.msg).split("\n", 1)[0][:120]
    error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
    return record.name, record.levelno, template, error
