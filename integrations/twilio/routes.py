"""Which workspace and token an inbound text's `To` belongs to, cached briefly.

Every inbound webhook needs this lookup before anything else, and numbers
and tokens change rarely, so each process keeps answers for ROUTE_TTL_S.
The webhook view asks again with `fresh=True` when a signature fails, so a
rotated token costs one extra query, never a refused message; a deactivated
number keeps routing for at most ROUTE_TTL_S.
"""

import time
from dataclasses import dataclass

from integrations.twilio.models import Sender

ROUTE_TTL_S = 30.0


@dataclass(frozen=True)
class Route:
    sender_id: int
    workspace_id: int
    account_sid: str
    auth_token: str


_cache: dict[tuple[str, str], tuple[float, Route | None]] = {}


def find(
    to: str, messaging_service_sid: str = "", *, fresh: bool = False
) -> Route | None:
    """The route for a number (or messaging service), or None if unknown."""
    key = (to, messaging_service_sid)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and not fresh and now - cached[0] < ROUTE_TTL_S:
        return cached[1]

    route = _lookup(to, messaging_service_sid)
    _cache[key] = (now, route)
    return route


def forget() -> None:
    _cache.clear()


def _lookup(to: str, messaging_service_sid: str) -> Route | None:
    senders = Sender.objects.select_related("account").filter(is_active=True)
    sender = senders.filter(phone_number=to).first()
    if sender is None and messaging_service_sid:
        sender = senders.filter(messaging_service_sid=messaging_service_sid).first()
    if sender is None:
        return None
    return Route(
        sender_id=sender.pk,
        workspace_id=sender.workspace_id,
        account_sid=sender.account.account_sid,
        auth_token=sender.account.auth_token,
    )
