"""The one exception tree of the server: every error it raises on purpose derives from
`BlockAttackError`. The rules' own errors live in server/rules/errors.py, which imports nothing."""

from server.rules.errors import LOCK_REJECTIONS, BlockAttackError, IllegalLock, InvalidState
from server.wire import Reason

__all__ = ["LOCK_REJECTIONS", "BlockAttackError", "IllegalLock", "InvalidState", "ProtocolError"]


class ProtocolError(BlockAttackError):
    """A datagram the server cannot use."""

    def __init__(self, reason: Reason, detail: str | None = None) -> None:
        super().__init__(str(reason) if detail is None else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
