import json
import random

import pytest

from conversations.encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    SegmentInfo,
    count_segments,
    is_gsm7,
    split_segments,
)

EMOJI = "\U0001f600"  # Outside the BMP: one code point, two UTF-16 units.
# Written as escapes: it looks like the GSM-7 apostrophe but is not in GSM-7.
CURLY_APOSTROPHE = "\u2019"


def units_in(body: str, encoding: Encoding) -> int:
    """Units a segment body takes in the encoding of the whole message."""
    if encoding is Encoding.GSM7:
        return sum(2 if char in GSM7_EXTENSION else 1 for char in body)
    return len(body.encode("utf-16-le")) // 2


def random_texts(count: int) -> list[str]:
    """Texts mixing every kind of character, from a fixed seed."""
    alphabet = [
        *"abcXYZ019 .,!?@£é\n",
        *GSM7_EXTENSION,
        *"á—…•\u00a0ç中",
        CURLY_APOSTROPHE,
        EMOJI,
        "\U0001f44d",
    ]
    generator = random.Random(23038)
    texts = []
    for _ in range(count):
        length = generator.randint(0, 400)
        texts.append("".join(generator.choices(alphabet, k=length)))
    return texts


SAMPLE_TEXTS = [
    "",
    "a",
    "a" * 160,
    "a" * 161,
    "a" * 460,
    "{" * 200,
    "a" * 152 + "€" * 5,
    EMOJI * 40,
    "a" + EMOJI * 35,
    "á" * 135,
    "Hi Ana, your visit is at 3:00 [reply YES to confirm] ~ the team\n" * 4,
    "Olá! Sua consulta é amanhã às 10h 🙂 Responda SIM para confirmar. " * 3,
    "您的预约在明天上午十点。请回复是确认。" * 6,
    *random_texts(40),
]


def test_empty_text_takes_no_segments() -> None:
    info = count_segments("")

    assert info == SegmentInfo(
        encoding=Encoding.GSM7,
        segments=0,
        units=0,
        per_segment=160,
        remaining=160,
        non_gsm_characters=(),
    )
    assert split_segments("") == []


def test_160_gsm_characters_fit_one_segment() -> None:
    info = count_segments("a" * 160)

    assert info.encoding is Encoding.GSM7
    assert (info.segments, info.units) == (1, 160)
    assert (info.per_segment, info.remaining) == (160, 0)


def test_161_gsm_characters_take_two_segments_of_153() -> None:
    text = "a" * 161

    info = count_segments(text)
    segments = split_segments(text)

    assert (info.segments, info.units) == (2, 161)
    assert (info.per_segment, info.remaining) == (153, 145)
    assert [len(segment) for segment in segments] == [153, 8]


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [
        (153 * 2, 2, 0),
        (153 * 2 + 1, 3, 152),
        (153 * 3, 3, 0),
        (153 * 3 + 1, 4, 152),
    ],
)
def test_gsm_multipart_messages_fill_153_septets_per_segment(
    length: int, segments: int, remaining: int
) -> None:
    info = count_segments("a" * length)

    assert (info.segments, info.remaining) == (segments, remaining)


def test_70_ucs2_characters_fit_one_segment() -> None:
    info = count_segments("á" * 70)

    assert info.encoding is Encoding.UCS2
    assert (info.segments, info.units) == (1, 70)
    assert (info.per_segment, info.remaining) == (70, 0)


def test_71_ucs2_characters_take_two_segments_of_67() -> None:
    text = "á" * 71

    info = count_segments(text)

    assert (info.segments, info.per_segment, info.remaining) == (2, 67, 63)
    assert [len(segment) for segment in split_segments(text)] == [67, 4]


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(67 * 2, 2, 0), (67 * 2 + 1, 3, 66)],
)
def test_ucs2_multipart_messages_fill_67_units_per_segment(
    length: int, segments: int, remaining: int
) -> None:
    """Twilio's public calculator says 3 segments for 134 units; 3GPP says 2.

    The module follows 3GPP; Twilio's NumSegments settles real bills.
    """
    info = count_segments("á" * length)

    assert (info.segments, info.remaining) == (segments, remaining)


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_extension_characters_take_two_septets(char: str) -> None:
    info = count_segments(char)

    assert info.encoding is Encoding.GSM7
    assert (info.units, info.remaining) == (2, 158)


def test_gsm_tables_hold_127_basic_and_10_extension_characters() -> None:
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


def test_80_euro_signs_fill_one_segment_and_81_take_two() -> None:
    eighty = count_segments("€" * 80)
    eighty_one = count_segments("€" * 81)

    assert (eighty.segments, eighty.units) == (1, 160)
    assert (eighty_one.segments, eighty_one.units) == (2, 162)


def test_extension_character_that_would_straddle_segments_moves_whole() -> None:
    text = "a" * 152 + "€" + "a" * 10

    info = count_segments(text)
    segments = split_segments(text)

    assert segments == ["a" * 152, "€" + "a" * 10]
    assert (info.segments, info.units, info.remaining) == (2, 164, 141)


def test_extension_character_ending_exactly_at_153_septets_stays() -> None:
    text = "a" * 151 + "€" + "a" * 10

    segments = split_segments(text)

    assert segments == ["a" * 151 + "€", "a" * 10]


