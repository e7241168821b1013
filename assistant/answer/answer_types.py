"""What kind of value a question asks for, and whether a sentence carries one.

"When …?" wants a date, "how many …?" a figure, "where …?" or "who …?" a name, "what email …?"
an address. The extractive composer uses this to make sure an answer holds the kind of value
asked for: a sentence that carries it is preferred, and a question asking for two things ("where
and when …?") gets a sentence for each. Only values the question does not already contain count:
"How many clusters took part in 2024?" is not answered by a sentence whose only figure is 2024.
A comparison ("more X or Y?") is split into its sides, so that each side gets a sentence, and a
question that coordinates two questions ("Who published it, and in which series?") into its
parts, so that each part gets one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from assistant.text import english_stop_words

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
)
_VALUES = {
    "date": re.compile(
        rf"\b(?:1[5-9]\d\d|20\d\d)s?\b|\b{_MONTH}(?=\s|,|$)|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}"
        r"|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\bcentury\b",
        re.IGNORECASE,
    ),
    "number": re.compile(
        r"\b\d[\d,.]*\b%?|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
        r"twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen)\b",
        re.IGNORECASE,
    ),
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "url": re.compile(r"\bwww\.[\w-]+|\bhttps?://\S+|\b[\w-]+\.(?:eu|com|org|net|int)\b"),
    # A name: a capitalised word that does not open the sentence ("… hosted by the Warsaw
    # University of Technology", "… is Antonio Novo Guerrero"); not all capitals ("CET", "PM").
    "name": re.compile(r"(?<=[\w,;:)’'\"] )[A-ZÀ-Þ][a-zß-ÿ][\w’'&-]*"),
}
_ASKS = {
    # "When …", "which year …", and a comparison in time ("which came first, X or Y?",
    # "is X older or newer than Y?"): the comparatives of time are a closed class.
    "date": re.compile(
        r"\bwhen\b|\b(?:what|which) (?:year|date|day|month|dates|days)\b|\bhow long ago\b"
        r"|\b(?:came|come|comes|happened) first\b.+\bor\b"
        r"|\b(?:earlier|later|older|newer)\b.+\bor\b",
        re.IGNORECASE,
    ),
    # "How many …", "what is the population of …", "what share of …": a quantity noun asked for.
    "number": re.compile(
        r"\bhow (?:many|much|old|long|often|large|big)\b|\b(?:what|which) (?:is |was |are |were )?"
        r"(?:the |its |their )?(?:[\w-]+ ){0,2}?(?:number|share|percentage|proportion|amount|size|"
        r"cost|price|budget|population|rate|total|level|value|intensity)s?\b"
        r"|\b(?:more|fewer|less)\b.+\bor\b",
        re.IGNORECASE,
    ),
    "email": re.compile(r"\be-?mail\b", re.IGNORECASE),
    "url": re.compile(r"\bweb ?site\b|\burl\b|\bweb address\b|\blink\b", re.IGNORECASE),
    "name": re.compile(r"\bwhere\b|\bwho(?:m|se)?\b", re.IGNORECASE),
}
_WORD = re.compile(r"[\w’'&-]+")
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
# "the second stage", "its third objective": an ordinal naming one item of a numbered series.
_ASKS_ORDINAL = re.compile(rf"\b({'|'.join(_ORDINALS)})\s+([a-z]+)", re.IGNORECASE)
# A comparison: "… compared with …", "the difference between … and …", "more … or …".
_COMPARISON = re.compile(
    r"\b(?:compare[sd]?|difference|differ|versus|vs|more|fewer|less|first|earlier|later|older|newer"
    r"|same)\b",
    re.IGNORECASE,
)
# An alternative question: "Which …, X or Y?" asks to choose between two sides, a comparison
# whatever its comparative ("higher", "older", "stronger").
_ALTERNATIVES = re.compile(
    r"^\s*(?:which|who)\b[^?]*[,:]\s*[^,:?]+\s+or\s+[^,:?]+\?\s*$", re.IGNORECASE
)
_CONNECTIVES = (
    re.compile(r"\b(?:compared?|compares) (?:with|to)\b|\bversus\b|\bvs\b\.?", re.IGNORECASE),
    re.compile(r"\bor\b", re.IGNORECASE),
    re.compile(r"\band\b", re.IGNORECASE),
)
# Words of a comparison question that name no side.
_NOT_A_SIDE = frozenset(
    {"compare", "compared", "compares", "difference", "differ", "different", "versus", "vs"}
    | {"more", "fewer", "less", "first", "earlier", "later", "older", "newer", "same", "number"}
    | {"share", "came"}
    | {"stated"}
)


def asked_types(question: str) -> list[str]:
    """The kinds of value `question` asks for, e.g. ["name", "date"] for "Where and when …?";
    "ordinal" for one item of a numbered series ("the second stage")."""
    kinds = [kind for kind, pattern in _ASKS.items() if pattern.search(question)]
    return [*kinds, "ordinal"] if _ASKS_ORDINAL.search(question) else kinds


@lru_cache(maxsize=256)
def _numbered(question: str) -> re.Pattern[str]:
    """What names the item an ordinal asks for: for "the second stage", "Stage 2", "2nd stage"
    or "second stage" itself."""
    names = []
    for match in _ASKS_ORDINAL.finditer(question):
        n, noun = _ORDINALS[match.group(1).casefold()], re.escape(match.group(2).rstrip("s"))
        names.append(
            rf"\b{noun}s?\s+{n}\b|\b{n}(?:st|nd|rd|th)\s+{noun}|\b{match.group(1)}\s+{noun}"
        )
    return re.compile("|".join(names) or r"(?!)", re.IGNORECASE)


@lru_cache(maxsize=256)
def _words(question: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in _WORD.findall(question))


def carries(kind: str, text: str, question: str) -> bool:
    """Whether `text` holds a value of `kind` that `question` does not already contain."""
    if kind == "ordinal":
        return bool(_numbered(question).search(text))
    asked = _words(question)
    for match in _VALUES[kind].finditer(text):
        value = match.group(0)
        if kind == "name" and _VALUES["date"].fullmatch(value):
            continue  # "March" is a date, not a name
        words = _WORD.findall(value) or [value]
        if any(w.casefold() not in asked for w in words):
            return True
    return False


def missing_types(kinds: Iterable[str], texts: Iterable[str], question: str) -> list[str]:
    """Those of `kinds` that none of `texts` carries."""
    texts = list(texts)
    return [k for k in kinds if not any(carries(k, t, question) for t in texts)]


def _content_words(text: str) -> set[str]:
    stop = english_stop_words()
    words = {w.casefold() for w in _WORD.findall(text)}
    return {
        w.removesuffix("s") for w in words if len(w) > 1 and w not in stop and w not in _NOT_A_SIDE
    }


_QUESTION_WORD = r"(?:what|which|who|whom|whose|when|where|why|how)"
# "…, and in which years?", "…; who manages it?": a coordinator (or a semicolon) and a question
# word, after an optional preposition: a second question joined to the first. The words are
# closed grammatical classes (coordinators, prepositions, question words).
_SECOND_QUESTION = re.compile(
    rf"(?:,\s*|;\s*|\s+)(?:and|or)?\s*(?:(?:in|on|at|by|for|from|to|with|of|since|until|over)"
    rf"\s+)?(?={_QUESTION_WORD}\b)",
    re.IGNORECASE,
)
# "Where and when does …?": two question words coordinated at the opening.
_PAIRED_OPENING = re.compile(rf"^\s*({_QUESTION_WORD})\s+and\s+({_QUESTION_WORD})\b", re.IGNORECASE)


def question_parts(question: str) -> list[str]:
    """The questions a question coordinates, each on its own ("How often will it report, and in
    which years?" → "How often will it report", "in which years?"; "Where and when does it take
    place?" → "Where does it take place?", "When does it take place?"); the question alone when
    it coordinates none. A comparison ("Which came first, X or Y?") is one question."""
    paired = _PAIRED_OPENING.match(question)
    if paired:
        rest = question[paired.end() :]
        return [f"{paired.group(1).capitalize()}{rest}", f"{paired.group(2).capitalize()}{rest}"]
    if compared_sides(question):
        return [question]
    for match in _SECOND_QUESTION.finditer(question):
        if not (match.group(0).strip(" ,;") or question[match.start()] in ",;"):
            continue  # a question word inside a clause ("… see when gazing at Mars?")
        first, second = question[: match.start()].strip(" ,;"), question[match.start() :]
        second = second.strip(" ,;")
        if re.search(rf"\b{_QUESTION_WORD}\b", first, re.IGNORECASE):  # a question before it
            return [first + "?", re.sub(r"^(?:and|or)\s+", "", second, flags=re.IGNORECASE)]
    return [question]


_CLAUSE_BREAK = re.compile(r"[,:;]\s*")


def comparison_parts(question: str) -> list[str]:
    """A comparison as one question per side: the question up to its connective, and the same
    with the other side in place of the first ("Which reported the higher R&D intensity,
    Estonia or Lithuania?" → "… intensity, Estonia?", "… intensity, Lithuania?"). The second
    side replaces as many words before the connective as it has, never reaching back past a
    comma or colon ("Which is older, the Northern strategy or the Western one?"). [] for any
    other question."""
    split = _at_connective(question) if compared_sides(question) else None
    if split is None:
        return []
    left = split[0].rstrip(" ,")
    right = split[1].strip().rstrip("?").strip()
    if not left or not right:
        return []
    breaks = list(_CLAUSE_BREAK.finditer(left))
    head = left[: breaks[-1].end()] if breaks else ""
    tail = left[len(head) :].split()
    keep = tail[: max(0, len(tail) - len(right.split()))]
    second = " ".join([head.rstrip(), *keep, right]).strip()
    return [f"{left}?", f"{second}?"]


def side_items(parts: list[str]) -> list[frozenset[str]]:
    """For a comparison's parts (`comparison_parts`), the words naming each side: those of its
    part that the other part lacks ("Estonia" against "Lithuania")."""
    words = [_content_words(part) for part in parts]
    return [
        frozenset(own - set().union(*(w for j, w in enumerate(words) if j != i)))
        for i, own in enumerate(words)
    ]


def compared_sides(question: str) -> list[frozenset[str]]:
    """For a comparison, the words naming each side only ("Matchmaking Events" against
    "Clusters meet Regions"); an empty list for any other question."""
    if not (_COMPARISON.search(question) or _ALTERNATIVES.search(question)):
        return []
    split = _at_connective(question)
    if split is None:
        return []
    left, right = (_content_words(p) for p in split)
    sides = [frozenset(left - right), frozenset(right - left)]
    return sides if all(sides) else []


def _at_connective(question: str) -> tuple[str, str] | None:
    """`question` before and after the first of `_CONNECTIVES` it holds (in their order of
    precedence); None without one."""
    for connective in _CONNECTIVES:
        match = connective.search(question)
        if match:
            return question[: match.start()], question[match.end() :]
    return None


def mentions(side: frozenset[str], text: str) -> bool:
    """Whether `text` names a compared side: at least half of its words."""
    return len(side & _content_words(text)) * 2 >= len(side)
