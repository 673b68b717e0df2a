"""The offline model: a deterministic, rule-based stand-in for a vendor's LLM.

Registered with litellm as the `thoughtflow` provider, `thoughtflow/offline`
goes through the same code path as any vendor's model: it reads the system
prompt the agent writes (its `## Goal`, `## Knowledge`, `## Outcomes`,
`## Contact` and `## Now` sections) and the conversation, and answers with a
short text and the tool calls a real model would make.

It understands, in the contact's latest burst of texts: confirmations,
refusals, requests to reschedule, dates and times ("tomorrow at 3", "next
Tue morning", "12/5 at 9:30am"), documents sent or promised, requests for a
person, "are you a bot?", questions it can answer from the knowledge
snippets, email addresses, opt-out language, and attempts to give it new
instructions. Outcomes are matched by the words of their names and
descriptions, so it works with the outcomes an operator defines.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

PROVIDER = "thoughtflow"
MODEL = f"{PROVIDER}/offline"

_registered = threading.Lock()


# The prompt ---------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool


@dataclass(frozen=True)
class Outcome:
    name: str
    description: str
    fields: tuple[Field, ...]

    @property
    def words(self) -> str:
        return f"{self.name.replace('_', ' ')} {self.description}".lower()


@dataclass(frozen=True)
class Prompt:
    business: str = ""
    goal: str = ""
    persona: str = ""
    knowledge: tuple[str, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    first_name: str = ""
    now: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC)
    )


def parse_prompt(system: str) -> Prompt:
    """Read the sections of the agent's system prompt."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in system.splitlines():
        if line.startswith("## "):
            current = line[3:].strip().lower()
            sections[current] = []
        else:
            sections[current].append(line)
    text = {name: "\n".join(lines).strip() for name, lines in sections.items()}
    business = re.search(r"on behalf of (.+?)\.\s*$", text[""], re.MULTILINE)
    first_name = re.search(r"^First name: (.+)$", text.get("contact", ""), re.MULTILINE)
    return Prompt(
        business=business.group(1) if business else "",
        goal=text.get("goal", ""),
        persona=text.get("persona", ""),
        knowledge=tuple(
            line[2:].strip()
            for line in text.get("knowledge", "").splitlines()
            if line.startswith("- ")
        ),
        outcomes=_outcomes(text.get("outcomes", "")),
        first_name=first_name.group(1).strip() if first_name else "",
        now=_now(text.get("now", "")),
    )


def _outcomes(text: str) -> tuple[Outcome, ...]:
    found: list[Outcome] = []
    for line in text.splitlines():
        if match := re.match(r"^- ([a-z][a-z0-9_]*)(?::\s*(.*))?$", line):
            found.append(Outcome(match.group(1), match.group(2) or "", ()))
        elif (
            match := re.match(r"^\s+- ([a-z][a-z0-9_]*): (\w+)(.*)$", line)
        ) and found:
            spec = Field(match.group(1), match.group(2), "required" in match.group(3))
            last = found[-1]
            found[-1] = Outcome(last.name, last.description, (*last.fields, spec))
    return tuple(found)


def _now(text: str) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(text.split()[0])
    except (IndexError, ValueError):
        return datetime.datetime.now(datetime.UTC)


# Dates and times ----------------------------------------------------------------

WEEKDAYS = {
    name: index
    for index, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
MONTHS = {
    name: index + 1
    for index, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        )
    )
    for name in names
}
PARTS_OF_DAY = {
    "morning": datetime.time(9),
    "noon": datetime.time(12),
    "midday": datetime.time(12),
    "afternoon": datetime.time(14),
    "evening": datetime.time(18),
    "tonight": datetime.time(19),
}
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?=\W|$)")
_AT_HOUR = re.compile(
    r"\b(?:at|@|around|by)\s+(\d{1,2})(?::(\d{2}))?\b(?!\s*(?:/|days?))"
)
_HOUR_MINUTES = re.compile(r"\b(\d{1,2}):(\d{2})\b")