def test_moved_escape_pair_can_cost_an_extra_segment() -> None:
    """306 septets would fill two segments, but the moved pair needs a third."""
    text = "a" * 152 + "€" + "a" * 152

    info = count_segments(text)

    assert (info.units, info.segments) == (306, 3)
    assert split_segments(text) == ["a" * 152, "€" + "a" * 151, "a"]


def test_extension_characters_take_one_unit_in_a_ucs2_message() -> None:
    info = count_segments("€{á")

    assert info.encoding is Encoding.UCS2
    assert info.units == 3


def test_emoji_takes_two_ucs2_units() -> None:
    info = count_segments(EMOJI)

    assert info.encoding is Encoding.UCS2
    assert (info.units, info.remaining) == (2, 68)
    assert info.non_gsm_characters == (EMOJI,)


def test_emoji_and_68_gsm_characters_fit_one_ucs2_segment() -> None:
    info = count_segments(EMOJI + "a" * 68)

    assert (info.encoding, info.segments, info.units) == (Encoding.UCS2, 1, 70)


def test_emoji_and_69_gsm_characters_take_two_ucs2_segments() -> None:
    info = count_segments(EMOJI + "a" * 69)

    assert (info.segments, info.units, info.per_segment) == (2, 71, 67)


def test_surrogate_pair_that_would_straddle_segments_moves_whole() -> None:
    text = "a" * 66 + EMOJI + "a" * 10

    info = count_segments(text)
    segments = split_segments(text)

    assert segments == ["a" * 66, EMOJI + "a" * 10]
    assert (info.segments, info.units, info.remaining) == (2, 78, 55)


def test_moved_surrogate_pair_can_cost_an_extra_segment() -> None:
    text = "a" * 66 + EMOJI + "a" * 66

    info = count_segments(text)

    assert (info.units, info.segments) == (134, 3)
    assert split_segments(text) == ["a" * 66, EMOJI + "a" * 65, "a"]


@pytest.mark.parametrize("char", ["é", "è", "É", "ù", "ì", "ò", "à", "Ç", "ß"])
def test_accented_letters_in_the_basic_table_keep_gsm7(char: str) -> None:
    info = count_segments(char * 70)

    assert is_gsm7(char)
    assert (info.encoding, info.segments, info.units) == (Encoding.GSM7, 1, 70)


@pytest.mark.parametrize(
    "char",
    [
        pytest.param("á", id="a-acute"),
        pytest.param("í", id="i-acute"),
        pytest.param("ó", id="o-acute"),
        pytest.param("ú", id="u-acute"),
        pytest.param("ç", id="lowercase-c-cedilla"),
        pytest.param("`", id="backtick"),
        pytest.param(CURLY_APOSTROPHE, id="curly-apostrophe"),
        pytest.param("\u201c", id="curly-double-quote"),
        pytest.param("\u2014", id="em-dash"),
        pytest.param("\u2026", id="ellipsis"),
        pytest.param("\u2022", id="bullet"),
        pytest.param("\u00a0", id="no-break-space"),
        pytest.param("\u2126", id="ohm-sign-not-greek-omega"),
    ],
)
def test_accents_and_look_alikes_outside_the_tables_are_not_gsm7(char: str) -> None:
    assert not is_gsm7(char)


def test_one_curly_quote_turns_the_whole_message_into_ucs2() -> None:
    text = f"It{CURLY_APOSTROPHE}s confirmed for 3pm, see you then"

    info = count_segments(text)

    assert info.encoding is Encoding.UCS2
    assert info.units == len(text)
    assert info.non_gsm_characters == (CURLY_APOSTROPHE,)


def test_non_gsm_characters_are_distinct_in_order_of_first_appearance() -> None:
    info = count_segments(f"á b {CURLY_APOSTROPHE} á {EMOJI} {CURLY_APOSTROPHE} é")

    assert info.non_gsm_characters == ("á", CURLY_APOSTROPHE, EMOJI)


def test_gsm7_message_reports_no_non_gsm_characters() -> None:
    info = count_segments("Price: 5€ {approx} ~ [see] é")

    assert info.encoding is Encoding.GSM7
    assert info.non_gsm_characters == ()


def test_to_dict_gives_json_ready_values() -> None:
    info = count_segments(f"Hi {EMOJI}")

    data = info.to_dict()

    assert data == {
        "encoding": "UCS-2",
        "segments": 1,
        "units": 5,
        "per_segment": 70,
        "remaining": 65,
        "non_gsm_characters": [EMOJI],
    }
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize("text", SAMPLE_TEXTS)
def test_split_segments_join_back_into_the_text(text: str) -> None:
    assert "".join(split_segments(text)) == text


@pytest.mark.parametrize("text", SAMPLE_TEXTS)
def test_split_segments_agree_with_count_segments(text: str) -> None:
    info = count_segments(text)

    segments = split_segments(text)

    assert len(segments) == info.segments
    assert sum(units_in(segment, info.encoding) for segment in segments) == info.units
    assert all(units_in(s, info.encoding) <= info.per_segment for s in segments)
    if segments:
        last_units = units_in(segments[-1], info.encoding)
        assert info.remaining == info.per_segment - last_units
