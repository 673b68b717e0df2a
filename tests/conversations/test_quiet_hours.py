import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.quiet_hours import (
    STATE_RULES,
    NoSendingTime,
    SendingWindow,
    allowed_window,
    daily_cap,
    is_quiet,
    next_allowed_at,
    recipient_state,
)

NEW_YORK = "America/New_York"
CHICAGO = "America/Chicago"
HONOLULU = "Pacific/Honolulu"
DEFAULT = SendingWindow()
NO_STATE_RULES = SendingWindow(state_rules=False)

# 2024 dates: Monday 10 June, Saturday 8 June, Sunday 9 June. Clocks went
# forward on Sunday 10 March and back on Sunday 3 November.
MONDAY = "2024-06-10"
SATURDAY = "2024-06-08"
SUNDAY = "2024-06-09"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(text: str, tz_name: str) -> datetime:
    """The UTC instant at which a clock in `tz_name` shows `text`."""
    naive = datetime.fromisoformat(text)
    return naive.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def test_send_inside_window_returns_now_itself() -> None:
    now = local(f"{MONDAY} 12:00", NEW_YORK)

    result = next_allowed_at(now, NEW_YORK, DEFAULT, None)

    assert result is now
    assert not is_quiet(now, NEW_YORK, DEFAULT, None)


def test_now_in_another_zone_is_returned_unchanged_when_allowed() -> None:
    now = datetime.fromisoformat(f"{MONDAY} 18:00").replace(
        tzinfo=ZoneInfo("Europe/Paris")
    )

    result = next_allowed_at(now, NEW_YORK, DEFAULT, None)

    assert result is now


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [
        ("07:59:59", True),
        ("08:00:00", False),
        ("20:59:59", False),
        ("21:00:00", True),
    ],
)
def test_window_start_is_inclusive_and_end_exclusive(clock: str, quiet: bool) -> None:
    now = local(f"{MONDAY} {clock}", NEW_YORK)

    result = is_quiet(now, NEW_YORK, DEFAULT, None)

    assert result is quiet


def test_early_morning_defers_to_window_start_same_day() -> None:
    now = local(f"{MONDAY} 07:59:59", NEW_YORK)

    result = next_allowed_at(now, NEW_YORK, DEFAULT, None)

    assert result == local(f"{MONDAY} 08:00", NEW_YORK)
    assert result.tzinfo is UTC


def test_window_end_defers_to_next_day_start() -> None:
    now = local(f"{MONDAY} 21:00:00", NEW_YORK)

    result = next_allowed_at(now, NEW_YORK, DEFAULT, None)

    assert result == local("2024-06-11 08:00", NEW_YORK)


def test_florida_evening_defers_to_next_day_eight_am() -> None:
    now = local(f"{MONDAY} 20:30", NEW_YORK)

    result = next_allowed_at(now, NEW_YORK, DEFAULT, "FL")

    assert result == local("2024-06-11 08:00", NEW_YORK)


@pytest.mark.parametrize(
    ("state", "tz_name"), [("FL", NEW_YORK), ("OK", CHICAGO), ("MD", NEW_YORK)]
)
def test_eight_to_eight_states_close_at_eight_pm(state: str, tz_name: str) -> None:
    before_close = local(f"{SUNDAY} 19:59:59", tz_name)
    at_close = local(f"{SUNDAY} 20:00:00", tz_name)

    quiet_before, quiet_at = (
        is_quiet(before_close, tz_name, DEFAULT, state),
        is_quiet(at_close, tz_name, DEFAULT, state),
    )

    assert (quiet_before, quiet_at) == (False, True)


def test_texas_sunday_morning_defers_to_noon() -> None:
    now = local(f"{SUNDAY} 10:00", CHICAGO)

    result = next_allowed_at(now, CHICAGO, DEFAULT, "TX")

    assert result == local(f"{SUNDAY} 12:00", CHICAGO)


def test_texas_saturday_late_defers_to_sunday_noon() -> None:
    now = local(f"{SATURDAY} 21:30", CHICAGO)

    result = next_allowed_at(now, CHICAGO, DEFAULT, "TX")

    assert result == local(f"{SUNDAY} 12:00", CHICAGO)


