"""Inbound SMS compliance keywords and plain-language opt-out detection.

Two layers, applied in order by `classify`:

1. Exact keywords: the whole message, after trimming whitespace and
   punctuation, is one of the carrier keywords (STOP, START, HELP, ...).
   Twilio acts on most of these itself; "OPT OUT" with a space is on the
   FCC list but not Twilio's, so the app must act on it.
2. Plain-language revocation: the FCC's 2024 order lets a consumer revoke
   consent "in any reasonable manner", so "please stop texting me" or
   "bórrame de la lista" must be honoured even though no carrier treats
   them as keywords. `detect_revocation` covers English and Spanish with
   readable rules; it is tuned for precision on ordinary business replies
   ("stop by tomorrow", "cancel my 3pm") as much as for recall.

Pure Python with no Django imports, so workflows and tests can call it
directly.
"""

import enum
import re
import unicodedata
from dataclasses import dataclass


class KeywordKind(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


@dataclass(frozen=True)
class KeywordMatch:
    """What an inbound message asks for, with a reason fit for an audit log.

    `keyword` is the canonical upper-case keyword ("STOP", "OPT OUT"). For
    plain-language matches it is `PLAIN_LANGUAGE_KEYWORD`, never a carrier
    keyword, so callers cannot mistake the match for one Twilio already
    confirmed.
    """

    kind: KeywordKind
    keyword: str
    plain_language: bool
    reason: str


PLAIN_LANGUAGE_KEYWORD = "REVOCATION"

_OPT_OUT_KEYWORDS = {
    "STOP": "STOP",
    "STOPALL": "STOPALL",
    "UNSUBSCRIBE": "UNSUBSCRIBE",
    "CANCEL": "CANCEL",
    "END": "END",
    "QUIT": "QUIT",
    "REVOKE": "REVOKE",
    "OPTOUT": "OPTOUT",
    "OPT OUT": "OPT OUT",
}
_OPT_IN_KEYWORDS = {"START": "START", "UNSTOP": "UNSTOP"}
_HELP_KEYWORDS = {"HELP": "HELP", "INFO": "INFO"}

# Leading and trailing characters that are neither letters nor digits:
# punctuation, quotes, emoji. Carriers do not document whether they trim
# them, so the app trims for its own detection.
_EDGE_NOISE = re.compile(r"^[\W_]+|[\W_]+$")
_KEYWORD_SEPARATORS = re.compile(r"[\s_-]+")


def classify(body: str, *, opted_out: bool = False) -> KeywordMatch | None:
    """Classify an inbound message as opt-out, opt-in, help, or nothing.

    Exact keywords win; otherwise the plain-language detector runs, and it
    only ever returns OPT_OUT. YES counts as opt-in only when `opted_out`
    is true, because outside that state it is an ordinary answer. Returns
    None for ordinary messages. Never raises on any string input.
    """
    keyword = _exact_keyword(body)
    if keyword in _OPT_OUT_KEYWORDS:
        return _keyword_match(KeywordKind.OPT_OUT, _OPT_OUT_KEYWORDS[keyword])
    if keyword in _OPT_IN_KEYWORDS:
        return _keyword_match(KeywordKind.OPT_IN, _OPT_IN_KEYWORDS[keyword])
    if keyword in _HELP_KEYWORDS:
        return _keyword_match(KeywordKind.HELP, _HELP_KEYWORDS[keyword])
    if keyword == "YES" and opted_out:
        return KeywordMatch(
            kind=KeywordKind.OPT_IN,
            keyword="YES",
            plain_language=False,
            reason="keyword YES while opted out",
        )

    phrase = detect_revocation(body)
    if phrase is None:
        return None

    return KeywordMatch(
        kind=KeywordKind.OPT_OUT,
        keyword=PLAIN_LANGUAGE_KEYWORD,
        plain_language=True,
        reason=f"plain-language opt-out: '{phrase}'",
    )


def _keyword_match(kind: KeywordKind, keyword: str) -> KeywordMatch:
    return KeywordMatch(
        kind=kind, keyword=keyword, plain_language=False, reason=f"keyword {keyword}"
    )


def _exact_keyword(body: str) -> str:
    """Return the whole message as an upper-case keyword candidate.

    "  'Stop!' " becomes "STOP" and "opt_out" becomes "OPT OUT"; a longer
    message comes back as a longer string that matches no keyword.
    """
    text = _strip_accents(unicodedata.normalize("NFKC", body))
    text = _EDGE_NOISE.sub("", text)
    return _KEYWORD_SEPARATORS.sub(" ", text).upper()


def detect_revocation(body: str) -> str | None:
    """Return the phrase that asks the business to stop texting, or None.

    The phrase is taken from the normalized message (lower case, accents
    removed, at most 60 characters) so it can go into an audit reason
    without copying the whole body. Covers English and Spanish. A message
    that also asks to keep receiving messages ("I replied stop by mistake,
    I still want the reminders") is not a revocation.
    """
    text = _normalize(body)
    if not text or _KEEP_MESSAGES.search(text):
        return None

    text = _NEGATED_STOP.sub("nostop", text)
    for pattern in _RULES:
        match = pattern.search(text)
        if match:
            return _clean_phrase(match.group(0))

    return _bare_stop_clause(text)


def _clean_phrase(phrase: str) -> str:
    return phrase.strip(" .,;:!?")[:60]


# Normalization -----------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Accents carry tense in Spanish: "dejé de recibir los avisos" reports that
# messages stopped arriving, while "deje de enviarme" asks for them to stop.
# Removing accents would merge the two, so past forms are rewritten first
# to a present form that no rule treats as a request.
_PRETERITE_STOP = re.compile(r"\b(dej|par)[éó]\b", re.IGNORECASE)


def _to_present(match: re.Match[str]) -> str:
    return f"{match.group(1)}o"


def _normalize(body: str) -> str:
    """Lower-case, accent-free text with one space between words.

    Apostrophes are dropped ("don't" reads "dont", as people also type it),
    hyphens and underscores become spaces ("opt-out"), emoji and symbols
    become spaces, and a letter repeated three or more times is cut to two
    ("stooop" reads "stoop"; rules allow a doubled letter where people
    stretch words). Spanish past forms of "stop" keep their meaning (see
    `_PRETERITE_STOP`). Sentence punctuation stays, since some rules look
    for the end of a clause.
    """
    text = unicodedata.normalize("NFC", body.translate(_APOSTROPHES))
    text = _PRETERITE_STOP.sub(_to_present, text)
    text = _strip_accents(text).casefold()
    text = text.replace("'", "")
    text = re.sub(r"([a-z])\1{2,}", r"\1\1", text)
    text = re.sub(r"[^\w\s.,;:!?]|_", " ", text)

    return re.sub(r"\s+", " ", text).strip()


# Shared vocabulary -------------------------------------------------------
# Normalized text has single spaces, so a literal " " separates words.

_STOP = r"(?:sto+p+|stp|stpo|sotp)"
# Things a business sends. Kept to words that name messages, so "stop the
# delivery" or "cancel the order" never reach a rule through this list.
_EN_MSG = (
    r"(?:text messages?|messages?|msgs?|mesages?|texts?|txts?|sms|reminders"
    r"|alerts|notifications|promos?|promotions|ads|marketing|spam)"
)
# After "sending me" almost any noun means messages ("this stuff").
_EN_MSG_LOOSE = r"(?:" + _EN_MSG + r"|stuff|crap|junk|things|shit)"
_EN_ME = r"(?:me|us|(?:my|this) (?:cell |phone |mobile )?(?:number|phone|cell|#))"
_EN_DET = r"(?:all|any|any more|more|the|these|those|this|that|your|ur|my|of|so many)"
# The end of a clause, after words that do not change a request ("remove
# me please"), or a word that starts a new clause in unpunctuated SMS
# ("stop sending me these i never signed up").
_EN_END = (
    r"(?:(?: (?:please|pls|plz|now|anymore|any more|again|ever|thanks|thank you"
    r"|thx|ok|okay|asap|already|for good|lol|seriously))*"
    r"(?: ?[.,;:!?]|$| (?:i|im|and|but|so|who|why|how|stop|remove|its|this is"
    r"|you)\b))"
)
# A time or channel condition turns "don't text me" into a preference
# ("don't text me before 9am"), not a revocation.
_EN_TIME = (
    r"(?:before|after|until|till|til|between|during|while|unless|except"
    r"|instead|when|today|tonight|right now|rn|so early|this early|so late"
    r"|this late|at (?:night|work|\d)|in the (?:morning|evening|middle)"
    r"|on (?:the )?weekends?|on (?:sat|sun)\w*)"
)
# Lists a person can ask to leave; "waitlist" and "wait list" stay out.
_EN_LIST = (
    r"(?:(?:your|ur|the|this|that|these|all|all your|all of your|every|any"
    r"|all the|my|those) )?(?:(?:text|texting|txt|sms|mailing|mail|marketing"
    r"|contact|call|calling|message|messaging|distribution|subscriber"
    r"|promo|promotional|customer|client|phone) )?"
    r"(?:lists?|database|db|system|records|contacts|everything|" + _EN_MSG + r")\b"
)

_ES_MSG = (
    r"(?:mensajes?|mensajitos|msjs?|mjs|textos?|sms|recordatorios|avisos"
    r"|alertas|notificaciones|promociones|ofertas|publicidad|spam|whats?apps?)"
)
_ES_SEND_VERB = r"(?:envi|mand|escrib|text|contact|molest|spam)"
_ES_SEND_SUBJUNCTIVE = (
    r"(?:envien|envie|envies|manden|mande|mandes|escriban|escriba|escribas"
    r"|contacten|contacte|contactes|texteen|textee|textees|molesten|moleste"
    r"|molestes)"
)
_ES_ARTICLE = r"(?:la|el|los|las|un|una|su|sus|mi|mis|tu|tus)"
_ES_END = (
    r"(?:(?: (?:por favor|porfa|favor|ya|mas|nunca|gracias|ok))*"
    r"(?: ?[.,;:!?]|$| (?:y|yo|no|que|quien|porque|gracias)\b))"
)
_ES_TIME = (
    r"(?:antes|despues|hasta|durante|mientras|ahora|ahorita|hoy|temprano"
    r"|tan temprano|tan tarde|en la (?:noche|manana|madrugada)"
    r"|por la (?:noche|manana|tarde)|a esta hora|en el trabajo)"
)
_ES_LIST = (
    r"(?:(?:la|las|su|sus|tu|tus|esta|este|el|los) )?"
    r"(?:lista(?! de espera)|listas|base de datos|sistema|registro|contactos"
    r"|todo|" + _ES_MSG + r")\b"
)


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("".join(parts))


# Guards ------------------------------------------------------------------

# Someone who wants the messages to continue has not revoked consent, even
# if the message says "stop" or "unsubscribe" somewhere. "keep texting"
# counts only as a request ("please keep texting me"), since "if you keep
# texting me" is a complaint; "I still want the texts to stop" is not a
# wish to keep them.
_KEEP_MESSAGES = _rx(
    r"\b(?:didnt|did not) mean (?:to|it)\b",
    r"|\b(?:accidentally|by accident|by mistake|mistakenly)(?: \w+){0,3}",
    r" (?:stop|unsub\w*|opt|replied|texted|typed|sent|hit|pressed)\b",
    r"|\bre ?subscribe|\bsubscribe me (?:again|back)|\bsign me (?:back )?up",
    r"|\bopt (?:me )?back in|\bstart (?:texting|sending|messaging) (?:me )?again",
    r"|\b(?:still|really|do) want (?:the |my |to (?:get|keep getting|receive) )",
    r"(?:\w+ )?(?:texts|messages|reminders|updates|alerts|notifications)\b",
    r"(?! to (?:stop|end))",
    r"|(?:^|[.,;:!?] ?|\b(?:please|pls|plz|but|and|just|can you|could you",
    r"|you can) )keep (?:texting|sending|messaging|the (?:\w+ )?(?:texts",
    r"|messages|reminders|updates|alerts))",
    r"|\bsin querer\b|\bpor error\b|\bme equivoque\b(?! de numero)",
    r"|\bseguir recibiendo\b|\bsigan (?:mandando|enviando|escribiendo)",
    r"|\bsi quiero (?:los|las|sus|recibir)\b",
)

# A negated or past-tense stop verb is the opposite of a request:
# "don't stop the reminders", "did you stop texting me?", "no pares".
# The verb is replaced by a token that no rule matches.
_NEGATED_STOP = _rx(
    r"\b(?:dont|do not|didnt|did not|never|wont|will not|please dont|pls dont)",
    r" (?:ever )?(?:",
    _STOP,
    r"|quit|cancel|unsu(?:b|sc|sb)\w*|end|remove|delete|opt out)\b",
    r"|\b(?:did|didnt|have|has|had) (?:you|u|they|yall|it|we) (?:ever )?",
    r"(?:",
    _STOP,
    r"|quit)\b",
    r"|\bno (?:me |nos )?(?:par[aeo]n?s?|dej[aeo]n?s?|deten\w*|cancel\w*",
    r"|borr\w*|quit\w*|sac\w*|saqu\w*|elimin\w*|(?:den|des|de|dar) de baja)\b",
)


# Rules -------------------------------------------------------------------
# Each pattern is one way of asking to stop. They run in order on the
# normalized, negation-masked text; the first match is the reason.

_RULES: tuple[re.Pattern[str], ...] = (
    # -- English: a stop verb with a contact verb ---------------------------
    # "stop texting me", "quit messaging", "stop spamming". Calling and
    # bothering need an object ("stop calling me"), because "quit calling
    # the office line" is about which line to use.
    _rx(
        r"\b(?:",
        _STOP,
        r"|quit|cease)(?: it)?(?: with)? (?:all )?(?:the )?",
        r"(?:(?:texting|textin|txting|txtin|messaging|messageing|msging",
        r"|contacting|spamming|sending (?:me )?(?:texts|messages))\b",
        r"(?! (?:",
        _EN_ME,
        r" )?",
        _EN_TIME,
        r")",
        r"|(?:calling|bothering|bugging|harr?ass?ing|pestering|hitting up",
        r"|blowing up)(?: and \w+)? ",
        _EN_ME,
        r"\b(?! ",
        _EN_TIME,
        r"))",
    ),
    # "stop sending me these", "quit sending me promotions". The object
    # must be messages, so "stop sending me the bill by mail" is left alone.
    _rx(
        r"\b(?:",
        _STOP,
        r"|quit|cease) sending (?:(?:me|us) )?(?:(?:",
        _EN_DET,
        r" ){0,2}(?:[a-z]+ )?",
        _EN_MSG_LOOSE,
        r"\b|(?:these|those|them|this|that)",
        _EN_END,
        r")",
    ),
    # "stop the texts", "cancel my text alerts", "discontinue these
    # messages", "quit it with the texts". "cancel my 3pm" and "stop the
    # delivery" name no messages. "last" points at one earlier message
    # ("cancel that last message"), which is a correction.
    _rx(
        r"\b(?:",
        _STOP,
        r"|quit|cease|end|cancel|discontinue|halt|terminate)(?: it)?(?: with)? (?:(?:",
        _EN_DET,
        r") ){0,3}(?!last\b)(?:[a-z]+ )?",
        _EN_MSG,
        r"\b",
    ),
    # -- English: do not contact me -----------------------------------------
    # "don't text me", "never message this phone again", "do not contact
    # me", "don't text here again". Calls count only with again/anymore,
    # since "don't call me, text me instead" asks for texts.
    _rx(
        r"\b(?:dont|do not|never|can you not|could you not|you can not)",
        r" (?:ever )?(?:again )?(?:",
        r"(?:text|txt|message|msg|sms|contact|email) (?:(?:",
        _EN_ME,
        r"|here)(?! ",
        _EN_TIME,
        r")|any ?more|again|ever)",
        r"|call (?:",
        _EN_ME,
        r" )?(?:again|any ?more|ever)",
        r"|send (?:(?:me|us) )?(?:any ?more |more |another |these |those )?",
        _EN_MSG,
        r"(?! ",
        _EN_TIME,
        r"))\b",
    ),
    # "I don't want these texts", "I no longer wish to receive messages",
    # "I'd rather not get any more texts", "I don't want you to text me".
    _rx(
        r"\b(?:(?:dont|do not|no longer|never) (?:really )?(?:want|wish|wanna|like)",
        r"|(?:rather|prefer) not)",
        r" (?:to )?(?:(?:get|receive|be getting|keep getting|getting|receiving) )?",
        r"(?:(?:",
        _EN_DET,
        r") ){0,2}(?:[a-z]+ )?",
        _EN_MSG,
        r"\b(?! ",
        _EN_TIME,
        r")",
        r"|\b(?:dont|do not) want (?:you|u|yall|you guys) to (?:text|message",
        r"|contact|call) ",
        _EN_ME,
        r"\b",
    ),
    # "I just want these texts to stop", "make the messages stop". A
    # question about why they stopped ("did the texts stop?") has no wish
    # in it.
    _rx(
        r"\b(?:want|need|like|make|get) (?:(?:",
        _EN_DET,
        r") ){0,2}(?:[a-z]+ )?",
        _EN_MSG,
        r" (?:to )?(?:",
        _STOP,
        r"|end|cease|go away)\b",
    ),
    # "no more messages", "NO MORE TEXTS". Only at the start of a clause or
    # after a softener, so "I got no more messages after the quote" (a
    # delivery problem) does not count. "no more questions" names no
    # messages.
    _rx(
        r"(?:^|[.,;:!?] ?|\b(?:please|pls|plz|ok|okay|so|just|i said|seriously",
        r"|and|now) )no (?:more|further) (?:[a-z]+ )?",
        _EN_MSG,
        r"\b",
    ),
    # -- English: remove me from the list -----------------------------------
    # "remove me", "delete my number from your system", "take me off your
    # list". "from"/"off" must lead to a list, so "remove me from the
    # waitlist" and "take me off the schedule" do not count.
    _rx(
        r"\b(?:remove|delete|erase|unenroll|unregister|wipe) (?:",
        _EN_ME,
        r"|my (?:info|information|details|contact info))\b",
        r"(?! (?:from|off|out of|of) (?!",
        _EN_LIST,
        r"))(?! (?:as|for|on|in|to|at|and keep)\b)",
        r"|\b(?:take|get|drop|kick|scratch) (?:",
        _EN_ME,
        r") (?:of+|out)(?: of)?(?:",
        _EN_END,
        r"|(?: ",
        _EN_LIST,
        r"))",
    ),
    # "I want off this list", "I'd like to be removed". The same list test
    # keeps "I want to be removed from the waitlist" out.
    _rx(
        r"\b(?:want|wanna|need|like) (?:to (?:be|get) )?(?:off|out of",
        r"|removed from|taken off) ",
        _EN_LIST,
        r"|\b(?:to be|wanna be|be) (?:removed|taken off|deleted)\b",
        r"(?! (?:from|off|as) (?!",
        _EN_LIST,
        r"))",
    ),
    # "put me on your do not text list".
    _rx(
        r"\b(?:put|add|place) ",
        _EN_ME,
        r" (?:on|to|in) (?:(?:your|ur|the) )?(?:do not|dont|dnc|no)\b",
    ),
    # "opt me out", "I want to opt out", unless it is out of something
    # else ("opt out of the extended warranty").
    _rx(
        r"\bopt(?:ing)? ?(?:me )?out\b(?! (?:of|from) (?!",
        _EN_LIST,
        r"))",
    ),
    # Any form of unsubscribe, typos included: "unsub", "unsuscribe",
    # "unsubcribe". The keep-messages guard handles "did I accidentally
    # unsubscribe?".
    _rx(r"\bun ?su(?:b|sc|sb)\w*"),
    # "cancel my subscription", unless it is to something else
    # ("cancel my subscription to the lawn plan").
    _rx(
        r"\bcancel\w* (?:my |the |this )?subscriptions?\b(?! (?:to|for|of) (?!",
        _EN_LIST,
        r"))",
    ),
    # -- English: consent, complaints, wrong person -------------------------
    # "I revoke my consent", "I withdraw consent".
    _rx(
        r"\b(?:revoke|revoking|withdraw|withdrawing|rescind|rescinding|pull)",
        r" (?:my |all )?(?:consent|permission|authori[sz]ation)\b",
    ),
    # "I never signed up for this", "I didn't ask for these messages",
    # "I never gave you permission to text me".
    _rx(
        r"\b(?:never|didnt|did not) (?:sign(?:ed)? up|subscribed?|agreed?",
        r"|opt(?:ed)? in|consent(?:ed)?|ask(?:ed)?)(?: (?:for|to))? (?:",
        _EN_MSG,
        r"|(?:these|those|this|that|any of (?:this|these|that))(?: ",
        _EN_MSG_LOOSE,
        r")?",
        _EN_END,
        r")",
        r"|\bnever (?:gave|give|given) (?:you )?(?:my )?(?:permission|consent)\b",
    ),
    # "leave me alone", "lose my number".
    _rx(r"\bleave (?:me|us) (?:the \w+ )?al+o+ne\b"),
    _rx(r"\b(?:lose|forget) (?:my|this) (?:number|#)\b"),
    # "I'm done with your messages", "sick of these texts", "enough with
    # the messages".
    _rx(
        r"\b(?:done with|sick of|tired of|fed up with|(?:had )?enough (?:of|with))",
        r" (?:(?:getting|receiving) )?(?:(?:",
        _EN_DET,
        r") ){0,2}(?:[a-z]+ )?",
        _EN_MSG,
        r"\b",
    ),
    # A reassigned or mistyped number: whoever holds it never consented.
    # "I have the wrong number for your office" asks for a number instead.
    _rx(
        r"\bwrong (?:number|person|#|phone)\b",
        r"(?! (?:for|on|in|to|listed|saved|of)\b)",
    ),
    # -- Spanish: stop sending ----------------------------------------------
    # "deja de enviarme mensajes", "dejen de escribirme", "quiero dejar de
    # recibir mensajes". "deja el paquete" has no "de" plus a sending verb.
    _rx(
        r"\b(?:deja|deje|dejen|dejes|dejar|para|pare|paren|parar|detengan",
        r"|detener) (?:ya )?de? (?:estar(?:me|nos)? )?(?:",
        _ES_SEND_VERB,
        r"\w*|llam\w*(?:me|nos)|recibir (?:(?:sus|los|estos|tus|mas) )*",
        _ES_MSG,
        r")",
    ),
    # "paren los mensajes", "cancelen los recordatorios". "para" is left
    # out: it is also "for" ("¿qué número uso para los mensajes?").
    _rx(
        r"\b(?:paren|pare|parar|detengan|detener|cancelen|cancele|cancelar",
        r"|suspendan|suspender) (?:(?:los|las|sus|tus|estos|esos|todos|todas) ){0,2}",
        r"(?:[a-z]+ )?",
        _ES_MSG,
        r"\b",
    ),
    # "no me manden más mensajes", "nunca más me escriban", "no me vuelvan
    # a contactar". An object that is not a message ("no me manden la
    # factura por correo") or a time ("no me escriban antes de las 9") is
    # a preference about what or when, not a revocation.
    _rx(
        r"\b(?:no|nunca(?: mas)?|ya no) (?:me|nos) (?:",
        r"(?:vuelv\w+ a )(?:",
        _ES_SEND_VERB,
        r"\w*|llam\w*)",
        r"|",
        _ES_SEND_SUBJUNCTIVE,
        r"|llam\w+ (?:mas|nunca|otra vez))\b",
        r"(?! ",
        _ES_ARTICLE,
        r" (?!",
        _ES_MSG,
        r"))(?! ",
        _ES_TIME,
        r")",
    ),
    # "no quiero más mensajes", "ya no quiero recibir mensajes", "no quiero
    # que me escriban", "no quiero que me vuelvan a mandar nada", "ya no me
    # interesa recibir sus mensajes".
    _rx(
        r"\bno (?:quiero|deseo|queremos) (?:seguir )?(?:recibir (?:mas )?|mas )?",
        r"(?:(?:sus|los|estos|esos|tus|mas|ningun|ningunos) ){0,2}",
        _ES_MSG,
        r"\b(?! ",
        _ES_TIME,
        r")",
        r"|\bno (?:quiero|deseo) que me (?:sigan )?(?:",
        _ES_SEND_SUBJUNCTIVE,
        r"|mandando|enviando|escribiendo|vuelv\w+ a (?:",
        _ES_SEND_VERB,
        r"\w*|llam\w*))(?=",
        _ES_END,
        r"| (?:nada|",
        _ES_MSG,
        r"))",
        r"|\bno me interesan? (?:recibir )?(?:(?:sus|los|estos|tus|mas) )*",
        _ES_MSG,
    ),
    # "no más mensajes", at the start of a clause; "no más preguntas"
    # names no messages.
    _rx(
        r"(?:^|[.,;:!?] ?|\b(?:ya|por favor|porfa|favor|ok|y) )no mas (?:[a-z]+ )?",
        _ES_MSG,
        r"\b",
    ),
    # "basta de mensajes", "ya basta con los textos". "basta con que me
    # avisen" means "it is enough that you tell me".
    _rx(
        r"\b(?:basta|suficiente)(?: ya)? (?:de|con) ",
        r"(?:(?:los|tus|sus|estos|tantos) )?",
        _ES_MSG,
        r"\b",
    ),
    # -- Spanish: remove me from the list -----------------------------------
    # "bórrame de la lista", "sáquenme de su lista", "bórrenme". "sácame de
    # dudas" and "quítenme el cargo" name no list.
    _rx(
        r"\b(?:borr|quit|sac|saqu|elimin|remuev|remov)\w*?(?:me|nos)\b(?=",
        _ES_END,
        r"| de ",
        _ES_LIST,
        r")",
    ),
    # "me pueden quitar de la lista", "quiero que me borren de sus
    # contactos", but not "de la lista de espera".
    _rx(
        r"\bme (?:\w+ )?(?:borr|quit|sac|saqu|elimin)\w* de ",
        _ES_LIST,
    ),
    # "borren mi número", "eliminen mi número de su sistema".
    _rx(
        r"\b(?:borr|quit|sac|saqu|elimin|remov)\w* (?:mi|este) ",
        r"(?:numero|telefono|celular|cel|contacto)\b",
        r"(?! (?:viejo|anterior|de (?:mi|la) (?:esposa|esposo|casa|oficina)))",
    ),
    # "quiero darme de baja", "denme de baja de los mensajes". Dropping a
    # service ("dar de baja el plan") is not about messages.
    _rx(
        r"\b(?:darme|dame|denme|deme|darnos|me (?:\w+ )?(?:dar|den|de|des|doy))",
        r" de baja\b(?! ",
        _ES_ARTICLE,
        r" (?!",
        _ES_MSG,
        r"|lista|numero))",
        r"|\bdar de baja (?:mi|este) numero\b",
    ),
    # "desuscríbanme", "cancelar suscripción", "cancelar mi suscripción a
    # los mensajes".
    _rx(r"\bdes ?(?:suscri|subscri|inscri|uscri)\w*"),
    _rx(
        r"\bcancel\w* (?:(?:mi|la|su|esta|mis) )?(?:suscripcion|subscripcion",
        r"|suscricion|suscripciones)\b(?! (?:a|al|de|del) (?!(?:los |sus |estos )?",
        _ES_MSG,
        r"))",
    ),
    # -- Spanish: consent, complaints, wrong person -------------------------
    _rx(
        r"\b(?:revoco|retiro|cancelo|anulo|revocar|retirar) (?:mi )?",
        r"(?:consentimiento|autorizacion|permiso)\b",
    ),
    _rx(r"\bnunca (?:me )?(?:inscrib|suscrib|registr|autoric|apunt)\w*"),
    _rx(r"\bdej(?:a|e|en|ame|enme|eme|anme)(?: me| nos)? en paz\b"),
    _rx(
        r"\b(?:numero|persona) equivocad[oa]\b(?! (?:de|para|en)\b)",
        r"|\bequivoca\w* de (?:numero|persona)\b",
    ),
)


# Bare stop words ---------------------------------------------------------
# "STOP please", "stop it!!", "i said stop", "alto por favor": a clause
# made only of a stop word and filler. CANCEL, END and their Spanish
# counterparts are left out here, since "cancel please" in reply to a
# reminder usually means the appointment.

_BARE_STOP_WORD = re.compile(
    r"sto+p+(?:al+)?|stp|stpo|sotp|unsu(?:b|sc|sb)\w*|optout|revoke|quit"
    r"|alto|basta|parar|paren|detener|baja|desuscrib\w*"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FILLER = _words(
    "please pls plz pleas plis now it this that these them all just ok okay k"
    " already asap immediately right thanks thank you u ty thx seriously omg"
    " wtf god damn dammit man dude bro jeez geez i said again sorry lol lmao"
    " ffs hey hi hello yes yeah yo texts texting messages msgs sms"
    " por favor porfa porfavor xfa ya ahora ahorita gracias inmediatamente"
    " todo todos una vez mismo dije que mensajes textos"
)
# Words that place a message in a visit or appointment. With one of them
# present, a lone "Stop!" is more likely "wait" than a revocation ("Stop!!
# wait I meant 4pm").
_SCHEDULING = _words(
    "appointment appt schedule reschedule book booked booking tomorrow today"
    " tonight monday tuesday wednesday thursday friday saturday sunday am pm"
    " morning afternoon evening noon come coming arrive arriving here there"
    " way visit meet pickup pick drop deliver delivery tech technician driver"
    " door gate address office desk minutes mins hour time wait"
    " cita manana hoy tarde noche llego llegar llegando oficina puerta"
    " direccion entrega tecnico hora minutos lunes martes miercoles jueves"
    " viernes sabado domingo espera"
)


def _squeeze(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


_FILLER_SQUEEZED = frozenset(_squeeze(word) for word in _FILLER)


def _bare_stop_clause(text: str) -> str | None:
    """Return a clause made only of a stop word and filler, if any.

    In a message of several clauses, any scheduling word or number in the
    message vetoes the match, so only messages about nothing else fire.
    """
    clauses = [c.strip() for c in re.split(r"[.,;:!?\n]+", text) if c.strip()]
    for clause in clauses:
        words = clause.split()
        stop_words = [w for w in words if _BARE_STOP_WORD.fullmatch(w)]
        rest = [w for w in words if not _BARE_STOP_WORD.fullmatch(w)]
        if not stop_words or any(_squeeze(w) not in _FILLER_SQUEEZED for w in rest):
            continue
        if len(clauses) == 1 or not _mentions_scheduling(text):
            return clause

    return None


def _mentions_scheduling(text: str) -> bool:
    words = re.findall(r"\w+", text)
    return any(w in _SCHEDULING or any(c.isdigit() for c in w) for w in words)
