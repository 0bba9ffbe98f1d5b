"""Every replay an in-process server keeps during a test is re-judged when the test ends
(tests/conftest.py installs this for every test): the integration and lossy-network tests'
matches all have to verify, however they were played."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from server.replay_store import ReplayStore
from server.replay_verify import verify_text


class ReplayAudit:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.kept: list[tuple[str, bytes]] = []  # (game_name, replay) as the servers kept them
        self.hand_made = False  # the test wrote a board by hand: its replays must NOT verify

    def expect_hand_made(self) -> None:
        """For a test that sets a field or a sequence directly instead of playing to it: the
        rules cannot rebuild that, so its replays have to fail verification instead."""
        self.hand_made = True

    def wrap(self, keep: Callable[..., None]) -> Callable[..., None]:
        def keeping(store: ReplayStore, game_name: str, replay: bytes, now: int) -> None:
            with self._lock:  # a server's workers call this; judging waits for the test's end
                self.kept.append((game_name, replay))
            keep(store, game_name, replay, now)
        return keeping

    def problems(self) -> list[str]:
        found = []
        for game_name, replay in self.kept:
            verdict = verify_text(replay)
            if self.hand_made and verdict.ok:
                found.append(f"the replay of {game_name} verifies, though its board was made "
                             "by hand")
            elif not self.hand_made and not verdict.ok:
                found.append(f"the replay of {game_name} does not verify: {verdict.mismatch}")
        return found


def install(monkeypatch: Any) -> ReplayAudit:
    audit = ReplayAudit()
    monkeypatch.setattr(ReplayStore, "keep", audit.wrap(ReplayStore.keep))
    return audit
