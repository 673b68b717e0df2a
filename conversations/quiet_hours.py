"""When an outbound SMS may be sent, in the recipient's local time.

The compliance gate ("How a text will flow" in docs/architecture.md) asks
this module whether a text can leave now or must be deferred. Two layers
decide:

1. The workspace's `SendingWindow`, by default 08:00 to 21:00: the federal
   TCPA hours for telephone solicitations (47 CFR 64.1200(c)(1)).
2. Built-in state rules from `STATE_RULES`, which can only narrow the
   workspace window, never widen it. The recipient's state is presumed from
   the area code, as the Florida and Oklahoma statutes themselves do.

Windows start inclusive and end exclusive, in local wall-clock time. Pure
Python with no Django imports.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import geocoder

Hours = tuple[datetime.time, datetime.time]


@dataclass(frozen=True)
class SendingWindow:
    """The hours a workspace allows sending, in the recipient's local time.

    `state_rules` applies the stricter built-in rules of `STATE_RULES` on
    top of this window. Construction raises ValueError unless `start` is
    earlier than `end` and both are naive: windows across midnight are not
    supported, and the zone always comes from the recipient.
    """

    start: datetime.time = datetime.time(8)
    end: datetime.time = datetime.time(21)
    state_rules: bool = True

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError(
                "SendingWindow times must be naive local wall-clock times; "
                "the recipient's time zone is applied when checking a send."
            )
        if self.start >= self.end:
            raise ValueError(
                f"SendingWindow start {self.start} must be earlier than end "
                f"{self.end}. Windows that cross midnight are not supported."
            )


@dataclass(frozen=True)
class StateRule:
    """A state's sending hours for each weekday and its frequency cap.

    `hours_by_weekday` has seven entries, Monday first (the order of
    `date.weekday()`); `None` means no sending that day. `max_per_24h` is
    the most messages on the same subject one recipient may get in any
    rolling 24 hours, or `None` when the state sets no cap.
    """

    law: str
    hours_by_weekday: tuple[Hours | None, ...]
    max_per_24h: int | None = None

    def __post_init__(self) -> None:
        if len(self.hours_by_weekday) != 7:
            raise ValueError(f"{self.law}: hours_by_weekday needs 7 entries.")
        for hours in self.hours_by_weekday:
            if hours is not None and hours[0] >= hours[1]:
                raise ValueError(f"{self.law}: {hours[0]} is not before {hours[1]}.")


def _every_day(start: datetime.time, end: datetime.time) -> tuple[Hours, ...]:
    return ((start, end),) * 7


# Each law covers sales texts to numbers with the state's area codes. The
# caps count messages on the same subject; callers decide what a subject is.
# Maryland's cap comes from practitioner summaries, not the statute's text.
STATE_RULES: dict[str, StateRule] = {
    "FL": StateRule(
        law="Florida Telephone Solicitation Act, Fla. Stat. 501.059",
        hours_by_weekday=_every_day(datetime.time(8), datetime.time(20)),
        max_per_24h=3,
    ),
    "MD": StateRule(
        law="Maryland Stop the Spam Calls Act",
        hours_by_weekday=_every_day(datetime.time(8), datetime.time(20)),
        max_per_24h=3,
    ),
    "OK": StateRule(
        law="Oklahoma Telephone Solicitation Act, 15 O.S. 775C",
        hours_by_weekday=_every_day(datetime.time(8), datetime.time(20)),
        max_per_24h=3,
    ),
    "TX": StateRule(
        law="Texas Business and Commerce Code ch. 302, as amended by SB 140",
        hours_by_weekday=(
            *[(datetime.time(9), datetime.time(21))] * 6,  # Monday to Saturday
            (datetime.time(12), datetime.time(21)),  # Sunday
        ),
    ),
}


class NoSendingTime(ValueError):
    """The workspace window and the state's hours never overlap."""


