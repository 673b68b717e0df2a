"""SMS segment arithmetic: which encoding a body needs and how it splits.

The character tables follow the GSM 7-bit default alphabet and its extension
table in 3GPP TS 23.038. Segment sizes assume a 140-octet payload, less a
6-octet concatenation header in every part of a multipart message.

Carriers bill and throttle per segment, so these numbers are estimates of
cost; Twilio's `NumSegments` on the sent message remains the authority.
"""

import enum
from dataclasses import dataclass
from typing import NamedTuple, TypedDict


class Encoding(enum.StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


# The default alphabet in code order, 0x00 to 0x7F, one row of 16 per line.
# 0x1B is the escape to the extension table and maps to no character, so the
# second row has 15 entries. The Greek capitals are written as escapes to pin
# the code points: look-alikes such as the ohm sign (U+2126) and the increment
# sign (U+2206) are not in the alphabet.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039eÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# Sent as escape + code, so each costs two septets. The table's other entries
# (a second escape and a control code) have no Unicode character to map from.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

# (single segment, per segment of a multipart message), in the encoding's
# units. The multipart figures are what remains after the 6-octet header.
_LIMITS: dict[Encoding, tuple[int, int]] = {
    Encoding.GSM7: (160, 153),
    Encoding.UCS2: (70, 67),
}


class SegmentInfoDict(TypedDict):
    encoding: str
    segments: int
    units: int
    per_segment: int
    remaining: int
    non_gsm_characters: list[str]


@dataclass(frozen=True)
class SegmentInfo:
    """How a message body is encoded and how many segments it takes.

    `units` are septets for GSM-7 and UTF-16 code units for UCS-2.
    `per_segment` is 160 or 70 while the body fits one segment, and 153 or 67
    once it does not. `remaining` is what the last segment can still take.
    """

    encoding: Encoding
    segments: int
    units: int
    per_segment: int
    remaining: int
    non_gsm_characters: tuple[str, ...]

    def to_dict(self) -> SegmentInfoDict:
        """Return the fields as plain JSON values, the encoding as its name."""
        return {
            "encoding": self.encoding.value,
            "segments": self.segments,
            "units": self.units,
            "per_segment": self.per_segment,
            "remaining": self.remaining,
            "non_gsm_characters": list(self.non_gsm_characters),
        }


class _Part(NamedTuple):
    body: str
    units: int


def is_gsm7(text: str) -> bool:
    """Return whether every character is in the GSM-7 basic or extension table."""
    return all(char in _GSM7_ALL for char in text)


def count_segments(text: str) -> SegmentInfo:
    """Count the segments a carrier needs to deliver `text` as SMS.

    The empty string takes 0 segments and reports GSM-7 with 160 remaining.
    The count always equals `len(split_segments(text))`.
    """
    encoding, per_segment, parts = _plan(text)
    last_units = parts[-1].units if parts else 0

    return SegmentInfo(
        encoding=encoding,
        segments=len(parts),
        units=sum(part.units for part in parts),
        per_segment=per_segment,
        remaining=per_segment - last_units,
        non_gsm_characters=tuple(
            dict.fromkeys(char for char in text if char not in _GSM7_ALL)
        ),
    )


def split_segments(text: str) -> list[str]:
    """Split `text` into the bodies of the segments a carrier would send.

    Joining the result gives back `text`. No segment ends in the middle of a
    GSM-7 escape pair or a UTF-16 surrogate pair. The empty string gives [].
    """
    _, _, parts = _plan(text)
    return [part.body for part in parts]


def _plan(text: str) -> tuple[Encoding, int, list[_Part]]:
    """Choose the encoding and cut `text` into parts that each fit a segment.

    Return the encoding, the per-segment limit that applies, and the parts.
    """
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    single, multipart = _LIMITS[encoding]

    units = sum(_width(char, encoding) for char in text)
    if units <= single:
        return encoding, single, [_Part(text, units)] if text else []

    # Twilio's public calculator gives the first part of a multipart UCS-2
    # message 66 units rather than 67, so it reports one more segment for
    # bodies of exactly 134, 201, ... units. The 3GPP arithmetic is kept here.
    return encoding, multipart, _pack(text, encoding, multipart)


def _pack(text: str, encoding: Encoding, capacity: int) -> list[_Part]:
    """Fill parts of at most `capacity` units, first come first placed.

    A character is never divided: when its units do not all fit, the part is
    closed short and the character opens the next one.
    """
    parts: list[_Part] = []
    start = 0
    used = 0
    for index, char in enumerate(text):
        width = _width(char, encoding)
        if used + width > capacity:
            parts.append(_Part(text[start:index], used))
            start, used = index, 0
        used += width

    parts.append(_Part(text[start:], used))

    return parts


def _width(char: str, encoding: Encoding) -> int:
    """Return the units one code point takes in `encoding`."""
    if encoding is Encoding.GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    # Code points above the Basic Multilingual Plane, most emoji among them,
    # travel as a UTF-16 surrogate pair.
    return 2 if ord(char) > 0xFFFF else 1