@dataclass(frozen=True)
class When:
    """What a text says about a moment: a day, a time of day, or both."""

    day: datetime.date | None
    time: datetime.time | None

    def moment(self, now: datetime.datetime) -> datetime.datetime | None:
        if self.time is None:
            return None
        day = self.day
        if day is None:
            today = datetime.datetime.combine(now.date(), self.time, now.tzinfo)
            day = now.date() if today > now else now.date() + datetime.timedelta(1)
        return datetime.datetime.combine(day, self.time, now.tzinfo)


def parse_when(text: str, now: datetime.datetime) -> When | None:
    """The day and time `text` mentions, relative to `now`; None if neither."""
    lowered = text.lower()
    day = _day(lowered, now.date())
    time = _time(lowered, day_given=day is not None)
    if day is None and time is None:
        return None
    return When(day, time)


def _day(text: str, today: datetime.date) -> datetime.date | None:
    if re.search(r"\bday after tomorrow\b", text):
        return today + datetime.timedelta(2)
    if re.search(r"\b(tomorrow|tmrw|tmr)\b", text):
        return today + datetime.timedelta(1)
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening))\b", text):
        return today
    if match := re.search(r"\bin (\d{1,2}) days?\b", text):
        return today + datetime.timedelta(int(match.group(1)))
    if match := re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        return _date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := re.search(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", text):
        return _upcoming(today, MONTHS[match.group(1)], int(match.group(2)))
    if match := re.search(r"\b(\d{1,2})/(\d{1,2})\b", text):
        return _upcoming(today, int(match.group(1)), int(match.group(2)))
    if match := re.search(rf"\b(?:next |this |on )?({_WEEKDAY})\b\.?", text):
        ahead = (WEEKDAYS[match.group(1)] - today.weekday()) % 7 or 7
        return today + datetime.timedelta(ahead)
    return None


def _date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _upcoming(today: datetime.date, month: int, day: int) -> datetime.date | None:
    """That month and day, this year or, once past, next year."""
    found = _date(today.year, month, day)
    if found is not None and found < today:
        found = _date(today.year + 1, month, day)
    return found


def _time(text: str, *, day_given: bool) -> datetime.time | None:
    if match := _CLOCK.search(text):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        pm = match.group(3).startswith("p")
        if hour > 12 or minute > 59:
            return None
        return datetime.time((hour % 12) + (12 if pm else 0), minute)
    for pattern in (_HOUR_MINUTES, _AT_HOUR):
        if match := pattern.search(text):
            return _bare_hour(int(match.group(1)), int(match.group(2) or 0))
    if day_given and (
        match := re.search(rf"\b(?:tomorrow|today|{_WEEKDAY})\s+(\d{{1,2}})\b", text)
    ):
        return _bare_hour(int(match.group(1)), 0)
    for word, time in PARTS_OF_DAY.items():
        if re.search(rf"\b{word}\b", text):
            return time
    return None


def _bare_hour(hour: int, minute: int) -> datetime.time | None:
    """An hour said without am or pm: 1 to 7 are afternoon, as people mean them."""
    if not 0 <= hour <= 23 or minute > 59:
        return None
    if 1 <= hour <= 7:
        hour += 12
    return datetime.time(hour, minute)


# What the contact means -----------------------------------------------------------

INTENTS: dict[str, str] = {
    "opt_out": r"\b(stop (texting|messaging|contacting)|leave me alone|unsubscribe|"
    r"remove me|(don'?t|do not) (text|message|contact) me)\b",
    "bot": r"\b(are you|is this|r u|you)\s+(an?\s+)?(real\s+)?"
    r"(bot|robot|ai|a\.i\.|machine|automated|person|human|computer)\b|\bbot\?",
    "human": r"\b(real person|human|(talk|speak|chat) (to|with) (someone|somebody|"
    r"a person|an agent|an? rep\w*|a manager|staff|the office)|representative|"
    r"operator|call me|person please)\b",
    "injection": r"\b(ignore (all |any |your |previous |prior |the )*"
    r"(instructions|rules|prompt)|system prompt|your (prompt|instructions)|"
    r"you are now|pretend to be|"
    r"opt me (back )?in|(text|message|send)( a)?( text| message)? to \+?\d)",
    "later": r"\b(i'?ll|i will|will|can|gonna|going to)\s+(send|email|upload|get|text)"
    r"\b.*\b(later|tonight|tomorrow|soon|by|on|next|this|when)\b|\blater\b",
    "sent": r"\b(just sent|sent it|i sent|have sent|emailed|uploaded|attached|"
    r"here it is|here you go|there you go|sending it now)\b",
    "reschedule": r"\b(reschedul\w*|another (time|day)|different (time|day)|"
    r"can'?t make it|cannot make it|won'?t make it|move (it|the)|instead|"
    r"push (it|back)|change the (time|day)|better time)\b",
    "decline": r"\b(no|nope|nah|not interested|no thanks|no thank you|cancel\w*|"
    r"pass|don'?t want|do not want|not now|found someone|not anymore)\b",
    "confirm": r"\b(yes|yep|yeah|yup|ya|sure|ok|okay|confirm\w*|sounds good|"
    r"that works|works for me|perfect|great|absolutely|definitely|y|"
    r"i'?ll be there|see you|book me|let'?s do it)\b|👍",
}
# Words in an outcome's name or description that say what it records.
OUTCOME_WORDS: dict[str, tuple[str, ...]] = {
    "confirm": ("confirm", "keep", "attend", "accept"),
    "book": ("book", "schedul", "visit", "agreed", "agree", "time", "interested"),
    "reschedule": ("reschedul", "another time", "move", "new time", "different"),
    "cancel": ("cancel",),
    "decline": (
        "decline",
        "not interested",
        "not_interested",
        "no longer",
        "not want",
        "doesn't want",
        "refus",
        "will not",
        "won't",
        "lost",
        "cancel",
    ),
    "sent": ("sent", "received", "upload", "provided", "document"),
    "later": ("later", "pending", "will send"),
}
STOP_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by can do does for from how i in is it its me my of "
        "on or our the their there this to us we what when where which who why "
        "will with you your yours have has much many any",
    )
)
QUESTION = re.compile(
    r"\?|^\s*(what|what's|whats|how|when|where|why|who|which|do you|does|can i|"
    r"can you|is there|are there|is it|are you)\b",
    re.IGNORECASE,
)
REASON_FIELDS = ("reason", "notes", "note")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def intents_of(text: str) -> set[str]:
    lowered = text.lower().replace("\u2019", "'")  # Phones type curly apostrophes.
    found = {name for name, pattern in INTENTS.items() if re.search(pattern, lowered)}
    if "bot" in found:
        found.discard("human")  # "are you a real person?" asks about us.
    if "sent" in found or "later" in found:
        found -= {"confirm", "decline"}
    if "reschedule" in found:
        found.discard("confirm")
    if "decline" in found and re.search(r"\b(no problem|no worries)\b", lowered):
        found.discard("decline")
    return found


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _keywords(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9$']+", text.lower())
    return {_stem(w.strip("'")) for w in words if w not in STOP_WORDS and len(w) > 2}


def best_snippet(question: str, knowledge: tuple[str, ...]) -> str | None:
    """The knowledge line sharing the most words with the question, if any does."""
    asked = _keywords(question)
    scored = [(len(asked & _keywords(fact)), fact) for fact in knowledge]
    score, fact = max(scored, default=(0, ""))
    return fact if score >= 1 else None


def _questions(text: str) -> list[str]:
    sentences = re.split(r"(?<=[.?!])\s+", text.strip())
    return [s for s in sentences if QUESTION.search(s)]


# Answering ------------------------------------------------------------------------


@dataclass
class Answer:
    content: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.content = f"{self.content} {text}".strip()

    def call(self, name: str, **args: Any) -> None:
        self.calls.append((name, args))


def respond(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Answer:
    """What the offline model answers to `messages`, offered `tools`."""
    prompt = parse_prompt(str(messages[0].get("content") or "") if messages else "")
    offered = {tool["function"]["name"] for tool in tools}
    history = messages[1:]
    answer = Answer()
    if history and history[-1].get("role") == "tool":
        _after_tool_results(history, prompt, answer)
    elif not any(m.get("role") == "user" for m in history):
        answer.say(_opening(prompt))
    else:
        _reply(prompt, history, answer)
    answer.calls = [(name, args) for name, args in answer.calls if name in offered]
    return answer


def _after_tool_results(history: list[dict], prompt: Prompt, answer: Answer) -> None:
    """Errors: ask the contact for what was missing. Successes: carry on."""
    errors = [
        json.loads(m["content"]).get("error")
        for m in _trailing(history, "tool")
        if m.get("content", "").startswith("{")
    ]
    errors = [error for error in errors if error]
    missing = re.search(r"'(\w+)' is required", " ".join(errors))
    if missing:
        answer.say(f"Could you tell me the {_field_words(missing.group(1))}?")
    elif errors:
        answer.say(f"Sorry, let me try that again. {_goal_question(prompt, history)}")
    else:
        answer.say(_goal_question(prompt, history))


def _reply(prompt: Prompt, history: list[dict], answer: Answer) -> None:
    burst = " ".join(str(m.get("content") or "") for m in _trailing(history, "user"))
    intents = intents_of(burst)
    if "opt_out" in intents:
        answer.call("end_conversation", summary="The contact asked not to be texted.")
        return
    if "injection" in intents:
        answer.say(
            "Sorry, I can only help with this conversation. "
            + _goal_question(prompt, history)
        )
        return
    if email := EMAIL.search(burst):
        answer.call("update_contact", fields={"email": email.group(0)})
    if "bot" in intents:
        answer.say(
            f"I'm an automated assistant for {prompt.business or 'this business'}."
        )
    if "human" in intents:
        answer.say("Of course. A member of our team will text you shortly.")
        answer.call("request_handoff", reason="The contact asked for a person.")
        return

    decided = _decide(prompt, history, burst, intents, answer)
    if decided:
        return
    questions = [
        q
        for q in _questions(burst)
        if parse_when(q, prompt.now) is None and "bot" not in intents_of(q)
    ]
    if questions and not (intents - {"bot"}):
        fact = best_snippet(" ".join(questions), prompt.knowledge)
        if fact is None:
            answer.say(
                "Good question. I'll check with the team and someone will get "
                "back to you."
            )
            answer.call(
                "request_handoff",
                reason=f"Question the agent could not answer: {questions[0]}",
            )
            return
        answer.say(fact)
    elif email and not intents:
        answer.say("Thanks, I've saved your email.")
    elif not answer.content:
        answer.say("Sorry, I didn't quite get that.")
    answer.say(_goal_question(prompt, history))


def _decide(
    prompt: Prompt, history: list[dict], burst: str, intents: set[str], answer: Answer
) -> bool:
    """Capture an outcome, or ask for what it still needs. True if it did either."""
    when = parse_when(burst, prompt.now)
    earlier = " ".join(
        str(m.get("content") or "")
        for m in history[: -len(_trailing(history, "user"))]
        if m.get("role") == "user"
    )
    rescheduling = "reschedule" in intents or "reschedule" in intents_of(earlier)
    asked_time = _asked_for_time(history)

    if "later" in intents and (outcome := _match(prompt, "later")):
        return _capture(outcome, answer, when, prompt, burst, 0.9)
    if "sent" in intents and (outcome := _match(prompt, "sent")):
        return _capture(outcome, answer, when, prompt, burst, 0.9)
    if "decline" in intents and not when:
        kind = "cancel" if re.search(r"\bcancel", burst.lower()) else "decline"
        outcome = _match(prompt, kind) or _match(prompt, "decline")
        if outcome:
            return _capture(outcome, answer, None, prompt, burst, 0.9)
    if rescheduling and (outcome := _match(prompt, "reschedule") or _timed(prompt)):
        return _capture(outcome, answer, when, prompt, burst, 0.9)
    if "confirm" in intents or (when and asked_time):
        timed = _timed(prompt)
        if when and when.time and timed:
            return _capture(timed, answer, when, prompt, burst, 0.9)
        outcome = _match(prompt, "confirm")
        if outcome and not _required(outcome) and "confirm" in intents:
            return _capture(outcome, answer, when, prompt, burst, 0.9)
        if timed:
            return _capture(timed, answer, when, prompt, burst, 0.6)
        if outcome := _match(prompt, "book") or _match(prompt, "confirm"):
            return _capture(outcome, answer, when, prompt, burst, 0.6)
    if when and when.time and (timed := _timed(prompt)):
        return _capture(timed, answer, when, prompt, burst, 0.6)
    return False


def _capture(
    outcome: Outcome,
    answer: Answer,
    when: When | None,
    prompt: Prompt,
    burst: str,
    confidence: float,
) -> bool:
    """Capture `outcome` with what the texts give, or ask for a missing field."""
    fields: dict[str, Any] = {}
    for spec in outcome.fields:
        if spec.type == "datetime" and when and (moment := when.moment(prompt.now)):
            fields[spec.name] = moment.isoformat()
        elif spec.type == "date" and when and when.day:
            fields[spec.name] = when.day.isoformat()
        elif spec.name in REASON_FIELDS and len(_keywords(burst)) > 1:
            # More than a bare "no": keep the contact's words as the reason.
            fields[spec.name] = " ".join(burst.split())[:200]
    missing = [
        spec for spec in outcome.fields if spec.required and spec.name not in fields
    ]
    if missing:
        spec = missing[0]
        if spec.type == "datetime" and when and when.day:
            answer.say(f"What time on {when.day:%A} works for you?")
        elif spec.type in ("datetime", "date"):
            answer.say(
                "What day and time would work better?"
                if "reschedul" in outcome.words
                else "Great! What day and time work for you?"
            )
        else:
            answer.say(f"Could you tell me the {_field_words(spec.name)}?")
        return True
    answer.say(_closing(outcome, fields, prompt))
    args: dict[str, Any] = {"outcome": outcome.name, "confidence": confidence}
    if fields:
        args["fields"] = fields
    args["summary"] = _summary(outcome, fields)
    answer.call("capture_outcome", **args)
    return True


def _match(prompt: Prompt, kind: str) -> Outcome | None:
    """The outcome whose name and description best say `kind`."""
    best, best_score = None, 0
    for outcome in prompt.outcomes:
        name = outcome.name.replace("_", " ")
        score = sum(
            2 * (word in name) + (word in outcome.description.lower())
            for word in OUTCOME_WORDS[kind]
        )
        if score > best_score:
            best, best_score = outcome, score
    return best


def _timed(prompt: Prompt) -> Outcome | None:
    """The booking-like outcome that needs a date and time, if there is one."""
    timed = [
        o
        for o in prompt.outcomes
        if any(f.type in ("datetime", "date") and f.required for f in o.fields)
    ]
    if not timed:
        return None
    booking = _match(Prompt(outcomes=tuple(timed)), "book")
    return booking or timed[0]


def _required(outcome: Outcome) -> bool:
    return any(spec.required for spec in outcome.fields)


def _asked_for_time(history: list[dict]) -> bool:
    for message in reversed(history):
        if message.get("role") == "assistant" and message.get("content"):
            return bool(
                re.search(
                    r"\b(what|which) (day|time)|day and time|what time",
                    message["content"].lower(),
                )
            )
    return False


def _trailing(history: list[dict], role: str) -> list[dict]:
    """The messages of `role` at the end of the history, oldest first."""
    found = []
    for message in reversed(history):
        if message.get("role") != role:
            break
        found.append(message)
    return list(reversed(found))


def _opening(prompt: Prompt) -> str:
    greeting = f"Hi {prompt.first_name}" if prompt.first_name else "Hi there"
    speaker = prompt.persona or prompt.business
    intro = f"{greeting}, it's {speaker}." if speaker else f"{greeting}!"
    return f"{intro} {_question_from_goal(prompt.goal)}"


def _goal_question(prompt: Prompt, history: list[dict]) -> str:
    """The question that moves toward the goal: the last one the agent asked."""
    for message in reversed(history):
        if message.get("role") == "assistant" and "?" in str(message.get("content")):
            for sentence in reversed(re.split(r"(?<=[.?!])\s+", message["content"])):
                if sentence.endswith("?") and "automated" not in sentence:
                    return sentence
    return _question_from_goal(prompt.goal)


def _question_from_goal(goal: str) -> str:
    text = goal.strip().rstrip(".")
    if not text:
        return "How can I help?"
    text = re.sub(r"\bthe contact's\b", "your", text, flags=re.IGNORECASE)
    text = re.sub(r"\bthe contact\b", "you", text, flags=re.IGNORECASE)
    text = re.sub(r"\btheir\b", "your", text)
    text = re.sub(r"\bthey\b", "you", text)
    text = _SECOND_PERSON_VERB.sub(
        lambda match: match.group(1) + _SECOND_PERSON[match.group(2).lower()], text
    )
    return f"Could we {text[0].lower()}{text[1:]}?"


# A goal speaks of the contact in the third person ("whether the contact
# still wants..."); once that is "you", the verb follows.
_SECOND_PERSON = {
    "wants": "want",
    "needs": "need",
    "has": "have",
    "is": "are",
    "was": "were",
    "likes": "like",
    "prefers": "prefer",
    "plans": "plan",
    "knows": "know",
    "does": "do",
}
_SECOND_PERSON_VERB = re.compile(
    rf"(\byou (?:still |already |really |also )?)({'|'.join(_SECOND_PERSON)})\b",
    re.IGNORECASE,
)


def _closing(outcome: Outcome, fields: dict[str, Any], prompt: Prompt) -> str:
    words = outcome.words
    moment = next(
        (
            datetime.datetime.fromisoformat(value)
            for spec in outcome.fields
            if spec.type == "datetime" and (value := fields.get(spec.name))
        ),
        None,
    )
    when = (
        f"{moment:%a %b} {moment.day} at {moment:%I:%M %p}".replace(" 0", " ")
        if moment
        else ""
    )
    if moment and "reschedul" in words:
        return f"Done, I've moved it to {when}. See you then!"
    if moment:
        return f"You're booked for {when}. See you then!"
    if any(w in words for w in OUTCOME_WORDS["later"]):
        day = next(
            (v for v in fields.values() if re.match(r"\d{4}-\d{2}-\d{2}$", str(v))),
            None,
        )
        by = f" by {datetime.date.fromisoformat(day):%A}" if day else ""
        return f"No problem, please send it{by} when you can. Thanks!"
    if any(w in words for w in OUTCOME_WORDS["sent"]):
        return "Thanks, we've got it from here."
    if any(w in words for w in OUTCOME_WORDS["decline"]):
        return "Understood, thanks for letting us know."
    return "Great, you're all set. Thank you!"


def _summary(outcome: Outcome, fields: dict[str, Any]) -> str:
    details = ", ".join(f"{name} {value}" for name, value in fields.items())
    return f"{outcome.name.replace('_', ' ').capitalize()}" + (
        f": {details}." if details else "."
    )


def _field_words(name: str) -> str:
    return name.replace("_at", " date and time").replace("_", " ")


# litellm ---------------------------------------------------------------------------


def register() -> None:
    """Make `thoughtflow/offline` a model litellm can call. Safe to repeat."""
    with _registered:
        import litellm

        providers = litellm.custom_provider_map
        if any(entry.get("provider") == PROVIDER for entry in providers):
            return
        handler = _handler_class()()
        litellm.custom_provider_map = [
            *providers,
            {"provider": PROVIDER, "custom_handler": handler},
        ]


def _handler_class() -> type:
    from litellm import CustomLLM, ModelResponse
    from litellm.types.utils import (
        ChatCompletionMessageToolCall,
        Choices,
        Function,
        Message,
        Usage,
    )

    def build(model: str, messages: list[dict], optional_params: dict) -> Any:
        answer = respond(messages, optional_params.get("tools") or [])
        calls = [
            ChatCompletionMessageToolCall(
                id=f"call_{index}",
                type="function",
                function=Function(name=name, arguments=json.dumps(args)),
            )
            for index, (name, args) in enumerate(answer.calls)
        ] or None
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in messages) // 4
        completion_tokens = max(1, len(answer.content) // 4)
        return ModelResponse(
            model=model,
            usage=Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                total_tokens=prompt_tokens + completion_tokens,
            ),
            choices=[
                Choices(
                    index=0,
                    finish_reason="tool_calls" if calls else "stop",
                    message=Message(
                        role="assistant", content=answer.content, tool_calls=calls
                    ),
                )
            ],
        )

    class OfflineLLM(CustomLLM):
        def completion(
            self, model: str, messages: list, *args: Any, **kwargs: Any
        ) -> Any:
            return build(model, messages, kwargs.get("optional_params") or {})

        async def acompletion(
            self, model: str, messages: list, *args: Any, **kwargs: Any
        ) -> Any:
            return build(model, messages, kwargs.get("optional_params") or {})

    return OfflineLLM