def recipient_state(e164: str) -> str | None:
    """Return the two-letter US state presumed from a number's area code.

    Return None for numbers outside the United States (Canada and the
    territories share +1 but are not states), for numbers without a
    geographic area such as toll-free ones, and for text that does not
    parse as a phone number.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_number(number) != "US":
        return None

    # The geocoder names most area codes by state ("Florida") and some by
    # city ("New York, NY"); the suffix of the city form is a state code.
    description = geocoder.description_for_number(number, "en")
    if description in _STATE_CODES_BY_NAME:
        return _STATE_CODES_BY_NAME[description]
    _, _, suffix = description.rpartition(", ")
    if suffix in _STATE_CODES:
        return suffix

    return None


def allowed_window(
    day: datetime.date, window: SendingWindow, state: str | None
) -> Hours | None:
    """Return the local hours sending is allowed on `day`, or None if none.

    The result is the intersection of the workspace window and, when
    `window.state_rules` is set, the state's hours for that weekday. It is
    never wider than the workspace window.
    """
    rule = _state_rule(state, window)
    if rule is None:
        return (window.start, window.end)

    state_hours = rule.hours_by_weekday[day.weekday()]
    if state_hours is None:
        return None
    start = max(window.start, state_hours[0])
    end = min(window.end, state_hours[1])

    return (start, end) if start < end else None


def next_allowed_at(
    now: datetime.datetime,
    tz_name: str,
    window: SendingWindow,
    state: str | None,
) -> datetime.datetime:
    """Return the first instant at or after `now` when sending is allowed.

    Return `now` itself when sending is allowed at that instant; otherwise
    return the start of the next allowed window as an aware datetime in
    UTC. A local start or end that a DST change skips resolves to the
    first instant after the gap; one that occurs twice resolves to its
    first occurrence.

    Raise ValueError if `now` is naive or `tz_name` is not a known zone,
    and NoSendingTime if no day of the week has any allowed hours.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware, for example in UTC.")
    zone = _load_zone(tz_name)
    now_utc = now.astimezone(datetime.UTC)

    # Every window sits inside one local day. Looking at today and the next
    # seven days covers each weekday at least once after `now`.
    today = now_utc.astimezone(zone).date()
    for day in (today + datetime.timedelta(days=n) for n in range(8)):
        hours = allowed_window(day, window, state)
        if hours is None:
            continue
        start_at = _resolve_local(day, hours[0], zone)
        end_at = _resolve_local(day, hours[1], zone)
        # A window wholly inside a skipped hour resolves to no time at all.
        if start_at < end_at and now_utc < end_at:
            return now if start_at <= now_utc else start_at

    raise NoSendingTime(
        f"No sending time exists for state {state}: the workspace window "
        f"{window.start} to {window.end} never overlaps the state's hours. "
        "Widen the workspace window or turn off state rules."
    )


def is_quiet(
    now: datetime.datetime,
    tz_name: str,
    window: SendingWindow,
    state: str | None,
) -> bool:
    """Return whether sending must wait at `now`.

    Raise the same errors as `next_allowed_at`.
    """
    return next_allowed_at(now, tz_name, window, state) != now


def daily_cap(state: str | None, window: SendingWindow) -> int | None:
    """Return the state's cap per rolling 24 hours, or None if it has none.

    Always None when `window.state_rules` is off.
    """
    rule = _state_rule(state, window)
    return rule.max_per_24h if rule is not None else None


def _state_rule(state: str | None, window: SendingWindow) -> StateRule | None:
    if not window.state_rules or state is None:
        return None
    # Codes arrive from Twilio's FromState and from stored contacts as well
    # as from recipient_state; a lower-case "fl" must not skip Florida.
    return STATE_RULES.get(state.upper())


def _load_zone(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"Unknown time zone {tz_name!r}; no send time was computed. "
            "Use an IANA zone name such as 'America/New_York'."
        ) from exc


def _resolve_local(
    day: datetime.date, at: datetime.time, zone: ZoneInfo
) -> datetime.datetime:
    """Return the UTC instant the local clock in `zone` shows `at` on `day`.

    fold=0 picks the first occurrence of a repeated time. A skipped time
    does not survive the round trip through UTC and resolves to the end of
    the gap instead.
    """
    local = datetime.datetime.combine(day, at, tzinfo=zone)
    instant = local.astimezone(datetime.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant

    # Read with the offsets before and after the change, a skipped time
    # gives two instants that bracket the change; search between them.
    other = local.replace(fold=1).astimezone(datetime.UTC)
    return _offset_change_between(min(instant, other), max(instant, other), zone)


def _offset_change_between(
    low: datetime.datetime, high: datetime.datetime, zone: ZoneInfo
) -> datetime.datetime:
    """Return the first whole second in (low, high] with a new UTC offset."""
    offset_before = low.astimezone(zone).utcoffset()
    low_s, high_s = int(low.timestamp()), int(high.timestamp())
    # Zone transitions fall on whole seconds, so bisecting seconds is exact.
    while high_s - low_s > 1:
        middle_s = (low_s + high_s) // 2
        moment = datetime.datetime.fromtimestamp(middle_s, zone)
        if moment.utcoffset() == offset_before:
            low_s = middle_s
        else:
            high_s = middle_s

    return datetime.datetime.fromtimestamp(high_s, datetime.UTC)


_STATE_CODES_BY_NAME: dict[str, str] = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "District of Columbia": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    # The geocoder's English names for two area codes that would otherwise
    # be confused.
    "Washington D.C.": "DC",
    "Washington State": "WA",
}

_STATE_CODES: frozenset[str] = frozenset(_STATE_CODES_BY_NAME.values())
