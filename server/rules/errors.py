"""The rules' errors, the root of the server's one exception tree (server/errors.py adds more)."""

# docs/rules.md "Locks" and "Effects and when they apply": the reasons a lock is rejected with.
LOCK_REJECTIONS = frozenset(
    {"wrong_piece", "out_of_order", "collision", "floating", "unreachable", "unknown_effect"}
)


class BlockAttackError(Exception):
    """Base of every error the server raises on purpose."""


class IllegalLock(BlockAttackError):
    """A lock the rules refuse; ``reason`` is one of ``LOCK_REJECTIONS``."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        if reason not in LOCK_REJECTIONS:
            raise ValueError(f"unknown lock rejection reason {reason!r}")
        super().__init__(reason if detail is None else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class InvalidState(BlockAttackError):
    """A move the state machine does not allow."""
