"""What the gate decided for one request: pass it on to the origin, or answer at the edge."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .typing_aliases import CfRequest, CfResponse


class Outcome:
    """`result` is what the handler returns to CloudFront; the rest is what gets logged."""

    __slots__ = ("decision", "reason", "result", "status", "sub")

    def __init__(self, result: CfRequest | CfResponse, decision: str, reason: str, sub: object, status: int | None):
        self.result = result
        self.decision = decision
        self.reason = reason
        self.sub = sub if isinstance(sub, str) else None
        self.status = status

    @classmethod
    def forward(cls, request: CfRequest, decision: str, reason: str, sub: object = None) -> Outcome:
        """Let the (possibly rewritten) CloudFront request go on to the origin."""
        return cls(request, decision, reason, sub, None)

    @classmethod
    def respond(cls, response: CfResponse, decision: str, reason: str, sub: object = None) -> Outcome:
        """Answer at the edge with a generated response (see responses.py)."""
        return cls(response, decision, reason, sub, int(response["status"]))

    @property
    def forwarded(self) -> bool:
        return self.status is None
