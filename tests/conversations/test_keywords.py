import csv
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from conversations.keywords import (
    PLAIN_LANGUAGE_KEYWORD,
    KeywordKind,
    KeywordMatch,
    classify,
    detect_revocation,
)

CORPUS_PATH = Path(__file__).parent / "data" / "revocation_corpus.csv"
MIN_PRECISION = 0.97
MIN_RECALL = 0.95


def load_corpus() -> list[dict[str, str]]:
    with CORPUS_PATH.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def misclassified(
    rows: list[dict[str, str]],
) -> list[tuple[dict[str, str], str | None]]:
    """Rows whose detector result disagrees with their label."""
    wrong = []
    for row in rows:
        phrase = detect_revocation(row["text"])
        if (phrase is not None) != (row["label"] == "opt_out"):
            wrong.append((row, phrase))
    return wrong


# Exact keywords ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", "STOP"),
        ("STOPALL", "STOPALL"),
        ("UNSUBSCRIBE", "UNSUBSCRIBE"),
        ("CANCEL", "CANCEL"),
        ("END", "END"),
        ("QUIT", "QUIT"),
        ("REVOKE", "REVOKE"),
        ("OPTOUT", "OPTOUT"),
        ("OPT OUT", "OPT OUT"),
        ("OPT-OUT", "OPT OUT"),
        ("OPT_OUT", "OPT OUT"),
    ],
)
def test_opt_out_keyword_is_recognized(body: str, keyword: str) -> None:
    match = classify(body)

    assert match == KeywordMatch(
        kind=KeywordKind.OPT_OUT,
        keyword=keyword,
        plain_language=False,
        reason=f"keyword {keyword}",
    )


@pytest.mark.parametrize(
    "body",
    [
        "Stop.",
        "  STOP!! ",
        "'stop'",
        "\u201cStop\u201d",
        "sToP",
        "stop\n",
        "...stop?",
        "stop \U0001f6d1",
    ],
)
def test_opt_out_keyword_tolerates_case_whitespace_and_punctuation(
    body: str,
) -> None:
    match = classify(body)

    assert match is not None
    assert (match.kind, match.keyword, match.plain_language) == (
        KeywordKind.OPT_OUT,
        "STOP",
        False,
    )


@pytest.mark.parametrize("body", ["opt out", "Opt-Out!", "opt_out.", "OPT   OUT"])
def test_opt_out_with_separator_is_one_canonical_keyword(body: str) -> None:
    match = classify(body)

    assert match is not None
    assert match.keyword == "OPT OUT"


@pytest.mark.parametrize(
    ("body", "keyword"), [("START", "START"), ("unstop!", "UNSTOP")]
)
def test_opt_in_keyword_counts_whatever_the_state(body: str, keyword: str) -> None:
    opted_in = classify(body)
    opted_out = classify(body, opted_out=True)

    assert opted_in == opted_out
    assert opted_in is not None
    assert (opted_in.kind, opted_in.keyword) == (KeywordKind.OPT_IN, keyword)


def test_yes_opts_in_only_when_contact_is_opted_out() -> None:
    match = classify(" Yes! ", opted_out=True)

    assert match == KeywordMatch(
        kind=KeywordKind.OPT_IN,
        keyword="YES",
        plain_language=False,
        reason="keyword YES while opted out",
    )


def test_yes_is_an_ordinary_answer_for_a_subscribed_contact() -> None:
    assert classify("YES") is None
    assert classify("yes") is None


@pytest.mark.parametrize(("body", "keyword"), [("HELP", "HELP"), ("info?", "INFO")])
def test_help_keyword_is_recognized(body: str, keyword: str) -> None:
    match = classify(body)

    assert match is not None
    assert (match.kind, match.keyword, match.reason) == (
        KeywordKind.HELP,
        keyword,
        f"keyword {keyword}",
    )


@pytest.mark.parametrize(
    "body",
    [
        "Stop at the front desk when you get here",
        "we can end early on Friday",
        "can you cancel my 3pm and book 4pm instead?",
        "I need help with my bill",
        "Start time is 3pm",
        "Yes, see you at 3",
        "Any info on the quote?",
        "quit my job lol, can we talk Tuesday",
    ],
)
def test_keyword_inside_a_longer_message_is_not_a_keyword(body: str) -> None:
    assert classify(body, opted_out=True) is None


def test_stop_inside_a_request_is_a_plain_language_opt_out() -> None:
    match = classify("please stop texting me")

    assert match == KeywordMatch(
        kind=KeywordKind.OPT_OUT,
        keyword=PLAIN_LANGUAGE_KEYWORD,
        plain_language=True,
        reason="plain-language opt-out: 'stop texting'",
    )


def test_keyword_wins_over_plain_language_detection() -> None:
    match = classify("UNSUBSCRIBE")

    assert match is not None
    assert match.plain_language is False