@pytest.mark.parametrize("day", [MONDAY, SATURDAY])
def test_texas_weekdays_and_saturday_open_at_nine(day: str) -> None:
    now = local(f"{day} 08:30", CHICAGO)

    result = next_allowed_at(now, CHICAGO, DEFAULT, "TX")

    assert result == local(f"{day} 09:00", CHICAGO)


@pytest.mark.parametrize(
    ("state", "now_text", "tz_name"),
    [("FL", f"{MONDAY} 20:30", NEW_YORK), ("TX", f"{SUNDAY} 10:00", CHICAGO)],
)
def test_state_rules_off_ignores_state_hours(
    state: str, now_text: str, tz_name: str
) -> None:
    now = local(now_text, tz_name)

    result = next_allowed_at(now, tz_name, NO_STATE_RULES, state)

    assert result is now


def test_state_without_rule_uses_workspace_window() -> None:
    now = local(f"{MONDAY} 20:30", NEW_YORK)

    result = next_allowed_at(now, NEW_YORK, DEFAULT, "NY")

    assert result is now


def test_lower_case_state_code_still_applies_the_rule() -> None:
    now = local(f"{MONDAY} 20:30", NEW_YORK)

    result = is_quiet(now, NEW_YORK, DEFAULT, "fl")

    assert result is True


def test_stricter_workspace_window_wins_over_state() -> None:
    window = SendingWindow(start=time(10), end=time(18))
    morning = local(f"{MONDAY} 09:00", NEW_YORK)
    evening = local(f"{MONDAY} 18:30", NEW_YORK)

    hours = allowed_window(date(2024, 6, 10), window, "FL")

    assert hours == (time(10), time(18))
    assert next_allowed_at(morning, NEW_YORK, window, "FL") == local(
        f"{MONDAY} 10:00", NEW_YORK
    )
    assert next_allowed_at(evening, NEW_YORK, window, "FL") == local(
        "2024-06-11 10:00", NEW_YORK
    )


@pytest.mark.parametrize(
    ("day", "window", "state", "expected"),
    [
        (date(2024, 6, 10), DEFAULT, None, (time(8), time(21))),
        (date(2024, 6, 10), DEFAULT, "FL", (time(8), time(20))),
        (date(2024, 6, 10), SendingWindow(start=time(9)), "OK", (time(9), time(20))),
        (date(2024, 6, 10), DEFAULT, "TX", (time(9), time(21))),
        (date(2024, 6, 9), DEFAULT, "TX", (time(12), time(21))),
        (date(2024, 6, 9), NO_STATE_RULES, "TX", (time(8), time(21))),
    ],
)
def test_allowed_window_is_intersection_of_workspace_and_state(
    day: date,
    window: SendingWindow,
    state: str | None,
    expected: tuple[time, time],
) -> None:
    result = allowed_window(day, window, state)

    assert result == expected


def test_day_without_overlap_is_skipped() -> None:
    window = SendingWindow(start=time(8), end=time(11))
    now = local(f"{SUNDAY} 08:30", CHICAGO)

    hours = allowed_window(date(2024, 6, 9), window, "TX")
    result = next_allowed_at(now, CHICAGO, window, "TX")

    assert hours is None
    assert result == local(f"{MONDAY} 09:00", CHICAGO)


def test_window_that_never_overlaps_state_hours_raises_with_remedy() -> None:
    window = SendingWindow(start=time(20), end=time(21))
    now = local(f"{MONDAY} 12:00", NEW_YORK)

    with pytest.raises(NoSendingTime) as raised:
        next_allowed_at(now, NEW_YORK, window, "FL")

    assert str(raised.value) == (
        "No sending time exists for state FL: the workspace window 20:00:00 "
        "to 21:00:00 never overlaps the state's hours. Widen the workspace "
        "window or turn off state rules."
    )


@pytest.mark.parametrize(
    ("state", "window", "expected"),
    [
        ("FL", DEFAULT, 3),
        ("OK", DEFAULT, 3),
        ("MD", DEFAULT, 3),
        ("TX", DEFAULT, None),
        ("NY", DEFAULT, None),
        (None, DEFAULT, None),
        ("FL", NO_STATE_RULES, None),
    ],
)
def test_daily_cap_comes_from_state_rules(
    state: str | None, window: SendingWindow, expected: int | None
) -> None:
    result = daily_cap(state, window)

    assert result == expected


