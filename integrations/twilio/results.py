from dataclasses import dataclass


@dataclass(frozen=True)
class Submission:
    """A message a carrier has accepted."""

    sid: str
    status: str


class CarrierError(Exception):
    """The carrier refused a message or could not be reached.

    `outcome_known` is False when the request may have reached the carrier
    (a timeout, a 5xx): the message must be looked up before it is sent
    again. `retryable` says whether another attempt can succeed at all.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        retryable: bool,
        outcome_known: bool = True,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.retryable = retryable
        self.outcome_known = outcome_known
