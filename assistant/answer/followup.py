"""Follow-ups rewritten to stand alone, offline, before retrieval and reading.

Two mechanisms, both on the grammar of the turns rather than on what the documents are about:
- **a new item in the previous question's frame**: an elliptical follow-up ("And in Palma?",
  "And the short form “zhgd.”?") that names something takes the previous question with the
  item it named replaced: "When is the Heilbronn event?" → "When is the Palma event?";
- **a pronoun**: a third-person pronoun ("it", "its", "there", "him") stands for what the
  previous answer opened by naming, the answer's focus ("Which sector came out strongest?" →
  "ICT, to be used horizontally …": "What is its biggest problem?" → "What is ICT’s biggest
  problem?"), else for what the previous question named: "What targets has it set?" after "What
  is the Luxembourg Cluster Initiative?" → "It is …" → "What targets has Luxembourg Cluster
  Initiative set?".
- **a demonstrative** ("that industry", "this country") stands for the same referent as a
  pronoun, except that a noun the previous question used ("… in the country table?" →
  "Copenhagen." → "how big is that country?") points back to what that question named
  (Denmark), and a noun of the answer's focus to the focus;
- **"the X one"** picks the item of the previous answer's enumeration that holds X: "Six: energy
  …; health technologies and biotechnologies; …" → "Which priorities fall under the health
  one?" → "… under health technologies and biotechnologies?".
A follow-up no rewrite applies to is left as it is (retrieval still mixes in the turns
before it). The words below are closed grammatical classes (pronouns, question words,
connectives), not a vocabulary of any collection.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PRONOUNS = frozenset(
    {"it", "its", "they", "them", "their", "there", "him", "his", "he", "she", "her"}
)  # fmt: skip
# Words that make a follow-up a question of its own rather than a fragment of the one before.
ASKING = frozenset(
    {"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was",
     "were", "does", "do", "did", "can", "could", "should", "would", "will", "has", "have", "had"}
)  # fmt: skip
POSSESSIVES = frozenset({"its", "their", "his", "her"})
# Words that open a question or join it to the one before: capitalised only by position.
FUNCTION_WORDS = frozenset(
    {"and", "but", "so", "then", "also", "what", "which", "who", "whom", "whose", "when",
     "where", "why", "how", "is", "are", "was", "were", "does", "do", "did", "can", "could",
     "should", "would", "will", "has", "have", "had", "tell", "me", "about", "the", "a", "an",
     "in", "on", "at", "for", "of", "to", "by", "with", "from", "i", "please", "give", "list",
     "name", "show", "describe", "explain"}
)  # fmt: skip
ELLIPTICAL_WORDS = 4  # a follow-up of at most this many words (connectives aside) is elliptical
FOCUS_WORDS = 6
"""An answer's opening phrase (up to its first comma, colon or full stop) of at most this many
words, articles aside, names what the answer is about ("Statistics Netherlands, which …",
"More efficient use of resources, with …"); a longer one, or one with a figure, is a clause ("To
make the economy …", "Members come from 19 countries, …")."""
ARTICLES = frozenset({"the", "a", "an"})
# An answer that opens with one of these opens with a count or a reply, not a name.
NUMBER_WORDS = frozenset(
    {"yes", "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "several", "many", "some", "all", "none", "both", "each", "every",
     "this", "that", "these", "those"}
)  # fmt: skip
_REPLY = re.compile(r"^\s*(?:yes|no)\b[\s:,.;–-]*", re.IGNORECASE)
_HEAD_END = re.compile(r"[,:;(]|\.(?:\s|$)")
_CITED = re.compile(r"\[\d+\]")
_QUOTED = re.compile(r"[\"“„«]([^\"”“»]{1,60})[\"”“»]")
_CAPITALISED = re.compile(r"[A-ZÀ-Þ][\w’'.–-]*(?:\s+[A-ZÀ-Þ][\w’'.–-]*)*")
POSSESSIVE_ENDING = re.compile(r"(?:['’]s|['’])$")
"""A possessive ending ("Estonia's", "members’"): what it names is the word without it."""
_WORD = re.compile(r"[\w’'.-]+")
_DIGIT = re.compile(r"\d")
_DEMONSTRATIVE = re.compile(r"\b(?:that|this|these|those)\s+([a-z][\w-]*)\b")
_ONE = re.compile(r"\bthe\s+([a-z][\w-]*)\s+one\b", re.IGNORECASE)
_ITEM_SPLIT = re.compile(r"\s*;\s*(?:and\s+)?|,\s*(?:and\s+)?")


def named(text: str) -> list[str]:
    """What `text` names: quoted strings, then runs of capitalised words (a capital that only
    opens the sentence, "What", "And", does not count)."""
    spans = [m.group(1).strip() for m in _QUOTED.finditer(text)]
    rest = _QUOTED.sub(" ", text)
    for match in _CAPITALISED.finditer(rest):
        words = match.group(0).split()
        while words and words[0].lower().strip("’'.") in FUNCTION_WORDS:
            words.pop(0)
        span = " ".join(words).rstrip(".’'")
        if span:
            spans.append(span)
    return spans


def _content_words(text: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    return [w for w in words if w not in FUNCTION_WORDS]


def focus(answer: str) -> str | None:
    """What `answer` opens by naming, the new topic of a conversation ("Yes: LifeLines, a
    research study …" → "LifeLines"; "Martin Thoma wrote it …" → "Martin Thoma"); None when it
    opens with a pronoun, a count or a clause. Of an answer with notices before its quotes, the
    first quoted line counts."""
    lines = [line for line in answer.splitlines() if line.strip()]
    if not lines:
        return None
    text = _REPLY.sub("", next((line for line in lines if _CITED.search(line)), lines[0]), 1)
    text = text.lstrip("-•* ")
    words = _HEAD_END.split(text, maxsplit=1)[0].split()
    while words and words[0].lower() in ARTICLES:
        words.pop(0)
    if not words:
        return None
    first = words[0].lower().strip("’'")
    if first in PRONOUNS or first in FUNCTION_WORDS or first in NUMBER_WORDS:
        return None
    bare = [word.lower().strip("’'") for word in words[1:]]
    # A phrase with a figure, a pronoun or an auxiliary is a clause: "members come from 19
    # countries", "Luxinnovation leads it", "ICT is the strongest".
    clause = any(_DIGIT.search(word) for word in words) or any(
        word in PRONOUNS or word in ASKING for word in bare
    )
    if len(words) <= FOCUS_WORDS and not clause and _HEAD_END.search(text):
        return " ".join(words).rstrip(".")
    lead = _CAPITALISED.match(" ".join(words))
    name = lead.group(0).split() if lead else []
    if len(name) >= 2 and not POSSESSIVE_ENDING.search(name[-1]):  # "Martin Thoma wrote …"
        return " ".join(name)
    return None


def standalone(question: str, previous: str, answer: str = "") -> str:
    """`question` rewritten to stand alone after the user's `previous` question and the
    `answer` it got (unchanged when no rewrite applies)."""
    before = named(previous)
    topic = focus(answer)
    if not before and not topic:
        return question
    now = named(question)
    words = [w.lower() for w in _WORD.findall(question)]
    fragment = not ASKING & set(words) and len(_content_words(question)) <= ELLIPTICAL_WORDS
    if now and fragment and before:
        frame = previous
        old = before[-1]
        if old in frame and now[-1] not in frame:
            return frame.replace(old, now[-1], 1)
    picked = _one_of(question, answer)
    if picked:
        return picked
    words = question.split()
    for i, word in enumerate(words):
        bare = word.strip("?.,!;:").lower()
        if bare in PRONOUNS:
            subject = POSSESSIVE_ENDING.sub("", topic or before[0])
            subject += "’s" if bare in POSSESSIVES else ""
            trail = word[len(word.rstrip("?.,!;:")) :]
            return " ".join([*words[:i], subject + trail, *words[i + 1 :]])
    return _demonstrative(question, previous, topic, before)


def _demonstrative(question: str, previous: str, topic: str | None, before: list[str]) -> str:
    """`question` with its first demonstrative noun phrase ("that industry") replaced by its
    referent: the answer's focus when the noun is part of it or the previous question did not
    use the noun, else what the previous question named."""
    for match in _DEMONSTRATIVE.finditer(question):
        noun = match.group(1).lower()
        if noun in FUNCTION_WORDS or noun in PRONOUNS or noun in ASKING:
            continue
        in_focus = topic is not None and noun in _content_words(topic)
        referent = (
            topic
            if topic and (in_focus or noun not in _content_words(previous) or not before)
            else before[0]
        )
        referent = POSSESSIVE_ENDING.sub("", referent)
        return question[: match.start()] + referent + question[match.end() :]
    return question


def _one_of(question: str, answer: str) -> str | None:
    """`question` with "the X one" replaced by the item of `answer`'s enumeration that holds X
    (a word starting with X); None when there is no such phrase or item."""
    match = _ONE.search(question)
    if not match or not answer:
        return None
    listed = answer.split(":", 1)[-1].strip().rstrip(".")
    items = [item for item in _ITEM_SPLIT.split(listed) if item]
    if len(items) < 2:
        return None
    stem = match.group(1).lower()
    holding = [item for item in items if any(w.startswith(stem) for w in _content_words(item))]
    if len(holding) != 1:
        return None
    return question[: match.start()] + holding[0] + question[match.end() :]


def rewrite(question: str, history: Sequence[tuple[str, str]]) -> str:
    """`question` standing alone, given the (role, content) turns before it."""
    for i in range(len(history) - 1, -1, -1):
        role, content = history[i]
        if role == "user":
            replies = [c for r, c in history[i + 1 :] if r == "assistant"]
            return standalone(question, content, replies[0] if replies else "")
    return question
