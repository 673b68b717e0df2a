"""The compliance gate: may this message go out now, later, or never?

`evaluate` is pure: it reads the message, the recipient's state and the
workspace's rules and returns a `Decision`. The send service asks it when a
message is written, and the delivery task asks again, under the recipient's
row lock, right before the message leaves, so nothing that changed in
between (an opt-out, a suppression) can be missed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from conversations.models import Consent, Message, MessagingSettings, RecipientState
from conversations.quiet_hours import SendingWindow, daily_cap, next_allowed_at

# The FCC allows one opt-out confirmation, sent within five minutes.
OPT_OUT_CONFIRMATION_WINDOW = datetime.timedelta(minutes=5)
CAP_WINDOW = datetime.timedelta(hours=24)

COMPLIANCE_PURPOSES = frozenset(
    {
        Message.Purpose.OPT_OUT_CONFIRMATION,
        Message.Purpose.OPT_IN_CONFIRMATION,
        Message.Purpose.HELP_REPLY,
    }
)


class Verdict(StrEnum):
    SEND = "send"
    DEFER = "defer"
    BLOCK = "block"


class BlockReason(StrEnum):
    OPTED_OUT = "opted_out"
    SUPPRESSED = "suppressed"
    UNREACHABLE = "unreachable"
    NO_CONSENT = "no_consent"
    EXPIRED = "expired"
    CONFIRMATION_NOT_DUE = "confirmation_not_due"


BLOCK_EXPLANATIONS: dict[str, str] = {
    BlockReason.OPTED_OUT: "The contact has opted out of texts from this workspace.",
    BlockReason.SUPPRESSED: "The number is on a suppression or do-not-contact list.",
    BlockReason.UNREACHABLE: "The carrier reported the number cannot receive texts.",
    BlockReason.NO_CONSENT: (
        "The contact has not consented to texts and has not texted this workspace."
    ),
    BlockReason.EXPIRED: "The message's purpose expired before it could be sent.",
    BlockReason.CONFIRMATION_NOT_DUE: (
        "Only one opt-out confirmation may be sent, within five minutes of the opt-out."
    ),
}


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str = ""
    until: datetime.datetime | None = None

    @classmethod
    def send(cls) -> Decision:
        return cls(Verdict.SEND)

    @classmethod
    def block(cls, reason: BlockReason) -> Decision:
        return cls(Verdict.BLOCK, reason=reason)

    @classmethod
    def defer(cls, until: datetime.datetime, reason: str) -> Decision:
        return cls(Verdict.DEFER, reason=reason, until=until)


@dataclass(frozen=True)
class Recipient:
    """What the gate needs to know about the person a message goes to."""

    state: RecipientState
    time_zone: str
    is_suppressed: bool
    recent_sends: list[datetime.datetime]


def evaluate(
    message: Message,
    recipient: Recipient,
    rules: MessagingSettings,
    now: datetime.datetime,
) -> Decision:
    """Decide whether `message` may be sent at `now`."""
    state = recipient.state
    if message.purpose == Message.Purpose.OPT_OUT_CONFIRMATION:
        return _opt_out_confirmation(message, state, now)
    # After an opt-out nothing but its one confirmation goes out, not even
    # the answer to a HELP sent just before it.
    if state.consent == Consent.OPTED_OUT:
        return Decision.block(BlockReason.OPTED_OUT)
    if message.purpose in COMPLIANCE_PURPOSES:
        # HELP and opt-in replies answer the contact's own keyword, whatever
        # the hour or the count.
        return Decision.send()
    if recipient.is_suppressed:
        return Decision.block(BlockReason.SUPPRESSED)
    if state.unreachable_code:
        return Decision.block(BlockReason.UNREACHABLE)
    if state.consent != Consent.OPTED_IN and state.last_inbound_at is None:
        return Decision.block(BlockReason.NO_CONSENT)
    if message.expires_at and now >= message.expires_at:
        return Decision.block(BlockReason.EXPIRED)
    if _is_live_reply(message, state, rules, now):
        return Decision.send()

    window = SendingWindow(
        start=rules.quiet_hours_start,
        end=rules.quiet_hours_end,
        state_rules=rules.state_rules,
    )
    region = state.region or None
    earliest, reason = _earliest_allowed(recipient, window, region, rules, now)
    if earliest <= now:
        return Decision.send()
    if message.expires_at and earliest >= message.expires_at:
        return Decision.block(BlockReason.EXPIRED)
    return Decision.defer(earliest, reason)


def _opt_out_confirmation(
    message: Message, state: RecipientState, now: datetime.datetime
) -> Decision:
    confirmed_by_other = (
        state.opt_out_confirmation_id is not None
        and state.opt_out_confirmation_id != message.pk
    )
    if (
        state.consent != Consent.OPTED_OUT
        or state.opted_out_at is None
        or now - state.opted_out_at > OPT_OUT_CONFIRMATION_WINDOW
        or confirmed_by_other
    ):
        return Decision.block(BlockReason.CONFIRMATION_NOT_DUE)
    return Decision.send()


def _is_live_reply(
    message: Message,
    state: RecipientState,
    rules: MessagingSettings,
    now: datetime.datetime,
) -> bool:
    """A reply to someone texting right now is not held for quiet hours or caps."""
    if message.purpose != Message.Purpose.CONVERSATION or state.last_inbound_at is None:
        return False
    live_for = datetime.timedelta(minutes=rules.live_conversation_minutes)
    return now - state.last_inbound_at <= live_for


def _earliest_allowed(
    recipient: Recipient,
    window: SendingWindow,
    region: str | None,
    rules: MessagingSettings,
    now: datetime.datetime,
) -> tuple[datetime.datetime, str]:
    """The first moment both the quiet hours and the daily caps allow."""
    limits = [rules.max_messages_per_day]
    if (state_cap := daily_cap(region, window)) is not None:
        limits.append(state_cap)
    limit = min(limits)

    moment, reason = now, ""
    # Each round only moves forward, and a cap that ends inside quiet hours
    # settles in two; the bound is a guard, not a tuning knob.
    for _ in range(10):
        sends = sorted(t for t in recipient.recent_sends if t > moment - CAP_WINDOW)
        if len(sends) >= limit:
            moment = sends[len(sends) - limit] + CAP_WINDOW
            reason = "daily_cap"
            continue
        allowed = next_allowed_at(moment, recipient.time_zone, window, region)
        if allowed > moment:
            moment, reason = allowed, "quiet_hours"
            continue
        break
    return moment, reason
