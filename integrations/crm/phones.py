"""Phone numbers: parsing to E.164, and the time zone a number implies."""

import zoneinfo
from functools import cache

import phonenumbers
from phonenumbers import timezone as number_timezones


class InvalidPhoneNumber(ValueError):
    pass


def to_e164(raw: str, default_country: str = "US") -> str:
    """Parse a number as people write it and return it in E.164 form.

    Raises InvalidPhoneNumber with a message meant for the person who typed it.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("A phone number is required.")

    try:
        number = phonenumbers.parse(text, default_country.upper())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(
            f"{text!r} is not a valid phone number. Write it with its country "
            "code, like +1 415 555 0123."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def time_zone_for(e164: str) -> str | None:
    """The time zone of a number's area, when the number tells one."""
    zones = [
        zone
        for zone in number_timezones.time_zones_for_number(phonenumbers.parse(e164))
        if zone in available_time_zones()
    ]
    # Mobile numbers in some countries, and US toll-free numbers, map to many
    # zones; a guess would put quiet hours in the wrong place.
    return zones[0] if len(zones) == 1 else None


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