def test_every_state_rule_has_seven_days() -> None:
    lengths = {code: len(rule.hours_by_weekday) for code, rule in STATE_RULES.items()}

    assert set(lengths.values()) == {7}


@pytest.mark.parametrize(
    ("tz_name", "now", "expected"),
    [
        # Spring forward: 08:00 is daylight time, an hour earlier in UTC
        # than on the day before.
        (NEW_YORK, utc(2024, 3, 9, 12, 0), utc(2024, 3, 9, 13, 0)),
        (NEW_YORK, utc(2024, 3, 10, 6, 0), utc(2024, 3, 10, 12, 0)),
        (CHICAGO, utc(2024, 3, 10, 7, 0), utc(2024, 3, 10, 13, 0)),
        # Fall back: 01:30 happens twice; both wait for 08:00 standard time.
        (NEW_YORK, utc(2024, 11, 3, 5, 30), utc(2024, 11, 3, 13, 0)),
        (NEW_YORK, utc(2024, 11, 3, 6, 30), utc(2024, 11, 3, 13, 0)),
        (CHICAGO, utc(2024, 11, 3, 6, 30), utc(2024, 11, 3, 14, 0)),
        # Saturday 21:30 daylight time, deferred across the change.
        (NEW_YORK, utc(2024, 11, 3, 1, 30), utc(2024, 11, 3, 13, 0)),
        (CHICAGO, utc(2024, 11, 3, 2, 30), utc(2024, 11, 3, 14, 0)),
    ],
)
def test_deferral_lands_on_local_eight_across_dst_changes(
    tz_name: str, now: datetime, expected: datetime
) -> None:
    result = next_allowed_at(now, tz_name, DEFAULT, None)

    assert result == expected


@pytest.mark.parametrize(
    ("now", "quiet"),
    [
        (utc(2024, 3, 10, 11, 59, 59), True),
        (utc(2024, 3, 10, 12, 0, 0), False),
        (utc(2024, 3, 11, 0, 59, 59), False),
        (utc(2024, 3, 11, 1, 0, 0), True),
        (utc(2024, 11, 3, 12, 59, 59), True),
        (utc(2024, 11, 3, 13, 0, 0), False),
        (utc(2024, 11, 4, 1, 59, 59), False),
        (utc(2024, 11, 4, 2, 0, 0), True),
    ],
)
def test_boundaries_hold_on_dst_change_days(now: datetime, quiet: bool) -> None:
    result = is_quiet(now, NEW_YORK, DEFAULT, None)

    assert result is quiet


def test_window_start_skipped_by_spring_forward_opens_when_clocks_resume() -> None:
    window = SendingWindow(start=time(2, 30), end=time(5), state_rules=False)
    now = utc(2024, 3, 10, 5, 0)  # 00:00 standard time

    result = next_allowed_at(now, NEW_YORK, window, None)

    assert result == utc(2024, 3, 10, 7, 0)
    assert result.astimezone(ZoneInfo(NEW_YORK)).time() == time(3)


def test_window_start_repeated_by_fall_back_opens_at_first_occurrence() -> None:
    window = SendingWindow(start=time(1, 30), end=time(5), state_rules=False)
    now = utc(2024, 11, 3, 4, 0)  # 00:00 daylight time

    result = next_allowed_at(now, NEW_YORK, window, None)

    assert result == utc(2024, 11, 3, 5, 30)


def test_window_end_repeated_by_fall_back_closes_at_first_occurrence() -> None:
    window = SendingWindow(start=time(0), end=time(1, 30), state_rules=False)
    now = utc(2024, 11, 3, 6, 0)  # the second 01:00, in standard time

    result = next_allowed_at(now, NEW_YORK, window, None)

    assert result == local("2024-11-04 00:00", NEW_YORK)