def test_repeated_stop_is_a_plain_language_opt_out() -> None:
    """STOP STOP is not a carrier keyword, so the app must act on it."""
    match = classify("STOP STOP")

    assert match is not None
    assert (match.kind, match.plain_language) == (KeywordKind.OPT_OUT, True)


def test_empty_and_blank_messages_are_ordinary() -> None:
    assert classify("") is None
    assert classify("   \n ") is None
    assert classify("\U0001f44d") is None


def test_match_cannot_be_changed_after_classification() -> None:
    match = classify("STOP")
    assert match is not None

    with pytest.raises(FrozenInstanceError):
        match.kind = KeywordKind.OPT_IN  # type: ignore[misc]


# Plain-language revocation -----------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "don\u2019t text me anymore",
        "BÓRRAME DE LA LISTA",
        "borrame de la lista",
        "no me manden m\u0061\u0301s mensajes",
        "stoooop   texting    me",
        "LEAVE ME ALONE!!!",
    ],
)
def test_revocation_survives_apostrophes_accents_repeats_and_case(body: str) -> None:
    assert detect_revocation(body) is not None


def test_revocation_reason_is_short_and_normalized() -> None:
    body = "Please, PLEASE remove me from your list " + "because reasons " * 20

    phrase = detect_revocation(body)

    assert phrase is not None
    assert phrase.startswith("remove me")
    assert len(phrase) <= 60


def test_request_to_keep_messages_is_not_a_revocation() -> None:
    body = "I replied stop by mistake, I still want the appointment reminders"

    assert detect_revocation(body) is None


# Corpus ------------------------------------------------------------------


def test_corpus_is_labelled_and_balanced() -> None:
    rows = load_corpus()

    labels = {row["label"] for row in rows}
    languages = [row["language"] for row in rows]
    opt_outs = sum(row["label"] == "opt_out" for row in rows)
    assert labels == {"opt_out", "other"}
    assert set(languages) == {"en", "es"}
    assert len(rows) >= 170
    assert languages.count("es") >= 50
    assert 0.4 <= opt_outs / len(rows) <= 0.6


def test_corpus_holds_no_exact_keywords() -> None:
    """Single-word keywords are covered by the keyword tests above."""
    keyword_rows = [
        row["text"]
        for row in load_corpus()
        if (match := classify(row["text"], opted_out=True)) is not None
        and not match.plain_language
    ]

    assert keyword_rows == []


def test_revocation_precision_and_recall_on_corpus() -> None:
    rows = load_corpus()

    predicted = [detect_revocation(row["text"]) is not None for row in rows]
    actual = [row["label"] == "opt_out" for row in rows]
    true_pos = sum(p and a for p, a in zip(predicted, actual, strict=True))
    precision = true_pos / max(sum(predicted), 1)
    recall = true_pos / max(sum(actual), 1)
    print(
        f"revocation corpus: n={len(rows)} precision={precision:.3f} "
        f"recall={recall:.3f}"
    )

    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL


def test_corpus_has_no_misclassified_rows() -> None:
    wrong = misclassified(load_corpus())

    lines = [
        f"  [{row['language']}] expected {row['label']}, detector returned "
        f"{phrase!r}: {row['text']!r}"
        for row, phrase in wrong
    ]
    assert not wrong, "misclassified corpus rows:\n" + "\n".join(lines)


# Held-out phrasings ------------------------------------------------------
# Never used to tune the rules, so they show how the rules generalise. When
# one fails, fix the rule, move the phrasing into the corpus, and replace it
# here with a new one written before looking at the rules.

HELD_OUT = [
    ("Hi, this is Dana. Please take me off all your text lists, thank you", True),
    ("STOP SENDING ME MESSAGES OR I'LL REPORT YOU", True),
    ("i dont want ur texts no more", True),
    ("How many times do I have to say it? Stop texting me!", True),
    ("No longer interested. Please remove my number.", True),
    ("u can stop msging me now thx", True),
    ("don't send me any more reminders, I'll remember on my own", True),
    ("Ya no me envíen mensajes por favor \U0001f64f", True),
    ("Por favor quítenme de su lista de mensajes", True),
    ("Ya no quiero que me escriban, gracias", True),
    ("Dejen de mandar textos a este número, no es de Juan", True),
    ("No me vuelvan a mandar promociones", True),
    ("Stop! Don't come today, we have a family emergency", False),
    ("Can you remove the old water heater when you come?", False),
    ("The text said 3pm but my confirmation says 4, which is right?", False),
    ("I'll stop at the bank and pay you in cash", False),
    ("Did you end up sending the quote?", False),
    ("¿Pueden dejar la factura en el buzón?", False),
    ("Ya no tengo el mismo correo, les mando el nuevo", False),
    ("Cancelé la tarjeta vieja, les paso la nueva", False),
]


@pytest.mark.parametrize(("body", "is_revocation"), HELD_OUT)
def test_held_out_phrasing(body: str, is_revocation: bool) -> None:
    phrase = detect_revocation(body)

    assert (phrase is not None) == is_revocation, f"detector returned {phrase!r}"