def test_window_wholly_inside_skipped_hour_moves_to_next_day() -> None:
    window = SendingWindow(start=time(2), end=time(2, 45), state_rules=False)
    now = utc(2024, 3, 10, 5, 0)

    result = next_allowed_at(now, NEW_YORK, window, None)

    assert result == local("2024-03-11 02:00", NEW_YORK)


@pytest.mark.parametrize("day", ["2024-01-15", "2024-07-15"])
def test_honolulu_recipient_uses_hawaii_time_all_year(day: str) -> None:
    now = datetime.fromisoformat(f"{day} 17:59:59").replace(tzinfo=UTC)

    result = next_allowed_at(now, HONOLULU, DEFAULT, "HI")

    assert result == datetime.fromisoformat(f"{day} 18:00").replace(tzinfo=UTC)
    assert not is_quiet(now + timedelta(hours=12), HONOLULU, DEFAULT, "HI")
    assert is_quiet(now + timedelta(hours=13, seconds=1), HONOLULU, DEFAULT, "HI")


def test_unknown_time_zone_raises_naming_the_zone() -> None:
    now = utc(2024, 6, 10, 16, 0)

    with pytest.raises(ValueError, match="'Mars/Olympus'"):
        next_allowed_at(now, "Mars/Olympus", DEFAULT, None)


def test_naive_now_is_refused() -> None:
    now = datetime(2024, 6, 10, 12, 0)

    with pytest.raises(ValueError, match="timezone-aware"):
        next_allowed_at(now, NEW_YORK, DEFAULT, None)


@pytest.mark.parametrize(("start", "end"), [(time(21), time(8)), (time(9), time(9))])
def test_window_must_start_before_it_ends(start: time, end: time) -> None:
    with pytest.raises(ValueError, match="must be earlier than end"):
        SendingWindow(start=start, end=end)


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+13055550123", "FL"),
        ("+14055550123", "OK"),
        ("+14105550123", "MD"),
        ("+15125550123", "TX"),
        ("+12125550123", "NY"),  # geocoded as "New York, NY"
        ("+14155550123", "CA"),  # geocoded as "San Francisco, CA"
        ("+12025550123", "DC"),  # geocoded as "Washington D.C."
        ("+12065550123", "WA"),  # geocoded as "Washington State"
        ("+18085550123", "HI"),
        ("+18005550123", None),  # toll-free: no area
        ("+447700900123", None),
        ("+17875550123", None),  # Puerto Rico shares +1 but is not a state
        ("+14165550123", None),  # Toronto
        ("not a number", None),
    ],
)
def test_recipient_state_comes_from_area_code(e164: str, expected: str | None) -> None:
    result = recipient_state(e164)

    assert result == expected


SWEEP_CASES = [
    (NEW_YORK, DEFAULT, None),
    (NEW_YORK, DEFAULT, "FL"),
    (CHICAGO, DEFAULT, "TX"),
    (CHICAGO, SendingWindow(start=time(10), end=time(18)), "OK"),
    (HONOLULU, DEFAULT, None),
    (NEW_YORK, SendingWindow(start=time(2, 30), end=time(5), state_rules=False), None),
    (NEW_YORK, SendingWindow(start=time(0), end=time(1, 30), state_rules=False), None),
]


def sweep_instants(count: int) -> list[datetime]:
    """Instants around both 2024 US DST changes, from a fixed seed."""
    generator = random.Random(20240310)
    starts = [utc(2024, 3, 3), utc(2024, 10, 27)]
    two_weeks_s = 14 * 24 * 3600
    return [
        generator.choice(starts) + timedelta(seconds=generator.randrange(two_weeks_s))
        for _ in range(count)
    ]


@pytest.mark.parametrize(("tz_name", "window", "state"), SWEEP_CASES)
def test_next_allowed_at_is_never_early_never_quiet_and_never_late(
    tz_name: str, window: SendingWindow, state: str | None
) -> None:
    """The result is the earliest allowed instant at or after now."""
    instants = sweep_instants(400)

    results = [next_allowed_at(now, tz_name, window, state) for now in instants]

    for now, result in zip(instants, results, strict=True):
        assert result >= now
        assert not is_quiet(result, tz_name, window, state)
        if result != now:
            just_before = result - timedelta(seconds=1)
            assert is_quiet(just_before, tz_name, window, state)
